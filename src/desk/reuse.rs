//! Desk floor, the reuse rule: a stored paper may be attached to a new dossier only while it
//! is valid on the desk's calendar today and its stored signature verifies; otherwise only
//! with a stated reason, recorded as an override. The CLI and the API both come here.

use super::{Badge, Desk, DeskError};
use crate::audit::{Action, AuditEntry};
use crate::index::{AuditRequest, ComponentRow};

/// Why a reuse did not happen.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReuseError {
    #[error("component #{id} cannot be reused: {}; give a reason to reuse it anyway (logged as an override)", problems.join(" and "))]
    Refused { id: i64, problems: Vec<String> },
    #[error("{0:?} is not a dossier code")]
    BadDossier(String),
}

/// What stands against reusing `c` on `today` (ISO date, the desk's calendar) with its stored
/// signature's `badge`; empty when nothing does. Pure.
pub fn problems(c: &ComponentRow, today: &str, badge: &Badge) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(v) = c.valid_until.as_deref().filter(|v| *v < today) {
        out.push(format!("it expired on {v}"));
    }
    match badge {
        Badge::Verifies => {}
        Badge::DoesNotVerify => out.push("its stored signature does not verify".into()),
        Badge::Missing => out.push("its signed file is missing from the store".into()),
        Badge::Unsigned => out.push("it was stored unsigned".into()),
        Badge::CouldNotCheck { reason } => out.push(format!(
            "its stored signature could not be checked ({reason})"
        )),
    }
    out
}

/// A reuse recorded.
#[derive(Clone, Debug)]
pub struct Reused {
    pub component: ComponentRow,
    /// What was bypassed (empty: nothing; then it is a plain reuse).
    pub problems: Vec<String>,
    pub entry: AuditEntry,
}

impl Desk<'_> {
    /// Attaches paper `id` to `dossier` unless a problem stands and no `override_reason` is
    /// given; records the reuse event with its audit entry (an override when problems were
    /// bypassed).
    pub fn reuse(
        &mut self,
        id: i64,
        dossier: &str,
        override_reason: Option<&str>,
    ) -> Result<Reused, DeskError> {
        crate::classify::dossier_code::parse(dossier)
            .map_err(|_| ReuseError::BadDossier(dossier.to_string()))?;
        let c = self.component(id)?;
        let found = problems(&c, &self.clock.today(), &self.badge(&c));
        let override_reason = override_reason.map(str::trim).filter(|r| !r.is_empty());
        if !found.is_empty() && override_reason.is_none() {
            return Err(ReuseError::Refused {
                id: c.id,
                problems: found,
            }
            .into());
        }
        let entry = self.index.record_reuse(
            c.id,
            dossier,
            crate::classify::dossier_code::unit_of(dossier),
            override_reason,
            &AuditRequest {
                time: self.clock.now_rfc3339(),
                actor: self.actor.name.clone(),
                action: if found.is_empty() {
                    Action::Reuse
                } else {
                    Action::Override
                },
                subject: format!("component {}", c.id),
                details: serde_json::json!({"dossier": dossier, "problems": found, "override_reason": override_reason}),
            },
        )?;
        Ok(Reused {
            component: c,
            problems: found,
            entry,
        })
    }
}
