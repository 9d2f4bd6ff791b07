//! Stage `store`, SQLite index: near-duplicate keys — the long numbers a paper prints and its
//! first page's pHash in four 16-bit bands (multi-index hashing), written with the paper and
//! back-filled by migration 2.

use rusqlite::{params, Transaction};

use crate::index::LikenessKeys;

/// At most this many candidates from each key (shared numbers, pHash) of a near-duplicate probe.
pub(super) const CANDIDATES_PER_KEY: usize = 200;
/// The pHash radius of the near-duplicate pre-selection (bits): re-scans measured a median
/// 3.5 bits (mean of pHash and dHash); the numbers catch the rest.
pub(super) const CANDIDATE_PHASH_BITS: u32 = 11;

/// The 16-bit band `b` (0..4) of a 64-bit hash.
pub(super) fn band(h: u64, b: u32) -> i64 {
    ((h >> (16 * b)) & 0xffff) as i64
}

/// Every 16-bit value within `bits` (at most 2) of `v`.
pub(super) fn band_neighbours(v: i64, bits: u32) -> Vec<i64> {
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

pub(super) fn insert_likeness_keys(
    tx: &Transaction<'_>,
    id: i64,
    json: &str,
) -> rusqlite::Result<()> {
    // a signature this build cannot read is kept as it is, just not indexed
    let Some(LikenessKeys { phash, numbers }) = LikenessKeys::from_json(json) else {
        return Ok(());
    };
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
pub(super) fn backfill_likeness_keys(tx: &Transaction<'_>) -> rusqlite::Result<()> {
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
