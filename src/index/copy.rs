//! Stage `store`, moving an index to another database (`sohoa migrate`): every table's rows
//! copied in key order, with their ids, in transactions of [`BATCH`] rows, the full-text index
//! rebuilt on the target, its id sequences moved past the copied ids; then every row compared
//! (a SHA-256 over each table's rows in key order, on both sides). The source is only read (a
//! SQLite source is opened read-only). A copy cut off anywhere goes on where it stopped when run
//! again: the rows already on the target are the first ones in key order, and are skipped.

use std::path::Path;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::sql::{Backend, DbError, Row, Sql, SqlIndex, Value};
use super::{IndexError, IndexLocation, PgIndex, SqliteIndex};
use crate::progress::Progress;

/// Rows written per transaction on the target.
pub const BATCH: usize = 500;

/// A table of the index and how it is copied: its columns, and the order its rows are read in
/// (its key; the audit log in its stored order, so the copy keeps a reordering visible).
struct Table {
    name: &'static str,
    columns: &'static str,
    order: &'static str,
    /// An identity column on PostgreSQL whose sequence must follow the copied ids.
    identity: Option<&'static str>,
}

/// Every table, parents before children (the foreign keys hold at each commit).
const TABLES: &[Table] = &[
    Table {
        name: "units",
        columns: "code, name",
        order: "code",
        identity: None,
    },
    Table {
        name: "dossiers",
        columns: "code, unit_code, received_at",
        order: "code",
        identity: None,
    },
    Table {
        name: "components",
        columns: "id, unit_code, dossier_code, type_code, confidence, review_state, pages,
            source_sha256, source_page, signed_sha256, fields_json, issue_date, valid_until,
            ocr_text, likeness_json, rescan_of, created_at, blank_pages",
        order: "id",
        identity: Some("id"),
    },
    Table {
        name: "component_owners",
        columns: "component_id, person_id",
        order: "component_id, person_id",
        identity: None,
    },
    Table {
        name: "component_tax_codes",
        columns: "component_id, tax_code",
        order: "component_id, tax_code",
        identity: None,
    },
    Table {
        name: "signatures",
        columns: "component_id, signer_subject, cert_serial, cert_issuer, signed_at, level",
        order: "component_id",
        identity: None,
    },
    Table {
        name: "reuse_events",
        columns: "id, component_id, dossier_code, actor, at, override_reason",
        order: "id",
        identity: Some("id"),
    },
    Table {
        name: "audit_log",
        columns: "seq, time, actor, action, subject, details, prev_hash, hash",
        order: "",
        identity: None,
    },
    Table {
        name: "component_numbers",
        columns: "component_id, number",
        order: "component_id, number",
        identity: None,
    },
    Table {
        name: "component_phash",
        columns: "component_id, band, value, phash",
        order: "component_id, band",
        identity: None,
    },
    Table {
        name: "ingested_scans",
        columns: "sha256, finished_at",
        order: "sha256",
        identity: None,
    },
    Table {
        name: "inbox_jobs",
        columns: "job_key, unit_code, dossier_code, label, files_json, state, attempts, starts,
            message, papers, first_seen, updated_at",
        order: "job_key",
        identity: None,
    },
    Table {
        name: "renewals",
        columns: "id, component_id, old_sha256, new_sha256, level, at",
        order: "id",
        identity: Some("id"),
    },
    Table {
        name: "certifications",
        columns: "id, unit_code, year, seq, book, source_id, copy_id, officer, state,
            reserved_at, done_at",
        order: "id",
        identity: Some("id"),
    },
    Table {
        name: "outbox",
        columns: "id, event_id, kind, payload, created_at",
        order: "id",
        identity: Some("id"),
    },
    Table {
        name: "webhook_cursors",
        columns: "url, last_outbox_id",
        order: "url",
        identity: None,
    },
    Table {
        name: "webhook_deliveries",
        columns: "event_id, url, state, attempts, next_at, last_error, updated_at",
        order: "event_id, url",
        identity: None,
    },
];

/// The tables not copied: the schema's own record (each database keeps its own), the leases
/// (held by running services, which a copy does not move), the full-text index (rebuilt).
const NOT_COPIED: &[&str] = &["schema_migrations", "inbox_leases", "component_text"];

/// One table's outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TableCopy {
    pub table: String,
    /// Rows on the source.
    pub rows: u64,
    /// Rows this run wrote (the rest were there from an earlier run).
    pub copied: u64,
}

/// One table compared on both sides.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TableCheck {
    pub table: String,
    pub source_rows: u64,
    pub target_rows: u64,
    /// The rows, in key order, hash the same on both sides.
    pub same: bool,
}

fn order_of(t: &Table, dialect: super::Dialect) -> String {
    if t.order.is_empty() {
        dialect.audit_order().to_string()
    } else {
        t.order.to_string()
    }
}

fn count(db: &mut dyn Sql, table: &str) -> Result<u64, DbError> {
    Ok(db
        .row(&format!("SELECT COUNT(*) FROM {table}"), &[])?
        .map_or(Ok(0), |r| r.int(0))?
        .max(0) as u64)
}

/// An index opened for a copy, on either database.
enum Opened {
    Sqlite(SqliteIndex),
    Pg(Box<PgIndex>),
}

/// The source: a SQLite one opened read-only (a copy must not change it).
fn open_source(loc: &IndexLocation) -> Result<Opened, IndexError> {
    Ok(match loc {
        IndexLocation::Sqlite(p) => Opened::Sqlite(SqliteIndex::open_read_only(p)?),
        IndexLocation::Postgres(url) => Opened::Pg(Box::new(PgIndex::connect(url)?)),
    })
}

/// The target, its schema brought up to date.
fn open_target(loc: &IndexLocation) -> Result<Opened, IndexError> {
    Ok(match loc {
        IndexLocation::Sqlite(p) => Opened::Sqlite(SqliteIndex::open(p)?),
        IndexLocation::Postgres(url) => Opened::Pg(Box::new(PgIndex::connect(url)?)),
    })
}

/// Copies every row of the index at `from` to the one at `to` (created, or partly filled by an
/// earlier run of this copy), reporting each table through `progress`.
pub fn copy(
    from: &IndexLocation,
    to: &IndexLocation,
    progress: &Progress,
) -> Result<Vec<TableCopy>, IndexError> {
    if from == to {
        return Err(IndexError::Invalid {
            db: to.to_string(),
            message: "the source and the target are the same index".into(),
        });
    }
    let mut src = open_source(from)?;
    let mut dst = open_target(to)?;
    match (&mut src, &mut dst) {
        (Opened::Sqlite(s), Opened::Pg(d)) => copy_between(s, d.as_mut(), progress),
        (Opened::Sqlite(s), Opened::Sqlite(d)) => copy_between(s, d, progress),
        (Opened::Pg(s), Opened::Pg(d)) => copy_between(s.as_mut(), d.as_mut(), progress),
        (Opened::Pg(s), Opened::Sqlite(d)) => copy_between(s.as_mut(), d, progress),
    }
}

/// Compares every copied table of `from` and `to` row by row.
pub fn compare(from: &IndexLocation, to: &IndexLocation) -> Result<Vec<TableCheck>, IndexError> {
    let mut src = open_source(from)?;
    let mut dst = open_target(to)?;
    match (&mut src, &mut dst) {
        (Opened::Sqlite(s), Opened::Pg(d)) => compare_between(s, d.as_mut()),
        (Opened::Sqlite(s), Opened::Sqlite(d)) => compare_between(s, d),
        (Opened::Pg(s), Opened::Pg(d)) => compare_between(s.as_mut(), d.as_mut()),
        (Opened::Pg(s), Opened::Sqlite(d)) => compare_between(s.as_mut(), d),
    }
}

fn copy_between<A: Backend, B: Backend>(
    src: &mut SqlIndex<A>,
    dst: &mut SqlIndex<B>,
    progress: &Progress,
) -> Result<Vec<TableCopy>, IndexError> {
    let (sname, dname) = (src.name.clone(), dst.name.clone());
    let on_src = |source| IndexError::Sql {
        db: sname.clone(),
        source,
    };
    let on_dst = |source| IndexError::Sql {
        db: dname.clone(),
        source,
    };
    let (sd, dd) = (src.db.dialect(), dst.db.dialect());
    let mut out = Vec::new();
    progress.begin("tables", TABLES.len() as u64);
    for t in TABLES {
        let rows = count(src.db.conn(), t.name).map_err(on_src)?;
        let already = count(dst.db.conn(), t.name).map_err(on_dst)?;
        let marks = (1..=t.columns.split(',').count())
            .map(|i| format!("?{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let insert = format!(
            "INSERT INTO {} ({}) VALUES ({marks}) ON CONFLICT DO NOTHING",
            t.name, t.columns
        );
        let select = format!(
            "SELECT {} FROM {} ORDER BY {} LIMIT -1 OFFSET {already}",
            t.columns,
            t.name,
            order_of(t, sd)
        );
        // (PostgreSQL takes no LIMIT -1: there, ALL)
        let select = match sd {
            super::Dialect::Postgres => select.replace("LIMIT -1", "LIMIT ALL"),
            _ => select,
        };
        let mut pending: Vec<Row> = Vec::with_capacity(BATCH);
        let mut copied = 0u64;
        let mut flush = |pending: &mut Vec<Row>, dst: &mut SqlIndex<B>| -> Result<(), IndexError> {
            if pending.is_empty() {
                return Ok(());
            }
            let mut tx = dst.db.write().map_err(&on_dst)?;
            for r in pending.iter() {
                let new = tx.exec(&insert, &r.0).map_err(&on_dst)?;
                copied += new;
                // its text with it, once (a row there already has its text)
                if new > 0 && t.name == "components" {
                    let id = r.int(0).map_err(&on_dst)?;
                    let text = r.text(13).map_err(&on_dst)?;
                    B::text_insert(tx.as_mut(), id, &text).map_err(&on_dst)?;
                }
            }
            tx.commit().map_err(&on_dst)?;
            pending.clear();
            Ok(())
        };
        let mut failed: Option<IndexError> = None;
        src.db
            .conn()
            .each(&select, &[], &mut |r| {
                pending.push(r);
                if pending.len() >= BATCH {
                    if let Err(e) = flush(&mut pending, dst) {
                        failed = Some(e);
                        return Err(DbError::Data("the target refused a batch".into()));
                    }
                }
                Ok(())
            })
            .map_err(|e| failed.take().unwrap_or_else(|| on_src(e)))?;
        flush(&mut pending, dst)?;
        if let (Some(col), super::Dialect::Postgres) = (t.identity, dd) {
            dst.db
                .conn()
                .rows(
                    &format!(
                        "SELECT setval(pg_get_serial_sequence('{0}', '{col}'),
                            COALESCE(MAX({col}), 0) + 1, false) FROM {0}",
                        t.name
                    ),
                    &[],
                )
                .map_err(&on_dst)?;
        }
        progress.step(&format!("{}: {copied} of {rows} rows", t.name));
        out.push(TableCopy {
            table: t.name.to_string(),
            rows,
            copied,
        });
    }
    Ok(out)
}

/// The SHA-256 over a table's rows in key order, and their number.
fn table_hash(
    db: &mut dyn Sql,
    t: &Table,
    dialect: super::Dialect,
) -> Result<(String, u64), DbError> {
    let mut h = Sha256::new();
    let mut n = 0u64;
    db.each(
        &format!(
            "SELECT {} FROM {} ORDER BY {}",
            t.columns,
            t.name,
            order_of(t, dialect)
        ),
        &[],
        &mut |r| {
            n += 1;
            for v in &r.0 {
                match v {
                    Value::Null => h.update([0u8]),
                    Value::Int(i) => {
                        h.update([1u8]);
                        h.update(i.to_be_bytes());
                    }
                    Value::Real(f) => {
                        h.update([2u8]);
                        h.update(f.to_bits().to_be_bytes());
                    }
                    Value::Text(s) => {
                        h.update([3u8]);
                        h.update((s.len() as u64).to_be_bytes());
                        h.update(s.as_bytes());
                    }
                }
            }
            Ok(())
        },
    )?;
    Ok((hex::encode(h.finalize()), n))
}

fn compare_between<A: Backend, B: Backend>(
    src: &mut SqlIndex<A>,
    dst: &mut SqlIndex<B>,
) -> Result<Vec<TableCheck>, IndexError> {
    let (sd, dd) = (src.db.dialect(), dst.db.dialect());
    let mut out = Vec::new();
    for t in TABLES {
        let (a, an) = table_hash(src.db.conn(), t, sd).map_err(src.err())?;
        let (b, bn) = table_hash(dst.db.conn(), t, dd).map_err(dst.err())?;
        out.push(TableCheck {
            table: t.name.to_string(),
            source_rows: an,
            target_rows: bn,
            same: a == b && an == bn,
        });
    }
    // the text index: one entry per paper
    let papers = count(dst.db.conn(), "components").map_err(dst.err())?;
    let texts = count(dst.db.conn(), "component_text").map_err(dst.err())?;
    out.push(TableCheck {
        table: "component_text".into(),
        source_rows: papers,
        target_rows: texts,
        same: papers == texts,
    });
    Ok(out)
}

/// The names of the tables a copy handles or leaves out on purpose (a test holds them equal
/// to the schema's).
pub fn known_tables() -> Vec<&'static str> {
    TABLES
        .iter()
        .map(|t| t.name)
        .chain(NOT_COPIED.iter().copied())
        .collect()
}

impl SqlIndex<super::SqliteBackend> {
    /// Opens the database at `path` only to read it: its schema must be this build's (it is
    /// not brought up to date; nothing is written).
    pub fn open_read_only(path: &Path) -> Result<Self, IndexError> {
        super::sqlite::open_read_only(path)
    }
}
