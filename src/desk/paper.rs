//! Desk floor, a stored paper copied out (a download, `sohoa store get`): streamed from the
//! store while its SHA-256 is recomputed; only bytes that still match their address count as
//! a copy, and every copy is in the audit log.

use std::io::Write;

use serde::Serialize;

use super::{Desk, DeskError};
use crate::audit::Action;
use crate::pki::digest::{sha256_stream, StreamError};
use crate::store::{BlobId, StoreError};

/// Which of a paper's files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Which {
    /// The signed PDF/A.
    Signed,
    /// The original scan.
    Scan,
}

/// A copy made.
#[derive(Clone, Debug, Serialize)]
pub struct Copied {
    pub id: i64,
    pub type_code: String,
    pub sha256: String,
    pub bytes: u64,
    /// The audit entry of the copy.
    pub audit_seq: u64,
}

impl Desk<'_> {
    /// Streams paper `id`'s file into `sink`, checks its SHA-256, runs `commit` (the caller
    /// makes the copy final: renames its temporary file into place) and logs the copy (`to`:
    /// where it went). On `Err` nothing is logged and the sink may hold part of the bytes: the
    /// caller drops it; on `Ok` they are the stored bytes, checked.
    pub fn copy_out<W: Write>(
        &mut self,
        id: i64,
        which: Which,
        mut sink: W,
        to: &str,
        commit: impl FnOnce(W) -> std::io::Result<()>,
    ) -> Result<Copied, DeskError> {
        let c = self.component(id)?;
        let sha = match which {
            Which::Signed => c.signed_sha256.clone().ok_or(DeskError::NoFile {
                id,
                what: "signed file",
            })?,
            Which::Scan => c.source_sha256.clone(),
        };
        let blob: BlobId = sha.parse().map_err(|_| DeskError::Damaged {
            id,
            sha256: sha.clone(),
        })?;
        let mut src = self.store.open(&blob)?;
        let write_err = |source| DeskError::Write {
            id,
            to: to.to_string(),
            source,
        };
        let (sha, bytes) =
            sha256_stream(&mut src, |chunk, _| sink.write_all(chunk)).map_err(|e| match e {
                StreamError::Read { source, .. } => DeskError::Store(StoreError::Io {
                    op: "cannot read the stored file",
                    path: blob.as_str().into(),
                    source,
                }),
                StreamError::Chunk(source) => write_err(source),
            })?;
        sink.flush().map_err(write_err)?;
        if sha != blob.as_str() {
            return Err(DeskError::Damaged {
                id,
                sha256: blob.as_str().to_string(),
            });
        }
        commit(sink).map_err(write_err)?;
        let entry = self.log(
            Action::Download,
            format!("component {id}"),
            serde_json::json!({"sha256": blob.as_str(), "scan": which == Which::Scan, "to": to}),
        )?;
        Ok(Copied {
            id,
            type_code: c.type_code,
            sha256: blob.as_str().to_string(),
            bytes,
            audit_seq: entry.seq,
        })
    }
}
