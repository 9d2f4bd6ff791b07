//! Stage `store`, the index's papers on every database: indexing them (each with its audit
//! entry, in one transaction), finding them (criteria, and the full text through the
//! backend's search), one paper, its fields, the scans taken to the end, the blobs referenced.

use super::likeness::*;
use super::*;
use crate::index::{DossierRow, LikenessKeys, NewComponent, Papers, Query};
use crate::text;

use std::collections::HashMap;

/// Papers whose owners one statement reads.
const OWNERS_CHUNK: usize = 200;

/// The words of free text as the index holds them: diacritic-free, lower case, letters and
/// digits only, at most 32 (no operator of the user's reaches the database).
pub(crate) fn search_words(text: &str) -> Vec<String> {
    let folded = text::fold(text);
    text::tokens(&folded).take(32).map(str::to_string).collect()
}

/// Sets paper `id`'s owners' identity numbers and tax codes inside `tx` (replacing any).
pub(crate) fn set_owners(
    tx: &mut dyn Sql,
    id: i64,
    owner_ids: &[String],
    tax_codes: &[String],
) -> Result<(), DbError> {
    for (table, column, values) in [
        ("component_owners", "person_id", owner_ids),
        ("component_tax_codes", "tax_code", tax_codes),
    ] {
        tx.exec(
            &format!("DELETE FROM {table} WHERE component_id = ?1"),
            args![id],
        )?;
        for v in values {
            tx.exec(
                &format!(
                    "INSERT INTO {table} (component_id, {column}) VALUES (?1, ?2)
                     ON CONFLICT DO NOTHING"
                ),
                args![id, v],
            )?;
        }
    }
    Ok(())
}

/// Indexes one paper and appends its audit entry inside `tx`.
pub(crate) fn add_in<B: Backend>(
    tx: &mut dyn Sql,
    c: &NewComponent,
    audit: &AuditRequest,
) -> Result<(i64, AuditEntry), DbError> {
    tx.exec(
        "INSERT INTO units (code) VALUES (?1) ON CONFLICT (code) DO NOTHING",
        args![&c.unit_code],
    )?;
    if let Some(d) = &c.dossier_code {
        tx.exec(
            "INSERT INTO dossiers (code, unit_code, received_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (code) DO NOTHING",
            args![d, &c.unit_code, &c.created_at],
        )?;
    }
    let id = tx.insert_id(
        "INSERT INTO components (unit_code, dossier_code, type_code, confidence, review_state,
            pages, source_sha256, signed_sha256, fields_json, issue_date, valid_until,
            ocr_text, likeness_json, rescan_of, created_at, source_page, blank_pages)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
        args![
            &c.unit_code,
            &c.dossier_code,
            &c.type_code,
            c.confidence as f64,
            c.review_state.code(),
            c.pages,
            &c.source_sha256,
            &c.signed_sha256,
            &c.fields_json,
            &c.issue_date,
            &c.valid_until,
            &c.ocr_text,
            &c.likeness_json,
            c.rescan_of,
            &c.created_at,
            c.source_page,
            c.blank_pages
        ],
    )?;
    set_owners(tx, id, &c.owner_ids, &c.tax_codes)?;
    if let Some(s) = &c.signature {
        tx.exec(
            "INSERT INTO signatures (component_id, signer_subject, cert_serial, cert_issuer,
                signed_at, level) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            args![
                id,
                &s.signer_subject,
                &s.cert_serial,
                &s.cert_issuer,
                &s.signed_at,
                &s.level
            ],
        )?;
    }
    B::text_insert(tx, id, &c.ocr_text)?;
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

impl<B: Backend> SqlIndex<B> {
    /// `rows` with each paper's owners filled in: one statement per [`OWNERS_CHUNK`] papers,
    /// not one per paper (on a database server each statement is a round trip).
    pub(crate) fn with_owners(
        &mut self,
        mut rows: Vec<ComponentRow>,
    ) -> Result<Vec<ComponentRow>, IndexError> {
        let mut owners: HashMap<i64, Vec<String>> = HashMap::new();
        for chunk in rows.chunks(OWNERS_CHUNK) {
            let marks: Vec<String> = (1..=chunk.len()).map(|n| format!("?{n}")).collect();
            let ids: Vec<Value> = chunk.iter().map(|c| Value::Int(c.id)).collect();
            let found = self
                .db
                .conn()
                .rows(
                    &format!(
                        "SELECT component_id, person_id FROM component_owners
                         WHERE component_id IN ({}) ORDER BY component_id, person_id",
                        marks.join(", ")
                    ),
                    &ids,
                )
                .map_err(self.err())?;
            for r in &found {
                let (id, person) = (r.int(0), r.text(1));
                owners
                    .entry(id.map_err(self.err())?)
                    .or_default()
                    .push(person.map_err(self.err())?);
            }
        }
        for c in &mut rows {
            c.owner_ids = owners.get(&c.id).cloned().unwrap_or_default();
        }
        Ok(rows)
    }

    /// Components of `sql`, whose arguments are `args`.
    pub(crate) fn components(
        &mut self,
        sql: &str,
        args: &[Value],
    ) -> Result<Vec<ComponentRow>, IndexError> {
        let rows = self.db.conn().rows(sql, args).map_err(self.err())?;
        let rows = rows
            .iter()
            .map(component_of)
            .collect::<Result<Vec<_>, _>>()
            .map_err(self.err())?;
        self.with_owners(rows)
    }

    /// One write transaction: `f`'s changes are committed together, or none is.
    pub(crate) fn write<T>(
        &mut self,
        f: impl FnOnce(&mut dyn Sql) -> Result<T, IndexError>,
    ) -> Result<T, IndexError> {
        let name = self.name.clone();
        let err = |source| IndexError::Sql {
            db: name.clone(),
            source,
        };
        let mut tx = self.db.write().map_err(err)?;
        let out = f(tx.as_mut())?;
        tx.commit().map_err(err)?;
        Ok(out)
    }

    /// `f` inside a write transaction, a failed statement named after this database.
    pub(crate) fn write_sql<T>(
        &mut self,
        f: impl FnOnce(&mut dyn Sql) -> Result<T, DbError>,
    ) -> Result<T, IndexError> {
        let name = self.name.clone();
        self.write(|tx| f(tx).map_err(|source| IndexError::Sql { db: name, source }))
    }
}

impl<B: Backend> Papers for SqlIndex<B> {
    fn add_component(
        &mut self,
        c: &NewComponent,
        audit: &AuditRequest,
    ) -> Result<(i64, AuditEntry), IndexError> {
        self.write_sql(|tx| add_in::<B>(tx, c, audit))
    }

    fn add_components(
        &mut self,
        items: &[(NewComponent, AuditRequest)],
    ) -> Result<Vec<i64>, IndexError> {
        self.write_sql(|tx| {
            items
                .iter()
                .map(|(c, a)| add_in::<B>(tx, c, a).map(|(id, _)| id))
                .collect()
        })
    }

    fn find(&mut self, q: &Query) -> Result<Vec<ComponentRow>, IndexError> {
        let mut sql = format!("SELECT {COMPONENT_COLUMNS}");
        let mut args: Vec<Value> = Vec::new();
        let words = q.text.as_deref().map(search_words);
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
                let inner = self
                    .db
                    .text_matches(&words, only_text, limit, &mut args)
                    .map_err(self.err())?;
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
                ", CAST(0.0 AS REAL) AS score FROM components c
                   LEFT JOIN signatures s ON s.component_id = c.id WHERE 1 = 1",
            ),
        }
        // each criterion's placeholder numbered after those before it
        let arg = |args: &mut Vec<Value>, v: &String| {
            args.push(Value::from(v));
            format!("?{}", args.len())
        };
        if let Some(p) = &q.person_id {
            let n = arg(&mut args, p);
            sql.push_str(&format!(
                " AND c.id IN (SELECT component_id FROM component_owners WHERE person_id = {n})"
            ));
        }
        if let Some(t) = &q.tax_code {
            let n = arg(&mut args, t);
            sql.push_str(&format!(
                " AND c.id IN (SELECT component_id FROM component_tax_codes WHERE tax_code = {n})"
            ));
        }
        if let Some(d) = &q.dossier_code {
            let n = arg(&mut args, d);
            sql.push_str(&format!(
                " AND (c.dossier_code = {n} OR c.id IN
                   (SELECT component_id FROM reuse_events WHERE dossier_code = {n}))"
            ));
        }
        if let Some(t) = &q.type_code {
            let n = arg(&mut args, t);
            sql.push_str(&format!(" AND c.type_code = {n}"));
        }
        if let Some(v) = &q.valid_on {
            let n = arg(&mut args, v);
            sql.push_str(&format!(
                " AND (c.valid_until IS NULL OR c.valid_until >= {n})"
            ));
        }
        if let Some(h) = &q.source_sha256 {
            let n = arg(&mut args, h);
            sql.push_str(&format!(" AND c.source_sha256 = {n}"));
        }
        if let Some(u) = &q.unit_code {
            let n = arg(&mut args, u);
            sql.push_str(&format!(" AND c.unit_code = {n}"));
        }
        sql.push_str(&format!(" ORDER BY score, c.id DESC LIMIT {limit}"));
        let rows = self.db.conn().rows(&sql, &args).map_err(self.err())?;
        let rows = rows
            .iter()
            .map(|r| {
                let mut c = component_of(r)?;
                let score = r.real(COMPONENT_COLUMN_COUNT)?;
                c.rank = (score != 0.0).then_some(-score);
                Ok(c)
            })
            .collect::<Result<Vec<_>, DbError>>()
            .map_err(self.err())?;
        self.with_owners(rows)
    }

    fn component(&mut self, id: i64) -> Result<Option<ComponentRow>, IndexError> {
        let sql = format!(
            "SELECT {COMPONENT_COLUMNS} FROM components c
             LEFT JOIN signatures s ON s.component_id = c.id WHERE c.id = ?1"
        );
        Ok(self.components(&sql, args![id])?.into_iter().next())
    }

    fn component_detail(&mut self, id: i64) -> Result<Option<(String, String)>, IndexError> {
        let row = self
            .db
            .conn()
            .row(
                "SELECT fields_json, ocr_text FROM components WHERE id = ?1",
                args![id],
            )
            .map_err(self.err())?;
        row.map(|r| Ok((r.text(0)?, r.text(1)?)))
            .transpose()
            .map_err(self.err())
    }

    fn dossier(&mut self, code: &str) -> Result<Option<DossierRow>, IndexError> {
        let row = self
            .db
            .conn()
            .row(
                "SELECT code, unit_code, received_at FROM dossiers WHERE code = ?1",
                args![code],
            )
            .map_err(self.err())?;
        row.map(|r| {
            Ok(DossierRow {
                code: r.text(0)?,
                unit_code: r.text(1)?,
                received_at: r.text(2)?,
            })
        })
        .transpose()
        .map_err(self.err())
    }

    fn component_by_source(&mut self, sha256: &str, page: u32) -> Result<Option<i64>, IndexError> {
        let row = self
            .db
            .conn()
            .row(
                "SELECT id FROM components WHERE source_sha256 = ?1 AND source_page = ?2",
                args![sha256, page],
            )
            .map_err(self.err())?;
        row.map(|r| r.int(0)).transpose().map_err(self.err())
    }

    fn likeness_candidates(
        &mut self,
        type_code: &str,
        probe: &LikenessKeys,
    ) -> Result<Vec<(i64, String)>, IndexError> {
        likeness_candidates(self, type_code, probe)
    }

    fn near_phash(
        &mut self,
        phash: u64,
        max_bits: u32,
        limit: usize,
    ) -> Result<Vec<(i64, u32)>, IndexError> {
        near_phash(self, phash, max_bits, limit)
    }

    fn scans_ingested(&mut self, sha256: &[String]) -> Result<bool, IndexError> {
        for h in sha256 {
            let found = self
                .db
                .conn()
                .row("SELECT 1 FROM ingested_scans WHERE sha256 = ?1", args![h])
                .map_err(self.err())?;
            if found.is_none() {
                return Ok(false);
            }
        }
        Ok(!sha256.is_empty())
    }

    fn mark_scans_ingested(&mut self, sha256: &[String], at: &str) -> Result<(), IndexError> {
        self.write_sql(|tx| {
            for h in sha256 {
                tx.exec(
                    "INSERT INTO ingested_scans (sha256, finished_at) VALUES (?1, ?2)
                     ON CONFLICT (sha256) DO NOTHING",
                    args![h, at],
                )?;
            }
            Ok(())
        })
    }

    fn referenced_blobs(&mut self) -> Result<Vec<String>, IndexError> {
        let rows = self
            .db
            .conn()
            .rows(
                "SELECT source_sha256 FROM components
                 UNION SELECT signed_sha256 FROM components WHERE signed_sha256 IS NOT NULL
                 UNION SELECT old_sha256 FROM renewals",
                &[],
            )
            .map_err(self.err())?;
        rows.iter()
            .map(|r| r.text(0))
            .collect::<Result<_, _>>()
            .map_err(self.err())
    }

    fn signed_papers(&mut self) -> Result<Vec<(i64, String)>, IndexError> {
        let rows = self
            .db
            .conn()
            .rows(
                "SELECT id, signed_sha256 FROM components
                 WHERE signed_sha256 IS NOT NULL ORDER BY id",
                &[],
            )
            .map_err(self.err())?;
        rows.iter()
            .map(|r| Ok((r.int(0)?, r.text(1)?)))
            .collect::<Result<_, _>>()
            .map_err(self.err())
    }

    fn renew_component(
        &mut self,
        id: i64,
        old_sha256: &str,
        new_sha256: &str,
        level: &str,
        audit: &AuditRequest,
    ) -> Result<Option<AuditEntry>, IndexError> {
        self.write_sql(|tx| {
            let changed = tx.exec(
                "UPDATE components SET signed_sha256 = ?1 WHERE id = ?2 AND signed_sha256 = ?3",
                args![new_sha256, id, old_sha256],
            )?;
            if changed == 0 {
                return Ok(None);
            }
            tx.exec(
                "UPDATE signatures SET level = ?1 WHERE component_id = ?2",
                args![level, id],
            )?;
            tx.exec(
                "INSERT INTO renewals (component_id, old_sha256, new_sha256, level, at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                args![id, old_sha256, new_sha256, level, &audit.time],
            )?;
            append_in(tx, audit).map(Some)
        })
    }
}
