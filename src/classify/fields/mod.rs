//! Stage `classify`, after the document type: reads the identity fields of one paper — personal
//! identification and old ID card numbers, full names, birth/issue/expiry dates, tax codes,
//! document numbers, land parcel and map sheet numbers — from its recognised lines, with the
//! box each value sits in and whether it passes the checks its issuing rules allow.
//!
//! Labels are matched on folded text (lower-case, no diacritics: OCR gets tone marks wrong), so
//! "Ho va ten", "Họ và tến" and "HỌ VÀ TÊN" all match; values are mapped back to the original
//! line for `raw` and the box. A value is on the label's line or, when the label ends its
//! line, on the next line of the same page. Values that fail a check are returned with
//! [`Check::Invalid`] and a reason, never dropped; a 12-digit number with no label and no valid
//! structure is not a value (it may be a phone or an amount) and is not returned.

mod dates;
mod doc_number;
mod land;
mod names;
mod person_id;
mod scan;
mod tax_code;
#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::fmt;

use crate::classify::PageText;

pub use dates::parse_vn_date;
pub use person_id::{check_person_id, PROVINCE_CODES};
pub use tax_code::{check_tax_code, tax_check_digit, TAX_CHECK_WEIGHTS};

/// What a field is.
#[non_exhaustive]
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// Số định danh cá nhân / số CCCD: 12 digits.
    PersonId,
    /// Số CMND: the old 9-digit identity card number.
    LegacyId,
    FullName,
    BirthDate,
    /// Mã số thuế / mã số doanh nghiệp.
    TaxCode,
    /// Số và ký hiệu văn bản ("123/QĐ-UBND").
    DocNumber,
    IssueDate,
    ExpiryDate,
    /// Thửa đất số.
    ParcelNumber,
    /// Tờ bản đồ số.
    MapSheet,
    /// Con dấu: the issuer's red seal, `present` or `absent` (read from the colours of the
    /// scan, see `classify::seal`; nothing when a gray scan cannot tell).
    Seal,
}

impl FieldKind {
    pub const ALL: [FieldKind; 11] = [
        FieldKind::PersonId,
        FieldKind::LegacyId,
        FieldKind::FullName,
        FieldKind::BirthDate,
        FieldKind::TaxCode,
        FieldKind::DocNumber,
        FieldKind::IssueDate,
        FieldKind::ExpiryDate,
        FieldKind::ParcelNumber,
        FieldKind::MapSheet,
        FieldKind::Seal,
    ];

    /// The snake_case code, the same as the serde name ("person_id").
    pub fn code(self) -> &'static str {
        match self {
            FieldKind::PersonId => "person_id",
            FieldKind::LegacyId => "legacy_id",
            FieldKind::FullName => "full_name",
            FieldKind::BirthDate => "birth_date",
            FieldKind::TaxCode => "tax_code",
            FieldKind::DocNumber => "doc_number",
            FieldKind::IssueDate => "issue_date",
            FieldKind::ExpiryDate => "expiry_date",
            FieldKind::ParcelNumber => "parcel_number",
            FieldKind::MapSheet => "map_sheet",
            FieldKind::Seal => "seal",
        }
    }

    /// The kind with this code.
    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }
}

impl fmt::Display for FieldKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The outcome of checking a value against the rules of its kind.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Check {
    Valid,
    /// `reason` says in English what is wrong, for the operator.
    Invalid {
        reason: String,
    },
}

/// One field read from a paper.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Field {
    pub kind: FieldKind,
    /// Normalised value: digits only for identity numbers, parcel and sheet numbers (the latter
    /// without leading zeros); `YYYY-MM-DD` for dates (`YYYY` for a birth year printed alone);
    /// `123/QĐ-UBND` for document numbers (NFC, as printed, no spaces around '/' and '-');
    /// names NFC in Title Case ("Nguyễn Văn Hùng"); tax codes `0101234567` or
    /// `0101234567-001`.
    pub value: String,
    /// The text as read on the line.
    pub raw: String,
    /// 0-based index into the `pages` slice given to [`extract`].
    pub page: usize,
    /// Box of the words holding `raw`, in upright-page pixels.
    pub bbox: Option<[f32; 4]>,
    pub check: Check,
}

/// Every field of the requested kinds found on the pages of one paper, in reading order; the
/// same (kind, value) once (its first occurrence). Values that fail validation are returned
/// with [`Check::Invalid`] and a reason, never dropped.
///
/// Identity numbers are cross-checked with the birth date printed near them (see
/// `person_id::cross_check`), whichever kinds are requested.
pub fn extract(kinds: &[FieldKind], pages: &[PageText]) -> Vec<Field> {
    if kinds.is_empty() {
        return Vec::new();
    }
    let doc = scan::Doc::new(pages);
    let mut hits = Vec::new();
    person_id::find(&doc, &mut hits);
    tax_code::find(&doc, &mut hits);
    dates::find(&doc, &mut hits);
    doc_number::find(&doc, &mut hits);
    names::find(&doc, &mut hits);
    land::find(&doc, &mut hits);
    hits.sort_by_key(|h| (h.line, h.start, h.kind));
    person_id::cross_check(&doc, &mut hits);
    let mut seen = HashSet::new();
    let seal = kinds
        .contains(&FieldKind::Seal)
        .then(|| seal_of(pages))
        .flatten();
    hits.into_iter()
        .filter(|h| kinds.contains(&h.kind))
        .filter(|h| seen.insert((h.kind, h.value.clone())))
        .map(|h| {
            let line = &doc.lines[h.line];
            Field {
                kind: h.kind,
                raw: line
                    .text()
                    .get(h.start..h.end)
                    .unwrap_or_default()
                    .to_string(),
                page: line.page,
                bbox: line.src.bbox_of_range(h.start, h.end),
                value: h.value,
                check: h.check,
            }
        })
        .chain(seal)
        .collect()
}

/// The seal field of a paper: `present` on the first page showing a red seal; `absent`
/// (failing its check) when every page is a colour scan and none shows one; nothing when a
/// gray page could hide it.
fn seal_of(pages: &[PageText]) -> Option<Field> {
    if let Some((i, b)) = pages
        .iter()
        .enumerate()
        .find_map(|(i, p)| Some((i, p.seal?)))
    {
        return Some(Field {
            kind: FieldKind::Seal,
            value: "present".into(),
            raw: "con dấu".into(),
            page: i,
            bbox: Some(b),
            check: Check::Valid,
        });
    }
    (!pages.is_empty() && pages.iter().all(|p| p.colour)).then(|| Field {
        kind: FieldKind::Seal,
        value: "absent".into(),
        raw: String::new(),
        page: 0,
        bbox: None,
        check: Check::Invalid {
            reason: "no red seal on this colour scan of a paper that bears one".into(),
        },
    })
}
