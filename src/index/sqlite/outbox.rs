//! Stage `store`, SQLite index: the outbox of webhook events and their deliveries.

use rusqlite::{params, OptionalExtension};

use super::*;
use crate::index::outbox::{Attempt, Delivery, DeliveryState, NewEvent, Outbox};

const DELIVERY: &str = "SELECT d.event_id, o.kind, d.url, o.payload, d.state, d.attempts,
        d.next_at, d.last_error, o.created_at, d.updated_at
     FROM webhook_deliveries d JOIN outbox o ON o.event_id = d.event_id";

fn delivery_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<Delivery> {
    let state: String = r.get(4)?;
    Ok(Delivery {
        event_id: r.get(0)?,
        kind: r.get(1)?,
        url: r.get(2)?,
        payload: r.get(3)?,
        state: DeliveryState::from_code(&state).unwrap_or(DeliveryState::Pending),
        attempts: r.get::<_, i64>(5)?.clamp(0, u32::MAX as i64) as u32,
        next_at: r.get(6)?,
        last_error: r.get(7)?,
        created_at: r.get(8)?,
        updated_at: r.get(9)?,
    })
}

impl SqliteIndex {
    /// Deliveries with their events, `WHERE` `filter` (and its order and limit).
    fn deliveries(
        &self,
        filter: &str,
        args: impl rusqlite::Params,
    ) -> Result<Vec<Delivery>, IndexError> {
        let sql = sql_err(&self.db);
        let mut st = self
            .conn
            .prepare(&format!("{DELIVERY} WHERE {filter}"))
            .map_err(sql)?;
        let rows = st.query_map(args, delivery_of).map_err(sql)?;
        rows.collect::<Result<_, _>>().map_err(sql)
    }
}

impl Outbox for SqliteIndex {
    fn enqueue(&mut self, events: &[NewEvent]) -> Result<(), IndexError> {
        let sql = sql_err(&self.db);
        let tx = write_tx(&mut self.conn).map_err(sql)?;
        for e in events {
            tx.execute(
                "INSERT INTO outbox (event_id, kind, payload, created_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (event_id) DO NOTHING",
                params![e.event_id, e.kind, e.payload, e.created_at],
            )
            .map_err(sql)?;
        }
        tx.commit().map_err(sql)
    }

    fn webhook_fill(&mut self, url: &str, kinds: &[String], now: i64) -> Result<usize, IndexError> {
        let sql = sql_err(&self.db);
        let tx = write_tx(&mut self.conn).map_err(sql)?;
        let newest: i64 = tx
            .query_row("SELECT COALESCE(MAX(id), 0) FROM outbox", [], |r| r.get(0))
            .map_err(sql)?;
        let cursor: Option<i64> = tx
            .query_row(
                "SELECT last_outbox_id FROM webhook_cursors WHERE url = ?1",
                [url],
                |r| r.get(0),
            )
            .optional()
            .map_err(sql)?;
        let mut made = 0;
        if let Some(from) = cursor {
            let mut st = tx
                .prepare("SELECT event_id, kind FROM outbox WHERE id > ?1 AND id <= ?2 ORDER BY id")
                .map_err(sql)?;
            let rows: Vec<(String, String)> = st
                .query_map(params![from, newest], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(sql)?
                .collect::<Result<_, _>>()
                .map_err(sql)?;
            drop(st);
            for (event_id, kind) in rows {
                if !kinds.is_empty() && !kinds.contains(&kind) {
                    continue;
                }
                made += tx
                    .execute(
                        "INSERT INTO webhook_deliveries
                            (event_id, url, state, attempts, next_at, last_error, updated_at)
                         VALUES (?1, ?2, 'pending', 0, ?3, NULL, '')
                         ON CONFLICT (event_id, url) DO NOTHING",
                        params![event_id, url, now],
                    )
                    .map_err(sql)?;
            }
        }
        tx.execute(
            "INSERT INTO webhook_cursors (url, last_outbox_id) VALUES (?1, ?2)
             ON CONFLICT (url) DO UPDATE SET last_outbox_id = excluded.last_outbox_id",
            params![url, newest],
        )
        .map_err(sql)?;
        tx.commit().map_err(sql)?;
        Ok(made)
    }

    fn webhook_due(
        &mut self,
        url: &str,
        now: i64,
        limit: usize,
    ) -> Result<Vec<Delivery>, IndexError> {
        self.deliveries(
            "d.url = ?1 AND d.state = 'pending' AND d.next_at <= ?2 ORDER BY o.id LIMIT ?3",
            params![url, now, limit as i64],
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
        self.conn
            .execute(
                "UPDATE webhook_deliveries SET state = ?3, attempts = attempts + 1,
                    next_at = COALESCE(?4, next_at), last_error = COALESCE(?5, last_error),
                    updated_at = ?6
                 WHERE event_id = ?1 AND url = ?2",
                params![event_id, url, state.code(), next_at, error, at],
            )
            .map(|_| ())
            .map_err(|e| self.sql(e))
    }

    fn webhook_deliveries(
        &mut self,
        state: Option<DeliveryState>,
        limit: usize,
    ) -> Result<Vec<Delivery>, IndexError> {
        self.deliveries(
            "(?1 IS NULL OR d.state = ?1) ORDER BY o.id DESC, d.url LIMIT ?2",
            params![state.map(|s| s.code()), limit as i64],
        )
    }

    fn webhook_retry(&mut self, event_id: &str, url: &str, now: i64) -> Result<bool, IndexError> {
        self.conn
            .execute(
                "UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_at = ?3
                 WHERE event_id = ?1 AND url = ?2 AND state = 'dead'",
                params![event_id, url, now],
            )
            .map(|n| n > 0)
            .map_err(|e| self.sql(e))
    }
}
