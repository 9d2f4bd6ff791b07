//! Storage, moving up (`sohoa migrate`): a desk's index and blobs into a province's shared ones
//! (PostgreSQL, an object store). Blobs first — each read back through its hash check and put
//! to the target, which hashes it again — then the audit anchors (the store's records), then
//! the index's rows (`index::copy`); then everything checked on the target: every blob
//! re-hashed there, every record byte for byte, every table row for row. The source is only
//! read. A run cut off anywhere goes on where it stopped when run again.

use serde::Serialize;

use crate::audit::checkpoint::FOLDER as CHECKPOINTS;
use crate::index::copy::{TableCheck, TableCopy};
use crate::index::{IndexError, IndexLocation};
use crate::progress::Progress;
use crate::store::{BlobStore, StoreError};

/// What a migration did and found.
#[derive(Clone, Debug, Serialize)]
pub struct MigrateReport {
    /// Blobs on the source, and those this run sent (the others were on the target already).
    pub blobs: u64,
    pub blobs_copied: u64,
    /// Records (audit anchors) on the source, and those this run wrote.
    pub records: u64,
    pub records_copied: u64,
    pub tables: Vec<TableCopy>,
    /// The check on the target.
    pub blobs_verified: u64,
    /// Blobs missing on the target or whose bytes there do not hash to their name.
    pub blobs_bad: Vec<String>,
    /// Records missing on the target or with other bytes.
    pub records_bad: Vec<String>,
    pub checks: Vec<TableCheck>,
    /// Everything is on the target and checked: the desk may switch to it.
    pub verified: bool,
}

/// Why a migration could not go on (re-run it once the cause is fixed: it resumes).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MigrateError {
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("blob {id}: the source's bytes hash to {got} on the way; nothing was written for it (check the source with sohoa store check --rehash)")]
    SourceDamaged { id: String, got: String },
}

/// The record folders a store holds (the audit anchors).
const RECORD_FOLDERS: &[&str] = &[CHECKPOINTS];

/// Copies the blobs of `from_store` into `to_store` (when given: the index may move alone) and
/// the index at `from_index` into `to_index`, then checks the target.
pub fn migrate(
    from_store: &dyn BlobStore,
    to_store: Option<&dyn BlobStore>,
    from_index: &IndexLocation,
    to_index: &IndexLocation,
    progress: &Progress,
) -> Result<MigrateReport, MigrateError> {
    let mut r = MigrateReport {
        blobs: 0,
        blobs_copied: 0,
        records: 0,
        records_copied: 0,
        tables: Vec::new(),
        blobs_verified: 0,
        blobs_bad: Vec::new(),
        records_bad: Vec::new(),
        checks: Vec::new(),
        verified: false,
    };
    let ids = from_store.list()?;
    r.blobs = ids.len() as u64;
    if let Some(to) = to_store {
        progress.begin("blobs", ids.len() as u64);
        for id in &ids {
            if !to.exists(id)? {
                // `open` hands out the bytes only after they hashed to their name
                let mut src = from_store.open(id)?;
                let put = to.put(&mut src)?;
                if &put.id != id {
                    return Err(MigrateError::SourceDamaged {
                        id: id.to_string(),
                        got: put.id.to_string(),
                    });
                }
                r.blobs_copied += u64::from(put.newly_written);
            }
            progress.step(id.as_str());
        }
        progress.end();
        for folder in RECORD_FOLDERS {
            for key in from_store.list_records(folder)? {
                r.records += 1;
                let bytes = from_store.get_record(&key)?;
                match to.put_record(&key, &bytes) {
                    Ok(()) => r.records_copied += 1,
                    // there from an earlier run: compared below
                    Err(StoreError::RecordExists { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    r.tables = crate::index::copy::copy(from_index, to_index, progress)?;
    progress.end();

    // the check, on the target
    if let Some(to) = to_store {
        progress.begin("blobs checked", ids.len() as u64);
        for id in &ids {
            let ok = match to.verify(id) {
                Ok(ok) => ok,
                Err(StoreError::NotFound { .. }) => false,
                Err(e) => return Err(e.into()),
            };
            if ok {
                r.blobs_verified += 1;
            } else {
                r.blobs_bad.push(id.to_string());
            }
            progress.step(id.as_str());
        }
        progress.end();
        for folder in RECORD_FOLDERS {
            for key in from_store.list_records(folder)? {
                let same = match to.get_record(&key) {
                    Ok(b) => b == from_store.get_record(&key)?,
                    Err(StoreError::RecordNotFound { .. }) => false,
                    Err(e) => return Err(e.into()),
                };
                if !same {
                    r.records_bad.push(key.to_string());
                }
            }
        }
    }
    r.checks = crate::index::copy::compare(from_index, to_index)?;
    r.verified =
        r.blobs_bad.is_empty() && r.records_bad.is_empty() && r.checks.iter().all(|c| c.same);
    Ok(r)
}
