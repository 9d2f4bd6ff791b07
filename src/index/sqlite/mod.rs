//! Stage `store`, the index on SQLite (embedded default): WAL journal, `synchronous = FULL`,
//! foreign keys on; full text in an FTS5 table over the diacritic-free OCR text, so "quyen su
//! dung dat" finds "quyền sử dụng đất" (and "đất" is found from "dat": đ folds to d).

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension, Transaction};

mod audit;
mod certify;
mod decisions;
mod journal;
mod likeness;
mod outbox;
mod papers;

use super::schema::{latest, MIGRATIONS};
use super::{
    AuditRequest, AuditTrail, ComponentRow, Counts, Decisions, DossierRow, IndexError, JobRow,
    JobState, Journal, NewComponent, Papers, Query, Review, ReviewState, SignatureInfo,
};
use crate::audit::{next_entry, Action, AuditEntry};
use crate::text;

use likeness::backfill_likeness_keys;
#[cfg(test)]
pub(super) use papers::BROAD_TEXT;

/// A write transaction that takes the write lock at `BEGIN` (IMMEDIATE). Every change reads
/// first (the audit chain's head, a register's last number); in WAL mode a deferred
/// transaction that read before another connection committed fails at its first write with
/// SQLITE_BUSY at once, without the busy timeout. Begun IMMEDIATE it waits its turn.
pub(super) fn write_tx(conn: &mut Connection) -> rusqlite::Result<Transaction<'_>> {
    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
}

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
        // reads through a memory map and a 64 MiB page cache: the text index of a million
        // papers is gigabytes, and its posting lists are read page by page
        me.conn
            .pragma_update(None, "cache_size", -65_536)
            .map_err(|e| me.sql(e))?;
        // (an in-memory database answers with no row)
        let _mmap: Option<i64> = me
            .conn
            .query_row("PRAGMA mmap_size = 1073741824", [], |r| r.get(0))
            .optional()
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
            let sql = sql_err(&self.db);
            let tx = self.conn.transaction().map_err(sql)?;
            tx.execute_batch(m.common).map_err(sql)?;
            tx.execute_batch(m.sqlite).map_err(sql)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at)
                 VALUES (?1, ?2, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
                params![m.version, m.name],
            )
            .map_err(sql)?;
            if m.version == 2 {
                backfill_likeness_keys(&tx).map_err(sql)?;
            }
            tx.commit().map_err(sql)?;
        }
        self.schema_version()
    }
}

/// Appends the next audit entry inside `tx`.
pub(super) fn append_in(tx: &Transaction<'_>, a: &AuditRequest) -> rusqlite::Result<AuditEntry> {
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

pub(super) fn entry_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditEntry> {
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

/// How many columns [`COMPONENT_COLUMNS`] has (a query's own columns come after).
pub(super) const COMPONENT_COLUMN_COUNT: usize = 25;

pub(super) const COMPONENT_COLUMNS: &str =
    "c.id, c.unit_code, c.dossier_code, c.type_code, c.confidence,
    c.review_state, c.pages, c.source_sha256, c.signed_sha256, c.issue_date, c.valid_until,
    c.rescan_of, c.created_at, s.signer_subject, s.cert_serial, s.cert_issuer, s.signed_at,
    s.level, (SELECT COUNT(*) FROM reuse_events r WHERE r.component_id = c.id), c.source_page,
    (SELECT seq FROM certifications k WHERE k.copy_id = c.id),
    (SELECT book FROM certifications k WHERE k.copy_id = c.id),
    (SELECT source_id FROM certifications k WHERE k.copy_id = c.id), c.fields_json,
    c.blank_pages";

pub(super) fn component_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<ComponentRow> {
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
        blank_pages: r.get::<_, i64>(24)?.clamp(0, u32::MAX as i64) as u32,
        source_sha256: r.get(7)?,
        signed_sha256: r.get(8)?,
        owner_ids: Vec::new(),
        issue_date: r.get(9)?,
        valid_until: r.get(10)?,
        rescan_of: r.get(11)?,
        created_at: r.get(12)?,
        signature,
        reuses: r.get::<_, i64>(18)?.clamp(0, u32::MAX as i64) as u32,
        source_page: r.get::<_, i64>(19)?.clamp(0, u32::MAX as i64) as u32,
        rank: None,
        certified_copy: match (
            r.get::<_, Option<i64>>(20)?,
            r.get::<_, Option<String>>(21)?,
            r.get::<_, Option<i64>>(22)?,
        ) {
            (Some(number), Some(book), Some(source_id)) => Some(crate::index::CertifiedCopy {
                number,
                book,
                source_id,
            }),
            _ => None,
        },
        holder_name: crate::index::holder_name(&r.get::<_, String>(23)?),
    })
}

/// Maps a SQLite error to one naming the database `db`.
pub(super) fn sql_err(db: &str) -> impl Fn(rusqlite::Error) -> IndexError + Copy + '_ {
    move |source| IndexError::Sql {
        db: db.to_string(),
        source,
    }
}

// The roles of `Index` (see `super::Index`), one file each: `papers` (and its text search),
// `likeness` (near-duplicate keys and lookups), `decisions` (reuse, review), `journal` (the
// service's batches), `audit` (the log and the report's counts).
