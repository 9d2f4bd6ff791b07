//! Stage `store`, SQLite index: the audit log, and the grouped counts of the report (by the
//! desk's calendar months).

use super::*;

impl AuditTrail for SqliteIndex {
    fn append_audit(&mut self, a: &AuditRequest) -> Result<AuditEntry, IndexError> {
        let sql = sql_err(&self.db);
        let tx = write_tx(&mut self.conn).map_err(sql)?;
        let e = append_in(&tx, a).map_err(sql)?;
        tx.commit().map_err(sql)?;
        Ok(e)
    }

    fn audit_log(&mut self) -> Result<Vec<AuditEntry>, IndexError> {
        // stored order: the table's row order, not seq, so a reordering shows
        let mut st = self
            .conn
            .prepare(
                "SELECT seq, time, actor, action, subject, details, prev_hash, hash
                 FROM audit_log ORDER BY rowid",
            )
            .map_err(|e| self.sql(e))?;
        let rows = st.query_map([], entry_of).map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
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
            let marks = vec!["?"; chunk.len()].join(", ");
            let mut st = self
                .conn
                .prepare(&format!(
                    "SELECT seq, time, actor, action, subject, details, prev_hash, hash
                     FROM audit_log WHERE subject IN ({marks}){skip} ORDER BY seq LIMIT {}",
                    limit.max(1)
                ))
                .map_err(|e| self.sql(e))?;
            let rows = st
                .query_map(rusqlite::params_from_iter(chunk.iter()), entry_of)
                .map_err(|e| self.sql(e))?;
            for r in rows {
                out.push(r.map_err(|e| self.sql(e))?);
            }
        }
        out.sort_by_key(|e| e.seq);
        out.truncate(limit.max(1));
        Ok(out)
    }
}

impl Counts for SqliteIndex {
    fn report_counts(
        &mut self,
        utc_offset_minutes: i32,
    ) -> Result<crate::index::report::ReportCounts, IndexError> {
        // `?1` moves the stored UTC times ("…Z") to the desk's clock before taking the month;
        // a time SQLite cannot read keeps its first seven characters (as before)
        let modifier = format!("{utc_offset_minutes:+} minutes");
        let counts = |sql: &str| -> Result<Vec<crate::index::report::Count>, IndexError> {
            let mut st = self.conn.prepare(sql).map_err(|e| self.sql(e))?;
            let rows = st
                .query_map([&modifier], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)?.max(0) as u64))
                })
                .map_err(|e| self.sql(e))?;
            rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
        };
        let month =
            |col: &str| format!("COALESCE(strftime('%Y-%m', {col}, ?1), substr({col}, 1, 7))");
        let (received, created, at) = (month("received_at"), month("c.created_at"), month("at"));
        Ok(crate::index::report::ReportCounts {
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
