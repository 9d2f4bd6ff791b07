//! Stage `store`, the index on SQLite (embedded default): WAL journal, `synchronous = FULL`,
//! foreign keys on; full text in an FTS5 table over the diacritic-free OCR text, so "quyen su
//! dung dat" finds "quyền sử dụng đất" (and "đất" is found from "dat": đ folds to d). The
//! statements themselves are shared with PostgreSQL (`super::sql`).

use std::path::Path;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OptionalExtension, Transaction};

use super::sql::{Backend, DbError, Dialect, Row, Sql, SqlIndex, Tx, Value};
use super::IndexError;
use crate::text;

/// A text search matching more papers than this is "broad": ranking them all (bm25) would take
/// seconds and rank nothing useful, so its newest this many matches are searched, newest
/// first, unranked.
pub const BROAD_TEXT: i64 = 5_000;

/// The SQLite index.
pub type SqliteIndex = SqlIndex<SqliteBackend>;

/// A SQLite connection, as the index uses it.
pub struct SqliteBackend {
    conn: Connection,
}

impl SqlIndex<SqliteBackend> {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, IndexError> {
        let db = path.display().to_string();
        let conn = Connection::open(path).map_err(|e| IndexError::Sql {
            db: db.clone(),
            source: e.into(),
        })?;
        Self::init_sqlite(conn, db)
    }

    /// A private in-memory index (tests, one-shot runs).
    pub fn open_in_memory() -> Result<Self, IndexError> {
        let db = ":memory:".to_string();
        let conn = Connection::open_in_memory().map_err(|e| IndexError::Sql {
            db: db.clone(),
            source: e.into(),
        })?;
        Self::init_sqlite(conn, db)
    }

    fn init_sqlite(conn: Connection, db: String) -> Result<Self, IndexError> {
        configure(&conn).map_err(|e| IndexError::Sql {
            db: db.clone(),
            source: e.into(),
        })?;
        SqlIndex::init(SqliteBackend { conn }, db)
    }
}

/// See [`SqlIndex::open_read_only`].
pub(crate) fn open_read_only(path: &Path) -> Result<SqliteIndex, IndexError> {
    let db = path.display().to_string();
    let err = |e: rusqlite::Error| IndexError::Sql {
        db: db.clone(),
        source: e.into(),
    };
    let conn = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(err)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(err)?;
    let mut me = SqlIndex {
        db: SqliteBackend { conn },
        name: db.clone(),
    };
    let found = me.schema_version()?;
    let known = super::schema::latest();
    if found != known {
        return Err(IndexError::Invalid {
            db,
            message: format!(
                "schema version {found}, this build's is {known}: open it once with this build \
                 (e.g. sohoa store check) to bring it up to date, then copy it"
            ),
        });
    }
    Ok(me)
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // WAL: readers do not block the writer; FULL: a committed transaction survives a power cut.
    let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    // reads through a memory map and a 64 MiB page cache: the text index of a million
    // papers is gigabytes, and its posting lists are read page by page
    conn.pragma_update(None, "cache_size", -65_536)?;
    // (an in-memory database answers with no row)
    let _mmap: Option<i64> = conn
        .query_row("PRAGMA mmap_size = 1073741824", [], |r| r.get(0))
        .optional()?;
    Ok(())
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Null => ToSqlOutput::Owned(rusqlite::types::Value::Null),
            Value::Int(v) => ToSqlOutput::Owned(rusqlite::types::Value::Integer(*v)),
            Value::Real(v) => ToSqlOutput::Owned(rusqlite::types::Value::Real(*v)),
            Value::Text(v) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
        })
    }
}

fn row_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    let n = r.as_ref().column_count();
    let mut cells = Vec::with_capacity(n);
    for i in 0..n {
        cells.push(match r.get_ref(i)? {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(v) => Value::Int(v),
            ValueRef::Real(v) => Value::Real(v),
            ValueRef::Text(t) | ValueRef::Blob(t) => {
                Value::Text(String::from_utf8_lossy(t).into_owned())
            }
        });
    }
    Ok(Row(cells))
}

fn exec(conn: &Connection, sql: &str, args: &[Value]) -> Result<u64, DbError> {
    let mut st = conn.prepare_cached(sql)?;
    Ok(st.execute(rusqlite::params_from_iter(args))? as u64)
}

fn rows(conn: &Connection, sql: &str, args: &[Value]) -> Result<Vec<Row>, DbError> {
    let mut st = conn.prepare_cached(sql)?;
    let rows = st.query_map(rusqlite::params_from_iter(args), row_of)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn each(
    conn: &Connection,
    sql: &str,
    args: &[Value],
    f: &mut dyn FnMut(Row) -> Result<(), DbError>,
) -> Result<(), DbError> {
    let mut st = conn.prepare(sql)?;
    let mut rows = st.query(rusqlite::params_from_iter(args))?;
    while let Some(r) = rows.next()? {
        f(row_of(r)?)?;
    }
    Ok(())
}

impl Sql for Connection {
    fn each(
        &mut self,
        sql: &str,
        args: &[Value],
        f: &mut dyn FnMut(Row) -> Result<(), DbError>,
    ) -> Result<(), DbError> {
        each(self, sql, args, f)
    }

    fn exec(&mut self, sql: &str, args: &[Value]) -> Result<u64, DbError> {
        exec(self, sql, args)
    }

    fn rows(&mut self, sql: &str, args: &[Value]) -> Result<Vec<Row>, DbError> {
        rows(self, sql, args)
    }

    fn insert_id(&mut self, sql: &str, args: &[Value]) -> Result<i64, DbError> {
        exec(self, sql, args)?;
        Ok(self.last_insert_rowid())
    }

    fn batch(&mut self, sql: &str) -> Result<(), DbError> {
        Ok(self.execute_batch(sql)?)
    }
}

/// A SQLite transaction.
struct SqliteTx<'a>(Transaction<'a>);

impl Sql for SqliteTx<'_> {
    fn each(
        &mut self,
        sql: &str,
        args: &[Value],
        f: &mut dyn FnMut(Row) -> Result<(), DbError>,
    ) -> Result<(), DbError> {
        each(&self.0, sql, args, f)
    }

    fn exec(&mut self, sql: &str, args: &[Value]) -> Result<u64, DbError> {
        exec(&self.0, sql, args)
    }

    fn rows(&mut self, sql: &str, args: &[Value]) -> Result<Vec<Row>, DbError> {
        rows(&self.0, sql, args)
    }

    fn insert_id(&mut self, sql: &str, args: &[Value]) -> Result<i64, DbError> {
        exec(&self.0, sql, args)?;
        Ok(self.0.last_insert_rowid())
    }

    fn batch(&mut self, sql: &str) -> Result<(), DbError> {
        Ok(self.0.execute_batch(sql)?)
    }
}

impl Tx for SqliteTx<'_> {
    fn commit(self: Box<Self>) -> Result<(), DbError> {
        Ok(self.0.commit()?)
    }
}

/// How many papers the FTS query `fts` matches, counting no further than `cap + 1`
/// (cheap: it stops there).
fn matches_up_to(conn: &Connection, fts: &str, cap: i64) -> Result<i64, DbError> {
    let r = rows(
        conn,
        "SELECT COUNT(*) FROM (SELECT rowid FROM component_text
         WHERE component_text MATCH ?1 LIMIT ?2)",
        &[Value::from(fts), Value::Int(cap + 1)],
    )?;
    r.first().map_or(Ok(0), |r| r.int(0))
}

impl Backend for SqliteBackend {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn conn(&mut self) -> &mut dyn Sql {
        &mut self.conn
    }

    /// IMMEDIATE: in WAL mode a deferred transaction that read before another connection
    /// committed fails at its first write with SQLITE_BUSY at once, without the busy timeout.
    /// Begun IMMEDIATE it waits its turn.
    fn write(&mut self) -> Result<Box<dyn Tx + '_>, DbError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        Ok(Box::new(SqliteTx(tx)))
    }

    fn text_insert(tx: &mut dyn Sql, id: i64, ocr_text: &str) -> Result<(), DbError> {
        tx.exec(
            "INSERT INTO component_text (rowid, folded) VALUES (?1, ?2)",
            &[Value::Int(id), Value::Text(text::fold(ocr_text))],
        )
        .map(|_| ())
    }

    /// The matches are chosen inside the FTS table before any row of `components` is read:
    /// - more than [`BROAD_TEXT`] matches: the newest, unranked;
    /// - otherwise ranked by bm25 (Robertson–Spärck Jones, FTS5's `bm25()`) over the words on
    ///   at most [`BROAD_TEXT`] papers; the commoner words only filter, because bm25 reads
    ///   every posting of every word it weighs (a word on every paper costs ~40 ms at a
    ///   million papers) and such words weigh nothing anyway.
    fn text_matches(
        &mut self,
        words: &[String],
        only_text: bool,
        limit: usize,
        args: &mut Vec<Value>,
    ) -> Result<Option<String>, DbError> {
        // each word quoted: a word holds only letters and digits, no FTS5 operator
        let quoted: Vec<String> = words.iter().map(|w| format!("\"{w}\"")).collect();
        let all = quoted.join(" ");
        let n = matches_up_to(&self.conn, &all, BROAD_TEXT)?;
        if n == 0 {
            return Ok(None);
        }
        let mut arg = |v: String| {
            args.push(Value::Text(v));
            format!("?{}", args.len())
        };
        let newest = |m: String, scan: String| {
            format!(
                "SELECT rowid AS rid, 0.0 AS score FROM component_text
                 WHERE component_text MATCH {m} ORDER BY rowid DESC {scan}"
            )
        };
        if n > BROAD_TEXT {
            let scan = if only_text { limit as i64 } else { BROAD_TEXT };
            return Ok(Some(newest(arg(all), format!("LIMIT {scan}"))));
        }
        let mut rare = Vec::new();
        for w in &quoted {
            if matches_up_to(&self.conn, w, BROAD_TEXT)? <= BROAD_TEXT {
                rare.push(w.as_str());
            }
        }
        let lim = if only_text {
            format!("LIMIT {limit}")
        } else {
            String::new()
        };
        Ok(Some(if rare.is_empty() {
            newest(arg(all), lim)
        } else if rare.len() == quoted.len() {
            let m = arg(all);
            format!(
                "SELECT rowid AS rid, bm25(component_text) AS score FROM component_text
                 WHERE component_text MATCH {m} ORDER BY score {lim}"
            )
        } else {
            let (m1, m2) = (arg(rare.join(" ")), arg(all));
            format!(
                "SELECT rowid AS rid, bm25(component_text) AS score FROM component_text
                 WHERE component_text MATCH {m1} AND rowid IN
                   (SELECT rowid FROM component_text WHERE component_text MATCH {m2})
                 ORDER BY score {lim}"
            )
        }))
    }
}
