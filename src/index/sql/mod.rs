//! Stage `store`, the index's statements written once for every database: the roles of
//! [`Index`](super::Index) (papers, near-duplicate keys, decisions, journal, audit log,
//! register, outbox) over a [`Backend`] — SQLite (`super::sqlite`) or PostgreSQL
//! (`super::postgres`). The statements are SQL both run (numbered `?1` placeholders, which
//! the PostgreSQL driver writes as `$1`); what differs — the full-text search, a month of a
//! stored time, the audit log's stored order, a new row's id — is asked of the [`Dialect`].

mod audit;
mod certify;
mod decisions;
mod journal;
mod likeness;
mod outbox;
mod papers;
mod value;

pub(crate) use likeness::backfill_likeness_keys;
pub(crate) use value::pg_message;
pub use value::{DbError, Row, Value};

use super::schema::{latest, MIGRATIONS};
use super::{AuditRequest, ComponentRow, IndexError, ReviewState, SignatureInfo};
use crate::audit::{next_entry, Action, AuditEntry};

/// Arguments of a statement: `args![a, b]` is `&[Value::from(a), Value::from(b)]`.
macro_rules! args {
    ($($a:expr),* $(,)?) => { &[$($crate::index::sql::Value::from($a)),*][..] };
}
pub(crate) use args;

/// The databases the index runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The `YYYY-MM` of the stored RFC 3339 time in column `col` on the desk's calendar,
    /// `?n` being its offset from UTC in minutes; a value that is not such a time keeps its
    /// first seven characters.
    pub(crate) fn month(self, col: &str, n: usize) -> String {
        match self {
            Dialect::Sqlite => format!(
                "COALESCE(strftime('%Y-%m', {col}, ?{n} || ' minutes'), substr({col}, 1, 7))"
            ),
            Dialect::Postgres => format!(
                "CASE WHEN {col} ~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}T[0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}(\\.[0-9]+)?(Z|[+-][0-9]{{2}}:[0-9]{{2}})$'
                 THEN to_char(({col})::timestamptz AT TIME ZONE 'UTC' + make_interval(mins => (?{n})::int), 'YYYY-MM')
                 ELSE substr({col}, 1, 7) END"
            ),
        }
    }

    /// The column giving the audit log's stored order (not `seq`, so a reordering shows).
    pub(crate) fn audit_order(self) -> &'static str {
        match self {
            Dialect::Sqlite => "rowid",
            Dialect::Postgres => "pos",
        }
    }

    /// The database's current UTC time as RFC 3339 text (when a migration was applied).
    pub(crate) fn now_text(self) -> &'static str {
        match self {
            Dialect::Sqlite => "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
            Dialect::Postgres => {
                "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
            }
        }
    }
}

/// Statements on one connection or inside one transaction.
pub trait Sql {
    /// Runs a statement; the number of rows it changed.
    fn exec(&mut self, sql: &str, args: &[Value]) -> Result<u64, DbError>;
    /// Every row a query gives.
    fn rows(&mut self, sql: &str, args: &[Value]) -> Result<Vec<Row>, DbError>;
    /// An `INSERT` into a table with an `id` key: the new row's id.
    fn insert_id(&mut self, sql: &str, args: &[Value]) -> Result<i64, DbError>;
    /// Several statements without arguments (a migration).
    fn batch(&mut self, sql: &str) -> Result<(), DbError>;
    /// Each row of a query in turn, read as it comes (a table larger than memory).
    fn each(
        &mut self,
        sql: &str,
        args: &[Value],
        f: &mut dyn FnMut(Row) -> Result<(), DbError>,
    ) -> Result<(), DbError>;

    /// The first row a query gives, if any.
    fn row(&mut self, sql: &str, args: &[Value]) -> Result<Option<Row>, DbError> {
        Ok(self.rows(sql, args)?.into_iter().next())
    }
}

/// A write transaction: [`Tx::commit`] or, dropped, rolled back.
pub trait Tx: Sql {
    fn commit(self: Box<Self>) -> Result<(), DbError>;
}

/// A database connection the index runs on.
pub trait Backend: Send {
    fn dialect(&self) -> Dialect;
    /// Statements outside a transaction (reads, single-row updates).
    fn conn(&mut self) -> &mut dyn Sql;
    /// A write transaction holding the index's write lock from its start: every change reads
    /// first (the audit chain's head, a register's last number), so writers take turns, in
    /// this process and in every other one on the same database.
    fn write(&mut self) -> Result<Box<dyn Tx + '_>, DbError>;
    /// Adds a paper's text to the full-text index inside `tx`.
    fn text_insert(tx: &mut dyn Sql, id: i64, ocr_text: &str) -> Result<(), DbError>
    where
        Self: Sized;
    /// The subquery `(rid, score)` of the papers holding every word (lower score is better),
    /// its arguments pushed on `args` (numbered after those already there); `None` when no
    /// paper holds them all. See `papers::find`.
    fn text_matches(
        &mut self,
        words: &[String],
        only_text: bool,
        limit: usize,
        args: &mut Vec<Value>,
    ) -> Result<Option<String>, DbError>;
}

/// The index over a [`Backend`]: [`super::SqliteIndex`] and [`super::PgIndex`].
pub struct SqlIndex<B: Backend> {
    pub(crate) db: B,
    /// The database, named in errors (a path, or a URL without its password).
    pub(crate) name: String,
}

impl<B: Backend> SqlIndex<B> {
    /// Wraps an open connection and brings the schema up to date.
    pub(crate) fn init(db: B, name: String) -> Result<Self, IndexError> {
        let mut me = Self { db, name };
        me.migrate()?;
        Ok(me)
    }

    /// Names this database in a failed statement's error.
    pub(crate) fn err(&self) -> impl Fn(DbError) -> IndexError {
        let db = self.name.clone();
        move |source| IndexError::Sql {
            db: db.clone(),
            source,
        }
    }

    /// The schema version in the database.
    pub fn schema_version(&mut self) -> Result<i64, IndexError> {
        let name = self.name.clone();
        schema_version(self.db.conn()).map_err(|source| IndexError::Sql { db: name, source })
    }

    fn migrate(&mut self) -> Result<i64, IndexError> {
        let name = self.name.clone();
        let err = |source| IndexError::Sql {
            db: name.clone(),
            source,
        };
        let dialect = self.db.dialect();
        // the common case, an index up to date, is read without the write lock (the table
        // may not exist yet: then the lock is taken below)
        if let Ok(v) = schema_version(self.db.conn()) {
            if v == latest() {
                return Ok(v);
            }
        }
        // under the write lock: two nodes starting at once on a new database
        let mut tx = self.db.write().map_err(err)?;
        tx.batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                applied_at TEXT NOT NULL)",
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        let current = schema_version(self.db.conn()).map_err(err)?;
        if current > latest() {
            return Err(IndexError::TooNew {
                db: name.clone(),
                found: current,
                known: latest(),
            });
        }
        for m in MIGRATIONS.iter().filter(|m| m.version > current) {
            let mut tx = self.db.write().map_err(err)?;
            // another node may have applied it meanwhile (it waited for the write lock too)
            if schema_version(tx.as_mut()).map_err(err)? >= m.version {
                continue;
            }
            tx.batch(&m.sql(dialect)).map_err(err)?;
            tx.exec(
                &format!(
                    "INSERT INTO schema_migrations (version, name, applied_at)
                     VALUES (?1, ?2, {})",
                    dialect.now_text()
                ),
                args![m.version, m.name],
            )
            .map_err(err)?;
            if m.version == 2 {
                backfill_likeness_keys(tx.as_mut()).map_err(err)?;
            }
            tx.commit().map_err(err)?;
        }
        schema_version(self.db.conn()).map_err(err)
    }
}

fn schema_version(db: &mut dyn Sql) -> Result<i64, DbError> {
    db.row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
        &[],
    )?
    .map_or(Ok(0), |r| r.int(0))
}

/// Appends the next audit entry inside `tx`.
pub(crate) fn append_in(tx: &mut dyn Sql, a: &AuditRequest) -> Result<AuditEntry, DbError> {
    let last = tx
        .row(
            "SELECT seq, time, actor, action, subject, details, prev_hash, hash
             FROM audit_log ORDER BY seq DESC LIMIT 1",
            &[],
        )?
        .map(|r| entry_of(&r))
        .transpose()?;
    let e = next_entry(
        last.as_ref(),
        a.time.clone(),
        &a.actor,
        a.action,
        &a.subject,
        &a.details,
    );
    tx.exec(
        "INSERT INTO audit_log (seq, time, actor, action, subject, details, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        args![
            e.seq as i64,
            e.time.as_str(),
            e.actor.as_str(),
            e.action.code(),
            e.subject.as_str(),
            e.details.as_str(),
            e.prev_hash.as_str(),
            e.hash.as_str()
        ],
    )?;
    Ok(e)
}

pub(crate) fn entry_of(r: &Row) -> Result<AuditEntry, DbError> {
    let action: String = r.text(3)?;
    let action = serde_json::from_value::<Action>(serde_json::Value::String(action.clone()))
        .map_err(|_| DbError::Data(format!("unknown audit action {action:?}")))?;
    Ok(AuditEntry {
        seq: r.int(0)?.max(0) as u64,
        time: r.text(1)?,
        actor: r.text(2)?,
        action,
        subject: r.text(4)?,
        details: r.text(5)?,
        prev_hash: r.text(6)?,
        hash: r.text(7)?,
    })
}

/// How many columns [`COMPONENT_COLUMNS`] has (a query's own columns come after).
pub(crate) const COMPONENT_COLUMN_COUNT: usize = 25;

pub(crate) const COMPONENT_COLUMNS: &str =
    "c.id, c.unit_code, c.dossier_code, c.type_code, c.confidence,
    c.review_state, c.pages, c.source_sha256, c.signed_sha256, c.issue_date, c.valid_until,
    c.rescan_of, c.created_at, s.signer_subject, s.cert_serial, s.cert_issuer, s.signed_at,
    s.level, (SELECT COUNT(*) FROM reuse_events r WHERE r.component_id = c.id), c.source_page,
    (SELECT seq FROM certifications k WHERE k.copy_id = c.id),
    (SELECT book FROM certifications k WHERE k.copy_id = c.id),
    (SELECT source_id FROM certifications k WHERE k.copy_id = c.id), c.fields_json,
    c.blank_pages";

/// A count read back as a `u32` (clamped).
pub(crate) fn count(r: &Row, i: usize) -> Result<u32, DbError> {
    Ok(r.int(i)?.clamp(0, u32::MAX as i64) as u32)
}

pub(crate) fn component_of(r: &Row) -> Result<ComponentRow, DbError> {
    let state: String = r.text(5)?;
    let signature = match r.opt_text(13)? {
        Some(signer_subject) => Some(SignatureInfo {
            signer_subject,
            cert_serial: r.text(14)?,
            cert_issuer: r.text(15)?,
            signed_at: r.text(16)?,
            level: r.text(17)?,
        }),
        None => None,
    };
    Ok(ComponentRow {
        id: r.int(0)?,
        unit_code: r.text(1)?,
        dossier_code: r.opt_text(2)?,
        type_code: r.text(3)?,
        confidence: r.real(4)? as f32,
        review_state: ReviewState::from_code(&state).unwrap_or(ReviewState::NeedsReview),
        pages: count(r, 6)?,
        blank_pages: count(r, 24)?,
        source_sha256: r.text(7)?,
        signed_sha256: r.opt_text(8)?,
        owner_ids: Vec::new(),
        issue_date: r.opt_text(9)?,
        valid_until: r.opt_text(10)?,
        rescan_of: r.opt_int(11)?,
        created_at: r.text(12)?,
        signature,
        reuses: count(r, 18)?,
        source_page: count(r, 19)?,
        rank: None,
        certified_copy: match (r.opt_int(20)?, r.opt_text(21)?, r.opt_int(22)?) {
            (Some(number), Some(book), Some(source_id)) => Some(crate::index::CertifiedCopy {
                number,
                book,
                source_id,
            }),
            _ => None,
        },
        holder_name: crate::index::holder_name(&r.text(23)?),
    })
}

// The roles of `Index` (see `super::Index`), one file each: `papers` (and the text search's
// shared part), `likeness` (near-duplicate keys and lookups), `decisions` (reuse, review),
// `journal` (the service's batches), `audit` (the log and the report's counts), `certify`
// (the register), `outbox` (webhook events and deliveries).
