//! Edge `audit`, anchors: a checkpoint records the chain's head (its last entry's number and
//! hash) at a moment; signed by the agency (detached CAdES, RFC 5652 / ETSI EN 319 122-1) and
//! time-stamped (RFC 3161), it is kept in the blob store, outside the database. A log that
//! lost its newest entries, or was rewritten and re-hashed whole, still chains — but it no
//! longer holds the entry a checkpoint recorded, and [`compare`] says which checkpoint it
//! contradicts.
//!
//! Pure: the bytes of a checkpoint, its record names, and the comparison with a log. Writing,
//! signing and checking signatures are the desk's (`desk/anchor.rs`).

use serde::{Deserialize, Serialize};

use super::AuditEntry;
use crate::pki::digest::DigestAlg;

/// `format` of a checkpoint.
pub const FORMAT: &str = "sohoa-audit-checkpoint/1";

/// The record folder of the checkpoints in the blob store.
pub const FOLDER: &str = "audit-checkpoints";

/// The largest checkpoint read back (they are a few hundred bytes).
const MAX_CHECKPOINT: usize = 64 * 1024;

/// Why a checkpoint was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Reason {
    /// `[audit] checkpoint_every_minutes` of `sohoa serve`.
    Interval,
    /// `sohoa serve` stopping.
    Shutdown,
    /// `sohoa audit checkpoint` (by hand, or from cron).
    Command,
}

/// What a checkpoint says: the log held `seq` entries and entry `seq` had hash `head`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    pub format: String,
    /// The number of the newest entry anchored.
    pub seq: u64,
    /// Its hash (SHA-256 hex), which commits to every entry before it.
    pub head: String,
    /// When the checkpoint was written (RFC 3339, the writer's clock; the timestamp proves it).
    pub written_at: String,
    pub reason: Reason,
    /// `sohoa <version>`.
    pub generator: String,
}

impl Checkpoint {
    /// A checkpoint of the log whose newest entry is `last`.
    pub fn of(last: &AuditEntry, written_at: String, reason: Reason) -> Self {
        Self {
            format: FORMAT.into(),
            seq: last.seq,
            head: last.hash.clone(),
            written_at,
            reason,
            generator: format!("sohoa {}", env!("CARGO_PKG_VERSION")),
        }
    }

    /// The bytes that are signed and stored (pretty JSON, newline-terminated).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).unwrap_or_default();
        out.push(b'\n');
        out
    }

    /// Reads a stored checkpoint; the message says what is wrong with it.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        if bytes.len() > MAX_CHECKPOINT {
            return Err(format!(
                "{} bytes, more than a checkpoint has ({MAX_CHECKPOINT})",
                bytes.len()
            ));
        }
        let c: Self =
            serde_json::from_slice(bytes).map_err(|e| format!("not a checkpoint: {e}"))?;
        if c.format != FORMAT {
            return Err(format!("format {:?}, expected {FORMAT:?}", c.format));
        }
        let hex_ok = c.head.len() == 64
            && c.head
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !hex_ok || c.seq == 0 {
            return Err("its seq or head is not an entry's number and hash".into());
        }
        Ok(c)
    }

    /// The record name of the checkpoint (`.json`) — its signature is the same name with
    /// `.p7s` added. Zero-padded so names sort by entry number; the content's hash makes the
    /// name unique (two nodes anchoring the same head each keep their own).
    pub fn record_name(&self, bytes: &[u8]) -> String {
        let h = hex::encode(DigestAlg::Sha256.digest(bytes));
        format!("{:012}-{}.json", self.seq, &h[..16])
    }
}

/// What a checkpoint says about a log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Finding {
    /// The log holds the anchored entry, with the anchored hash.
    Holds,
    /// The log ends before the anchored entry: its newest entries were deleted.
    Truncated { log_ends_at: u64 },
    /// The log holds an entry with that number but another hash: rewritten.
    Rewritten { found: String },
}

impl Finding {
    pub fn holds(&self) -> bool {
        matches!(self, Finding::Holds)
    }
}

/// A log's entry hashes by number: many checkpoints are compared with one log.
#[derive(Clone, Debug, Default)]
pub struct Heads {
    by_seq: std::collections::HashMap<u64, String>,
    last: u64,
}

impl Heads {
    /// Of the log `entries` (stored order).
    pub fn of(entries: &[AuditEntry]) -> Self {
        Self {
            by_seq: entries.iter().map(|e| (e.seq, e.hash.clone())).collect(),
            last: entries.iter().map(|e| e.seq).max().unwrap_or(0),
        }
    }

    /// What checkpoint `c` says about this log.
    pub fn compare(&self, c: &Checkpoint) -> Finding {
        match self.by_seq.get(&c.seq) {
            Some(h) if *h == c.head => Finding::Holds,
            Some(h) => Finding::Rewritten { found: h.clone() },
            None => Finding::Truncated {
                log_ends_at: self.last,
            },
        }
    }
}

/// Compares checkpoint `c` with the log `entries` (stored order).
pub fn compare(c: &Checkpoint, entries: &[AuditEntry]) -> Finding {
    Heads::of(entries).compare(c)
}

/// A sentence for an auditor: `name` is the checkpoint's record key.
pub fn explain(name: &str, c: &Checkpoint, f: &Finding) -> String {
    match f {
        Finding::Holds => format!("checkpoint {name} holds (entry {})", c.seq),
        Finding::Truncated { log_ends_at } if *log_ends_at >= c.seq => format!(
            "the log contradicts checkpoint {name} (written {}): it recorded entry {} with hash {}, \
             and the log has no entry {}",
            c.written_at, c.seq, c.head, c.seq
        ),
        Finding::Truncated { log_ends_at } if log_ends_at + 1 == c.seq => format!(
            "the log contradicts checkpoint {name} (written {}): it recorded entry {} with hash {}, \
             but the log ends at entry {log_ends_at}; entry {} was deleted",
            c.written_at, c.seq, c.head, c.seq
        ),
        Finding::Truncated { log_ends_at } => format!(
            "the log contradicts checkpoint {name} (written {}): it recorded entry {} with hash {}, \
             but the log ends at entry {log_ends_at}; entries {}..{} were deleted",
            c.written_at,
            c.seq,
            c.head,
            log_ends_at + 1,
            c.seq
        ),
        Finding::Rewritten { found } => format!(
            "the log contradicts checkpoint {name} (written {}): it recorded entry {} with hash {}, \
             the log's entry {} has hash {found}; the log was rewritten at or before entry {}",
            c.written_at, c.seq, c.head, c.seq, c.seq
        ),
    }
}
