//! Stage `store`, the index's certification register on every database. A number is taken in
//! a write transaction (one writer at a time, across processes and nodes), so concurrent
//! requests get consecutive numbers; the copy is indexed with its register entry marked done
//! in one more transaction. A run that dies between the two leaves the number reserved, never
//! lost: the next run completes it.

use super::decisions::component_exists;
use super::papers::add_in;
use super::*;
use crate::index::{Certification, CertificationState, NewComponent, Register};

const CERT_COLUMNS: &str = "id, unit_code, year, seq, book, source_id, copy_id, officer, state,
    reserved_at, done_at";

fn cert_of(r: &Row) -> Result<Certification, DbError> {
    let state: String = r.text(8)?;
    Ok(Certification {
        id: r.int(0)?,
        unit_code: r.text(1)?,
        year: i32::try_from(r.int(2)?)
            .map_err(|_| DbError::Data("a register year out of range".into()))?,
        number: r.int(3)?,
        book: r.text(4)?,
        source_id: r.int(5)?,
        copy_id: r.opt_int(6)?,
        officer: r.text(7)?,
        state: if state == "done" {
            CertificationState::Done
        } else {
            CertificationState::Reserved
        },
        reserved_at: r.text(9)?,
        done_at: r.opt_text(10)?,
    })
}

impl<B: Backend> Register for SqlIndex<B> {
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
        let err = self.err();
        let name = self.name.clone();
        self.write(|tx| {
            if !component_exists(tx, source_id).map_err(&err)? {
                return Err(IndexError::NoComponent {
                    db: name,
                    id: source_id,
                });
            }
            let seq = tx
                .row(
                    "SELECT COALESCE(MAX(seq), 0) + 1 FROM certifications
                     WHERE unit_code = ?1 AND year = ?2",
                    args![unit, year],
                )
                .and_then(|r| r.map_or(Ok(1), |r| r.int(0)))
                .map_err(&err)?;
            let id = tx
                .insert_id(
                    "INSERT INTO certifications (unit_code, year, seq, book, source_id, officer,
                        state, reserved_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'reserved', ?7)",
                    args![unit, year, seq, book, source_id, officer, at],
                )
                .map_err(&err)?;
            let mut a = audit.clone();
            if let Some(d) = a.details.as_object_mut() {
                d.insert("number".into(), seq.into());
                d.insert("book".into(), book.into());
                d.insert("register_id".into(), id.into());
            }
            append_in(tx, &a).map_err(&err)?;
            let row = tx
                .row(
                    &format!("SELECT {CERT_COLUMNS} FROM certifications WHERE id = ?1"),
                    args![id],
                )
                .map_err(&err)?
                .ok_or_else(|| err(DbError::Data(format!("register entry {id} not written"))))?;
            cert_of(&row).map_err(&err)
        })
    }

    fn complete_certification(
        &mut self,
        id: i64,
        copy: &NewComponent,
        audit: &AuditRequest,
    ) -> Result<Option<i64>, IndexError> {
        self.write_sql(|tx| {
            let pending = tx
                .row("SELECT state FROM certifications WHERE id = ?1", args![id])?
                .map(|r| r.text(0))
                .transpose()?;
            if pending.as_deref() != Some("reserved") {
                return Ok(None);
            }
            let (copy_id, _) = add_in::<B>(tx, copy, audit)?;
            tx.exec(
                "UPDATE certifications SET state = 'done', copy_id = ?1, done_at = ?2
                 WHERE id = ?3 AND state = 'reserved'",
                args![copy_id, &copy.created_at, id],
            )?;
            Ok(Some(copy_id))
        })
    }

    fn pending_certifications(&mut self, before: &str) -> Result<Vec<Certification>, IndexError> {
        self.certs(
            &format!(
                "SELECT {CERT_COLUMNS} FROM certifications
                 WHERE state = 'reserved' AND reserved_at <= ?1 ORDER BY id"
            ),
            args![before],
        )
    }

    fn certifications(
        &mut self,
        unit: Option<&str>,
        year: Option<i32>,
    ) -> Result<Vec<Certification>, IndexError> {
        self.certs(
            &format!(
                "SELECT {CERT_COLUMNS} FROM certifications
                 WHERE (CAST(?1 AS TEXT) IS NULL OR unit_code = ?1)
                   AND (CAST(?2 AS INTEGER) IS NULL OR year = ?2)
                 ORDER BY unit_code, year, seq LIMIT 100000"
            ),
            args![unit, year],
        )
    }
}

impl<B: Backend> SqlIndex<B> {
    fn certs(&mut self, sql: &str, args: &[Value]) -> Result<Vec<Certification>, IndexError> {
        let rows = self.db.conn().rows(sql, args).map_err(self.err())?;
        rows.iter()
            .map(cert_of)
            .collect::<Result<_, _>>()
            .map_err(self.err())
    }
}
