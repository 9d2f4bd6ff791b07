//! Stage `store`, the index's outbox of webhook events and their deliveries, on every
//! database.

use super::*;
use crate::index::outbox::{Attempt, Delivery, DeliveryState, NewEvent, Outbox};

const DELIVERY: &str = "SELECT d.event_id, o.kind, d.url, o.payload, d.state, d.attempts,
        d.next_at, d.last_error, o.created_at, d.updated_at
     FROM webhook_deliveries d JOIN outbox o ON o.event_id = d.event_id";

fn delivery_of(r: &Row) -> Result<Delivery, DbError> {
    let state: String = r.text(4)?;
    Ok(Delivery {
        event_id: r.text(0)?,
        kind: r.text(1)?,
        url: r.text(2)?,
        payload: r.text(3)?,
        state: DeliveryState::from_code(&state).unwrap_or(DeliveryState::Pending),
        attempts: count(r, 5)?,
        next_at: r.int(6)?,
        last_error: r.opt_text(7)?,
        created_at: r.text(8)?,
        updated_at: r.text(9)?,
    })
}

impl<B: Backend> SqlIndex<B> {
    /// Deliveries with their events, `WHERE` `filter` (and its order and limit).
    fn deliveries(&mut self, filter: &str, args: &[Value]) -> Result<Vec<Delivery>, IndexError> {
        let rows = self
            .db
            .conn()
            .rows(&format!("{DELIVERY} WHERE {filter}"), args)
            .map_err(self.err())?;
        rows.iter()
            .map(delivery_of)
            .collect::<Result<_, _>>()
            .map_err(self.err())
    }
}

impl<B: Backend> Outbox for SqlIndex<B> {
    fn enqueue(&mut self, events: &[NewEvent]) -> Result<(), IndexError> {
        self.write_sql(|tx| {
            for e in events {
                tx.exec(
                    "INSERT INTO outbox (event_id, kind, payload, created_at)
                     VALUES (?1, ?2, ?3, ?4) ON CONFLICT (event_id) DO NOTHING",
                    args![&e.event_id, &e.kind, &e.payload, &e.created_at],
                )?;
            }
            Ok(())
        })
    }

    fn webhook_fill(&mut self, url: &str, kinds: &[String], now: i64) -> Result<usize, IndexError> {
        self.write_sql(|tx| {
            let newest = tx
                .row("SELECT COALESCE(MAX(id), 0) FROM outbox", &[])?
                .map_or(Ok(0), |r| r.int(0))?;
            let cursor = tx
                .row(
                    "SELECT last_outbox_id FROM webhook_cursors WHERE url = ?1",
                    args![url],
                )?
                .map(|r| r.int(0))
                .transpose()?;
            let mut made = 0;
            if let Some(from) = cursor {
                let rows = tx.rows(
                    "SELECT event_id, kind FROM outbox WHERE id > ?1 AND id <= ?2 ORDER BY id",
                    args![from, newest],
                )?;
                for r in rows {
                    let (event_id, kind) = (r.text(0)?, r.text(1)?);
                    if !kinds.is_empty() && !kinds.contains(&kind) {
                        continue;
                    }
                    made += tx.exec(
                        "INSERT INTO webhook_deliveries
                            (event_id, url, state, attempts, next_at, last_error, updated_at)
                         VALUES (?1, ?2, 'pending', 0, ?3, NULL, '')
                         ON CONFLICT (event_id, url) DO NOTHING",
                        args![event_id, url, now],
                    )? as usize;
                }
            }
            tx.exec(
                "INSERT INTO webhook_cursors (url, last_outbox_id) VALUES (?1, ?2)
                 ON CONFLICT (url) DO UPDATE SET last_outbox_id = excluded.last_outbox_id",
                args![url, newest],
            )?;
            Ok(made)
        })
    }

    fn webhook_due(
        &mut self,
        url: &str,
        now: i64,
        limit: usize,
    ) -> Result<Vec<Delivery>, IndexError> {
        self.deliveries(
            "d.url = ?1 AND d.state = 'pending' AND d.next_at <= ?2 ORDER BY o.id LIMIT ?3",
            args![url, now, limit as i64],
        )
    }

    fn webhook_attempted(
        &mut self,
        event_id: &str,
        url: &str,
        result: &Attempt,
        at: &str,
    ) -> Result<(), IndexError> {
        let (state, next_at, error) = match result {
            Attempt::Delivered => (DeliveryState::Delivered, None, None),
            Attempt::Failed { error, next_at } => {
                (DeliveryState::Pending, Some(*next_at), Some(error.as_str()))
            }
            Attempt::Dead { error } => (DeliveryState::Dead, None, Some(error.as_str())),
        };
        self.db
            .conn()
            .exec(
                "UPDATE webhook_deliveries SET state = ?3, attempts = attempts + 1,
                    next_at = COALESCE(?4, next_at), last_error = COALESCE(?5, last_error),
                    updated_at = ?6
                 WHERE event_id = ?1 AND url = ?2",
                args![event_id, url, state.code(), next_at, error, at],
            )
            .map(|_| ())
            .map_err(self.err())
    }

    fn webhook_deliveries(
        &mut self,
        state: Option<DeliveryState>,
        limit: usize,
    ) -> Result<Vec<Delivery>, IndexError> {
        self.deliveries(
            "(CAST(?1 AS TEXT) IS NULL OR d.state = ?1) ORDER BY o.id DESC, d.url LIMIT ?2",
            args![state.map(|s| s.code()), limit as i64],
        )
    }

    fn webhook_retry(&mut self, event_id: &str, url: &str, now: i64) -> Result<bool, IndexError> {
        self.db
            .conn()
            .exec(
                "UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_at = ?3
                 WHERE event_id = ?1 AND url = ?2 AND state = 'dead'",
                args![event_id, url, now],
            )
            .map(|n| n > 0)
            .map_err(self.err())
    }
}
