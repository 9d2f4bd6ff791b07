//! Webhooks, when to try again (pure): exponential backoff from `base`, doubling after each
//! failed attempt, capped at `cap`; after `max_attempts` the delivery is a dead letter.

use std::time::Duration;

/// The delay after the `attempts`-th failed attempt (1, 2, …).
pub fn delay(attempts: u32, base: Duration, cap: Duration) -> Duration {
    let factor = 1u32
        .checked_shl(attempts.saturating_sub(1))
        .unwrap_or(u32::MAX);
    base.checked_mul(factor).unwrap_or(cap).min(cap)
}
