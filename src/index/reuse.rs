//! Stage `store`, the reuse rule (pure but for the one write): a stored paper may be attached
//! to a new dossier only while it is valid and its stored signature verifies; otherwise only
//! with a stated reason, recorded as an override. `sohoa reuse` and the API both apply it.

use super::{AuditRequest, ComponentRow, Index, IndexError};
use crate::audit::{Action, AuditEntry};

/// Why a reuse did not happen.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReuseError {
    #[error("component #{id} cannot be reused: {}; give a reason to reuse it anyway (logged as an override)", problems.join(" and "))]
    Refused { id: i64, problems: Vec<String> },
    #[error("{0:?} is not a dossier code")]
    BadDossier(String),
    #[error(transparent)]
    Index(#[from] IndexError),
}

/// What stands against reusing `c` on `today` (ISO date); empty when nothing does.
/// `verifies`: whether its stored signed file still verifies (`None`: missing).
pub fn problems(c: &ComponentRow, today: &str, verifies: Option<bool>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(v) = c.valid_until.as_deref().filter(|v| *v < today) {
        out.push(format!("it expired on {v}"));
    }
    match verifies {
        Some(true) => {}
        Some(false) => out.push("its stored signature does not verify".into()),
        None => out.push("its signed file is missing from the store".into()),
    }
    out
}

/// Attaches `c` to `dossier` unless a problem stands and no `override_reason` is given;
/// records the reuse event with its audit entry (an override when problems were bypassed).
pub fn reuse(
    index: &mut dyn Index,
    c: &ComponentRow,
    dossier: &str,
    found_problems: &[String],
    override_reason: Option<&str>,
    actor: &str,
    time: &str,
) -> Result<AuditEntry, ReuseError> {
    crate::classify::dossier_code::parse(dossier)
        .map_err(|_| ReuseError::BadDossier(dossier.to_string()))?;
    let override_reason = override_reason.map(str::trim).filter(|r| !r.is_empty());
    if !found_problems.is_empty() && override_reason.is_none() {
        return Err(ReuseError::Refused {
            id: c.id,
            problems: found_problems.to_vec(),
        });
    }
    Ok(index.record_reuse(
        c.id,
        dossier,
        override_reason,
        &AuditRequest {
            time: time.to_string(),
            actor: actor.to_string(),
            action: if found_problems.is_empty() {
                Action::Reuse
            } else {
                Action::Override
            },
            subject: format!("component {}", c.id),
            details: serde_json::json!({"dossier": dossier, "problems": found_problems, "override_reason": override_reason}),
        },
    )?)
}
