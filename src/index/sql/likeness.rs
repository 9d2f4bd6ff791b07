//! Stage `store`, the index's near-duplicate keys on every database: the long numbers a paper
//! prints and its first page's pHash in four 16-bit bands (multi-index hashing), written with
//! the paper and back-filled by migration 2, and the lookups by them.

use std::collections::HashMap;

use super::*;
use crate::index::LikenessKeys;

/// At most this many candidates from each key (shared numbers, pHash) of a near-duplicate probe.
pub(crate) const CANDIDATES_PER_KEY: usize = 200;
/// The pHash radius of the near-duplicate pre-selection (bits): re-scans measured a median
/// 3.5 bits (mean of pHash and dHash); the numbers catch the rest.
pub(crate) const CANDIDATE_PHASH_BITS: u32 = 11;

/// The 16-bit band `b` (0..4) of a 64-bit hash.
pub(crate) fn band(h: u64, b: u32) -> i64 {
    ((h >> (16 * b)) & 0xffff) as i64
}

/// Every 16-bit value within `bits` (at most 2) of `v`.
pub(crate) fn band_neighbours(v: i64, bits: u32) -> Vec<i64> {
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

/// `?first, ?first+1, …` for `n` arguments.
pub(crate) fn marks(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn insert_likeness_keys(tx: &mut dyn Sql, id: i64, json: &str) -> Result<(), DbError> {
    // a signature this build cannot read is kept as it is, just not indexed
    let Some(LikenessKeys { phash, numbers }) = LikenessKeys::from_json(json) else {
        return Ok(());
    };
    for n in numbers {
        tx.exec(
            "INSERT INTO component_numbers (component_id, number) VALUES (?1, ?2)
             ON CONFLICT DO NOTHING",
            args![id, n],
        )?;
    }
    if let Some(h) = phash {
        for b in 0..4 {
            tx.exec(
                "INSERT INTO component_phash (component_id, band, value, phash)
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                args![id, b as i64, band(h, b), h as i64],
            )?;
        }
    }
    Ok(())
}

/// Migration 2 on a database that already holds papers: their numbers and pHash bands.
pub(crate) fn backfill_likeness_keys(tx: &mut dyn Sql) -> Result<(), DbError> {
    let rows = tx.rows(
        "SELECT id, likeness_json FROM components WHERE likeness_json IS NOT NULL",
        &[],
    )?;
    for r in rows {
        insert_likeness_keys(tx, r.int(0)?, &r.text(1)?)?;
    }
    Ok(())
}

/// See [`crate::index::Papers::likeness_candidates`].
pub(super) fn likeness_candidates<B: Backend>(
    ix: &mut SqlIndex<B>,
    type_code: &str,
    probe: &LikenessKeys,
) -> Result<Vec<(i64, String)>, IndexError> {
    let (phash, numbers) = (probe.phash, &probe.numbers);
    let mut ids: Vec<i64> = Vec::new();
    if !numbers.is_empty() {
        let numbers = &numbers[..numbers.len().min(64)];
        let args: Vec<Value> = numbers.iter().map(Value::from).collect();
        let rows = ix
            .db
            .conn()
            .rows(
                &format!(
                    "SELECT component_id FROM component_numbers WHERE number IN ({})
                     GROUP BY component_id ORDER BY COUNT(*) DESC, component_id
                     LIMIT {CANDIDATES_PER_KEY}",
                    marks(1, numbers.len())
                ),
                &args,
            )
            .map_err(ix.err())?;
        for r in rows {
            ids.push(r.int(0).map_err(ix.err())?);
        }
    }
    if let Some(h) = phash {
        let near = near_phash(ix, h, CANDIDATE_PHASH_BITS, CANDIDATES_PER_KEY)?;
        ids.extend(near.into_iter().map(|(id, _)| id));
    }
    ids.sort_unstable();
    ids.dedup();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let row = ix
            .db
            .conn()
            .row(
                "SELECT likeness_json FROM components
                 WHERE id = ?1 AND type_code = ?2 AND likeness_json IS NOT NULL",
                args![id, type_code],
            )
            .map_err(ix.err())?;
        if let Some(r) = row {
            out.push((id, r.text(0).map_err(ix.err())?));
        }
    }
    Ok(out)
}

/// See [`crate::index::Papers::near_phash`].
pub(super) fn near_phash<B: Backend>(
    ix: &mut SqlIndex<B>,
    phash: u64,
    max_bits: u32,
    limit: usize,
) -> Result<Vec<(i64, u32)>, IndexError> {
    // multi-index hashing: within max_bits over four bands means within max_bits / 4 on one
    let max_bits = max_bits.min(11);
    let per_band = max_bits / 4;
    let mut found: HashMap<i64, u32> = HashMap::new();
    for b in 0..4u32 {
        let values = band_neighbours(band(phash, b), per_band);
        let args: Vec<Value> = values.iter().map(|&v| Value::Int(v)).collect();
        let rows = ix
            .db
            .conn()
            .rows(
                &format!(
                    "SELECT component_id, phash FROM component_phash
                     WHERE band = {b} AND value IN ({})",
                    marks(1, values.len())
                ),
                &args,
            )
            .map_err(ix.err())?;
        for r in rows {
            let (id, h) = (r.int(0).map_err(ix.err())?, r.int(1).map_err(ix.err())?);
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
