//! Stage `store`, the index on SQLite (embedded default): WAL journal, `synchronous = FULL`,
//! foreign keys on; full text in an FTS5 table over the diacritic-free OCR text, so "quyen su
//! dung dat" finds "quyền sử dụng đất" (and "đất" is found from "dat": đ folds to d).

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::schema::{latest, MIGRATIONS};
use super::{
    AuditRequest, ComponentRow, Index, IndexError, NewComponent, Query, ReviewState, SignatureInfo,
};
use crate::audit::{next_entry, Action, AuditEntry};
use crate::classify::text;

/// The SQLite index.
pub struct SqliteIndex {
    pub(super) conn: Connection,
    db: String,
}

impl SqliteIndex {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, IndexError> {
        let db = path.display().to_string();
        let conn = Connection::open(path).map_err(|source| IndexError::Sql {
            db: db.clone(),
            source,
        })?;
        Self::init(conn, db)
    }

    /// A private in-memory index (tests, one-shot runs).
    pub fn open_in_memory() -> Result<Self, IndexError> {
        let db = ":memory:".to_string();
        let conn = Connection::open_in_memory().map_err(|source| IndexError::Sql {
            db: db.clone(),
            source,
        })?;
        Self::init(conn, db)
    }

    fn init(conn: Connection, db: String) -> Result<Self, IndexError> {
        let mut me = Self { conn, db };
        me.conn
            .pragma_update(None, "foreign_keys", "ON")
            .map_err(|e| me.sql(e))?;
        me.conn
            .busy_timeout(std::time::Duration::from_secs(10))
            .map_err(|e| me.sql(e))?;
        // WAL: readers do not block the writer; FULL: a committed transaction survives a power cut.
        let _mode: String = me
            .conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(|e| me.sql(e))?;
        me.conn
            .pragma_update(None, "synchronous", "FULL")
            .map_err(|e| me.sql(e))?;
        me.migrate()?;
        Ok(me)
    }

    fn sql(&self, source: rusqlite::Error) -> IndexError {
        IndexError::Sql {
            db: self.db.clone(),
            source,
        }
    }

    /// The schema version in the database.
    pub fn schema_version(&self) -> Result<i64, IndexError> {
        self.conn
            .query_row(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.sql(e))
    }

    fn migrate(&mut self) -> Result<i64, IndexError> {
        self.conn
            .execute_batch(
                "CREATE TABLE IF NOT EXISTS schema_migrations (
                    version INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    applied_at TEXT NOT NULL)",
            )
            .map_err(|e| self.sql(e))?;
        let current = self.schema_version()?;
        if current > latest() {
            return Err(IndexError::TooNew {
                db: self.db.clone(),
                found: current,
                known: latest(),
            });
        }
        for m in MIGRATIONS.iter().filter(|m| m.version > current) {
            let db = self.db.clone();
            let sql = |source| IndexError::Sql {
                db: db.clone(),
                source,
            };
            let tx = self.conn.transaction().map_err(sql)?;
            tx.execute_batch(m.common).map_err(sql)?;
            tx.execute_batch(m.sqlite).map_err(sql)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at)
                 VALUES (?1, ?2, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
                params![m.version, m.name],
            )
            .map_err(sql)?;
            tx.commit().map_err(sql)?;
        }
        self.schema_version()
    }
}

/// Appends the next audit entry inside `tx`.
fn append_in(tx: &Transaction<'_>, a: &AuditRequest) -> rusqlite::Result<AuditEntry> {
    let last = tx
        .query_row(
            "SELECT seq, time, actor, action, subject, details, prev_hash, hash
             FROM audit_log ORDER BY seq DESC LIMIT 1",
            [],
            entry_of,
        )
        .optional()?;
    let e = next_entry(
        last.as_ref(),
        a.time.clone(),
        &a.actor,
        a.action,
        &a.subject,
        &a.details,
    );
    tx.execute(
        "INSERT INTO audit_log (seq, time, actor, action, subject, details, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            e.seq as i64,
            e.time,
            e.actor,
            e.action.code(),
            e.subject,
            e.details,
            e.prev_hash,
            e.hash
        ],
    )?;
    Ok(e)
}

fn entry_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditEntry> {
    let action: String = r.get(3)?;
    let action = serde_json::from_value::<Action>(serde_json::Value::String(action.clone()))
        .map_err(|_| {
            rusqlite::Error::FromSqlConversionFailure(
                3,
                rusqlite::types::Type::Text,
                format!("unknown audit action {action:?}").into(),
            )
        })?;
    Ok(AuditEntry {
        seq: r.get::<_, i64>(0)?.max(0) as u64,
        time: r.get(1)?,
        actor: r.get(2)?,
        action,
        subject: r.get(4)?,
        details: r.get(5)?,
        prev_hash: r.get(6)?,
        hash: r.get(7)?,
    })
}

const COMPONENT_COLUMNS: &str = "c.id, c.unit_code, c.dossier_code, c.type_code, c.confidence,
    c.review_state, c.pages, c.source_sha256, c.signed_sha256, c.issue_date, c.valid_until,
    c.rescan_of, c.created_at, s.signer_subject, s.cert_serial, s.cert_issuer, s.signed_at,
    s.level, (SELECT COUNT(*) FROM reuse_events r WHERE r.component_id = c.id)";

fn component_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<ComponentRow> {
    let state: String = r.get(5)?;
    let signer: Option<String> = r.get(13)?;
    let signature = match signer {
        Some(signer_subject) => Some(SignatureInfo {
            signer_subject,
            cert_serial: r.get(14)?,
            cert_issuer: r.get(15)?,
            signed_at: r.get(16)?,
            level: r.get(17)?,
        }),
        None => None,
    };
    Ok(ComponentRow {
        id: r.get(0)?,
        unit_code: r.get(1)?,
        dossier_code: r.get(2)?,
        type_code: r.get(3)?,
        confidence: r.get::<_, f64>(4)? as f32,
        review_state: ReviewState::from_code(&state).unwrap_or(ReviewState::NeedsReview),
        pages: r.get::<_, i64>(6)?.clamp(0, u32::MAX as i64) as u32,
        source_sha256: r.get(7)?,
        signed_sha256: r.get(8)?,
        owner_ids: Vec::new(),
        issue_date: r.get(9)?,
        valid_until: r.get(10)?,
        rescan_of: r.get(11)?,
        created_at: r.get(12)?,
        signature,
        reuses: r.get::<_, i64>(18)?.clamp(0, u32::MAX as i64) as u32,
        rank: None,
    })
}

/// An FTS5 query from free text: each diacritic-free word quoted (no operators from the
/// user), all required.
fn fts_query(text: &str) -> Option<String> {
    let folded = text::fold(text);
    let words: Vec<String> = text::tokens(&folded)
        .take(32)
        .map(|w| format!("\"{w}\""))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

impl SqliteIndex {
    fn owners(&self, id: i64) -> Result<Vec<String>, IndexError> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT person_id FROM component_owners WHERE component_id = ?1 ORDER BY person_id",
            )
            .map_err(|e| self.sql(e))?;
        let rows = st
            .query_map([id], |r| r.get::<_, String>(0))
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }
}

impl Index for SqliteIndex {
    fn add_component(
        &mut self,
        c: &NewComponent,
        audit: &AuditRequest,
    ) -> Result<(i64, AuditEntry), IndexError> {
        let db = self.db.clone();
        let sql = |source| IndexError::Sql {
            db: db.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(sql)?;
        tx.execute(
            "INSERT INTO units (code) VALUES (?1) ON CONFLICT (code) DO NOTHING",
            [&c.unit_code],
        )
        .map_err(sql)?;
        if let Some(d) = &c.dossier_code {
            tx.execute(
                "INSERT INTO dossiers (code, unit_code, received_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (code) DO NOTHING",
                params![d, c.unit_code, c.created_at],
            )
            .map_err(sql)?;
        }
        tx.execute(
            "INSERT INTO components (unit_code, dossier_code, type_code, confidence, review_state,
                pages, source_sha256, signed_sha256, fields_json, issue_date, valid_until,
                ocr_text, likeness_json, rescan_of, created_at, source_page)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            params![
                c.unit_code,
                c.dossier_code,
                c.type_code,
                c.confidence as f64,
                c.review_state.code(),
                c.pages as i64,
                c.source_sha256,
                c.signed_sha256,
                c.fields_json,
                c.issue_date,
                c.valid_until,
                c.ocr_text,
                c.likeness_json,
                c.rescan_of,
                c.created_at,
                c.source_page as i64
            ],
        )
        .map_err(sql)?;
        let id = tx.last_insert_rowid();
        for p in &c.owner_ids {
            tx.execute(
                "INSERT INTO component_owners (component_id, person_id) VALUES (?1, ?2)
                 ON CONFLICT DO NOTHING",
                params![id, p],
            )
            .map_err(sql)?;
        }
        for t in &c.tax_codes {
            tx.execute(
                "INSERT INTO component_tax_codes (component_id, tax_code) VALUES (?1, ?2)
                 ON CONFLICT DO NOTHING",
                params![id, t],
            )
            .map_err(sql)?;
        }
        if let Some(s) = &c.signature {
            tx.execute(
                "INSERT INTO signatures (component_id, signer_subject, cert_serial, cert_issuer,
                    signed_at, level) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    id,
                    s.signer_subject,
                    s.cert_serial,
                    s.cert_issuer,
                    s.signed_at,
                    s.level
                ],
            )
            .map_err(sql)?;
        }
        tx.execute(
            "INSERT INTO component_text (rowid, folded) VALUES (?1, ?2)",
            params![id, text::fold(&c.ocr_text)],
        )
        .map_err(sql)?;
        let mut a = audit.clone();
        if a.subject.is_empty() {
            a.subject = format!("component {id}");
        }
        let entry = append_in(&tx, &a).map_err(sql)?;
        tx.commit().map_err(sql)?;
        Ok((id, entry))
    }

    fn find(&mut self, q: &Query) -> Result<Vec<ComponentRow>, IndexError> {
        let mut sql = format!("SELECT {COMPONENT_COLUMNS}");
        let mut args: Vec<Box<dyn rusqlite::ToSql>> = Vec::new();
        let text = q.text.as_deref().and_then(fts_query);
        if q.text.is_some() && text.is_none() {
            return Ok(Vec::new());
        }
        if text.is_some() {
            sql.push_str(", bm25(component_text) AS score");
        } else {
            sql.push_str(", 0.0 AS score");
        }
        sql.push_str(" FROM components c LEFT JOIN signatures s ON s.component_id = c.id");
        if let Some(t) = text {
            sql.push_str(
                " JOIN component_text ON component_text.rowid = c.id
                  WHERE component_text MATCH ?",
            );
            args.push(Box::new(t));
        } else {
            sql.push_str(" WHERE 1 = 1");
        }
        if let Some(p) = &q.person_id {
            sql.push_str(
                " AND c.id IN (SELECT component_id FROM component_owners WHERE person_id = ?)",
            );
            args.push(Box::new(p.clone()));
        }
        if let Some(t) = &q.tax_code {
            sql.push_str(
                " AND c.id IN (SELECT component_id FROM component_tax_codes WHERE tax_code = ?)",
            );
            args.push(Box::new(t.clone()));
        }
        if let Some(d) = &q.dossier_code {
            sql.push_str(
                " AND (c.dossier_code = ? OR c.id IN
                   (SELECT component_id FROM reuse_events WHERE dossier_code = ?))",
            );
            args.push(Box::new(d.clone()));
            args.push(Box::new(d.clone()));
        }
        if let Some(t) = &q.type_code {
            sql.push_str(" AND c.type_code = ?");
            args.push(Box::new(t.clone()));
        }
        if let Some(v) = &q.valid_on {
            sql.push_str(" AND (c.valid_until IS NULL OR c.valid_until >= ?)");
            args.push(Box::new(v.clone()));
        }
        if let Some(u) = &q.unit_code {
            sql.push_str(" AND c.unit_code = ?");
            args.push(Box::new(u.clone()));
        }
        let limit = if q.limit == 0 {
            100
        } else {
            q.limit.min(10_000)
        };
        sql.push_str(&format!(" ORDER BY score, c.id DESC LIMIT {limit}"));
        let mut rows = {
            let mut st = self.conn.prepare(&sql).map_err(|e| self.sql(e))?;
            let params: Vec<&dyn rusqlite::ToSql> = args.iter().map(|b| b.as_ref()).collect();
            let mapped = st
                .query_map(params.as_slice(), |r| {
                    let mut c = component_of(r)?;
                    let score: f64 = r.get(19)?;
                    c.rank = (score != 0.0).then_some(-score);
                    Ok(c)
                })
                .map_err(|e| self.sql(e))?;
            mapped
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| self.sql(e))?
        };
        for c in &mut rows {
            c.owner_ids = self.owners(c.id)?;
        }
        Ok(rows)
    }

    fn component(&mut self, id: i64) -> Result<Option<ComponentRow>, IndexError> {
        let sql = format!(
            "SELECT {COMPONENT_COLUMNS} FROM components c
             LEFT JOIN signatures s ON s.component_id = c.id WHERE c.id = ?1"
        );
        let row = self
            .conn
            .query_row(&sql, [id], component_of)
            .optional()
            .map_err(|e| self.sql(e))?;
        match row {
            Some(mut c) => {
                c.owner_ids = self.owners(c.id)?;
                Ok(Some(c))
            }
            None => Ok(None),
        }
    }

    fn likeness_candidates(&mut self, type_code: &str) -> Result<Vec<(i64, String)>, IndexError> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT id, likeness_json FROM components
                 WHERE type_code = ?1 AND likeness_json IS NOT NULL ORDER BY id",
            )
            .map_err(|e| self.sql(e))?;
        let rows = st
            .query_map([type_code], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }

    fn component_by_source(&mut self, sha256: &str, page: u32) -> Result<Option<i64>, IndexError> {
        self.conn
            .query_row(
                "SELECT id FROM components WHERE source_sha256 = ?1 AND source_page = ?2",
                params![sha256, page as i64],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sql(e))
    }

    fn record_reuse(
        &mut self,
        component: i64,
        dossier_code: &str,
        override_reason: Option<&str>,
        audit: &AuditRequest,
    ) -> Result<AuditEntry, IndexError> {
        let db = self.db.clone();
        let sql = |source| IndexError::Sql {
            db: db.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(sql)?;
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

    fn append_audit(&mut self, a: &AuditRequest) -> Result<AuditEntry, IndexError> {
        let db = self.db.clone();
        let sql = |source| IndexError::Sql {
            db: db.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(sql)?;
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

    fn referenced_blobs(&mut self) -> Result<Vec<String>, IndexError> {
        let mut st = self
            .conn
            .prepare(
                "SELECT source_sha256 FROM components
                 UNION SELECT signed_sha256 FROM components WHERE signed_sha256 IS NOT NULL",
            )
            .map_err(|e| self.sql(e))?;
        let rows = st
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }
}
