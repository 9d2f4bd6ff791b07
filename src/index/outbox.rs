//! Stage `store`, the index's outbox: events for the systems sohoa hands off to (webhooks),
//! written in the same transaction as the journal entry of what they announce, then delivered
//! at least once to each configured receiver: a delivery per (event, receiver), tried with
//! backoff until it is answered 2xx, and kept as a dead letter after the last attempt.

use serde::Serialize;

use super::IndexError;

/// An event to announce. `event_id` is derived from what happened (the same batch stored
/// twice after a crash gives the same ids), so it is also the receivers' idempotency key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NewEvent {
    pub event_id: String,
    /// `paper.stored`, `dossier.complete`, `file.failed`.
    pub kind: String,
    /// The JSON body sent.
    pub payload: String,
    pub created_at: String,
}

/// A delivery's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DeliveryState {
    /// Not yet answered 2xx; tried again at `next_at`.
    Pending,
    Delivered,
    /// Every attempt failed: a dead letter, until an administrator retries it.
    Dead,
}

impl DeliveryState {
    pub fn code(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Dead => "dead",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => DeliveryState::Pending,
            "delivered" => DeliveryState::Delivered,
            "dead" => DeliveryState::Dead,
            _ => return None,
        })
    }
}

/// One event for one receiver.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Delivery {
    pub event_id: String,
    pub kind: String,
    pub url: String,
    pub payload: String,
    pub state: DeliveryState,
    /// Attempts made so far.
    pub attempts: u32,
    /// When it is due next (seconds since the epoch).
    pub next_at: i64,
    pub last_error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// How an attempt ended.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Attempt {
    Delivered,
    /// Failed; try again at `next_at` (seconds since the epoch).
    Failed {
        error: String,
        next_at: i64,
    },
    /// Failed for the last time.
    Dead {
        error: String,
    },
}

/// The outbox and its deliveries.
pub trait Outbox {
    /// Writes `events`, durably, in one transaction; an event already there (same id) is left
    /// as it is. The inbox writes a batch's events after its papers are stored and before its
    /// files leave the inbox: a crash in between re-runs the batch, which writes the same ids.
    fn enqueue(&mut self, events: &[NewEvent]) -> Result<(), IndexError>;

    /// Creates the deliveries to `url` of the events written since the last call for it
    /// (of the `kinds` it subscribes to; all when empty), due at `now`; returns how many.
    /// The first call for a receiver starts after the newest event (a new receiver is not
    /// sent the past).
    fn webhook_fill(&mut self, url: &str, kinds: &[String], now: i64) -> Result<usize, IndexError>;

    /// Pending deliveries to `url` due at `now`, oldest first, at most `limit`.
    fn webhook_due(
        &mut self,
        url: &str,
        now: i64,
        limit: usize,
    ) -> Result<Vec<Delivery>, IndexError>;

    /// Records an attempt (counted) at `at` (RFC 3339).
    fn webhook_attempted(
        &mut self,
        event_id: &str,
        url: &str,
        result: &Attempt,
        at: &str,
    ) -> Result<(), IndexError>;

    /// Deliveries in `state` (all when `None`), newest first, at most `limit`.
    fn webhook_deliveries(
        &mut self,
        state: Option<DeliveryState>,
        limit: usize,
    ) -> Result<Vec<Delivery>, IndexError>;

    /// A dead letter made pending again, due at `now`, its attempts counted from zero;
    /// `false` when there is no such dead delivery.
    fn webhook_retry(&mut self, event_id: &str, url: &str, now: i64) -> Result<bool, IndexError>;
}
