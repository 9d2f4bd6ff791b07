//! Modifications after signing (ISO 32000-2 §12.8.2.2 DocMDP semantics; the checks that stop
//! shadow and incremental-saving attacks). Compares the document as signed (a prefix of the
//! file) with the document as it is now, object by object, by value — not by bytes — and judges
//! each change by the role the object plays: later signatures, DSS, metadata and form fill-in
//! are allowed; everything else (page content, annotations over content, catalog, page tree,
//! objects filling references the signed revision left dangling) is not. Each change names the
//! rule that judged it (`page.group-added`, `structure.attach-widgets`, …): the rules are the
//! ones real signing tools need (VGCA's, iText, Aspose, Adobe) and no more.

mod catalog;
mod forms;
mod graph;
mod judge;
mod pages;
mod structure;

pub use judge::analyse;

use std::collections::{BTreeSet, HashSet};
use std::io::{Read, Seek};

use super::report::Change;
use crate::pdf::{Dict, ObjRef, Object, PdfError, PdfFile};

/// Objects followed at most when looking for dangling references.
pub(super) const MAX_WALK: usize = 2_000_000;
/// Share of a page a new signature appearance may cover before it counts as an overlay.
pub(super) const MAX_WIDGET_PAGE_SHARE: f64 = 0.25;

pub(super) const ACROFORM_FREE_KEYS: &[&[u8]] =
    &[b"Fields", b"SigFlags", b"DR", b"DA", b"NeedAppearances"];
pub(super) struct Ctx {
    changes: Vec<Change>,
    docmdp: Option<i64>,
    /// Signature fields of the current revision and their widgets (kids), by object number: a
    /// widget without /Parent is still known by its field's /Kids.
    sig_widgets: HashSet<u32>,
    /// Object numbers the signed revision defines (built once per analysis).
    signed_objects: HashSet<u32>,
}

impl Ctx {
    pub(super) fn push(
        &mut self,
        object: impl Into<String>,
        what: impl Into<String>,
        allowed: bool,
        rule: &'static str,
    ) {
        self.changes.push(Change {
            object: object.into(),
            what: what.into(),
            allowed,
            rule,
        });
    }
}

pub(super) fn label(r: ObjRef) -> String {
    format!("{} {}", r.num, r.gen)
}

pub(super) fn type_name(o: &Object) -> String {
    o.as_dict()
        .and_then(|d| d.name(b"Type").or_else(|| d.name(b"Subtype")))
        .map(|n| format!("/{}", String::from_utf8_lossy(n)))
        .unwrap_or_else(|| "object".into())
}

/// Value equality as a reader sees it: dictionaries as maps (key order is not meaning; writers
/// reorder keys when they rewrite an object), integers equal to the same real.
pub(super) fn same(a: &Object, b: &Object) -> bool {
    match (a, b) {
        (Object::Dict(x), Object::Dict(y)) => same_dict(x, y),
        (Object::Stream(x), Object::Stream(y)) => {
            same_dict(&x.dict, &y.dict)
                && x.data_offset == y.data_offset
                && x.data_len == y.data_len
        }
        (Object::Array(x), Object::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Object::Int(i), Object::Real(r)) | (Object::Real(r), Object::Int(i)) => *i as f64 == *r,
        _ => a == b,
    }
}

fn same_dict(a: &Dict, b: &Dict) -> bool {
    let keys = |d: &Dict| d.keys().map(<[u8]>::to_vec).collect::<BTreeSet<_>>();
    keys(a) == keys(b)
        && a.keys().all(|k| match (a.get(k), b.get(k)) {
            (Some(x), Some(y)) => same(x, y),
            _ => false,
        })
}

/// Equality of optional values by [`same`].
pub(super) fn same_opt(a: Option<&Object>, b: Option<&Object>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => same(x, y),
        (None, None) => true,
        _ => false,
    }
}

/// Keys whose values differ between two dictionaries.
pub(super) fn differing_keys(a: &Dict, b: &Dict) -> BTreeSet<Vec<u8>> {
    let mut keys: BTreeSet<Vec<u8>> = a.keys().map(<[u8]>::to_vec).collect();
    keys.extend(b.keys().map(<[u8]>::to_vec));
    keys.into_iter()
        .filter(|k| !same_opt(a.get(k), b.get(k)))
        .collect()
}

pub(super) fn names(keys: &BTreeSet<Vec<u8>>) -> String {
    keys.iter()
        .map(|k| format!("/{}", String::from_utf8_lossy(k)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Value equality across two files; streams compare their raw bytes when they moved.
fn same_value<A: Read + Seek, B: Read + Seek>(
    old: &mut PdfFile<A>,
    new: &mut PdfFile<B>,
    a: &Object,
    b: &Object,
) -> Result<bool, PdfError> {
    match (a, b) {
        (Object::Stream(x), Object::Stream(y)) => {
            if !same_dict(&x.dict, &y.dict) || x.data_len != y.data_len {
                return Ok(false);
            }
            if x.data_offset == y.data_offset {
                return Ok(true);
            }
            Ok(old.stream_raw(x)? == new.stream_raw(y)?)
        }
        _ => Ok(same(a, b)),
    }
}

pub(super) fn resolve_array<R: Read + Seek>(
    pdf: &mut PdfFile<R>,
    o: Option<&Object>,
) -> Result<Vec<Object>, PdfError> {
    Ok(match o.map(|o| pdf.resolve(o)).transpose()? {
        Some(Object::Array(a)) => a,
        _ => Vec::new(),
    })
}

pub(super) fn page_area(d: &Dict) -> f64 {
    let n: Vec<f64> = d
        .get(b"MediaBox")
        .and_then(Object::as_array)
        .map(|a| a.iter().filter_map(Object::as_number).collect())
        .unwrap_or_default();
    match n[..] {
        [x1, y1, x2, y2] => ((x2 - x1) * (y2 - y1)).abs(),
        _ => 612.0 * 792.0,
    }
}
