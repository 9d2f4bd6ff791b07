//! Desk floor, a stored paper copied out (a download, `sohoa store get`): streamed from the
//! store while its SHA-256 is recomputed; only bytes that still match their address count as
//! a copy, and every copy is in the audit log.

use std::io::Write;

use serde::Serialize;

use super::{Desk, DeskError};
use crate::audit::Action;
use crate::pki::digest::{sha256_stream, StreamError};
use crate::preview::{PageImage, PageRenderer};
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
    /// Page `page` (1-based) of paper `id`'s signed file as a picture whose longest side is
    /// `side` pixels, rendered from bytes checked against their SHA-256; the view is logged
    /// (who looked at whose paper is part of the record).
    pub fn page_image(
        &mut self,
        id: i64,
        page: u32,
        side: u32,
        renderer: &dyn PageRenderer,
    ) -> Result<PageImage, DeskError> {
        let c = self.component(id)?;
        if page == 0 || page > c.pages.max(1) {
            return Err(DeskError::BadQuery {
                what: "page",
                value: page.to_string(),
                reason: "no such page in this paper",
            });
        }
        let mut bytes = Vec::new();
        let copied = self.read_checked(&c, Which::Signed, &mut bytes, "a preview")?;
        let img = renderer.render(&format!("paper #{id}"), &bytes, page, side)?;
        self.log(
            Action::View,
            format!("component {id}"),
            serde_json::json!({"sha256": copied.0, "page": page}),
        )?;
        Ok(img)
    }

    /// Streams `c`'s file into `sink` while its SHA-256 is recomputed: `(sha256, bytes)` of
    /// bytes that still match their address.
    pub(super) fn read_checked<W: Write>(
        &self,
        c: &crate::index::ComponentRow,
        which: Which,
        sink: &mut W,
        to: &str,
    ) -> Result<(String, u64), DeskError> {
        let id = c.id;
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
        Ok((sha, bytes))
    }

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
        let (sha, bytes) = self.read_checked(&c, which, &mut sink, to)?;
        commit(sink).map_err(|source| DeskError::Write {
            id,
            to: to.to_string(),
            source,
        })?;
        let entry = self.log(
            Action::Download,
            format!("component {id}"),
            serde_json::json!({"sha256": sha, "scan": which == Which::Scan, "to": to}),
        )?;
        Ok(Copied {
            id,
            type_code: c.type_code,
            sha256: sha,
            bytes,
            audit_seq: entry.seq,
        })
    }
}
