//! Changes to the document catalog after signing (ISO 32000-1 §7.7.2): the form, DSS, metadata
//! and developer extensions may change, and `/Version` may rise; any other key may not.

use std::collections::BTreeSet;

use super::{names, Ctx};
use crate::pdf::{Dict, Object};

/// A PDF version name (`/1.7`, `/2.0`) as (major, minor).
fn version(o: Option<&Object>) -> Option<(u32, u32)> {
    let v = String::from_utf8_lossy(o?.as_name()?).into_owned();
    let (a, b) = v.split_once('.')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// Catalog keys: the form, DSS, metadata and extensions may change; `/Version` may rise
/// (ISO 32000-1 §7.2.2: a later revision may declare a later version).
pub(super) fn judge_catalog(
    ctx: &mut Ctx,
    id: &str,
    od: &Dict,
    nd: &Dict,
    diff: &BTreeSet<Vec<u8>>,
) {
    let mut other = BTreeSet::new();
    for k in diff {
        match k.as_slice() {
            b"AcroForm" => {}
            b"DSS" => ctx.push(id, "validation data (DSS) added", true, "dss.added"),
            b"Metadata" => ctx.push(id, "XMP metadata replaced", true, "metadata.updated"),
            b"Extensions" => ctx.push(
                id,
                "developer extensions declared",
                true,
                "catalog.extensions",
            ),
            b"Version" => {
                let (o, n) = (version(od.get(k)), version(nd.get(k)));
                let raised = match (o, n) {
                    (None, Some(_)) => true,
                    (Some(o), Some(n)) => n >= o,
                    _ => false,
                };
                if raised {
                    ctx.push(
                        id,
                        "the PDF version was raised",
                        true,
                        "catalog.version-raised",
                    );
                } else {
                    other.insert(k.clone());
                }
            }
            _ => {
                other.insert(k.clone());
            }
        }
    }
    if !other.is_empty() {
        ctx.push(
            id,
            format!("the document catalog changed ({})", names(&other)),
            false,
            "catalog.other-keys",
        );
    }
}
