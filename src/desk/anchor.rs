//! Desk floor, the audit log's anchors (`sohoa audit checkpoint`, `sohoa audit verify`,
//! `sohoa serve` on its interval and when it stops, `GET /api/audit/verify`): a checkpoint of
//! the chain's head is signed by the agency (detached CAdES, time-stamped when its profile has
//! a TSA) and written to the blob store as two records, `NAME.json` and `NAME.json.p7s`; the
//! check verifies the chain, every checkpoint's signature, and that the log still holds every
//! entry a checkpoint recorded.

use serde::Serialize;

use super::{Desk, DeskError};
use crate::audit::checkpoint::{Checkpoint, Finding, Heads, Reason, FOLDER};
use crate::audit::{explain, AuditEntry, ChainReport};
use crate::sign::cms::{build_signed_data, CmsProfile};
use crate::sign::tsa::TimestampAuthority;
use crate::sign::Signer;
use crate::store::{RecordKey, StoreError};
use crate::verify::detached::verify_detached;

/// What a checkpoint needs.
pub struct AnchorRequest<'a> {
    /// The agency's signer.
    pub signer: &'a dyn Signer,
    /// Its TSA and a nonce (the checkpoint's time is then proven, not claimed).
    pub tsa: Option<(&'a dyn TimestampAuthority, u64)>,
    pub reason: Reason,
}

/// What a checkpoint run did.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Anchored {
    /// A new checkpoint was written.
    Written {
        key: String,
        seq: u64,
        head: String,
        timestamped: bool,
    },
    /// The newest checkpoint already records the head: nothing to add.
    Unchanged { key: String, seq: u64 },
    /// The log is empty: nothing to anchor.
    EmptyLog,
}

/// One checkpoint, checked.
#[derive(Clone, Debug, Serialize)]
pub struct CheckpointCheck {
    /// The record key of its `.json`.
    pub key: String,
    pub seq: Option<u64>,
    pub head: Option<String>,
    pub written_at: Option<String>,
    pub reason: Option<Reason>,
    /// The signer's common name.
    pub signed_by: Option<String>,
    /// The timestamp's genTime, when time-stamped.
    pub timestamped_at: Option<String>,
    /// The signature verifies and chains to a trust anchor.
    pub signature_valid: bool,
    /// What it says about the log (`None` when it could not be read).
    pub finding: Option<Finding>,
    /// Everything wrong with it, in sentences that name it.
    pub problems: Vec<String>,
}

impl CheckpointCheck {
    pub fn holds(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The audit log checked: its chain and every checkpoint.
#[derive(Clone, Debug, Serialize)]
pub struct AuditVerdict {
    /// The bottom line: the chain is intact, and every checkpoint is validly signed and held.
    pub intact: bool,
    pub chain: ChainReport,
    pub checkpoints: Vec<CheckpointCheck>,
    /// The newest entry a valid checkpoint holds (0: none).
    pub anchored_to: u64,
    /// Entries after it: not yet anchored outside the database.
    pub unanchored: u64,
    /// Everything wrong, in order: the chain's first break, then each checkpoint's problems.
    pub problems: Vec<String>,
    pub warnings: Vec<String>,
}

/// The record key of a checkpoint's signature.
fn signature_key(key: &RecordKey) -> Result<RecordKey, StoreError> {
    RecordKey::new(key.folder(), &format!("{}.p7s", key.name()))
}

impl Desk<'_> {
    /// The audit log, its chain and every checkpoint in the store, checked now. `Err` only
    /// when the log or the store cannot be read: every finding is in the verdict.
    pub fn verify_audit(&mut self) -> Result<AuditVerdict, DeskError> {
        let log = self.index.audit_log()?;
        self.verify_log(&log)
    }

    /// [`Desk::verify_audit`] of a log already read.
    fn verify_log(&mut self, log: &[AuditEntry]) -> Result<AuditVerdict, DeskError> {
        let chain = crate::audit::verify(log);
        let heads = Heads::of(log);
        let opts = self.verify_now();
        let mut checkpoints = Vec::new();
        for key in self.store.list_records(FOLDER)? {
            if key.name().ends_with(".json") {
                checkpoints.push(self.check_checkpoint(&key, &heads, &opts)?);
            }
        }
        let last = log.iter().map(|e| e.seq).max().unwrap_or(0);
        let anchored_to = checkpoints
            .iter()
            .filter(|c| c.holds())
            .filter_map(|c| c.seq)
            .max()
            .unwrap_or(0);
        let mut problems: Vec<String> = chain
            .first_break
            .iter()
            .map(|b| format!("the chain is broken: {b}"))
            .collect();
        problems.extend(checkpoints.iter().flat_map(|c| c.problems.iter().cloned()));
        let mut warnings = Vec::new();
        if checkpoints.is_empty() && last > 0 {
            warnings.push(
                "no checkpoint anchors the log: deleted newest entries or a chain rewritten whole \
                 would not show (run `sohoa audit checkpoint`, or set [audit] checkpoint_every_minutes)"
                    .to_string(),
            );
        } else if problems.is_empty() && last > anchored_to {
            warnings.push(format!(
                "entries {}..{last} are newer than the newest checkpoint and not anchored yet",
                anchored_to + 1
            ));
        }
        Ok(AuditVerdict {
            intact: problems.is_empty(),
            chain,
            checkpoints,
            anchored_to,
            unanchored: last.saturating_sub(anchored_to),
            problems,
            warnings,
        })
    }

    fn check_checkpoint(
        &self,
        key: &RecordKey,
        heads: &Heads,
        opts: &crate::verify::VerifyOptions,
    ) -> Result<CheckpointCheck, DeskError> {
        let mut c = CheckpointCheck {
            key: key.to_string(),
            seq: None,
            head: None,
            written_at: None,
            reason: None,
            signed_by: None,
            timestamped_at: None,
            signature_valid: false,
            finding: None,
            problems: Vec::new(),
        };
        let bytes = self.store.get_record(key)?;
        let parsed = match Checkpoint::parse(&bytes) {
            Ok(p) => p,
            Err(e) => {
                c.problems
                    .push(format!("checkpoint {key} is unreadable: {e}"));
                return Ok(c);
            }
        };
        c.seq = Some(parsed.seq);
        c.head = Some(parsed.head.clone());
        c.written_at = Some(parsed.written_at.clone());
        c.reason = Some(parsed.reason);
        match self.store.get_record(&signature_key(key)?) {
            Ok(sig) => {
                let r = verify_detached(&sig, &bytes, opts);
                c.signed_by = r
                    .signer
                    .as_ref()
                    .map(|s| s.common_name.clone().unwrap_or_else(|| s.subject.clone()));
                c.timestamped_at = r.timestamp.as_ref().and_then(|t| t.time.clone());
                c.signature_valid = r.valid;
                if !r.valid {
                    c.problems.push(format!(
                        "checkpoint {key}: its signature does not verify: {}",
                        r.problems.join("; ")
                    ));
                }
            }
            Err(StoreError::RecordNotFound { .. }) => c
                .problems
                .push(format!("checkpoint {key} has no signature ({key}.p7s)")),
            Err(e) => return Err(e.into()),
        }
        let finding = heads.compare(&parsed);
        if !finding.holds() {
            c.problems.push(explain(&c.key, &parsed, &finding));
        }
        c.finding = Some(finding);
        Ok(c)
    }

    /// Anchors the log's head: checks the log first (a broken chain, or one that contradicts
    /// a checkpoint, is not anchored — that would bless the damage), then signs a checkpoint
    /// and writes its signature, then the checkpoint itself (a checkpoint is listed only once
    /// both are stored).
    pub fn anchor_audit(&mut self, req: &AnchorRequest<'_>) -> Result<Anchored, DeskError> {
        let log = self.index.audit_log()?;
        let verdict = self.verify_log(&log)?;
        if !verdict.intact {
            return Err(DeskError::AuditBroken(verdict.problems.join("; ")));
        }
        let Some(last) = log.last() else {
            return Ok(Anchored::EmptyLog);
        };
        if let Some(newest) = verdict
            .checkpoints
            .iter()
            .rev()
            .find(|c| c.seq == Some(last.seq) && c.head.as_deref() == Some(last.hash.as_str()))
        {
            return Ok(Anchored::Unchanged {
                key: newest.key.clone(),
                seq: last.seq,
            });
        }
        let cp = Checkpoint::of(last, self.clock.now_rfc3339(), req.reason);
        let bytes = cp.to_bytes();
        let key = RecordKey::new(FOLDER, &cp.record_name(&bytes))?;
        let digest = req.signer.digest_alg().digest(&bytes);
        let signature = build_signed_data(req.signer, &digest, CmsProfile::Cades, req.tsa)
            .map_err(|e| DeskError::CheckpointSignature(e.to_string()))?;
        self.store.put_record(&signature_key(&key)?, &signature)?;
        self.store.put_record(&key, &bytes)?;
        Ok(Anchored::Written {
            key: key.to_string(),
            seq: cp.seq,
            head: cp.head,
            timestamped: req.tsa.is_some(),
        })
    }
}
