//! Stage `store`, SQLite index: the certification register. A number is taken in an immediate
//! transaction (one writer at a time, across processes), so concurrent requests get
//! consecutive numbers; the copy is indexed with its register entry marked done in one more
//! transaction. A run that dies between the two leaves the number reserved, never lost: the
//! next run completes it.

use rusqlite::{params, OptionalExtension};

use super::papers::add_in;
use super::*;
use crate::index::{Certification, CertificationState, Register};

const CERT_COLUMNS: &str = "id, unit_code, year, seq, book, source_id, copy_id, officer, state,
    reserved_at, done_at";

fn cert_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<Certification> {
    let state: String = r.get(8)?;
    Ok(Certification {
        id: r.get(0)?,
        unit_code: r.get(1)?,
        year: r.get(2)?,
        number: r.get(3)?,
        book: r.get(4)?,
        source_id: r.get(5)?,
        copy_id: r.get(6)?,
        officer: r.get(7)?,
        state: if state == "done" {
            CertificationState::Done
        } else {
            CertificationState::Reserved
        },
        reserved_at: r.get(9)?,
        done_at: r.get(10)?,
    })
}

impl Register for SqliteIndex {
    fn reserve_certification(
        &mut self,
        unit: &str,
        year: i32,
        book: &str,
        source_id: i64,
        officer: &str,
        at: &str,
        audit: &AuditRequest,
    ) -> Result<Certification, IndexError> {
        let sql = sql_err(&self.db);
        let tx = write_tx(&mut self.conn).map_err(sql)?;
        let exists: Option<i64> = tx
            .query_row(
                "SELECT id FROM components WHERE id = ?1",
                [source_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(sql)?;
        if exists.is_none() {
            return Err(IndexError::NoComponent {
                db: self.db.clone(),
                id: source_id,
            });
        }
        let seq: i64 = tx
            .query_row(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM certifications WHERE unit_code = ?1 AND year = ?2",
                params![unit, year],
                |r| r.get(0),
            )
            .map_err(sql)?;
        tx.execute(
            "INSERT INTO certifications (unit_code, year, seq, book, source_id, officer, state,
                reserved_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'reserved', ?7)",
            params![unit, year, seq, book, source_id, officer, at],
        )
        .map_err(sql)?;
        let id = tx.last_insert_rowid();
        let mut a = audit.clone();
        if let Some(d) = a.details.as_object_mut() {
            d.insert("number".into(), seq.into());
            d.insert("book".into(), book.into());
            d.insert("register_id".into(), id.into());
        }
        append_in(&tx, &a).map_err(sql)?;
        let c = tx
            .query_row(
                &format!("SELECT {CERT_COLUMNS} FROM certifications WHERE id = ?1"),
                [id],
                cert_of,
            )
            .map_err(sql)?;
        tx.commit().map_err(sql)?;
        Ok(c)
    }

    fn complete_certification(
        &mut self,
        id: i64,
        copy: &NewComponent,
        audit: &AuditRequest,
    ) -> Result<Option<i64>, IndexError> {
        let sql = sql_err(&self.db);
        let tx = write_tx(&mut self.conn).map_err(sql)?;
        let pending: Option<String> = tx
            .query_row(
                "SELECT state FROM certifications WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()
            .map_err(sql)?;
        if pending.as_deref() != Some("reserved") {
            return Ok(None);
        }
        let (copy_id, _) = add_in(&tx, copy, audit).map_err(sql)?;
        tx.execute(
            "UPDATE certifications SET state = 'done', copy_id = ?1, done_at = ?2
             WHERE id = ?3 AND state = 'reserved'",
            params![copy_id, copy.created_at, id],
        )
        .map_err(sql)?;
        tx.commit().map_err(sql)?;
        Ok(Some(copy_id))
    }

    fn pending_certifications(&mut self, before: &str) -> Result<Vec<Certification>, IndexError> {
        let sql = sql_err(&self.db);
        let mut st = self
            .conn
            .prepare_cached(&format!(
                "SELECT {CERT_COLUMNS} FROM certifications
                 WHERE state = 'reserved' AND reserved_at <= ?1 ORDER BY id"
            ))
            .map_err(sql)?;
        let rows = st.query_map([before], cert_of).map_err(sql)?;
        rows.collect::<Result<_, _>>().map_err(sql)
    }

    fn certifications(
        &mut self,
        unit: Option<&str>,
        year: Option<i32>,
    ) -> Result<Vec<Certification>, IndexError> {
        let sql = sql_err(&self.db);
        let mut st = self
            .conn
            .prepare_cached(&format!(
                "SELECT {CERT_COLUMNS} FROM certifications
                 WHERE (?1 IS NULL OR unit_code = ?1) AND (?2 IS NULL OR year = ?2)
                 ORDER BY unit_code, year, seq LIMIT 100000"
            ))
            .map_err(sql)?;
        let rows = st.query_map(params![unit, year], cert_of).map_err(sql)?;
        rows.collect::<Result<_, _>>().map_err(sql)
    }
}
