//! Desk floor, the review rule (pure but for the one write): an officer confirms or corrects
//! the type and fields the classifier gave a paper. Unchanged fields keep what was read (the
//! line, the box); changed ones are checked as the reader checks them (an identity number or
//! tax code that fails its check is refused with the reason); owners, tax codes, issue date
//! and validity follow from the final type and fields. The change and its audit entry (before
//! and after) are one transaction; reviewed papers become training examples
//! (`sohoa classify train --reviews`).

use serde::Deserialize;
use serde_json::json;

use super::{Desk, DeskError, Units};
use crate::audit::{Action, AuditEntry};
use crate::classify::batch::valid_until;
use crate::classify::fields::{
    check_person_id, check_tax_code, parse_vn_date, Check, Field, FieldKind,
};
use crate::classify::types::DocTypes;
use crate::index::{AuditRequest, ComponentRow, Review, ReviewState};

/// One field as the officer leaves it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldInput {
    /// A field kind code ("person_id", "issue_date", …).
    pub kind: String,
    pub value: String,
}

/// What the officer decided: the paper's type and its complete list of fields.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    pub type_code: String,
    pub fields: Vec<FieldInput>,
}

/// Why a review was not recorded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReviewError {
    #[error("paper #{id}: {type_code:?} is not a configured document type")]
    UnknownType { id: i64, type_code: String },
    #[error("paper #{id}: {kind:?} is not a field kind (one of: {})", FieldKind::ALL.map(|k| k.code()).join(", "))]
    UnknownField { id: i64, kind: String },
    #[error("paper #{id}: {kind} {value:?} is not valid: {reason}")]
    InvalidValue {
        id: i64,
        kind: String,
        value: String,
        reason: ValueProblem,
    },
    #[error("paper #{id}: its stored fields cannot be read: {message}")]
    Stored { id: i64, message: String },
}

/// Why a value an officer typed is not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueProblem {
    #[error("empty")]
    Empty,
    /// The reader's own check refused it (an ID number's checks, a tax code's check digit).
    #[error("{0}")]
    Check(String),
    #[error("digits only")]
    DigitsOnly,
    #[error("not a date (write 30/05/2022 or 2022-05-30)")]
    NotADate,
}

/// A typed value normalised as the reader stores it, or why it cannot be.
fn normalise(kind: FieldKind, raw: &str) -> Result<(String, Check), ValueProblem> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(ValueProblem::Empty);
    }
    let digits = |s: &str| {
        s.chars()
            .filter(|c| !matches!(c, ' ' | '.'))
            .collect::<String>()
    };
    Ok(match kind {
        FieldKind::PersonId => {
            let v = digits(t);
            match check_person_id(&v, None) {
                Check::Valid => (v, Check::Valid),
                Check::Invalid { reason } => return Err(ValueProblem::Check(reason)),
            }
        }
        FieldKind::TaxCode => {
            let v = t.replace(' ', "");
            match check_tax_code(&v) {
                Check::Valid => (v, Check::Valid),
                Check::Invalid { reason } => return Err(ValueProblem::Check(reason)),
            }
        }
        FieldKind::LegacyId | FieldKind::ParcelNumber | FieldKind::MapSheet => {
            let v = digits(t);
            if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ValueProblem::DigitsOnly);
            }
            let v = if kind == FieldKind::LegacyId {
                v
            } else {
                v.trim_start_matches('0').to_string()
            };
            (v, Check::Valid)
        }
        FieldKind::BirthDate | FieldKind::IssueDate | FieldKind::ExpiryDate => {
            let iso = iso_date(t)
                .or_else(|| parse_vn_date(t).map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")));
            match iso {
                Some(v) => (v, Check::Valid),
                None => return Err(ValueProblem::NotADate),
            }
        }
        // an officer looking at the original settles it
        FieldKind::Seal => match t.to_lowercase().as_str() {
            "present" | "có" => ("present".into(), Check::Valid),
            "absent" | "không" => ("absent".into(), Check::Valid),
            _ => return Err(ValueProblem::Check("present or absent".into())),
        },
        _ => (
            t.split_whitespace().collect::<Vec<_>>().join(" "),
            Check::Valid,
        ),
    })
}

/// `YYYY-MM-DD` when `s` is one that exists in the calendar.
fn iso_date(s: &str) -> Option<String> {
    crate::time::parse_iso_date(s).map(|_| s.to_string())
}

/// The review of paper `before` (whose stored fields are `fields_before`) that `req` asks for,
/// and the audit details (type and fields before and after). Pure.
pub fn plan(
    before: &ComponentRow,
    fields_before: &[Field],
    req: &ReviewRequest,
    types: &DocTypes,
) -> Result<(Review, serde_json::Value), ReviewError> {
    let id = before.id;
    let doc_type = types
        .get(&req.type_code)
        .ok_or_else(|| ReviewError::UnknownType {
            id,
            type_code: req.type_code.clone(),
        })?;
    let mut fields: Vec<Field> = Vec::new();
    for f in &req.fields {
        let kind = FieldKind::from_code(&f.kind).ok_or_else(|| ReviewError::UnknownField {
            id,
            kind: f.kind.clone(),
        })?;
        // a value left as it was read keeps its line, box and check
        if let Some(old) = fields_before
            .iter()
            .find(|o| o.kind == kind && o.value == f.value)
        {
            if !fields.contains(old) {
                fields.push(old.clone());
            }
            continue;
        }
        let (value, check) =
            normalise(kind, &f.value).map_err(|reason| ReviewError::InvalidValue {
                id,
                kind: f.kind.clone(),
                value: f.value.clone(),
                reason,
            })?;
        if fields.iter().any(|o| o.kind == kind && o.value == value) {
            continue;
        }
        fields.push(Field {
            kind,
            raw: f.value.trim().to_string(),
            value,
            page: 0,
            bbox: None,
            check,
        });
    }
    let key = |f: &Field| (f.kind, f.value.clone());
    let removed: Vec<&Field> = fields_before
        .iter()
        .filter(|o| !fields.iter().any(|n| key(n) == key(o)))
        .collect();
    let added: Vec<&Field> = fields
        .iter()
        .filter(|n| !fields_before.iter().any(|o| key(n) == key(o)))
        .collect();
    let type_changed = req.type_code != before.type_code;
    let state = if type_changed || !removed.is_empty() || !added.is_empty() {
        ReviewState::Corrected
    } else {
        ReviewState::Confirmed
    };
    let valid = |k: FieldKind| {
        fields
            .iter()
            .filter(|f| f.kind == k && f.check == Check::Valid)
            .map(|f| f.value.clone())
            .collect::<Vec<_>>()
    };
    let brief = |fs: &[&Field]| {
        fs.iter()
            .map(|f| json!({"kind": f.kind.code(), "value": f.value}))
            .collect::<Vec<_>>()
    };
    let details = json!({
        "state": state.code(),
        "type_before": before.type_code,
        "type_after": req.type_code,
        "confidence": before.confidence,
        "fields_removed": brief(&removed),
        "fields_added": brief(&added),
    });
    let review = Review {
        state,
        type_code: req.type_code.clone(),
        fields_json: serde_json::to_string(&fields).unwrap_or_else(|_| "[]".into()),
        owner_ids: valid(FieldKind::PersonId),
        tax_codes: valid(FieldKind::TaxCode),
        issue_date: valid(FieldKind::IssueDate).into_iter().next(),
        valid_until: valid_until(doc_type.validity(), &fields),
    };
    Ok((review, details))
}

impl Desk<'_> {
    /// Papers waiting for review in the actor's units (only `unit` when given), oldest
    /// first, each with its fields; at most `limit` (at most 1,000).
    pub fn review_queue(
        &mut self,
        unit: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(ComponentRow, Vec<Field>)>, DeskError> {
        let units: Vec<String> = match (unit, &self.actor.units) {
            (Some(u), units) if units.contains(u) => vec![u.to_string()],
            (Some(u), _) => {
                return Err(DeskError::NotYourUnit {
                    actor: self.actor.name.clone(),
                    unit: u.to_string(),
                })
            }
            (None, Units::All) => Vec::new(),
            (None, Units::Only(u)) if u.is_empty() => return Ok(Vec::new()),
            (None, Units::Only(u)) => u.clone(),
        };
        let mut out = Vec::new();
        for c in self.index.review_queue(&units, limit.min(1000))? {
            let fields: Vec<Field> = self
                .index
                .component_detail(c.id)?
                .and_then(|(f, _)| serde_json::from_str(&f).ok())
                .unwrap_or_default();
            out.push((c, fields));
        }
        Ok(out)
    }

    /// Reads paper `id`'s stored fields, plans the review `req` asks for and writes it with
    /// its audit entry (before and after).
    pub fn review(
        &mut self,
        id: i64,
        req: &ReviewRequest,
        types: &DocTypes,
    ) -> Result<(Review, AuditEntry), DeskError> {
        let before = self.component(id)?;
        let (fields_json, _) =
            self.index
                .component_detail(id)?
                .ok_or_else(|| ReviewError::Stored {
                    id,
                    message: "not in the index".into(),
                })?;
        let fields_before: Vec<Field> =
            serde_json::from_str(&fields_json).map_err(|e| ReviewError::Stored {
                id,
                message: e.to_string(),
            })?;
        let (r, details) = plan(&before, &fields_before, req, types)?;
        let entry = self.index.review_component(
            id,
            &r,
            &AuditRequest {
                time: self.clock.now_rfc3339(),
                actor: self.actor.name.clone(),
                action: Action::Review,
                subject: format!("component {id}"),
                details,
            },
        )?;
        Ok((r, entry))
    }
}
