//! Desk floor, the directives' indicators per unit and month (pure: grouped counts in, rows
//! and rates out, as a table, CSV or JSON from the same rows): dossiers received and
//! digitized, papers digitized and signed, dossiers that reused a paper on file — the
//! digitization, signing and reuse rates the seeds track (see `../shared/domain.md`,
//! "Measure"). Months are the desk's calendar months (the index counts them so).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::{ReportConfig, TargetRates};
use crate::index::report::{Count, ReportCounts};

/// One unit's month.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct UnitMonth {
    pub unit: String,
    pub month: String,
    pub dossiers_received: u64,
    pub dossiers_digitized: u64,
    pub components_digitized: u64,
    pub components_signed: u64,
    pub dossiers_reusing: u64,
    pub reuse_events: u64,
    /// Dossiers digitized / received (None when none was received).
    pub digitization_rate: Option<f64>,
    /// Papers signed / digitized.
    pub signing_rate: Option<f64>,
    /// Dossiers that reused a paper / received.
    pub reuse_rate: Option<f64>,
}

fn rate(a: u64, b: u64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// The rows, by unit then month; only `unit` and the months from `from` to `to` ("YYYY-MM",
/// both included) when given.
pub fn build(
    c: &ReportCounts,
    unit: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
) -> Vec<UnitMonth> {
    let mut rows: BTreeMap<(String, String), UnitMonth> = BTreeMap::new();
    let mut add = |counts: &[Count], set: fn(&mut UnitMonth, u64)| {
        for (u, m, n) in counts {
            // "YYYY-MM" compares as text in calendar order
            if unit.is_some_and(|x| x != u)
                || from.is_some_and(|f| m.as_str() < f)
                || to.is_some_and(|t| m.as_str() > t)
            {
                continue;
            }
            let row = rows
                .entry((u.clone(), m.clone()))
                .or_insert_with(|| UnitMonth {
                    unit: u.clone(),
                    month: m.clone(),
                    ..UnitMonth::default()
                });
            set(row, *n);
        }
    };
    add(&c.dossiers_received, |r, n| r.dossiers_received += n);
    add(&c.dossiers_digitized, |r, n| r.dossiers_digitized += n);
    add(&c.components, |r, n| r.components_digitized += n);
    add(&c.signed, |r, n| r.components_signed += n);
    add(&c.dossiers_reusing, |r, n| r.dossiers_reusing += n);
    add(&c.reuse_events, |r, n| r.reuse_events += n);
    rows.into_values()
        .map(|mut r| {
            r.digitization_rate = rate(r.dossiers_digitized, r.dossiers_received);
            r.signing_rate = rate(r.components_signed, r.components_digitized);
            r.reuse_rate = rate(r.dossiers_reusing, r.dossiers_received);
            r
        })
        .collect()
}

/// The rows as CSV (RFC 4180; rates as percentages with one decimal, empty when undefined),
/// headers in Vietnamese and English.
pub fn csv(rows: &[UnitMonth]) -> String {
    let pct = |r: Option<f64>| r.map(|v| format!("{:.1}", v * 100.0)).unwrap_or_default();
    let mut out = String::from(
        "don_vi/unit,thang/month,ho_so_tiep_nhan/dossiers_received,ho_so_so_hoa/dossiers_digitized,\
         giay_to_so_hoa/components_digitized,giay_to_ky_so/components_signed,\
         ho_so_tai_su_dung/dossiers_reusing,luot_tai_su_dung/reuse_events,\
         ty_le_so_hoa_%/digitization_rate_%,ty_le_ky_so_%/signing_rate_%,ty_le_tai_su_dung_%/reuse_rate_%\r\n",
    );
    for r in rows {
        // unit codes and months hold no commas or quotes (validated shapes)
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{}\r\n",
            r.unit,
            r.month,
            r.dossiers_received,
            r.dossiers_digitized,
            r.components_digitized,
            r.components_signed,
            r.dossiers_reusing,
            r.reuse_events,
            pct(r.digitization_rate),
            pct(r.signing_rate),
            pct(r.reuse_rate)
        ));
    }
    out
}

/// The rows as the table `sohoa report` prints (rates as percentages, "-" when undefined).
pub fn table(rows: &[UnitMonth]) -> String {
    let pct = |r: Option<f64>| r.map_or("-".to_string(), |v| format!("{:.1}%", v * 100.0));
    let mut out = format!(
        "{:<14} {:<7} {:>9} {:>9} {:>7} {:>7} {:>8} {:>10} {:>8} {:>8}\n",
        "unit",
        "month",
        "dossiers",
        "digitized",
        "papers",
        "signed",
        "reusing",
        "digit.rate",
        "sign.rate",
        "reuse"
    );
    for r in rows {
        out.push_str(&format!(
            "{:<14} {:<7} {:>9} {:>9} {:>7} {:>7} {:>8} {:>10} {:>8} {:>8}\n",
            r.unit,
            r.month,
            r.dossiers_received,
            r.dossiers_digitized,
            r.components_digitized,
            r.components_signed,
            r.dossiers_reusing,
            pct(r.digitization_rate),
            pct(r.signing_rate),
            pct(r.reuse_rate)
        ));
    }
    out
}

/// The directives' targets for one unit, as fractions (0.4 = 40 %), and the level they are
/// set for (`[report]` in config.toml).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UnitTargets {
    pub level: String,
    pub digitization_rate: Option<f64>,
    pub signing_rate: Option<f64>,
    pub reuse_rate: Option<f64>,
}

/// The targets of each of `units` (pure): the unit's level from `[report.unit_levels]`, else
/// `default_level`; units with no level or no targets for it are left out.
pub fn targets<'a>(
    cfg: &ReportConfig,
    units: impl IntoIterator<Item = &'a str>,
) -> BTreeMap<String, UnitTargets> {
    let frac = |p: Option<f64>| p.map(|v| v / 100.0);
    units
        .into_iter()
        .filter_map(|u| {
            let level = cfg.unit_levels.get(u).or(cfg.default_level.as_ref())?;
            let t: &TargetRates = cfg.targets.get(level)?;
            Some((
                u.to_string(),
                UnitTargets {
                    level: level.clone(),
                    digitization_rate: frac(t.digitization_rate),
                    signing_rate: frac(t.signing_rate),
                    reuse_rate: frac(t.reuse_rate),
                },
            ))
        })
        .collect()
}
