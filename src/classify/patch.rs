//! Stage `classify`, image side: finds a Kodak patch code T on a scanned page — the separator
//! sheet scanner drivers and desks put between papers — from the bars alone (no decoder
//! library reads patch codes; this is a bar-profile measure, not a barcode decoder).
//!
//! A patch code is four parallel black bars and three spaces, the bars 2.03 mm (narrow) or
//! 5.08 mm (wide) thick, the spaces 2.03 mm, at most 20.3 mm across in all, the bars at least
//! 19 mm long and parallel to the sheet's leading edge, at least 6 mm from the edges (Kodak
//! A-61599 "Patch Code Information"; Kodak i5000 manual A-61670 §6). Read from the sheet's
//! edge inwards, patch T is narrow, wide, narrow, wide; patch 3 is the same bars read the other
//! way (CodeGlyphX `PatchCodeTables` and a ZXing fork's `PatchCodeReader` agree on NWNW for T),
//! so the bars are read from the nearer edge and only NWNW counts.
//!
//! Each scan line across the bars (every millimetre, rows and columns, so either feed
//! direction is found) is cut into runs of ink and paper; seven runs bar-space-bar-space-
//! bar-space-bar with paper on both sides, 15–26 mm in all, two bars clearly wider than the
//! other two, make a hit. Hits on neighbouring lines at nearly the same place (±5° of skew)
//! chain into bars; a chain at least [`MIN_BAR_MM`] long, with hits on most of its lines, is a
//! patch.

use image::GrayImage;

/// A pixel darker than this is ink.
const INK: u8 = 128;
/// Runs shorter than this (mm) are noise: merged into their neighbours.
const SPECK_MM: f32 = 0.4;
/// The whole patch across its bars, mm (nominally 20.3; printers scale "to fit" by up to 8%).
const ACROSS_MM: (f32, f32) = (15.0, 26.0);
/// Paper needed on both sides of the bars, mm.
const QUIET_MM: f32 = 2.0;
/// The shortest bars taken for a patch, mm (Kodak: 19 mm on the smaller scanners).
pub const MIN_BAR_MM: f32 = 15.0;
/// Share of the lines along a chain that must hit.
const MIN_HIT_SHARE: f32 = 0.7;
/// How far a chain's start may move from one line to the next, beyond the skew, mm.
const DRIFT_MM: f32 = 1.0;
/// Largest skew followed along the bars (tan 6°).
const MAX_SLOPE: f32 = 0.105;

/// A patch code found on a page: its kind read from the nearer edge and where its bars are
/// (`[x0, y0, x1, y1]`, pixels of the image searched).
#[derive(Clone, Debug, PartialEq)]
pub struct Patch {
    /// Narrow (`N`) and wide (`W`) bars from the sheet's nearer edge inwards: `NWNW` is patch T.
    pub bars: String,
    pub bbox: [f32; 4],
}

impl Patch {
    /// Patch T: the separator.
    pub fn is_t(&self) -> bool {
        self.bars == "NWNW"
    }
}

/// One scan line's seven runs that look like a patch: where they start and end along the line,
/// and the bars in the line's direction.
#[derive(Clone, Debug)]
struct Hit {
    line: usize,
    start: f32,
    end: f32,
    bars: [bool; 4],
}

/// Every patch code on `gray` (`dpi` its resolution), bars horizontal or vertical.
pub fn find(gray: &GrayImage, dpi: f32) -> Vec<Patch> {
    let px_mm = super::px_per_mm(dpi);
    let (w, h) = (gray.width() as usize, gray.height() as usize);
    if w == 0 || h == 0 {
        return Vec::new();
    }
    let step = px_mm.round().max(1.0) as usize;
    let raw = gray.as_raw();
    let mut found = Vec::new();
    // bars horizontal: read down the columns
    let columns = (0..w).step_by(step).map(|x| {
        let line: Vec<u8> = (0..h).map(|y| raw[y * w + x]).collect();
        hits(&line, px_mm)
    });
    for chain in chains(columns.collect(), step as f32, px_mm) {
        found.extend(patch_of(&chain, step, px_mm, h as f32, true));
    }
    // bars vertical: read along the rows
    let rows = (0..h)
        .step_by(step)
        .map(|y| hits(&raw[y * w..(y + 1) * w], px_mm));
    for chain in chains(rows.collect(), step as f32, px_mm) {
        found.extend(patch_of(&chain, step, px_mm, w as f32, false));
    }
    found
}

/// The hits of one scan line, its line number to be filled in by [`chains`].
fn hits(line: &[u8], px_mm: f32) -> Vec<Hit> {
    let runs = runs(line, (SPECK_MM * px_mm).round() as usize);
    let mut out = Vec::new();
    // runs alternate; a candidate is 7 runs starting with ink, with paper before and after
    for i in 1..runs.len().saturating_sub(7) {
        let (ink, _) = runs[i];
        if !ink {
            continue;
        }
        let before = runs[i - 1].1 as f32;
        let after = runs[i + 7].1 as f32;
        if before < QUIET_MM * px_mm || after < QUIET_MM * px_mm {
            continue;
        }
        let lens: Vec<f32> = runs[i..i + 7].iter().map(|r| r.1 as f32).collect();
        let across: f32 = lens.iter().sum();
        if across < ACROSS_MM.0 * px_mm || across > ACROSS_MM.1 * px_mm {
            continue;
        }
        if let Some(bars) = bars_of(&lens) {
            let start: usize = runs[..i].iter().map(|r| r.1).sum();
            out.push(Hit {
                line: 0,
                start: start as f32,
                end: start as f32 + across,
                bars,
            });
        }
    }
    out
}

/// Two wide and two narrow bars with even spaces, measured against the whole (a tenth of it
/// is the module: narrow bars and spaces one, wide bars two and a half): `true` = wide.
fn bars_of(lens: &[f32]) -> Option<[bool; 4]> {
    let unit = lens.iter().sum::<f32>() / 10.0;
    let bars = [lens[0], lens[2], lens[4], lens[6]];
    let mean = bars.iter().sum::<f32>() / 4.0;
    let wide = bars.map(|b| b > mean);
    if wide.iter().filter(|&&w| w).count() != 2 {
        return None;
    }
    let avg = |pick: bool| {
        bars.iter()
            .zip(wide)
            .filter(|(_, w)| *w == pick)
            .map(|(b, _)| b)
            .sum::<f32>()
            / 2.0
    };
    let (n, wd) = (avg(false), avg(true));
    // ink spread thickens every bar alike: the ratio falls from 2.5 towards 1.6
    if n <= 0.0 || !(1.6..=3.6).contains(&(wd / n)) {
        return None;
    }
    if bars.iter().zip(wide).any(|(&b, w)| {
        let (lo, hi) = if w { (1.6, 3.6) } else { (0.4, 1.8) };
        b < lo * unit || b > hi * unit
    }) {
        return None;
    }
    if [lens[1], lens[3], lens[5]]
        .iter()
        .any(|&s| s < 0.35 * unit || s > 1.8 * unit)
    {
        return None;
    }
    Some(wide)
}

/// Runs of `(ink, length)` along a line, runs shorter than `speck` merged into the run before.
fn runs(line: &[u8], speck: usize) -> Vec<(bool, usize)> {
    let mut raw: Vec<(bool, usize)> = Vec::new();
    for &p in line {
        let ink = p < INK;
        match raw.last_mut() {
            Some((k, n)) if *k == ink => *n += 1,
            _ => raw.push((ink, 1)),
        }
    }
    let mut out: Vec<(bool, usize)> = Vec::with_capacity(raw.len());
    for (ink, n) in raw {
        match out.last_mut() {
            // a speck joins the run before it, which then takes the run after it too
            Some((_, m)) if n < speck => *m += n,
            Some((k, m)) if *k == ink => *m += n,
            _ => out.push((ink, n)),
        }
    }
    out
}

/// Hits of consecutive lines (`per_line[i]` for line `i`) chained where they line up.
fn chains(per_line: Vec<Vec<Hit>>, step: f32, px_mm: f32) -> Vec<Vec<Hit>> {
    let reach = MAX_SLOPE * step * 2.0 + DRIFT_MM * px_mm;
    let mut open: Vec<Vec<Hit>> = Vec::new();
    let mut done = Vec::new();
    for (i, line) in per_line.into_iter().enumerate() {
        for mut hit in line {
            hit.line = i;
            let fits = open.iter_mut().find(|c| {
                c.last().is_some_and(|l| {
                    i - l.line <= 2 && (l.start - hit.start).abs() <= reach && l.bars == hit.bars
                })
            });
            match fits {
                Some(c) => c.push(hit),
                None => open.push(vec![hit]),
            }
        }
        // a chain with no hit on the last two lines is finished
        let (still, ended): (Vec<_>, Vec<_>) = open
            .into_iter()
            .partition(|c| c.last().is_some_and(|l| i - l.line < 2));
        open = still;
        done.extend(ended);
    }
    done.extend(open);
    done
}

/// The patch a chain of hits makes, if it is long and full enough. `along` is the page's
/// length in the reading direction; `columns` whether the lines were columns (bars
/// horizontal).
fn patch_of(chain: &[Hit], step: usize, px_mm: f32, along: f32, columns: bool) -> Option<Patch> {
    let (first, last) = (chain.first()?, chain.last()?);
    let lines = last.line - first.line + 1;
    let length = (lines * step) as f32;
    if length < MIN_BAR_MM * px_mm || (chain.len() as f32) < MIN_HIT_SHARE * lines as f32 {
        return None;
    }
    let start = chain.iter().map(|h| h.start).fold(f32::MAX, f32::min);
    let end = chain.iter().map(|h| h.end).fold(f32::MIN, f32::max);
    // read from the nearer edge of the page
    let mut bars = first.bars;
    if start + end > along {
        bars.reverse();
    }
    let bars = bars.iter().map(|&w| if w { 'W' } else { 'N' }).collect();
    let (a0, a1) = ((first.line * step) as f32, (last.line * step + 1) as f32);
    let bbox = if columns {
        [a0, start, a1, end]
    } else {
        [start, a0, end, a1]
    };
    Some(Patch { bars, bbox })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;

    /// A white A4 page at `dpi` with bars drawn analytically: each bar `(offset_mm,
    /// thickness_mm)` across the reading direction, `length_mm` long, starting `inset_mm` from
    /// the top edge (`vertical` false) or the left edge (true), the whole turned by `skew`
    /// degrees about the page centre.
    fn page(
        dpi: f32,
        bars: &[(f32, f32)],
        inset_mm: f32,
        length_mm: f32,
        vertical: bool,
        skew: f32,
    ) -> GrayImage {
        let px = dpi / 25.4;
        let (w, h) = ((210.0 * px) as u32, (297.0 * px) as u32);
        let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
        let (s, c) = skew.to_radians().sin_cos();
        GrayImage::from_fn(w, h, |x, y| {
            // back to the unturned page, in mm
            let (dx, dy) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
            let (ux, uy) = ((dx * c + dy * s + cx) / px, (-dx * s + dy * c + cy) / px);
            let (across, along) = if vertical { (ux, uy) } else { (uy, ux) };
            let on_bar = bars.iter().any(|&(o, t)| {
                across >= inset_mm + o
                    && across < inset_mm + o + t
                    && (60.0..60.0 + length_mm).contains(&along)
            });
            Luma([if on_bar { 20 } else { 245 }])
        })
    }

    /// Bars (offset, thickness) of a pattern, N = 2.03 mm, W = 5.08 mm, spaces 2.03 mm.
    fn pattern(p: &str) -> Vec<(f32, f32)> {
        let mut at = 0.0;
        p.chars()
            .map(|c| {
                let t = if c == 'W' { 5.08 } else { 2.03 };
                let bar = (at, t);
                at += t + 2.03;
                bar
            })
            .collect()
    }

    fn jpeg(img: &GrayImage, quality: u8) -> GrayImage {
        let mut buf = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut buf, quality)
            .encode_image(img)
            .unwrap();
        image::load_from_memory(&buf).unwrap().to_luma8()
    }

    #[test]
    fn patch_t_is_found_at_desk_resolutions_skews_and_jpeg_qualities() {
        for dpi in [150.0, 200.0, 300.0] {
            for skew in [-5.0, -2.0, 0.0, 3.0, 5.0] {
                let img = jpeg(&page(dpi, &pattern("NWNW"), 10.0, 60.0, false, skew), 40);
                let found = find(&img, dpi);
                assert!(
                    found.iter().any(Patch::is_t),
                    "{dpi} dpi, {skew}°: {found:?}"
                );
            }
        }
    }

    #[test]
    fn patch_t_is_read_from_the_nearer_edge_whichever_way_the_sheet_was_fed() {
        // near the bottom edge: drawn from the top of the page as WNWN, i.e. NWNW from below
        let bottom = page(200.0, &pattern("WNWN"), 267.0, 60.0, false, 1.0);
        assert!(find(&bottom, 200.0).iter().any(Patch::is_t));
        // fed sideways: vertical bars by the left edge
        let side = page(200.0, &pattern("NWNW"), 10.0, 60.0, true, -1.5);
        assert!(find(&side, 200.0).iter().any(Patch::is_t));
    }

    #[test]
    fn other_patches_rules_and_short_bars_are_not_patch_t() {
        // patch 3 (the same bars read the other way) by the top edge
        let p3 = find(
            &page(200.0, &pattern("WNWN"), 10.0, 60.0, false, 0.0),
            200.0,
        );
        assert!(!p3.iter().any(Patch::is_t), "{p3:?}");
        assert!(!p3.is_empty(), "a patch 3 is still a patch");
        // four even rules (a table's thick frame)
        let rules = find(
            &page(200.0, &pattern("NNNN"), 10.0, 150.0, false, 0.0),
            200.0,
        );
        assert!(rules.is_empty(), "{rules:?}");
        // bars too short to be a patch
        let short = find(&page(200.0, &pattern("NWNW"), 10.0, 8.0, false, 0.0), 200.0);
        assert!(short.is_empty(), "{short:?}");
        // a blank page and a tiny one
        assert!(find(&GrayImage::from_pixel(400, 600, Luma([250])), 200.0).is_empty());
        assert!(find(&GrayImage::new(0, 0), 200.0).is_empty());
    }
}
