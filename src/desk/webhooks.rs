//! Desk floor, the webhooks' deliveries for the administrator (`sohoa webhooks`,
//! `GET /api/webhooks`, `POST /api/webhooks/retry`): the list (the dead letters first of
//! all), and a dead letter sent again (logged).

use super::{Desk, DeskError};
use crate::audit::Action;
use crate::index::{Delivery, DeliveryState};

impl Desk<'_> {
    /// Deliveries in `state` (all when `None`), newest first, at most `limit` (1 to 1,000).
    pub fn webhook_deliveries(
        &mut self,
        state: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Delivery>, DeskError> {
        let state = match state {
            None => None,
            Some(s) => Some(DeliveryState::from_code(s).ok_or(DeskError::BadQuery {
                what: "state",
                value: s.to_string(),
                reason: "pending, delivered or dead",
            })?),
        };
        Ok(self.index.webhook_deliveries(state, limit.clamp(1, 1000))?)
    }

    /// A dead letter made pending again (tried at the next pass); logged.
    pub fn webhook_retry(&mut self, event_id: &str, url: &str) -> Result<(), DeskError> {
        let now = crate::pki::chain::unix(self.clock.now()).as_secs() as i64;
        if !self.index.webhook_retry(event_id, url, now)? {
            return Err(DeskError::BadQuery {
                what: "delivery",
                value: format!("{event_id} to {url}"),
                reason: "there is no dead letter with this event id and URL",
            });
        }
        self.log(
            Action::Requeue,
            format!("webhook {event_id}"),
            serde_json::json!({ "url": url }),
        )?;
        Ok(())
    }
}
