//! Stage `store`, the index on SQLite (embedded default): WAL journal, `synchronous = FULL`,
//! foreign keys on; full text in an FTS5 table over the diacritic-free OCR text, so "quyen su
//! dung dat" finds "quyền sử dụng đất" (and "đất" is found from "dat": đ folds to d).

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::schema::{latest, MIGRATIONS};
use super::{
    AuditRequest, ComponentRow, Index, IndexError, JobRow, JobState, NewComponent, Query, Review,
    ReviewState, SignatureInfo,
};
use crate::audit::{next_entry, Action, AuditEntry};
use crate::classify::text;
use crate::similar::{phash::hamming, PaperSignature};

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

/// Numbers at least this long (characters) are indexed for the near-duplicate lookup: ID,
/// document and parcel numbers and ISO dates, not page numbers or short amounts.
pub const MIN_INDEXED_NUMBER: usize = 6;

/// The first page's pHash and the long numbers of a likeness signature (`similar`).
pub fn likeness_keys(sig: &PaperSignature) -> (Option<u64>, Vec<String>) {
    let mut numbers: Vec<String> = sig
        .pages
        .iter()
        .flat_map(|p| &p.numbers)
        .filter(|n| n.chars().count() >= MIN_INDEXED_NUMBER)
        .cloned()
        .collect();
    numbers.sort();
    numbers.dedup();
    (sig.pages.first().map(|p| p.phash), numbers)
}

/// The 16-bit band `b` (0..4) of a 64-bit hash.
fn band(h: u64, b: u32) -> i64 {
    ((h >> (16 * b)) & 0xffff) as i64
}

/// Every 16-bit value within `bits` (at most 2) of `v`.
fn band_neighbours(v: i64, bits: u32) -> Vec<i64> {
    let mut out = vec![v];
    if bits >= 1 {
        for i in 0..16 {
            out.push(v ^ (1 << i));
        }
    }
    if bits >= 2 {
        for i in 0..16 {
            for j in (i + 1)..16 {
                out.push(v ^ (1 << i) ^ (1 << j));
            }
        }
    }
    out
}

fn insert_likeness_keys(tx: &Transaction<'_>, id: i64, json: &str) -> rusqlite::Result<()> {
    // a signature this build cannot read is kept as it is, just not indexed
    let Ok(sig) = serde_json::from_str::<PaperSignature>(json) else {
        return Ok(());
    };
    let (phash, numbers) = likeness_keys(&sig);
    for n in numbers {
        tx.execute(
            "INSERT INTO component_numbers (component_id, number) VALUES (?1, ?2)
             ON CONFLICT DO NOTHING",
            params![id, n],
        )?;
    }
    if let Some(h) = phash {
        for b in 0..4 {
            tx.execute(
                "INSERT INTO component_phash (component_id, band, value, phash)
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                params![id, b as i64, band(h, b), h as i64],
            )?;
        }
    }
    Ok(())
}

/// Migration 2 on a database that already holds papers: their numbers and pHash bands.
fn backfill_likeness_keys(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let rows: Vec<(i64, String)> = {
        let mut st =
            tx.prepare("SELECT id, likeness_json FROM components WHERE likeness_json IS NOT NULL")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    for (id, json) in rows {
        insert_likeness_keys(tx, id, &json)?;
    }
    Ok(())
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
    s.level, (SELECT COUNT(*) FROM reuse_events r WHERE r.component_id = c.id), c.source_page";

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
        source_page: r.get::<_, i64>(19)?.clamp(0, u32::MAX as i64) as u32,
        rank: None,
    })
}

/// At most this many candidates from each key (shared numbers, pHash) of a near-duplicate probe.
const CANDIDATES_PER_KEY: usize = 200;
/// The pHash radius of the near-duplicate pre-selection (bits): re-scans measured a median
/// 3.5 bits (mean of pHash and dHash); the numbers catch the rest.
const CANDIDATE_PHASH_BITS: u32 = 11;

/// A text search matching more papers than this is "broad": ranking them all (bm25) would take
/// seconds and rank nothing useful, so its newest this many matches are searched, newest
/// first, unranked.
pub const BROAD_TEXT: i64 = 5_000;

/// The FTS5 terms of free text: each diacritic-free word quoted (no operators from the user;
/// a word holds only letters and digits), at most 32.
fn fts_words(text: &str) -> Vec<String> {
    let folded = text::fold(text);
    text::tokens(&folded)
        .take(32)
        .map(|w| format!("\"{w}\""))
        .collect()
}

/// Maps a SQLite error to one naming the database `db`.
fn sql_err(db: &str) -> impl Fn(rusqlite::Error) -> IndexError + Copy + '_ {
    move |source| IndexError::Sql {
        db: db.to_string(),
        source,
    }
}

/// Indexes one paper and appends its audit entry inside `tx`.
fn add_in(
    tx: &Transaction<'_>,
    c: &NewComponent,
    audit: &AuditRequest,
) -> rusqlite::Result<(i64, AuditEntry)> {
    tx.execute(
        "INSERT INTO units (code) VALUES (?1) ON CONFLICT (code) DO NOTHING",
        [&c.unit_code],
    )?;
    if let Some(d) = &c.dossier_code {
        tx.execute(
            "INSERT INTO dossiers (code, unit_code, received_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (code) DO NOTHING",
            params![d, c.unit_code, c.created_at],
        )?;
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
    )?;
    let id = tx.last_insert_rowid();
    for p in &c.owner_ids {
        tx.execute(
            "INSERT INTO component_owners (component_id, person_id) VALUES (?1, ?2)
             ON CONFLICT DO NOTHING",
            params![id, p],
        )?;
    }
    for t in &c.tax_codes {
        tx.execute(
            "INSERT INTO component_tax_codes (component_id, tax_code) VALUES (?1, ?2)
             ON CONFLICT DO NOTHING",
            params![id, t],
        )?;
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
        )?;
    }
    tx.execute(
        "INSERT INTO component_text (rowid, folded) VALUES (?1, ?2)",
        params![id, text::fold(&c.ocr_text)],
    )?;
    if let Some(json) = &c.likeness_json {
        insert_likeness_keys(tx, id, json)?;
    }
    let mut a = audit.clone();
    if a.subject.is_empty() {
        a.subject = format!("component {id}");
    }
    let entry = append_in(tx, &a)?;
    Ok((id, entry))
}

impl SqliteIndex {
    /// How many papers the FTS query `fts` matches, counting no further than `cap + 1`
    /// (cheap: it stops there).
    fn matches_up_to(&self, fts: &str, cap: i64) -> Result<i64, IndexError> {
        self.conn
            .prepare_cached(
                "SELECT COUNT(*) FROM (SELECT rowid FROM component_text
                 WHERE component_text MATCH ?1 LIMIT ?2)",
            )
            .and_then(|mut st| st.query_row(params![fts, cap + 1], |r| r.get(0)))
            .map_err(|e| self.sql(e))
    }

    /// The subquery `(rid, score)` of the papers holding every word (lower score is better),
    /// its arguments pushed on `args`; `None` when no paper holds them all.
    ///
    /// The matches are chosen inside the FTS table before any row of `components` is read:
    /// - more than [`BROAD_TEXT`] matches: the newest, unranked;
    /// - otherwise ranked by bm25 (RFC-less: Robertson–Spärck Jones, FTS5's `bm25()`) over the
    ///   words on at most [`BROAD_TEXT`] papers; the commoner words only filter, because bm25
    ///   reads every posting of every word it weighs (a word on every paper costs ~40 ms at a
    ///   million papers) and such words weigh nothing anyway.
    fn text_matches(
        &self,
        words: &[String],
        only_text: bool,
        limit: usize,
        args: &mut Vec<Box<dyn rusqlite::ToSql>>,
    ) -> Result<Option<String>, IndexError> {
        let all = words.join(" ");
        let n = self.matches_up_to(&all, BROAD_TEXT)?;
        if n == 0 {
            return Ok(None);
        }
        let newest = |scan: String| {
            format!(
                "SELECT rowid AS rid, 0.0 AS score FROM component_text
                 WHERE component_text MATCH ? ORDER BY rowid DESC {scan}"
            )
        };
        if n > BROAD_TEXT {
            let scan = if only_text { limit as i64 } else { BROAD_TEXT };
            args.push(Box::new(all));
            return Ok(Some(newest(format!("LIMIT {scan}"))));
        }
        let mut rare = Vec::new();
        for w in words {
            if self.matches_up_to(w, BROAD_TEXT)? <= BROAD_TEXT {
                rare.push(w.as_str());
            }
        }
        let lim = if only_text {
            format!("LIMIT {limit}")
        } else {
            String::new()
        };
        Ok(Some(if rare.is_empty() {
            args.push(Box::new(all));
            newest(lim)
        } else if rare.len() == words.len() {
            args.push(Box::new(all));
            format!(
                "SELECT rowid AS rid, bm25(component_text) AS score FROM component_text
                 WHERE component_text MATCH ? ORDER BY score {lim}"
            )
        } else {
            args.push(Box::new(rare.join(" ")));
            args.push(Box::new(all));
            format!(
                "SELECT rowid AS rid, bm25(component_text) AS score FROM component_text
                 WHERE component_text MATCH ? AND rowid IN
                   (SELECT rowid FROM component_text WHERE component_text MATCH ?)
                 ORDER BY score {lim}"
            )
        }))
    }

    /// `rows` with each paper's owners filled in.
    fn with_owners(&self, mut rows: Vec<ComponentRow>) -> Result<Vec<ComponentRow>, IndexError> {
        for c in &mut rows {
            c.owner_ids = self.owners(c.id)?;
        }
        Ok(rows)
    }

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
        let sql = sql_err(&self.db);
        let tx = self.conn.transaction().map_err(sql)?;
        let out = add_in(&tx, c, audit).map_err(sql)?;
        tx.commit().map_err(sql)?;
        Ok(out)
    }

    fn add_components(
        &mut self,
        items: &[(NewComponent, AuditRequest)],
    ) -> Result<Vec<i64>, IndexError> {
        let sql = sql_err(&self.db);
        let tx = self.conn.transaction().map_err(sql)?;
        let mut ids = Vec::with_capacity(items.len());
        for (c, a) in items {
            ids.push(add_in(&tx, c, a).map_err(sql)?.0);
        }
        tx.commit().map_err(sql)?;
        Ok(ids)
    }

    fn find(&mut self, q: &Query) -> Result<Vec<ComponentRow>, IndexError> {
        let mut sql = format!("SELECT {COMPONENT_COLUMNS}");
        let mut args: Vec<Box<dyn rusqlite::ToSql>> = Vec::new();
        let words = q.text.as_deref().map(fts_words);
        if words.as_ref().is_some_and(Vec::is_empty) {
            return Ok(Vec::new());
        }
        let limit = if q.limit == 0 {
            100
        } else {
            q.limit.min(10_000)
        };
        // with no other criterion the first `limit` matches are the answer
        let only_text = q.person_id.is_none()
            && q.source_sha256.is_none()
            && q.tax_code.is_none()
            && q.dossier_code.is_none()
            && q.type_code.is_none()
            && q.valid_on.is_none()
            && q.unit_code.is_none();
        match words {
            Some(words) => {
                let inner = self.text_matches(&words, only_text, limit, &mut args)?;
                let Some(inner) = inner else {
                    return Ok(Vec::new());
                };
                sql.push_str(&format!(
                    ", m.score AS score FROM ({inner}) m
                      JOIN components c ON c.id = m.rid
                      LEFT JOIN signatures s ON s.component_id = c.id WHERE 1 = 1"
                ));
            }
            None => sql.push_str(
                ", 0.0 AS score FROM components c
                   LEFT JOIN signatures s ON s.component_id = c.id WHERE 1 = 1",
            ),
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
        if let Some(h) = &q.source_sha256 {
            sql.push_str(" AND c.source_sha256 = ?");
            args.push(Box::new(h.clone()));
        }
        if let Some(u) = &q.unit_code {
            sql.push_str(" AND c.unit_code = ?");
            args.push(Box::new(u.clone()));
        }
        sql.push_str(&format!(" ORDER BY score, c.id DESC LIMIT {limit}"));
        let rows = {
            let mut st = self.conn.prepare(&sql).map_err(|e| self.sql(e))?;
            let params: Vec<&dyn rusqlite::ToSql> = args.iter().map(|b| b.as_ref()).collect();
            let mapped = st
                .query_map(params.as_slice(), |r| {
                    let mut c = component_of(r)?;
                    let score: f64 = r.get(20)?;
                    c.rank = (score != 0.0).then_some(-score);
                    Ok(c)
                })
                .map_err(|e| self.sql(e))?;
            mapped
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| self.sql(e))?
        };
        self.with_owners(rows)
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

    fn likeness_candidates(
        &mut self,
        type_code: &str,
        probe: &PaperSignature,
    ) -> Result<Vec<(i64, String)>, IndexError> {
        let (phash, numbers) = likeness_keys(probe);
        let mut ids: Vec<i64> = Vec::new();
        if !numbers.is_empty() {
            let numbers = &numbers[..numbers.len().min(64)];
            let marks = vec!["?"; numbers.len()].join(", ");
            let mut st = self
                .conn
                .prepare(&format!(
                    "SELECT component_id FROM component_numbers WHERE number IN ({marks})
                     GROUP BY component_id ORDER BY COUNT(*) DESC, component_id
                     LIMIT {CANDIDATES_PER_KEY}"
                ))
                .map_err(|e| self.sql(e))?;
            let rows = st
                .query_map(rusqlite::params_from_iter(numbers), |r| r.get::<_, i64>(0))
                .map_err(|e| self.sql(e))?;
            for id in rows {
                ids.push(id.map_err(|e| self.sql(e))?);
            }
        }
        if let Some(h) = phash {
            let near = self.near_phash(h, CANDIDATE_PHASH_BITS, CANDIDATES_PER_KEY)?;
            ids.extend(near.into_iter().map(|(id, _)| id));
        }
        ids.sort_unstable();
        ids.dedup();
        let mut out = Vec::with_capacity(ids.len());
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT likeness_json FROM components
                 WHERE id = ?1 AND type_code = ?2 AND likeness_json IS NOT NULL",
            )
            .map_err(|e| self.sql(e))?;
        for id in ids {
            let json: Option<String> = st
                .query_row(params![id, type_code], |r| r.get(0))
                .optional()
                .map_err(|e| self.sql(e))?;
            if let Some(json) = json {
                out.push((id, json));
            }
        }
        Ok(out)
    }

    fn near_phash(
        &mut self,
        phash: u64,
        max_bits: u32,
        limit: usize,
    ) -> Result<Vec<(i64, u32)>, IndexError> {
        // multi-index hashing: within max_bits over four bands means within max_bits / 4 on one
        let max_bits = max_bits.min(11);
        let per_band = max_bits / 4;
        let mut found: std::collections::HashMap<i64, u32> = std::collections::HashMap::new();
        for b in 0..4u32 {
            let values = band_neighbours(band(phash, b), per_band);
            let marks = vec!["?"; values.len()].join(", ");
            let mut st = self
                .conn
                .prepare_cached(&format!(
                    "SELECT component_id, phash FROM component_phash
                     WHERE band = {b} AND value IN ({marks})"
                ))
                .map_err(|e| self.sql(e))?;
            let rows = st
                .query_map(rusqlite::params_from_iter(&values), |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
                })
                .map_err(|e| self.sql(e))?;
            for row in rows {
                let (id, h) = row.map_err(|e| self.sql(e))?;
                let d = hamming(phash, h as u64);
                if d <= max_bits {
                    found.insert(id, d);
                }
            }
        }
        let mut out: Vec<(i64, u32)> = found.into_iter().collect();
        out.sort_by_key(|&(id, d)| (d, id));
        out.truncate(if limit == 0 { 100 } else { limit });
        Ok(out)
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
        let sql = sql_err(&self.db);
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
        // the dossier a paper is reused in is a dossier received (it counts in the reports)
        if let Some(unit) = crate::classify::dossier_code::unit_of(dossier_code) {
            tx.execute(
                "INSERT INTO units (code) VALUES (?1) ON CONFLICT (code) DO NOTHING",
                [unit],
            )
            .map_err(sql)?;
            tx.execute(
                "INSERT INTO dossiers (code, unit_code, received_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (code) DO NOTHING",
                params![dossier_code, unit, audit.time],
            )
            .map_err(sql)?;
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

    fn component_detail(&mut self, id: i64) -> Result<Option<(String, String)>, IndexError> {
        self.conn
            .query_row(
                "SELECT fields_json, ocr_text FROM components WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.sql(e))
    }

    fn review_queue(
        &mut self,
        units: &[String],
        limit: usize,
    ) -> Result<Vec<ComponentRow>, IndexError> {
        let limit = if limit == 0 { 100 } else { limit.min(10_000) };
        let mut sql = format!(
            "SELECT {COMPONENT_COLUMNS} FROM components c
             LEFT JOIN signatures s ON s.component_id = c.id
             WHERE c.review_state = 'needs_review'"
        );
        if !units.is_empty() {
            let marks = vec!["?"; units.len()].join(", ");
            sql.push_str(&format!(" AND c.unit_code IN ({marks})"));
        }
        sql.push_str(&format!(" ORDER BY c.id LIMIT {limit}"));
        let rows = {
            let mut st = self.conn.prepare(&sql).map_err(|e| self.sql(e))?;
            let mapped = st
                .query_map(rusqlite::params_from_iter(units.iter()), component_of)
                .map_err(|e| self.sql(e))?;
            mapped
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| self.sql(e))?
        };
        self.with_owners(rows)
    }

    fn review_component(
        &mut self,
        id: i64,
        review: &Review,
        audit: &AuditRequest,
    ) -> Result<AuditEntry, IndexError> {
        let sql = sql_err(&self.db);
        let tx = self.conn.transaction().map_err(sql)?;
        let changed = tx
            .execute(
                "UPDATE components SET review_state = ?2, type_code = ?3, fields_json = ?4,
                     issue_date = ?5, valid_until = ?6
                 WHERE id = ?1",
                params![
                    id,
                    review.state.code(),
                    review.type_code,
                    review.fields_json,
                    review.issue_date,
                    review.valid_until
                ],
            )
            .map_err(sql)?;
        if changed == 0 {
            return Err(IndexError::NoComponent {
                db: self.db.clone(),
                id,
            });
        }
        tx.execute("DELETE FROM component_owners WHERE component_id = ?1", [id])
            .map_err(sql)?;
        for p in &review.owner_ids {
            tx.execute(
                "INSERT INTO component_owners (component_id, person_id) VALUES (?1, ?2)
                 ON CONFLICT DO NOTHING",
                params![id, p],
            )
            .map_err(sql)?;
        }
        tx.execute(
            "DELETE FROM component_tax_codes WHERE component_id = ?1",
            [id],
        )
        .map_err(sql)?;
        for t in &review.tax_codes {
            tx.execute(
                "INSERT INTO component_tax_codes (component_id, tax_code) VALUES (?1, ?2)
                 ON CONFLICT DO NOTHING",
                params![id, t],
            )
            .map_err(sql)?;
        }
        let entry = append_in(&tx, audit).map_err(sql)?;
        tx.commit().map_err(sql)?;
        Ok(entry)
    }

    fn reviewed_examples(&mut self) -> Result<Vec<(String, String)>, IndexError> {
        let mut st = self
            .conn
            .prepare(
                "SELECT type_code, ocr_text FROM components
                 WHERE review_state IN ('confirmed', 'corrected') ORDER BY id",
            )
            .map_err(|e| self.sql(e))?;
        let rows = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }

    fn scans_ingested(&mut self, sha256: &[String]) -> Result<bool, IndexError> {
        let mut st = self
            .conn
            .prepare_cached("SELECT 1 FROM ingested_scans WHERE sha256 = ?1")
            .map_err(|e| self.sql(e))?;
        for h in sha256 {
            let found: Option<i64> = st
                .query_row([h], |r| r.get(0))
                .optional()
                .map_err(|e| self.sql(e))?;
            if found.is_none() {
                return Ok(false);
            }
        }
        Ok(!sha256.is_empty())
    }

    fn mark_scans_ingested(&mut self, sha256: &[String], at: &str) -> Result<(), IndexError> {
        let sql = sql_err(&self.db);
        let tx = self.conn.transaction().map_err(sql)?;
        for h in sha256 {
            tx.execute(
                "INSERT INTO ingested_scans (sha256, finished_at) VALUES (?1, ?2)
                 ON CONFLICT (sha256) DO NOTHING",
                params![h, at],
            )
            .map_err(sql)?;
        }
        tx.commit().map_err(sql)
    }

    fn job_begin(&mut self, job: &JobRow) -> Result<u32, IndexError> {
        let sql = sql_err(&self.db);
        let tx = self.conn.transaction().map_err(sql)?;
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

    fn report_counts(
        &mut self,
        utc_offset_minutes: i32,
    ) -> Result<super::report::ReportCounts, IndexError> {
        // `?1` moves the stored UTC times ("…Z") to the desk's clock before taking the month;
        // a time SQLite cannot read keeps its first seven characters (as before)
        let modifier = format!("{utc_offset_minutes:+} minutes");
        let counts = |sql: &str| -> Result<Vec<super::report::Count>, IndexError> {
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
        Ok(super::report::ReportCounts {
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

    fn append_audit(&mut self, a: &AuditRequest) -> Result<AuditEntry, IndexError> {
        let sql = sql_err(&self.db);
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
