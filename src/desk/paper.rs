//! Desk floor, a stored paper copied out (a download, `sohoa store get`): streamed from the
//! store while its SHA-256 is recomputed; only bytes that still match their address count as
//! a copy, and every copy is in the audit log.

use std::io::{Read, Write};

use serde::Serialize;

use super::{Desk, DeskError};
use crate::audit::Action;
use crate::pki::digest::DigestAlg;
use crate::store::BlobId;

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
        let mut hasher = DigestAlg::Sha256.hasher();
        let mut buf = vec![0u8; 64 * 1024];
        let mut bytes = 0u64;
        let write_err = |source| DeskError::Write {
            id,
            to: to.to_string(),
            source,
        };
        loop {
            let n = src.read(&mut buf).map_err(|e| {
                DeskError::Store(crate::store::StoreError::Io {
                    op: "cannot read the stored file",
                    path: blob.as_str().into(),
                    source: e,
                })
            })?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            sink.write_all(&buf[..n]).map_err(write_err)?;
            bytes += n as u64;
        }
        sink.flush().map_err(write_err)?;
        if hex::encode(hasher.finalize()) != blob.as_str() {
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
