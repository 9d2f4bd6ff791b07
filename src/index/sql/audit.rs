//! Stage `store`, the index's audit log on every database, and the grouped counts of the
//! report (by the desk's calendar months).

use super::likeness::marks;
use super::*;
use crate::index::report::{Count, ReportCounts};
use crate::index::{AuditTrail, Counts};

impl<B: Backend> AuditTrail for SqlIndex<B> {
    fn append_audit(&mut self, a: &AuditRequest) -> Result<AuditEntry, IndexError> {
        self.write_sql(|tx| append_in(tx, a))
    }

    fn audit_log(&mut self) -> Result<Vec<AuditEntry>, IndexError> {
        // stored order: the table's row order, not seq, so a reordering shows
        let order = self.db.dialect().audit_order();
        let rows = self
            .db
            .conn()
            .rows(
                &format!(
                    "SELECT seq, time, actor, action, subject, details, prev_hash, hash
                     FROM audit_log ORDER BY {order}"
                ),
                &[],
            )
            .map_err(self.err())?;
        rows.iter()
            .map(entry_of)
            .collect::<Result<_, _>>()
            .map_err(self.err())
    }

    fn audit_about(
        &mut self,
        subjects: &[String],
        skip: &[Action],
        limit: usize,
    ) -> Result<Vec<AuditEntry>, IndexError> {
        let mut out: Vec<AuditEntry> = Vec::new();
        // action codes are fixed words, not input: written into the statement
        let skip: Vec<String> = skip.iter().map(|a| format!("'{}'", a.code())).collect();
        let skip = if skip.is_empty() {
            String::new()
        } else {
            format!(" AND action NOT IN ({})", skip.join(", "))
        };
        // in chunks: SQLite bounds the number of parameters of one statement
        for chunk in subjects.chunks(500) {
            let args: Vec<Value> = chunk.iter().map(Value::from).collect();
            let rows = self
                .db
                .conn()
                .rows(
                    &format!(
                        "SELECT seq, time, actor, action, subject, details, prev_hash, hash
                         FROM audit_log WHERE subject IN ({}){skip} ORDER BY seq LIMIT {}",
                        marks(1, chunk.len()),
                        limit.max(1)
                    ),
                    &args,
                )
                .map_err(self.err())?;
            for r in &rows {
                out.push(entry_of(r).map_err(self.err())?);
            }
        }
        out.sort_by_key(|e| e.seq);
        out.truncate(limit.max(1));
        Ok(out)
    }
}

impl<B: Backend> Counts for SqlIndex<B> {
    fn report_counts(&mut self, utc_offset_minutes: i32) -> Result<ReportCounts, IndexError> {
        // `?1` moves the stored UTC times ("…Z") to the desk's clock before taking the month
        let dialect = self.db.dialect();
        let mut counts = |sql: &str| -> Result<Vec<Count>, IndexError> {
            let rows = self
                .db
                .conn()
                .rows(sql, args![utc_offset_minutes])
                .map_err(self.err())?;
            rows.iter()
                .map(|r| Ok((r.text(0)?, r.text(1)?, r.int(2)?.max(0) as u64)))
                .collect::<Result<_, DbError>>()
                .map_err(self.err())
        };
        let month = |col: &str| dialect.month(col, 1);
        let (received, created, at) = (month("received_at"), month("c.created_at"), month("at"));
        Ok(ReportCounts {
            dossiers_received: counts(&format!(
                "SELECT unit_code, {received} AS m, COUNT(*) FROM dossiers GROUP BY unit_code, m"
            ))?,
            dossiers_digitized: counts(&format!(
                "SELECT unit_code, {received} AS m, COUNT(*) FROM dossiers d
                 WHERE EXISTS (SELECT 1 FROM components c WHERE c.dossier_code = d.code)
                 GROUP BY unit_code, m"
            ))?,
            components: counts(&format!(
                "SELECT c.unit_code, {created} AS m, COUNT(*) FROM components c
                 GROUP BY c.unit_code, m"
            ))?,
            signed: counts(&format!(
                "SELECT c.unit_code, {created} AS m, COUNT(*) FROM components c
                 JOIN signatures s ON s.component_id = c.id
                 GROUP BY c.unit_code, m"
            ))?,
            // the dossier's unit is the first part of its code (validated on reuse)
            dossiers_reusing: counts(&format!(
                "SELECT substr(dossier_code, 1, 13) AS u, {at} AS m, COUNT(DISTINCT dossier_code)
                 FROM reuse_events GROUP BY u, m"
            ))?,
            reuse_events: counts(&format!(
                "SELECT substr(dossier_code, 1, 13) AS u, {at} AS m, COUNT(*)
                 FROM reuse_events GROUP BY u, m"
            ))?,
        })
    }
}
