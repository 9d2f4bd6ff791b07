//! Stage `store`, SQLite index: the inbox service's journal of batches.

use rusqlite::params;

use super::*;

impl Journal for SqliteIndex {
    fn job_begin(&mut self, job: &JobRow) -> Result<u32, IndexError> {
        let sql = sql_err(&self.db);
        let tx = write_tx(&mut self.conn).map_err(sql)?;
        tx.execute(
            "INSERT INTO inbox_jobs (job_key, unit_code, dossier_code, label, files_json, state,
                attempts, starts, message, papers, first_seen, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 'processing', 1, 1, NULL, 0, ?6, ?6)
             ON CONFLICT (job_key) DO UPDATE SET state = 'processing',
                attempts = inbox_jobs.attempts + 1, starts = inbox_jobs.starts + 1,
                label = excluded.label,
                updated_at = excluded.updated_at",
            params![
                job.job_key,
                job.unit_code,
                job.dossier_code,
                job.label,
                job.files_json,
                job.updated_at
            ],
        )
        .map_err(sql)?;
        let attempts: i64 = tx
            .query_row(
                "SELECT attempts FROM inbox_jobs WHERE job_key = ?1",
                [&job.job_key],
                |r| r.get(0),
            )
            .map_err(sql)?;
        tx.commit().map_err(sql)?;
        Ok(attempts.clamp(0, u32::MAX as i64) as u32)
    }

    fn job_finish(
        &mut self,
        job_key: &str,
        state: JobState,
        message: Option<&str>,
        papers: u32,
        at: &str,
    ) -> Result<(), IndexError> {
        self.conn
            .execute(
                // a batch that finished (stored or failed) starts counting again if re-queued;
                // one tried again after a problem on our side keeps its count
                "UPDATE inbox_jobs SET state = ?2, message = ?3, papers = ?4, updated_at = ?5,
                    attempts = CASE WHEN ?2 IN ('stored', 'failed') THEN 0 ELSE attempts END
                 WHERE job_key = ?1",
                params![job_key, state.code(), message, papers as i64, at],
            )
            .map(|_| ())
            .map_err(|e| self.sql(e))
    }

    fn jobs_interrupted(&mut self, at: &str) -> Result<usize, IndexError> {
        self.conn
            .execute(
                "UPDATE inbox_jobs SET state = 'interrupted', updated_at = ?1
                 WHERE state = 'processing'",
                [at],
            )
            .map_err(|e| self.sql(e))
    }

    fn jobs(&mut self, state: Option<JobState>, limit: usize) -> Result<Vec<JobRow>, IndexError> {
        let limit = if limit == 0 { 100 } else { limit.min(10_000) } as i64;
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT job_key, unit_code, dossier_code, label, files_json, state, starts,
                    message, papers, first_seen, updated_at FROM inbox_jobs
                 WHERE ?1 IS NULL OR state = ?1 ORDER BY updated_at DESC, job_key LIMIT ?2",
            )
            .map_err(|e| self.sql(e))?;
        let rows = st
            .query_map(params![state.map(JobState::code), limit], |r| {
                let state: String = r.get(5)?;
                Ok(JobRow {
                    job_key: r.get(0)?,
                    unit_code: r.get(1)?,
                    dossier_code: r.get(2)?,
                    label: r.get(3)?,
                    files_json: r.get(4)?,
                    state: JobState::from_code(&state).unwrap_or(JobState::Interrupted),
                    attempts: r.get::<_, i64>(6)?.clamp(0, u32::MAX as i64) as u32,
                    message: r.get(7)?,
                    papers: r.get::<_, i64>(8)?.clamp(0, u32::MAX as i64) as u32,
                    first_seen: r.get(9)?,
                    updated_at: r.get(10)?,
                })
            })
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }
}
