//! Stage `store`, SQLite index: the officers' decisions — reuse events (the dossier reused in
//! counts as received) and reviews, each with its audit entry in one transaction.

use rusqlite::{params, OptionalExtension};

use super::*;

impl Decisions for SqliteIndex {
    fn record_reuse(
        &mut self,
        component: i64,
        dossier_code: &str,
        dossier_unit: Option<&str>,
        override_reason: Option<&str>,
        audit: &AuditRequest,
    ) -> Result<AuditEntry, IndexError> {
        let sql = sql_err(&self.db);
        let tx = write_tx(&mut self.conn).map_err(sql)?;
        let exists: Option<i64> = tx
            .query_row(
                "SELECT id FROM components WHERE id = ?1",
                [component],
                |r| r.get(0),
            )
            .optional()
            .map_err(sql)?;
        if exists.is_none() {
            return Err(IndexError::NoComponent {
                db: self.db.clone(),
                id: component,
            });
        }
        // the dossier a paper is reused in is a dossier received (it counts in the reports)
        if let Some(unit) = dossier_unit {
            tx.execute(
                "INSERT INTO units (code) VALUES (?1) ON CONFLICT (code) DO NOTHING",
                [unit],
            )
            .map_err(sql)?;
            tx.execute(
                "INSERT INTO dossiers (code, unit_code, received_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (code) DO NOTHING",
                params![dossier_code, unit, audit.time],
            )
            .map_err(sql)?;
        }
        tx.execute(
            "INSERT INTO reuse_events (component_id, dossier_code, actor, at, override_reason)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                component,
                dossier_code,
                audit.actor,
                audit.time,
                override_reason
            ],
        )
        .map_err(sql)?;
        let entry = append_in(&tx, audit).map_err(sql)?;
        tx.commit().map_err(sql)?;
        Ok(entry)
    }

    fn review_queue(
        &mut self,
        units: &[String],
        limit: usize,
    ) -> Result<Vec<ComponentRow>, IndexError> {
        let limit = if limit == 0 { 100 } else { limit.min(10_000) };
        let mut sql = format!(
            "SELECT {COMPONENT_COLUMNS} FROM components c
             LEFT JOIN signatures s ON s.component_id = c.id
             WHERE c.review_state = 'needs_review'"
        );
        if !units.is_empty() {
            let marks = vec!["?"; units.len()].join(", ");
            sql.push_str(&format!(" AND c.unit_code IN ({marks})"));
        }
        sql.push_str(&format!(" ORDER BY c.id LIMIT {limit}"));
        let rows = {
            let mut st = self.conn.prepare(&sql).map_err(|e| self.sql(e))?;
            let mapped = st
                .query_map(rusqlite::params_from_iter(units.iter()), component_of)
                .map_err(|e| self.sql(e))?;
            mapped
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| self.sql(e))?
        };
        self.with_owners(rows)
    }

    fn review_component(
        &mut self,
        id: i64,
        review: &Review,
        audit: &AuditRequest,
    ) -> Result<AuditEntry, IndexError> {
        let sql = sql_err(&self.db);
        let tx = write_tx(&mut self.conn).map_err(sql)?;
        let changed = tx
            .execute(
                "UPDATE components SET review_state = ?2, type_code = ?3, fields_json = ?4,
                     issue_date = ?5, valid_until = ?6
                 WHERE id = ?1",
                params![
                    id,
                    review.state.code(),
                    review.type_code,
                    review.fields_json,
                    review.issue_date,
                    review.valid_until
                ],
            )
            .map_err(sql)?;
        if changed == 0 {
            return Err(IndexError::NoComponent {
                db: self.db.clone(),
                id,
            });
        }
        tx.execute("DELETE FROM component_owners WHERE component_id = ?1", [id])
            .map_err(sql)?;
        for p in &review.owner_ids {
            tx.execute(
                "INSERT INTO component_owners (component_id, person_id) VALUES (?1, ?2)
                 ON CONFLICT DO NOTHING",
                params![id, p],
            )
            .map_err(sql)?;
        }
        tx.execute(
            "DELETE FROM component_tax_codes WHERE component_id = ?1",
            [id],
        )
        .map_err(sql)?;
        for t in &review.tax_codes {
            tx.execute(
                "INSERT INTO component_tax_codes (component_id, tax_code) VALUES (?1, ?2)
                 ON CONFLICT DO NOTHING",
                params![id, t],
            )
            .map_err(sql)?;
        }
        let entry = append_in(&tx, audit).map_err(sql)?;
        tx.commit().map_err(sql)?;
        Ok(entry)
    }

    fn reviewed_examples(&mut self) -> Result<Vec<(String, String)>, IndexError> {
        let mut st = self
            .conn
            .prepare(
                "SELECT type_code, ocr_text FROM components
                 WHERE review_state IN ('confirmed', 'corrected') ORDER BY id",
            )
            .map_err(|e| self.sql(e))?;
        let rows = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }
}
