//! Webhooks, one pass (the index, the clock and the sender come in): for each receiver, the
//! events written since its last pass become deliveries, and each due delivery is tried once;
//! the attempt is recorded (delivered, to try again after the backoff, or dead).

use std::time::Duration;

use serde::Serialize;

use super::deliver::Sender;
use super::{schedule, signature, WebhookError};
use crate::index::{Attempt, Outbox};

/// A receiver, as configured.
#[derive(Clone)]
pub struct Hook {
    pub url: String,
    /// The kinds it receives (all when empty).
    pub events: Vec<String>,
    /// The HMAC key (from a file or the environment; never logged).
    pub secret: Vec<u8>,
    pub max_attempts: u32,
    /// One attempt's whole exchange.
    pub timeout: Duration,
    pub backoff: Duration,
    pub max_backoff: Duration,
}

impl std::fmt::Debug for Hook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hook")
            .field("url", &self.url)
            .field("events", &self.events)
            .field("secret", &"(hidden)")
            .finish()
    }
}

/// What a pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Pass {
    pub queued: usize,
    pub delivered: usize,
    pub failed: usize,
    pub dead: usize,
}

/// One pass over `hooks` at `now` (seconds since the epoch; `at` the same as RFC 3339).
pub fn dispatch_once(
    index: &mut dyn Outbox,
    hooks: &[Hook],
    sender: &dyn Sender,
    now: i64,
    at: &str,
) -> Result<Pass, WebhookError> {
    let mut pass = Pass::default();
    for hook in hooks {
        pass.queued += index.webhook_fill(&hook.url, &hook.events, now)?;
        for d in index.webhook_due(&hook.url, now, 32)? {
            let body = d.payload.as_bytes();
            let headers = [
                ("Content-Type", "application/json".to_string()),
                ("User-Agent", format!("sohoa/{}", env!("CARGO_PKG_VERSION"))),
                ("X-Sohoa-Event", d.kind.clone()),
                ("Idempotency-Key", d.event_id.clone()),
                ("X-Sohoa-Delivery-Attempt", (d.attempts + 1).to_string()),
                (
                    "X-Sohoa-Signature",
                    signature::header(&hook.secret, now.max(0) as u64, body),
                ),
            ];
            let result = match sender.post(&hook.url, &headers, body, hook.timeout) {
                Ok(()) => {
                    pass.delivered += 1;
                    Attempt::Delivered
                }
                Err(error) if d.attempts + 1 >= hook.max_attempts => {
                    pass.dead += 1;
                    tracing::error!(url = %hook.url, event = %d.event_id, kind = %d.kind, %error,
                        attempts = d.attempts + 1, "webhook delivery dead: kept as a dead letter");
                    Attempt::Dead { error }
                }
                Err(error) => {
                    pass.failed += 1;
                    let wait = schedule::delay(d.attempts + 1, hook.backoff, hook.max_backoff);
                    tracing::warn!(url = %hook.url, event = %d.event_id, kind = %d.kind, %error,
                        retry_in_seconds = wait.as_secs(), "webhook delivery failed");
                    Attempt::Failed {
                        error,
                        next_at: now.saturating_add(wait.as_secs().max(1) as i64),
                    }
                }
            };
            index.webhook_attempted(&d.event_id, &hook.url, &result, at)?;
        }
    }
    Ok(pass)
}
