//! Hand-off, webhooks: what the inbox announces to the systems around it — `paper.stored`
//! (a paper signed and stored), `dossier.complete` (every paper of a dossier's batch stored),
//! `file.failed` (a file moved to `failed/`) — as JSON POSTs signed with HMAC-SHA256, from
//! the index's outbox, at least once, with backoff, dead letters kept for the administrator.
//!
//! `event` builds the events (pure: ids derived from what happened, so a batch re-run after a
//! crash announces the same ids, which receivers use as idempotency keys), `signature` the
//! header (pure), `schedule` the backoff (pure), `deliver` one HTTP attempt (I/O, bounded),
//! `dispatch` a pass over the due deliveries (the index and the sender come in).

pub mod deliver;
pub mod dispatch;
pub mod event;
pub mod schedule;
pub mod signature;
#[cfg(test)]
mod tests;

pub use deliver::{HttpSender, Sender};
pub use dispatch::{dispatch_once, Hook, Pass};

/// The kinds of event (the list configuration validates `events` against).
pub use crate::config::WEBHOOK_EVENTS as KINDS;

/// Why a webhook could not be set up or an attempt failed; messages name the receiver.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    #[error("webhook {url}: {reason}")]
    Config { url: String, reason: String },
    #[error(transparent)]
    Index(#[from] crate::index::IndexError),
}
