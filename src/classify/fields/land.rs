//! Stage `classify`, field extraction: the land parcel number (thửa đất số) and the cadastral
//! map sheet number (tờ bản đồ số) of land-use certificates and land applications.

use std::sync::LazyLock;

use regex::Regex;

use super::scan::{label_regex, value_after, Doc, Hit};
use super::{Check, FieldKind};

static PARCEL: LazyLock<Regex> = LazyLock::new(|| label_regex(&["thua dat so", "thua so"]));
static SHEET: LazyLock<Regex> = LazyLock::new(|| label_regex(&["to ban do so", "to ban do"]));
static NUMBER_AT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:so\s*:?\s*)?([0-9]+)\b").expect("constant pattern"));

/// Finds ParcelNumber (after "Thửa đất số", "Thửa số") and MapSheet (after "Tờ bản đồ số",
/// "Tờ bản đồ") fields: a number on the same line or, when the label ends the line, at the
/// start of the next. Value: the digits without leading zeros ("05" and "5" are the same
/// sheet). Valid when 1 to 6 digits and not zero.
pub(super) fn find(doc: &Doc<'_>, hits: &mut Vec<Hit>) {
    for (li, line) in doc.lines.iter().enumerate() {
        for (re, kind, what) in [
            (&*PARCEL, FieldKind::ParcelNumber, "parcel number"),
            (&*SHEET, FieldKind::MapSheet, "map sheet number"),
        ] {
            for m in re.find_iter(&line.folded) {
                let Some((vl, vp)) = value_after(doc, li, m.end()) else {
                    continue;
                };
                let vf = &doc.lines[vl].folded;
                let Some(g) = NUMBER_AT.captures(&vf[vp..]).and_then(|c| c.get(1)) else {
                    continue;
                };
                let digits = g.as_str();
                let trimmed = digits.trim_start_matches('0');
                let value = if trimmed.is_empty() { "0" } else { trimmed }.to_string();
                let check = if value == "0" {
                    Check::Invalid {
                        reason: format!("{what} 0 does not exist; numbering starts at 1"),
                    }
                } else if value.len() > 6 {
                    Check::Invalid {
                        reason: format!(
                            "{what} {value} is too long ({} digits); a digit run was probably \
                             joined with another",
                            value.len()
                        ),
                    }
                } else {
                    Check::Valid
                };
                hits.push(Hit::at(
                    doc,
                    kind,
                    vl,
                    vp + g.start(),
                    vp + g.end(),
                    value,
                    check,
                ));
            }
        }
    }
}
