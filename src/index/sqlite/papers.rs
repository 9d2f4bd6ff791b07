//! Stage `store`, SQLite index: the papers — indexing them (each with its audit entry, in one
//! transaction), finding them (criteria, full text ranked by bm25 within bounds), one paper,
//! its fields, the scans taken to the end, the blobs referenced.

use rusqlite::{params, OptionalExtension};

use super::likeness::*;
use super::*;
use crate::index::LikenessKeys;

/// A text search matching more papers than this is "broad": ranking them all (bm25) would take
/// seconds and rank nothing useful, so its newest this many matches are searched, newest
/// first, unranked.
pub const BROAD_TEXT: i64 = 5_000;

/// The FTS5 terms of free text: each diacritic-free word quoted (no operators from the user;
/// a word holds only letters and digits), at most 32.
pub(super) fn fts_words(text: &str) -> Vec<String> {
    let folded = text::fold(text);
    text::tokens(&folded)
        .take(32)
        .map(|w| format!("\"{w}\""))
        .collect()
}

/// Indexes one paper and appends its audit entry inside `tx`.
pub(super) fn add_in(
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
            ocr_text, likeness_json, rescan_of, created_at, source_page, blank_pages)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
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
            c.source_page as i64,
            c.blank_pages as i64
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
    pub(super) fn with_owners(
        &self,
        mut rows: Vec<ComponentRow>,
    ) -> Result<Vec<ComponentRow>, IndexError> {
        for c in &mut rows {
            c.owner_ids = self.owners(c.id)?;
        }
        Ok(rows)
    }

    pub(super) fn owners(&self, id: i64) -> Result<Vec<String>, IndexError> {
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

impl Papers for SqliteIndex {
    fn add_component(
        &mut self,
        c: &NewComponent,
        audit: &AuditRequest,
    ) -> Result<(i64, AuditEntry), IndexError> {
        let sql = sql_err(&self.db);
        let tx = write_tx(&mut self.conn).map_err(sql)?;
        let out = add_in(&tx, c, audit).map_err(sql)?;
        tx.commit().map_err(sql)?;
        Ok(out)
    }

    fn add_components(
        &mut self,
        items: &[(NewComponent, AuditRequest)],
    ) -> Result<Vec<i64>, IndexError> {
        let sql = sql_err(&self.db);
        let tx = write_tx(&mut self.conn).map_err(sql)?;
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
                    let score: f64 = r.get(COMPONENT_COLUMN_COUNT)?;
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

    fn dossier(&mut self, code: &str) -> Result<Option<DossierRow>, IndexError> {
        self.conn
            .query_row(
                "SELECT code, unit_code, received_at FROM dossiers WHERE code = ?1",
                [code],
                |r| {
                    Ok(DossierRow {
                        code: r.get(0)?,
                        unit_code: r.get(1)?,
                        received_at: r.get(2)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.sql(e))
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

    fn likeness_candidates(
        &mut self,
        type_code: &str,
        probe: &LikenessKeys,
    ) -> Result<Vec<(i64, String)>, IndexError> {
        let (phash, numbers) = (probe.phash, &probe.numbers);
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
                let d = (phash ^ h as u64).count_ones();
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
        let tx = write_tx(&mut self.conn).map_err(sql)?;
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

    fn referenced_blobs(&mut self) -> Result<Vec<String>, IndexError> {
        let mut st = self
            .conn
            .prepare(
                "SELECT source_sha256 FROM components
                 UNION SELECT signed_sha256 FROM components WHERE signed_sha256 IS NOT NULL
                 UNION SELECT old_sha256 FROM renewals",
            )
            .map_err(|e| self.sql(e))?;
        let rows = st
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }

    fn signed_papers(&mut self) -> Result<Vec<(i64, String)>, IndexError> {
        let mut st = self
            .conn
            .prepare(
                "SELECT id, signed_sha256 FROM components
                 WHERE signed_sha256 IS NOT NULL ORDER BY id",
            )
            .map_err(|e| self.sql(e))?;
        let rows = st
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }

    fn renew_component(
        &mut self,
        id: i64,
        old_sha256: &str,
        new_sha256: &str,
        level: &str,
        audit: &AuditRequest,
    ) -> Result<Option<AuditEntry>, IndexError> {
        let sql = sql_err(&self.db);
        let tx = write_tx(&mut self.conn).map_err(&sql)?;
        let changed = tx
            .execute(
                "UPDATE components SET signed_sha256 = ?1 WHERE id = ?2 AND signed_sha256 = ?3",
                params![new_sha256, id, old_sha256],
            )
            .map_err(&sql)?;
        if changed == 0 {
            return Ok(None);
        }
        tx.execute(
            "UPDATE signatures SET level = ?1 WHERE component_id = ?2",
            params![level, id],
        )
        .map_err(&sql)?;
        tx.execute(
            "INSERT INTO renewals (component_id, old_sha256, new_sha256, level, at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, old_sha256, new_sha256, level, audit.time],
        )
        .map_err(&sql)?;
        let entry = append_in(&tx, audit).map_err(&sql)?;
        tx.commit().map_err(&sql)?;
        Ok(Some(entry))
    }
}
