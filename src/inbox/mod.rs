//! Service `inbox` (the edge before `ingest`): the watched folder the scanner operators drop
//! files into. [`plan`] decides (pure) which files are complete and form which batch, [`walk`]
//! lists the folder without following links, [`job`] runs one batch through
//! [`crate::ingest::ingest`] and moves its files on, [`service`] ties them into the loop with a
//! bounded queue and a worker pool.
//!
//! Never lose a scan: a file leaves the inbox only after its papers are durably stored and
//! indexed (moved to `processed/<unit>/<date>/`, named by its SHA-256), or when it failed
//! (moved to `failed/<unit>/` beside `<name>.error.txt`). Each batch is journaled in the
//! index before work starts; ingest stores each paper once per (scan, page) and remembers the
//! scans it finished, so a `kill -9` at any moment is followed by a run that finishes the rest
//! and stores nothing twice. A batch that stopped the service [`JobLimits::max_attempts`] times
//! goes to `failed/` so the others can go on.

pub mod job;
mod metrics;
pub mod moves;
pub mod plan;
pub mod service;
pub mod walk;

#[cfg(test)]
mod tests;

use std::path::PathBuf;

pub use job::{JobLimits, JobOutcome};
pub use metrics::{failure_kind, HttpLabels, ServiceSummary};
pub use plan::{Job, Planner};
pub use service::{run, ServiceOptions};

/// The three folders of the service.
#[derive(Clone, Debug)]
pub struct InboxPaths {
    pub inbox: PathBuf,
    pub processed: PathBuf,
    pub failed: PathBuf,
}

/// What went wrong in the inbox itself; messages name the path.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InboxError {
    #[error("{op} {path}: {source}")]
    Io {
        path: String,
        op: &'static str,
        source: std::io::Error,
    },
    #[error(transparent)]
    Index(#[from] crate::index::IndexError),
    #[error("inbox watcher: {0}")]
    Watch(String),
}
