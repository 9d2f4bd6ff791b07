//! Stage `store`, errors: each message names the blob id or the path concerned.

use std::path::PathBuf;

use super::BlobId;

/// Everything that can go wrong in the blob store.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "{input:?} is not a blob id: {reason} (a blob id is a SHA-256 as 64 lower-case hex digits)"
    )]
    InvalidId { input: String, reason: &'static str },

    #[error("blob {id} is not in the store")]
    NotFound { id: BlobId },

    #[error("{input:?} is not a record key: {reason}")]
    InvalidRecordKey { input: String, reason: &'static str },

    #[error("record {key} is not in the store")]
    RecordNotFound { key: String },

    #[error("record {key} is already in the store; a record is written once")]
    RecordExists { key: String },

    #[error("record {key} has {size} bytes, more than the {limit} a record may have")]
    RecordTooLarge { key: String, size: u64, limit: u64 },

    #[error(
        "the data is larger than the store's limit of {limit} bytes per blob; nothing was stored"
    )]
    TooLarge { limit: u64 },

    #[error("reading the data to store failed after {read} bytes ({source}); nothing was stored")]
    Input { read: u64, source: std::io::Error },

    #[error("blob {id} at {}: {detail}; the stored copy is damaged: check it with verify and restore it from a backup", path.display())]
    Damaged {
        id: BlobId,
        path: PathBuf,
        detail: String,
    },

    #[error("{op} {url}: {detail}")]
    Remote {
        /// What was being done, e.g. "cannot write".
        op: &'static str,
        /// The object or bucket (`s3://bucket/key`).
        url: String,
        detail: String,
    },

    #[error("{op} {}: {source}", path.display())]
    Io {
        /// What was being done, e.g. "cannot write the temporary file".
        op: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}
