//! Stage `store`, consistency: do the index and the blob store agree? Every blob the index
//! points at must be stored (and, re-hashed, still match its address); blobs nobody points at
//! are what an interrupted run leaves (stored before its index row) and are only reported.

use serde::Serialize;

use super::{BlobId, BlobStore, StoreError};

/// What a check found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Consistency {
    /// Blobs the index points at.
    pub referenced: usize,
    /// Blobs in the store.
    pub stored: usize,
    /// Pointed at but not stored: a paper whose file is lost.
    pub missing: Vec<String>,
    /// Stored, but the bytes no longer hash to the address (checked with `rehash`).
    pub damaged: Vec<String>,
    /// Stored, pointed at by nothing: left by a run interrupted between storing and indexing
    /// (harmless; the next run of the same scans points at them or stores its own).
    pub unreferenced: Vec<String>,
}

impl Consistency {
    /// No paper lost or damaged.
    pub fn ok(&self) -> bool {
        self.missing.is_empty() && self.damaged.is_empty()
    }
}

/// Compares the addresses the index points at with those stored (pure).
pub fn compare(referenced: &[String], stored: &[BlobId]) -> Consistency {
    let mut refs: Vec<&str> = referenced.iter().map(String::as_str).collect();
    refs.sort_unstable();
    refs.dedup();
    let mut have: Vec<&str> = stored.iter().map(BlobId::as_str).collect();
    have.sort_unstable();
    have.dedup();
    Consistency {
        referenced: refs.len(),
        stored: have.len(),
        missing: refs
            .iter()
            .filter(|r| have.binary_search(r).is_err())
            .map(|r| r.to_string())
            .collect(),
        damaged: Vec::new(),
        unreferenced: have
            .iter()
            .filter(|h| refs.binary_search(h).is_err())
            .map(|h| h.to_string())
            .collect(),
    }
}

/// Lists the store, compares it with `referenced` and, with `rehash`, re-reads every
/// referenced blob to check its bytes.
pub fn check(
    store: &dyn BlobStore,
    referenced: &[String],
    rehash: bool,
    progress: &crate::progress::Progress,
) -> Result<Consistency, StoreError> {
    let stored = store.list()?;
    let mut c = compare(referenced, &stored);
    if rehash {
        let unreferenced: std::collections::HashSet<&str> =
            c.unreferenced.iter().map(String::as_str).collect();
        let todo: Vec<&BlobId> = stored
            .iter()
            .filter(|id| !unreferenced.contains(id.as_str()))
            .collect();
        progress.begin("blobs re-hashed", todo.len() as u64);
        let mut damaged = Vec::new();
        for id in todo {
            if !store.verify(id)? {
                damaged.push(id.to_string());
            }
            progress.step(&id.as_str()[..12]);
        }
        progress.end();
        c.damaged.extend(damaged);
    }
    Ok(c)
}
