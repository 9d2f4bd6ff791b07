//! The desk floor: the officer's, auditor's and operator's use-cases, once, between storage
//! ({index, store, verify, audit}) and the edges ({api, cli, inbox}). A [`Desk`] is a store,
//! an index connection, the verification policy, the clock and who is acting; each use-case
//! is a method — find (with the verify badge), one paper's detail, the checked copy-out with
//! its audit entry, reuse, the review queue and a review, the report rows, an uploaded PDF's
//! check. The edges authenticate, parse and print; they decide nothing here.
//!
//! [`build`] is the step after configuration validation that the edges share: signer
//! profiles to [`crate::sign::Signer`]s, `[trust]` to a trust store and verification policy.

mod anchor;
pub mod build;
mod certify;
pub mod dossier;
mod export;
mod paper;
mod renew;
pub mod report;
pub mod reuse;
pub mod review;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_view;
mod webhooks;

use serde::Serialize;

use crate::audit::{Action, AuditEntry};
use crate::index::{AuditRequest, ComponentRow, Index, IndexError, Query};
use crate::store::{BlobId, BlobStore, StoreError};
use crate::time::Clock;
use crate::verify::{verify_source, FileReport, VerifyError, VerifyOptions};

pub use anchor::{AnchorRequest, Anchored, AuditVerdict, CheckpointCheck};
pub use certify::{Certified, CertifyError, CertifyRequest, STALE_RESERVATION};
pub use dossier::{DossierView, Happened, HistoryEvent};
pub use export::{ExportRequest, Exported};
pub use paper::{Copied, Which};
pub use renew::{RenewError, RenewReport, RenewRequest, Renewed};

/// Which units' papers someone may see and act on.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Units {
    /// Every unit (an auditor, an administrator, the command line on the server).
    All,
    /// Only these.
    Only(Vec<String>),
}

impl Units {
    pub fn contains(&self, unit: &str) -> bool {
        match self {
            Units::All => true,
            Units::Only(u) => u.iter().any(|x| x == unit),
        }
    }
}

/// Who acts: the name the audit log records, and their units.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub name: String,
    pub units: Units,
}

impl Actor {
    /// Someone who may act on every unit (the command line, the service).
    pub fn all_units(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            units: Units::All,
        }
    }
}

/// Whether a stored paper's signed file verifies now: the badge beside every paper shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Badge {
    /// Every signature valid.
    Verifies,
    /// Checked, and something is not valid (the report says what).
    DoesNotVerify,
    /// The index names a signed file the store does not hold.
    Missing,
    /// The paper was stored unsigned.
    Unsigned,
    /// It could not be checked (unreadable, a store error): not a verdict.
    CouldNotCheck { reason: String },
}

impl Badge {
    /// `true` / `false` when checked, `None` otherwise: the `signature_verifies` of the JSON
    /// answers.
    pub fn verifies(&self) -> Option<bool> {
        match self {
            Badge::Verifies => Some(true),
            Badge::DoesNotVerify => Some(false),
            _ => None,
        }
    }

    /// A few words for a table.
    pub fn words(&self) -> &'static str {
        match self {
            Badge::Verifies => "signature verifies",
            Badge::DoesNotVerify => "SIGNATURE DOES NOT VERIFY",
            Badge::Missing => "SIGNED FILE MISSING",
            Badge::Unsigned => "unsigned",
            Badge::CouldNotCheck { .. } => "signature could not be checked",
        }
    }
}

/// A paper as found, with its badge when asked for.
#[derive(Clone, Debug, Serialize)]
pub struct Found {
    pub component: ComponentRow,
    /// `None` when the search did not check signatures.
    pub signature: Option<Badge>,
    pub signature_verifies: Option<bool>,
}

/// One paper as its detail shows it.
#[derive(Clone, Debug)]
pub struct Detail {
    pub component: ComponentRow,
    /// The fields read (a JSON array).
    pub fields: serde_json::Value,
    pub badge: Badge,
    /// What the check found, signature by signature (`None` when it could not be checked or
    /// nothing is signed).
    pub report: Option<FileReport>,
}

/// What to find: the index's criteria (at least one of person, tax code, words, dossier,
/// type), and whether to badge each paper.
#[derive(Clone, Debug, Default)]
pub struct FindRequest {
    /// `limit` 0 means 100; at most 1,000. `source_sha256` is not for people: ignored.
    pub query: Query,
    /// Verify each paper's stored signature (and log that it was checked).
    pub with_badges: bool,
}

/// Why a use-case did not happen; messages name the paper, the query or the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeskError {
    #[error("say what to find: a person's ID number, a tax code, words, a dossier code or a document type")]
    NothingToFind,
    #[error("{what} {value:?}: {reason}")]
    BadQuery {
        what: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error("no stored paper #{id}")]
    NotFound { id: i64 },
    #[error("no dossier {code:?}: no paper was ever stored in a dossier with this code")]
    NoDossier { code: String },
    #[error("{actor} does not work for unit {unit}")]
    NotYourUnit { actor: String, unit: String },
    #[error("paper #{id} has no {what}")]
    NoFile { id: i64, what: &'static str },
    #[error("the stored file {sha256} of paper #{id} is damaged (its SHA-256 no longer matches); nothing was copied: restore it from a backup")]
    Damaged { id: i64, sha256: String },
    #[error("paper #{id}: writing the copy to {to}: {source}")]
    Write {
        id: i64,
        to: String,
        source: std::io::Error,
    },
    #[error("dossier {code}: writing its package to {to}: {source}")]
    WritePackage {
        code: String,
        to: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Reuse(#[from] reuse::ReuseError),
    #[error(transparent)]
    Review(#[from] review::ReviewError),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Preview(#[from] crate::preview::PreviewError),
    #[error("paper #{id} cannot be handed off: {why}; check it with `sohoa find --verify` or `sohoa verify`")]
    NotExportable { id: i64, why: &'static str },
    #[error("signing the package's manifest: {0}")]
    ManifestSignature(String),
    #[error(transparent)]
    Package(#[from] crate::package::PackageError),
    #[error("the audit log is not anchored while it does not verify: {0}")]
    AuditBroken(String),
    #[error("signing the audit checkpoint: {0}")]
    CheckpointSignature(String),
}

/// The desk: where every use-case runs.
pub struct Desk<'a> {
    pub store: &'a dyn BlobStore,
    pub index: &'a mut dyn Index,
    /// The verification policy (trust, revocation, limits); its `now` is replaced by the
    /// clock's at each check.
    pub verify: &'a VerifyOptions,
    pub clock: &'a Clock,
    pub actor: &'a Actor,
}

impl Desk<'_> {
    fn audit(&self, action: Action, subject: String, details: serde_json::Value) -> AuditRequest {
        AuditRequest {
            time: self.clock.now_rfc3339(),
            actor: self.actor.name.clone(),
            action,
            subject,
            details,
        }
    }

    /// The verification options as of now.
    fn verify_now(&self) -> VerifyOptions {
        VerifyOptions {
            now: self.clock.now(),
            ..self.verify.clone()
        }
    }

    /// A stored paper the actor may see.
    pub fn component(&mut self, id: i64) -> Result<ComponentRow, DeskError> {
        let c = self
            .index
            .component(id)?
            .ok_or(DeskError::NotFound { id })?;
        if !self.actor.units.contains(&c.unit_code) {
            return Err(DeskError::NotYourUnit {
                actor: self.actor.name.clone(),
                unit: c.unit_code,
            });
        }
        Ok(c)
    }

    /// Whether `c`'s stored signed file verifies now.
    pub fn badge(&self, c: &ComponentRow) -> Badge {
        self.badge_with(c, &self.verify_now())
    }

    /// [`Desk::badge`] with the options already made (one copy of the trust store per search).
    fn badge_with(&self, c: &ComponentRow, opts: &VerifyOptions) -> Badge {
        self.check_with(c, opts).0
    }

    /// The badge, and the verification report it was read from when the file was checked.
    fn check_with(&self, c: &ComponentRow, opts: &VerifyOptions) -> (Badge, Option<FileReport>) {
        let Some(sha) = c.signed_sha256.as_deref() else {
            return (Badge::Unsigned, None);
        };
        let id: BlobId = match sha.parse() {
            Ok(id) => id,
            Err(e) => {
                let reason = format!("the index holds {sha:?} as its SHA-256: {e}");
                return (Badge::CouldNotCheck { reason }, None);
            }
        };
        match self.store.exists(&id) {
            Ok(true) => {}
            Ok(false) => return (Badge::Missing, None),
            Err(e) => {
                let reason = e.to_string();
                return (Badge::CouldNotCheck { reason }, None);
            }
        }
        let name = format!("stored file {id} of paper #{}", c.id);
        let open = || self.store.open(&id).map_err(std::io::Error::other);
        match verify_source(&name, open, opts) {
            Ok(r) if r.valid => (Badge::Verifies, Some(r)),
            Ok(r) => (Badge::DoesNotVerify, Some(r)),
            Err(e) => {
                let reason = e.to_string();
                (Badge::CouldNotCheck { reason }, None)
            }
        }
    }

    /// Papers matching `q` that the actor may see, best first; with `with_badges`, each with
    /// its badge, and the check is logged.
    pub fn find(&mut self, req: &FindRequest) -> Result<Vec<Found>, DeskError> {
        let q = &req.query;
        if q.person_id.is_none()
            && q.tax_code.is_none()
            && q.text.is_none()
            && q.dossier_code.is_none()
            && q.type_code.is_none()
            && q.unit_code.is_none()
        {
            return Err(DeskError::NothingToFind);
        }
        if let Some(d) = q
            .valid_on
            .as_deref()
            .filter(|d| crate::time::parse_iso_date(d).is_none())
        {
            return Err(DeskError::BadQuery {
                what: "valid on",
                value: d.to_string(),
                reason: "not a date: write YYYY-MM-DD",
            });
        }
        if let Some(u) = &q.unit_code {
            if !self.actor.units.contains(u) {
                return Err(DeskError::NotYourUnit {
                    actor: self.actor.name.clone(),
                    unit: u.clone(),
                });
            }
        }
        let rows = self.index.find(&Query {
            source_sha256: None,
            limit: if q.limit == 0 { 100 } else { q.limit.min(1000) },
            ..q.clone()
        })?;
        let opts = req.with_badges.then(|| self.verify_now());
        let found: Vec<Found> = rows
            .into_iter()
            .filter(|r| self.actor.units.contains(&r.unit_code))
            .map(|r| {
                let signature = opts.as_ref().map(|o| self.badge_with(&r, o));
                Found {
                    signature_verifies: signature.as_ref().and_then(Badge::verifies),
                    signature,
                    component: r,
                }
            })
            .collect();
        if req.with_badges {
            let a = self.audit(
                Action::Verify,
                "find".into(),
                serde_json::json!({"results": found.iter().map(|f| f.component.id).collect::<Vec<_>>()}),
            );
            self.index.append_audit(&a)?;
        }
        Ok(found)
    }

    /// One paper, its fields, its badge and the verification report behind it (the check is
    /// logged).
    pub fn detail(&mut self, id: i64) -> Result<Detail, DeskError> {
        let c = self.component(id)?;
        let fields = self.fields_of(id)?;
        let (badge, report) = self.check_with(&c, &self.verify_now());
        let a = self.audit(
            Action::Verify,
            format!("component {id}"),
            serde_json::json!({"valid": badge.verifies()}),
        );
        self.index.append_audit(&a)?;
        Ok(Detail {
            component: c,
            fields,
            badge,
            report,
        })
    }

    /// The fields read from paper `id` (a JSON array; empty when none are stored).
    pub fn fields_of(&mut self, id: i64) -> Result<serde_json::Value, DeskError> {
        Ok(self
            .index
            .component_detail(id)?
            .and_then(|(f, _)| serde_json::from_str(&f).ok())
            .unwrap_or_else(|| serde_json::json!([])))
    }

    /// Checks a PDF someone brought (an upload) and logs that it was checked, with its
    /// SHA-256 and the verdict. The inner `Err`: it could not be checked (not a verdict).
    pub fn check_upload(
        &mut self,
        name: &str,
        bytes: &[u8],
    ) -> Result<Result<FileReport, VerifyError>, DeskError> {
        let report = crate::verify::verify_bytes(name, bytes, &self.verify_now());
        let valid = report.as_ref().ok().map(|r| r.valid);
        let a = self.audit(
            Action::Verify,
            "upload".into(),
            serde_json::json!({
                "bytes": bytes.len(),
                "sha256": hex::encode(crate::pki::digest::DigestAlg::Sha256.digest(bytes)),
                "valid": valid,
            }),
        );
        self.index.append_audit(&a)?;
        Ok(report)
    }

    /// The report rows (the desk's calendar months), only `unit` and `month` when given, only
    /// units the actor may see.
    pub fn report(
        &mut self,
        unit: Option<&str>,
        month: Option<&str>,
    ) -> Result<Vec<report::UnitMonth>, DeskError> {
        self.report_period(unit, month, month)
    }

    /// The report rows of the months `from` to `to` ("YYYY-MM", both included; either open),
    /// only `unit` when given, only units the actor may see.
    pub fn report_period(
        &mut self,
        unit: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Vec<report::UnitMonth>, DeskError> {
        for m in [from, to].into_iter().flatten() {
            if crate::time::parse_iso_date(&format!("{m}-01")).is_none() || m.len() != 7 {
                return Err(DeskError::BadQuery {
                    what: "month",
                    value: m.to_string(),
                    reason: "not a month: write YYYY-MM",
                });
            }
        }
        if let (Some(f), Some(t)) = (from, to) {
            if f > t {
                return Err(DeskError::BadQuery {
                    what: "period",
                    value: format!("{f} to {t}"),
                    reason: "the first month is after the last",
                });
            }
        }
        let counts = self.index.report_counts(self.clock.utc_offset_minutes())?;
        Ok(report::build(&counts, unit, from, to)
            .into_iter()
            .filter(|r| self.actor.units.contains(&r.unit))
            .collect())
    }

    /// Appends an entry for something the desk did outside these use-cases (a login, a
    /// re-queue) with the desk's clock and actor.
    pub fn log(
        &mut self,
        action: Action,
        subject: String,
        details: serde_json::Value,
    ) -> Result<AuditEntry, DeskError> {
        let a = self.audit(action, subject, details);
        Ok(self.index.append_audit(&a)?)
    }
}
