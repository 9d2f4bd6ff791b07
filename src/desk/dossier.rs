//! Desk floor, one dossier at a glance (what an officer opens from a search): its papers in
//! the order they were scanned, each with its badge, the papers reused into it from earlier
//! dossiers, and its history — received, digitized and signed, reviewed, reused, certified,
//! renewed, downloaded — read from the audit log (found by subject, not by reading the log).

use serde::Serialize;

use super::{Desk, DeskError, FindRequest, Found};
use crate::audit::{Action, AuditEntry};
use crate::index::{DossierRow, Query};

/// At most this many papers and history entries are shown for one dossier.
pub const DOSSIER_LIMIT: usize = 1000;

/// One dossier as an officer sees it.
#[derive(Clone, Debug, Serialize)]
pub struct DossierView {
    pub code: String,
    pub unit_code: String,
    /// RFC 3339.
    pub received_at: String,
    /// Its own papers, in scan order.
    pub papers: Vec<Found>,
    /// Papers of earlier dossiers reused into this one (not copied), in reuse order.
    pub reused: Vec<Found>,
    /// What happened to it, oldest first.
    pub history: Vec<HistoryEvent>,
}

/// What happened, in a word the pages translate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Happened {
    Received,
    /// Digitized, signed and stored (one ingest entry per paper).
    Digitized,
    Reviewed,
    /// A paper of an earlier dossier was reused into this one.
    ReusedHere,
    /// One of its papers was reused into another dossier (`details.dossier`).
    ReusedElsewhere,
    /// An electronic certified copy of one of its papers was issued.
    Certified,
    /// A paper's long-term validation data was renewed.
    Renewed,
    Downloaded,
    Viewed,
    /// Handed off as a package (`details.manifest_sha256`).
    Exported,
}

/// One event of a dossier's history.
#[derive(Clone, Debug, Serialize)]
pub struct HistoryEvent {
    /// The audit entry (none for the reception, which the dossier row records).
    pub seq: Option<u64>,
    pub time: String,
    pub actor: String,
    pub happened: Happened,
    /// The paper it concerns.
    pub component: Option<i64>,
    /// The entry's details (signer, other dossier, register number, override reason, …).
    pub details: serde_json::Value,
}

/// The history of dossier `d` from the audit entries about its papers (`own`) and the papers
/// reused into it (`reused`): pure. Verifications are left out (every badge shown is one);
/// of a reused paper's entries only its reuse into `d` belongs here.
pub fn history(
    d: &DossierRow,
    own: &[i64],
    reused: &[i64],
    entries: &[AuditEntry],
) -> Vec<HistoryEvent> {
    let mut out = vec![HistoryEvent {
        seq: None,
        time: d.received_at.clone(),
        actor: String::new(),
        happened: Happened::Received,
        component: None,
        details: serde_json::Value::Null,
    }];
    for e in entries {
        if e.action == Action::Export && e.subject == format!("dossier {}", d.code) {
            out.push(HistoryEvent {
                seq: Some(e.seq),
                time: e.time.clone(),
                actor: e.actor.clone(),
                happened: Happened::Exported,
                component: None,
                details: serde_json::from_str(&e.details).unwrap_or(serde_json::Value::Null),
            });
            continue;
        }
        let Some(id) = e
            .subject
            .strip_prefix("component ")
            .and_then(|n| n.parse::<i64>().ok())
        else {
            continue;
        };
        let details: serde_json::Value =
            serde_json::from_str(&e.details).unwrap_or(serde_json::Value::Null);
        let into = details.get("dossier").and_then(|x| x.as_str());
        let is_own = own.contains(&id);
        let happened = match e.action {
            Action::Reuse | Action::Override if into == Some(d.code.as_str()) => {
                Happened::ReusedHere
            }
            _ if !is_own => continue,
            Action::Ingest | Action::Store => Happened::Digitized,
            Action::Reuse | Action::Override => Happened::ReusedElsewhere,
            Action::Review => Happened::Reviewed,
            Action::Certify if details.get("step").and_then(|s| s.as_str()) == Some("issued") => {
                Happened::Certified
            }
            Action::Renew => Happened::Renewed,
            Action::Download => Happened::Downloaded,
            Action::View => Happened::Viewed,
            _ => continue,
        };
        if happened == Happened::ReusedHere && !reused.contains(&id) && !is_own {
            continue;
        }
        out.push(HistoryEvent {
            seq: Some(e.seq),
            time: e.time.clone(),
            actor: e.actor.clone(),
            happened,
            component: Some(id),
            details,
        });
    }
    out
}

impl Desk<'_> {
    /// The row of dossier `code`, when it is in one of the actor's units.
    pub(super) fn dossier_of_mine(&mut self, code: &str) -> Result<DossierRow, DeskError> {
        let d = self
            .index
            .dossier(code)?
            .ok_or_else(|| DeskError::NoDossier {
                code: code.to_string(),
            })?;
        if !self.actor.units.contains(&d.unit_code) {
            return Err(DeskError::NotYourUnit {
                actor: self.actor.name.clone(),
                unit: d.unit_code,
            });
        }
        Ok(d)
    }

    /// Dossier `code`: its papers with badges (the check is logged), the papers reused into
    /// it and its history.
    pub fn dossier(&mut self, code: &str) -> Result<DossierView, DeskError> {
        let code = code.trim();
        let d = self.dossier_of_mine(code)?;
        let found = self.find(&FindRequest {
            query: Query {
                dossier_code: Some(d.code.clone()),
                limit: DOSSIER_LIMIT,
                ..Query::default()
            },
            with_badges: true,
        })?;
        let (mut papers, mut reused): (Vec<Found>, Vec<Found>) = found
            .into_iter()
            .partition(|f| f.component.dossier_code.as_deref() == Some(d.code.as_str()));
        // ingest indexes a batch's papers in scan order: ids ascending are that order
        papers.sort_by_key(|f| f.component.id);
        let own: Vec<i64> = papers.iter().map(|f| f.component.id).collect();
        let others: Vec<i64> = reused.iter().map(|f| f.component.id).collect();
        let subjects: Vec<String> = own
            .iter()
            .chain(&others)
            .map(|id| format!("component {id}"))
            .chain([format!("dossier {}", d.code)])
            .collect();
        let entries = self
            .index
            .audit_about(&subjects, &[Action::Verify], DOSSIER_LIMIT * 8)?;
        let history = history(&d, &own, &others, &entries);
        // papers reused in: in the order they were reused into this dossier
        let order = |id: i64| {
            history
                .iter()
                .position(|h| h.happened == Happened::ReusedHere && h.component == Some(id))
                .unwrap_or(usize::MAX)
        };
        reused.sort_by_key(|f| order(f.component.id));
        Ok(DossierView {
            code: d.code,
            unit_code: d.unit_code,
            received_at: d.received_at,
            papers,
            reused,
            history,
        })
    }
}
