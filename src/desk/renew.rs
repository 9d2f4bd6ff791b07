//! Desk floor, renewal: keeps stored papers verifiable for decades. A paper whose newest
//! timestamp's TSA certificate expires before a date (or that has no timestamp) gets the
//! validation data of its signatures and timestamps and a new document timestamp (PAdES
//! B-LTA, ETSI EN 319 142-1 §5.4.3); the renewed file is stored content-addressed, the index
//! points at it in one transaction with the audit entry, and the older file stays stored and
//! referenced. A crash between the two steps
//! leaves an unreferenced blob and the paper as it was: the next run does it again.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use super::{Desk, DeskError};
use crate::audit::Action;
use crate::sign::ltv::{self, LtvError, LtvRequest};
use crate::sign::Level;
use crate::store::BlobId;
use crate::time::rfc3339;

/// What a renewal run needs.
pub struct RenewRequest<'a> {
    /// Renew the papers whose newest timestamp's TSA certificate expires before this (seconds
    /// since the epoch).
    pub before: Duration,
    /// Validation-data sources and the document-timestamp TSA.
    pub ltv: LtvRequest<'a>,
    /// A folder for the temporary copies (beside the store, on the same disk).
    pub work_dir: &'a Path,
    /// Where each paper looked at is reported.
    pub progress: crate::progress::Progress,
}

/// One paper renewed.
#[derive(Clone, Debug, Serialize)]
pub struct Renewed {
    pub id: i64,
    pub old_sha256: String,
    pub new_sha256: String,
    /// When the TSA certificate of the timestamp it relied on expires (1970-01-01T00:00:00Z:
    /// it had no timestamp).
    pub tsa_expires: String,
}

/// What a run did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RenewReport {
    /// Signed papers looked at.
    pub checked: usize,
    pub renewed: Vec<Renewed>,
    /// Not due (their newest timestamp's TSA outlives the date).
    pub not_due: usize,
    /// Could not be renewed, with why (they are tried again next run).
    pub failed: Vec<(i64, String)>,
}

impl Desk<'_> {
    /// Renews every signed paper due by `req.before`, in the actor's units.
    pub fn renew(&mut self, req: &RenewRequest) -> Result<RenewReport, DeskError> {
        let mut report = RenewReport::default();
        std::fs::create_dir_all(req.work_dir).map_err(|source| DeskError::Write {
            id: 0,
            to: req.work_dir.display().to_string(),
            source,
        })?;
        let papers = self.index.signed_papers()?;
        req.progress.begin("signed papers", papers.len() as u64);
        for (id, sha) in papers {
            let c = match self.index.component(id)? {
                Some(c) if self.actor.units.contains(&c.unit_code) => c,
                _ => {
                    req.progress.step(&format!("#{id} (another unit)"));
                    continue;
                }
            };
            report.checked += 1;
            let said = match self.renew_one(id, &sha, req) {
                Ok(Some(r)) => {
                    report.renewed.push(r);
                    "renewed"
                }
                Ok(None) => {
                    report.not_due += 1;
                    "not due"
                }
                Err(e) => {
                    report.failed.push((c.id, e.to_string()));
                    "FAILED"
                }
            };
            req.progress.step(&format!("#{id} {said}"));
        }
        req.progress.end();
        Ok(report)
    }

    fn renew_one(
        &mut self,
        id: i64,
        sha: &str,
        req: &RenewRequest,
    ) -> Result<Option<Renewed>, RenewError> {
        let blob: BlobId = sha.parse().map_err(|_| RenewError::Damaged(sha.into()))?;
        let tmp = tempfile::Builder::new()
            .prefix(".sohoa-renew-")
            .suffix(".pdf")
            .tempfile_in(req.work_dir)
            .map_err(RenewError::Io)?;
        {
            let mut src = self.store.open(&blob)?;
            let mut f = tmp.as_file();
            std::io::copy(&mut src, &mut f).map_err(RenewError::Io)?;
            f.flush().map_err(RenewError::Io)?;
        }
        let sigs = ltv::file_signatures(tmp.path())?;
        // No timestamp at all (B-B): nothing proves when it was signed; a document timestamp
        // now, with the validation data, does, so it is due at once.
        let expires = sigs
            .newest_timestamp()
            .map(|(_, tsa)| tsa.tbs_certificate.validity.not_after.to_unix_duration())
            .unwrap_or_default();
        if expires >= req.before {
            return Ok(None);
        }
        let out = tmp.path().with_extension("renewed.pdf");
        let done = ltv::add(tmp.path(), &out, Level::BLta, &req.ltv);
        let done = match done {
            Ok(d) => d,
            Err(e) => {
                let _ = std::fs::remove_file(&out);
                return Err(e.into());
            }
        };
        let put = {
            let mut f = std::fs::File::open(&out).map_err(RenewError::Io)?;
            self.store.put(&mut f)
        };
        let _ = std::fs::remove_file(&out);
        let put = put?;
        let new_sha = put.id.as_str().to_string();
        let audit = self.audit(
            Action::Renew,
            format!("component:{id}"),
            serde_json::json!({
                "old_sha256": sha,
                "new_sha256": new_sha,
                "level": done.level,
                "tsa_expires": rfc3339(expires),
                "dss_items": done.dss_items,
            }),
        );
        match self
            .index
            .renew_component(id, sha, &new_sha, done.level.name(), &audit)?
        {
            Some(_) => Ok(Some(Renewed {
                id,
                old_sha256: sha.to_string(),
                new_sha256: new_sha,
                tsa_expires: rfc3339(expires),
            })),
            None => Err(RenewError::ChangedMeanwhile),
        }
    }
}

/// Why one paper was not renewed (the run goes on).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RenewError {
    #[error("the index holds {0:?} as its SHA-256")]
    Damaged(String),
    #[error("the paper changed while it was renewed; the next run renews it again")]
    ChangedMeanwhile,
    #[error("{0}")]
    Ltv(#[from] LtvError),
    #[error("{0}")]
    Store(#[from] crate::store::StoreError),
    #[error("{0}")]
    Index(#[from] crate::index::IndexError),
    #[error("a temporary copy: {0}")]
    Io(std::io::Error),
}
