//! Stage `store`, the index's officer decisions on every database: reuse events (the dossier
//! reused in counts as received) and reviews, each with its audit entry in one transaction.

use super::likeness::marks;
use super::papers::set_owners;
use super::*;
use crate::index::{Decisions, Review};

/// Whether the paper `id` is indexed, read inside `tx`.
pub(super) fn component_exists(tx: &mut dyn Sql, id: i64) -> Result<bool, DbError> {
    Ok(tx
        .row("SELECT id FROM components WHERE id = ?1", args![id])?
        .is_some())
}

impl<B: Backend> Decisions for SqlIndex<B> {
    fn record_reuse(
        &mut self,
        component: i64,
        dossier_code: &str,
        dossier_unit: Option<&str>,
        override_reason: Option<&str>,
        audit: &AuditRequest,
    ) -> Result<AuditEntry, IndexError> {
        let err = self.err();
        let name = self.name.clone();
        self.write(|tx| {
            if !component_exists(tx, component).map_err(&err)? {
                return Err(IndexError::NoComponent {
                    db: name,
                    id: component,
                });
            }
            // the dossier a paper is reused in is a dossier received (it counts in the reports)
            if let Some(unit) = dossier_unit {
                tx.exec(
                    "INSERT INTO units (code) VALUES (?1) ON CONFLICT (code) DO NOTHING",
                    args![unit],
                )
                .map_err(&err)?;
                tx.exec(
                    "INSERT INTO dossiers (code, unit_code, received_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (code) DO NOTHING",
                    args![dossier_code, unit, &audit.time],
                )
                .map_err(&err)?;
            }
            tx.exec(
                "INSERT INTO reuse_events (component_id, dossier_code, actor, at, override_reason)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                args![
                    component,
                    dossier_code,
                    &audit.actor,
                    &audit.time,
                    override_reason
                ],
            )
            .map_err(&err)?;
            append_in(tx, audit).map_err(&err)
        })
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
            sql.push_str(&format!(" AND c.unit_code IN ({})", marks(1, units.len())));
        }
        sql.push_str(&format!(" ORDER BY c.id LIMIT {limit}"));
        let args: Vec<Value> = units.iter().map(Value::from).collect();
        self.components(&sql, &args)
    }

    fn review_component(
        &mut self,
        id: i64,
        review: &Review,
        audit: &AuditRequest,
    ) -> Result<AuditEntry, IndexError> {
        let err = self.err();
        let name = self.name.clone();
        self.write(|tx| {
            let changed = tx
                .exec(
                    "UPDATE components SET review_state = ?2, type_code = ?3, fields_json = ?4,
                         issue_date = ?5, valid_until = ?6
                     WHERE id = ?1",
                    args![
                        id,
                        review.state.code(),
                        &review.type_code,
                        &review.fields_json,
                        &review.issue_date,
                        &review.valid_until
                    ],
                )
                .map_err(&err)?;
            if changed == 0 {
                return Err(IndexError::NoComponent { db: name, id });
            }
            set_owners(tx, id, &review.owner_ids, &review.tax_codes).map_err(&err)?;
            append_in(tx, audit).map_err(&err)
        })
    }

    fn reviewed_examples(&mut self) -> Result<Vec<(String, String)>, IndexError> {
        let rows = self
            .db
            .conn()
            .rows(
                "SELECT type_code, ocr_text FROM components
                 WHERE review_state IN ('confirmed', 'corrected') ORDER BY id",
                &[],
            )
            .map_err(self.err())?;
        rows.iter()
            .map(|r| Ok((r.text(0)?, r.text(1)?)))
            .collect::<Result<_, _>>()
            .map_err(self.err())
    }
}
