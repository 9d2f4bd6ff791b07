//! Edge `audit`: entries, their hashes and the chain check.
//!
//! An entry's hash is SHA-256 over a length-prefixed encoding of its fields (each field as an
//! 8-byte big-endian length then its UTF-8 bytes, in a fixed order), so no two different
//! entries encode alike and the hash does not depend on any JSON formatting.

use serde::{Deserialize, Serialize};

use super::Action;
use crate::pki::digest::DigestAlg;

/// `prev_hash` of the first entry: 64 zeros.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One line of the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// 1, 2, 3, … with no gaps.
    pub seq: u64,
    /// When, RFC 3339 with the local offset (given by the caller's clock).
    pub time: String,
    /// Who: a user name, or `sohoa` for the service itself.
    pub actor: String,
    pub action: Action,
    /// What: a dossier code, component id, blob SHA-256, file name…
    pub subject: String,
    /// Anything else, as compact JSON text (kept as text so its hash never depends on
    /// re-serialisation).
    pub details: String,
    /// `hash` of the entry before ([`GENESIS`] for the first).
    pub prev_hash: String,
    /// SHA-256 of this entry's fields, hex.
    pub hash: String,
}

/// The hash an entry must carry.
pub fn entry_hash(e: &AuditEntry) -> String {
    let mut h = DigestAlg::Sha256.hasher();
    let seq = e.seq.to_string();
    for field in [
        seq.as_str(),
        e.time.as_str(),
        e.actor.as_str(),
        e.action.code(),
        e.subject.as_str(),
        e.details.as_str(),
        e.prev_hash.as_str(),
    ] {
        h.update(&(field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    hex::encode(h.finalize())
}

/// The entry that follows `prev` (or the first one).
pub fn next_entry(
    prev: Option<&AuditEntry>,
    time: String,
    actor: &str,
    action: Action,
    subject: &str,
    details: &serde_json::Value,
) -> AuditEntry {
    let mut e = AuditEntry {
        seq: prev.map_or(1, |p| p.seq + 1),
        time,
        actor: actor.to_string(),
        action,
        subject: subject.to_string(),
        details: details.to_string(),
        prev_hash: prev.map_or_else(|| GENESIS.to_string(), |p| p.hash.clone()),
        hash: String::new(),
    };
    e.hash = entry_hash(&e);
    e
}

/// Where the chain first breaks, and how.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Break {
    /// The entry's content no longer matches its hash.
    Edited { seq: u64 },
    /// Entries are missing before this one (its sequence number skips).
    Deleted { after_seq: u64, next_seq: u64 },
    /// The entry is out of order (its sequence number goes back, or it does not follow the
    /// entry stored before it).
    Reordered { position: usize, seq: u64 },
    /// The first entry does not start the chain.
    BadStart { seq: u64 },
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Break::Edited { seq } => write!(
                f,
                "entry {seq} was changed after it was written (its hash does not match)"
            ),
            Break::Deleted {
                after_seq,
                next_seq,
            } => write!(
                f,
                "entries {}..{} are missing: the log jumps from {after_seq} to {next_seq}",
                after_seq + 1,
                next_seq - 1
            ),
            Break::Reordered { position, seq } => write!(
                f,
                "entry {seq} (stored at position {position}) is out of order: it does not follow the entry stored before it"
            ),
            Break::BadStart { seq } => write!(
                f,
                "the log starts at entry {seq}, not at entry 1 from the genesis hash"
            ),
        }
    }
}

/// The result of checking a log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChainReport {
    pub entries: usize,
    /// Hash of the last entry: publish or timestamp it to anchor the log outside.
    pub head: Option<String>,
    /// The first broken link, if any.
    pub first_break: Option<Break>,
}

impl ChainReport {
    pub fn intact(&self) -> bool {
        self.first_break.is_none()
    }
}

/// Checks `entries` in the order they are stored. A sequence number that skips is a deletion
/// when the skipped numbers appear nowhere in the log, and a reordering when they appear later.
pub fn verify(entries: &[AuditEntry]) -> ChainReport {
    let seqs: std::collections::HashSet<u64> = entries.iter().map(|e| e.seq).collect();
    let mut prev: Option<&AuditEntry> = None;
    let mut n = 0usize;
    let mut first_break = None;
    for (position, e) in entries.iter().enumerate() {
        n += 1;
        if first_break.is_some() {
            prev = Some(e);
            continue;
        }
        let problem = if entry_hash(e) != e.hash {
            Some(Break::Edited { seq: e.seq })
        } else {
            match prev {
                None if e.seq != 1 || e.prev_hash != GENESIS => {
                    Some(Break::BadStart { seq: e.seq })
                }
                None => None,
                Some(p) if e.seq <= p.seq => Some(Break::Reordered {
                    position: position + 1,
                    seq: e.seq,
                }),
                Some(p) if e.seq > p.seq + 1 => {
                    if (p.seq + 1..e.seq).any(|s| seqs.contains(&s)) {
                        Some(Break::Reordered {
                            position: position + 1,
                            seq: e.seq,
                        })
                    } else {
                        Some(Break::Deleted {
                            after_seq: p.seq,
                            next_seq: e.seq,
                        })
                    }
                }
                Some(p) if e.prev_hash != p.hash => Some(Break::Reordered {
                    position: position + 1,
                    seq: e.seq,
                }),
                Some(_) => None,
            }
        };
        first_break = problem;
        prev = Some(e);
    }
    ChainReport {
        entries: n,
        head: prev.map(|p| p.hash.clone()),
        first_break,
    }
}
