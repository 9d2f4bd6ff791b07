//! Stage `store`: content-addressed blobs (the original scans and the signed PDF/A files).
//!
//! A blob is named by the SHA-256 (FIPS 180-4) of its bytes, [`BlobId`]: the same bytes are
//! stored once, a stored blob never changes, and [`BlobStore::verify`] can tell at any time
//! whether the bytes still match their name (bit rot, tampering).
//!
//! [`BlobStore`] is the seam: the pipeline and the index only see the trait, and
//! [`LocalStore`] (a folder on the local filesystem) is the embedded default. An
//! S3-compatible object store will be a second implementation of the same trait (put to a
//! temporary key or a multipart upload, then a conditional copy to the content address),
//! without touching the callers. Implementations hold no global state: everything they need
//! is in the value.
//!
//! Crash safety, the rule every implementation keeps: a blob appears at its address only
//! complete and durable. [`LocalStore`] streams into a temporary file under `root/tmp/`,
//! fsyncs it, renames it into `root/blobs/` and fsyncs the directory; an interrupted put
//! leaves at most a temporary file, which [`BlobStore::sweep_temporaries`] removes.
//!
//! Beside the blobs, a store keeps a few named, write-once records ([`RecordKey`]): the audit
//! log's signed checkpoints, which must live outside the index they anchor.

pub mod check;
mod error;
mod id;
mod local;
mod record;
mod s3;

#[cfg(test)]
mod s3_tests;
#[cfg(test)]
mod tests;

use std::io::{Read, Seek};
use std::time::{Duration, SystemTime};

pub use error::StoreError;
pub use id::BlobId;
pub use local::{LocalStore, DEFAULT_MAX_BLOB_SIZE};
pub use record::{RecordKey, MAX_RECORD_SIZE};
pub use s3::{S3Location, S3Store, PART_SIZE};

/// Where the blobs live: `[store] url` (parsed from the configuration without I/O).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreLocation {
    /// A folder on this machine (the embedded default).
    Local(std::path::PathBuf),
    /// A bucket of an S3-compatible object store.
    S3(S3Location),
}

impl StoreLocation {
    /// Opens it (an object store: reads its credentials and checks the bucket answers).
    pub fn open(&self) -> Result<Box<dyn BlobStore>, StoreError> {
        Ok(match self {
            StoreLocation::Local(root) => Box::new(LocalStore::open(root)?),
            StoreLocation::S3(loc) => Box::new(S3Store::open(loc)?),
        })
    }

    /// Whether processes on several machines may share it (an object store).
    pub fn is_shared(&self) -> bool {
        matches!(self, StoreLocation::S3(_))
    }
}

impl std::fmt::Display for StoreLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreLocation::Local(p) => write!(f, "file:{}", p.display()),
            StoreLocation::S3(l) => f.write_str(&l.url()),
        }
    }
}

/// What [`BlobStore::open`] returns: the blob's bytes, seekable (a PDF is read from its end).
pub trait ReadSeek: Read + Seek + Send {}

impl<T: Read + Seek + Send> ReadSeek for T {}

/// The result of a put.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PutOutcome {
    /// The blob's address: SHA-256 of the bytes.
    pub id: BlobId,
    /// Size in bytes.
    pub size: u64,
    /// `false` when the same bytes were already stored (nothing was rewritten).
    pub newly_written: bool,
}

/// A content-addressed, write-once blob store.
///
/// The local filesystem ([`LocalStore`]) is the embedded default; this trait is where an
/// S3-compatible object store plugs in later. Every method may be called from several threads
/// (and several processes) at once.
pub trait BlobStore: Send + Sync {
    /// Streams `reader` into the store and returns its address.
    ///
    /// The bytes are hashed while written to a temporary location inside the store, made
    /// durable, then moved to their content address atomically. The same bytes are stored
    /// once: if the blob exists already it is not rewritten (its size is checked) and
    /// `newly_written` is `false`. On any error (including [`StoreError::TooLarge`] and a
    /// failing `reader`) nothing is stored and the temporary data is removed.
    fn put(&self, reader: &mut dyn Read) -> Result<PutOutcome, StoreError>;

    /// [`BlobStore::put`] for bytes already in memory.
    fn put_bytes(&self, bytes: &[u8]) -> Result<PutOutcome, StoreError> {
        let mut reader = bytes;
        self.put(&mut reader)
    }

    /// The blob's bytes; [`StoreError::NotFound`] when it is not stored.
    fn open(&self, id: &BlobId) -> Result<Box<dyn ReadSeek>, StoreError>;

    /// Whether the blob is stored.
    fn exists(&self, id: &BlobId) -> Result<bool, StoreError>;

    /// The blob's size in bytes; [`StoreError::NotFound`] when it is not stored.
    fn size(&self, id: &BlobId) -> Result<u64, StoreError>;

    /// Re-hashes the stored bytes: `Ok(true)` when they still match the address, `Ok(false)`
    /// when they do not (bit rot, tampering); [`StoreError::NotFound`] when it is not stored.
    fn verify(&self, id: &BlobId) -> Result<bool, StoreError>;

    /// Every stored blob's address, sorted (a consistency check walks them; cost grows with
    /// the store).
    fn list(&self) -> Result<Vec<BlobId>, StoreError>;

    /// Removes the temporary data left by interrupted puts that is older than `min_age` at
    /// `now` (the caller's clock), and
    /// returns how many temporaries were removed. `min_age` must exceed the longest put still
    /// running (in any process using the store); `Duration::ZERO` is only for when none is.
    fn sweep_temporaries(&self, now: SystemTime, min_age: Duration) -> Result<usize, StoreError>;

    /// Writes a named record (the audit log's checkpoints) once, durably, whole or not at
    /// all; [`StoreError::RecordExists`] when the key is taken (nothing is replaced).
    fn put_record(&self, key: &RecordKey, bytes: &[u8]) -> Result<(), StoreError>;

    /// A record's bytes (at most [`MAX_RECORD_SIZE`]); [`StoreError::RecordNotFound`] when
    /// there is none.
    fn get_record(&self, key: &RecordKey) -> Result<Vec<u8>, StoreError>;

    /// The keys of the records in `folder`, sorted by name (none when the folder is empty or
    /// was never written).
    fn list_records(&self, folder: &str) -> Result<Vec<RecordKey>, StoreError>;
}
