//! Stage `store`, the index's journal of the inbox service's batches, on every database.

use super::*;
use crate::index::{JobRow, JobState, Journal, Lease};

fn lease_of(r: &Row) -> Result<Lease, DbError> {
    Ok(Lease {
        job_key: r.text(0)?,
        node: r.text(1)?,
        expires_at: r.int(2)?,
        claimed_at: r.text(3)?,
    })
}

impl<B: Backend> Journal for SqlIndex<B> {
    fn claim(
        &mut self,
        job_key: &str,
        node: &str,
        now: i64,
        expires_at: i64,
        at: &str,
    ) -> Result<bool, IndexError> {
        // a conditional upsert under the write lock: taken when free, run out, or ours
        self.write_sql(|tx| {
            tx.exec(
                "INSERT INTO inbox_leases (job_key, node, expires_at, claimed_at)
                 VALUES (?1, ?2, ?4, ?5)
                 ON CONFLICT (job_key) DO UPDATE SET node = excluded.node,
                    expires_at = excluded.expires_at, claimed_at = excluded.claimed_at
                 WHERE inbox_leases.expires_at <= ?3 OR inbox_leases.node = excluded.node",
                args![job_key, node, now, expires_at, at],
            )?;
            let holder = tx.row(
                "SELECT node FROM inbox_leases WHERE job_key = ?1",
                args![job_key],
            )?;
            Ok(match holder {
                Some(r) => r.text(0)? == node,
                None => false,
            })
        })
    }

    fn renew_leases(
        &mut self,
        node: &str,
        job_keys: &[String],
        now: i64,
        expires_at: i64,
    ) -> Result<Vec<String>, IndexError> {
        self.write_sql(|tx| {
            tx.exec(
                "DELETE FROM inbox_leases WHERE expires_at <= ?1",
                args![now],
            )?;
            let mut lost = Vec::new();
            for k in job_keys {
                let n = tx.exec(
                    "UPDATE inbox_leases SET expires_at = ?3 WHERE job_key = ?1 AND node = ?2",
                    args![k, node, expires_at],
                )?;
                if n == 0 {
                    lost.push(k.clone());
                }
            }
            Ok(lost)
        })
    }

    fn release(&mut self, job_key: &str, node: &str) -> Result<(), IndexError> {
        self.db
            .conn()
            .exec(
                "DELETE FROM inbox_leases WHERE job_key = ?1 AND node = ?2",
                args![job_key, node],
            )
            .map(|_| ())
            .map_err(self.err())
    }

    fn leases(&mut self) -> Result<Vec<Lease>, IndexError> {
        let rows = self
            .db
            .conn()
            .rows(
                "SELECT job_key, node, expires_at, claimed_at FROM inbox_leases ORDER BY job_key",
                &[],
            )
            .map_err(self.err())?;
        rows.iter()
            .map(lease_of)
            .collect::<Result<_, _>>()
            .map_err(self.err())
    }

    fn job_begin(&mut self, job: &JobRow) -> Result<u32, IndexError> {
        self.write_sql(|tx| {
            tx.exec(
                "INSERT INTO inbox_jobs (job_key, unit_code, dossier_code, label, files_json,
                    state, attempts, starts, message, papers, first_seen, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'processing', 1, 1, NULL, 0, ?6, ?6)
                 ON CONFLICT (job_key) DO UPDATE SET state = 'processing',
                    attempts = inbox_jobs.attempts + 1, starts = inbox_jobs.starts + 1,
                    label = excluded.label,
                    updated_at = excluded.updated_at",
                args![
                    &job.job_key,
                    &job.unit_code,
                    &job.dossier_code,
                    &job.label,
                    &job.files_json,
                    &job.updated_at
                ],
            )?;
            let row = tx.row(
                "SELECT attempts FROM inbox_jobs WHERE job_key = ?1",
                args![&job.job_key],
            )?;
            match row {
                Some(r) => count(&r, 0),
                None => Err(DbError::Data(format!(
                    "batch {} not journalled",
                    job.job_key
                ))),
            }
        })
    }

    fn job_finish(
        &mut self,
        job_key: &str,
        state: JobState,
        message: Option<&str>,
        papers: u32,
        at: &str,
    ) -> Result<(), IndexError> {
        self.db
            .conn()
            .exec(
                // a batch that finished (stored or failed) starts counting again if re-queued;
                // one tried again after a problem on our side keeps its count
                "UPDATE inbox_jobs SET state = ?2, message = ?3, papers = ?4, updated_at = ?5,
                    attempts = CASE WHEN ?2 IN ('stored', 'failed') THEN 0 ELSE attempts END
                 WHERE job_key = ?1",
                args![job_key, state.code(), message, papers, at],
            )
            .map(|_| ())
            .map_err(self.err())
    }

    fn jobs_interrupted(&mut self, at: &str, now: i64) -> Result<usize, IndexError> {
        self.db
            .conn()
            .exec(
                "UPDATE inbox_jobs SET state = 'interrupted', updated_at = ?1
                 WHERE state = 'processing' AND NOT EXISTS (SELECT 1 FROM inbox_leases l
                    WHERE l.job_key = inbox_jobs.job_key AND l.expires_at > ?2)",
                args![at, now],
            )
            .map(|n| n as usize)
            .map_err(self.err())
    }

    fn jobs(&mut self, state: Option<JobState>, limit: usize) -> Result<Vec<JobRow>, IndexError> {
        let limit = if limit == 0 { 100 } else { limit.min(10_000) } as i64;
        let rows = self
            .db
            .conn()
            .rows(
                "SELECT job_key, unit_code, dossier_code, label, files_json, state, starts,
                    message, papers, first_seen, updated_at FROM inbox_jobs
                 WHERE CAST(?1 AS TEXT) IS NULL OR state = ?1
                 ORDER BY updated_at DESC, job_key LIMIT ?2",
                args![state.map(JobState::code), limit],
            )
            .map_err(self.err())?;
        rows.iter()
            .map(|r| {
                let state: String = r.text(5)?;
                Ok(JobRow {
                    job_key: r.text(0)?,
                    unit_code: r.text(1)?,
                    dossier_code: r.opt_text(2)?,
                    label: r.text(3)?,
                    files_json: r.text(4)?,
                    state: JobState::from_code(&state).unwrap_or(JobState::Interrupted),
                    attempts: count(r, 6)?,
                    message: r.opt_text(7)?,
                    papers: count(r, 8)?,
                    first_seen: r.text(9)?,
                    updated_at: r.text(10)?,
                })
            })
            .collect::<Result<_, _>>()
            .map_err(self.err())
    }
}
