//! Edge `audit` (beside `store`): the tamper-evident log of who did what, when — every ingest,
//! signature, reuse, download, verification and override. Append-only and hash-chained: each
//! entry carries the SHA-256 (FIPS 180-4) of the one before, so an edited, deleted or
//! reordered entry breaks the chain at a point [`verify`] names.
//!
//! A chain alone cannot show that its newest entries were deleted, or that it was rewritten
//! and re-hashed whole: [`checkpoint`]s anchor its head outside the database, signed and
//! time-stamped, and [`compare`] tells which one a log contradicts.
//!
//! Pure: the clock and the storage come from outside (the index keeps the entries in the same
//! transaction as the change they record); this module builds entries and checks chains.

mod chain;
pub mod checkpoint;
#[cfg(test)]
mod tests;

pub use chain::{entry_hash, next_entry, verify, AuditEntry, Break, ChainReport, GENESIS};
pub use checkpoint::{compare, explain, Checkpoint, Finding, Heads, Reason};

/// What an entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Action {
    Ingest,
    Sign,
    Store,
    Reuse,
    Download,
    Verify,
    /// A rule was bypassed on purpose (reusing an expired paper, say); the reason is in the
    /// details.
    Override,
    Review,
    Requeue,
    Login,
    /// A stored paper's long-term validation data was renewed (a new document timestamp).
    Renew,
    /// An electronic certified copy: a register number taken, then the copy issued.
    Certify,
    /// A page of a stored paper was shown to someone (the web preview).
    View,
    /// A dossier was handed off as a package (its papers and the manifest's hash).
    Export,
}

impl Action {
    pub fn code(self) -> &'static str {
        match self {
            Action::Ingest => "ingest",
            Action::Sign => "sign",
            Action::Store => "store",
            Action::Reuse => "reuse",
            Action::Download => "download",
            Action::Verify => "verify",
            Action::Override => "override",
            Action::Review => "review",
            Action::Requeue => "requeue",
            Action::Login => "login",
            Action::Renew => "renew",
            Action::Certify => "certify",
            Action::View => "view",
            Action::Export => "export",
        }
    }
}
