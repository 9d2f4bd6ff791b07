//! Stage `ocr`, one page on several cores: where an upright page may be cut into horizontal
//! strips (only across blank rows, so no glyph is split) for engines to recognise side by
//! side, and how their words are put back together in page coordinates.
//!
//! Used when a call has fewer pages than cores (a one-page file on a desk machine): with one
//! column of lines (PSM 4) Tesseract reads each line on its own, so a cut between two lines
//! changes nothing but who reads them.

use image::GrayImage;

use super::tsv::{self, Parsed};

/// A pixel darker than this is ink.
const INK: u8 = 128;
/// How far from its ideal place (a share of the page height) a cut may move to find blank
/// rows.
const SEARCH_SHARE: f32 = 0.1;
/// The blank run a cut goes through must be at least this high, inches (0.5 mm): the gap
/// between two lines of body text is about twice that.
const MIN_GAP_INCHES: f32 = 0.02;
/// Pages shorter than this (inches) are not worth cutting.
const MIN_PAGE_INCHES: f32 = 2.0;
/// Pages with fewer ink pixels than this per square inch of page are not worth cutting
/// (a blank back, a photo caption).
const MIN_INK_PER_SQUARE_INCH: f32 = 200.0;

/// The share of a page's recognition time that follows its area rather than its ink
/// (thresholding and layout analysis run over every pixel), as a weight per row: half the mean
/// ink of a row, so the area counts for a third of the time. Measured on 5 one-page samples
/// cut in two: balanced on ink alone, the taller strip took 50-210 ms longer than the other;
/// with this weight the two strips finished within -60..+100 ms of each other, and 15 one-file
/// calls took 7.18-7.54 s instead of 7.63-9.21 s (3 interleaved rounds).
const AREA_WEIGHT_PERCENT: u64 = 50;

/// Row ranges `[top, bottom)` covering the page, at most `parts` of them. Each cut balances
/// the expected recognition time above and below it (the ink, which stands for the amount of
/// text, plus a share for the area, see [`AREA_WEIGHT_PERCENT`]) and goes through the middle of
/// the nearest run of rows without a single ink pixel, so no diacritic standing above its line
/// is cut off. One range (the whole page) when `parts` ≤ 1, the page is small or nearly
/// blank, or no blank run is near.
pub fn cuts(img: &GrayImage, parts: usize, dpi: f32) -> Vec<(u32, u32)> {
    let (w, h) = img.dimensions();
    let whole = vec![(0, h)];
    let dpi = if dpi.is_finite() && (50.0..=2400.0).contains(&dpi) {
        dpi
    } else {
        300.0
    };
    if parts <= 1 || w == 0 || (h as f32) < MIN_PAGE_INCHES * dpi {
        return whole;
    }
    let ink: Vec<u64> = img
        .as_raw()
        .chunks_exact(w as usize)
        .map(|row| row.iter().filter(|&&p| p < INK).count() as u64)
        .collect();
    let total: u64 = ink.iter().sum();
    let area = w as f32 * h as f32 / (dpi * dpi);
    if (total as f32) < MIN_INK_PER_SQUARE_INCH * area {
        return whole;
    }
    let blank: Vec<bool> = ink.iter().map(|&n| n == 0).collect();
    let per_row = total / u64::from(h) * AREA_WEIGHT_PERCENT / 100;
    let cost: Vec<u64> = ink.iter().map(|&n| n + per_row).collect();
    let total: u64 = cost.iter().sum();
    let min_gap = ((MIN_GAP_INCHES * dpi).round() as usize).max(2);
    let reach = (h as f32 * SEARCH_SHARE) as usize;
    let mut at = vec![0u32];
    let mut above = 0u64;
    let mut row = 0usize;
    for k in 1..parts {
        // the first row with k/parts of the cost above it
        let share = total * k as u64 / parts as u64;
        while row < cost.len() && above + cost[row] <= share {
            above += cost[row];
            row += 1;
        }
        let lo = row
            .saturating_sub(reach)
            .max(*at.last().unwrap_or(&0) as usize + 1);
        let hi = (row + reach).min(h as usize - 1);
        if let Some(cut) = nearest_gap(&blank, lo, hi, row, min_gap) {
            at.push(cut as u32);
        }
    }
    at.push(h);
    at.windows(2).map(|p| (p[0], p[1])).collect()
}

/// The middle of the run of blank rows inside `lo..=hi` (at least `min_gap` long) whose
/// middle is nearest `ideal`.
fn nearest_gap(
    blank: &[bool],
    lo: usize,
    hi: usize,
    ideal: usize,
    min_gap: usize,
) -> Option<usize> {
    let mut best: Option<usize> = None;
    let mut y = lo;
    while y <= hi {
        if !blank[y] {
            y += 1;
            continue;
        }
        let start = y;
        while y <= hi && blank[y] {
            y += 1;
        }
        let mid = start + (y - start) / 2;
        if y - start >= min_gap && best.is_none_or(|b| mid.abs_diff(ideal) < b.abs_diff(ideal)) {
            best = Some(mid);
        }
    }
    best
}

/// The words of strips recognised apart, as one page: boxes moved down by their strip's top,
/// block numbers continued (each strip starts a new block), text and confidence recomputed.
pub fn merge(parts: Vec<(u32, Parsed)>) -> Parsed {
    let mut words = Vec::new();
    let mut blocks = 0u32;
    for (top, part) in parts {
        let dy = top as f32;
        let mut last = 0;
        for mut w in part.words {
            w.bbox[1] += dy;
            w.bbox[3] += dy;
            last = last.max(w.block);
            w.block = w.block.saturating_add(blocks);
            words.push(w);
        }
        blocks = blocks.saturating_add(last);
    }
    tsv::from_words(words)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ocr::Word;
    use image::Luma;

    /// A 300 dpi page 3000 px high with a text-like bar every 50 px (30 px of ink, 20 blank),
    /// except a 100 px gap at `gap_at`.
    fn lined_page(gap_at: u32) -> GrayImage {
        GrayImage::from_fn(2000, 3000, |x, y| {
            let in_gap = (gap_at..gap_at + 100).contains(&y);
            let ink = !in_gap && y % 50 < 30 && (200..1800).contains(&x) && x % 7 != 0;
            Luma([if ink { 0 } else { 255 }])
        })
    }

    #[test]
    fn a_page_is_cut_between_lines_where_the_ink_is_halved() {
        let img = lined_page(1300);
        let c = cuts(&img, 2, 300.0);
        assert_eq!(c.len(), 2, "{c:?}");
        assert_eq!(c[0].0, 0);
        assert_eq!(c[1].1, 3000);
        assert_eq!(c[0].1, c[1].0);
        // lines every 50 px but for the gap at 1300..1400: half the ink lies above ~1550
        assert!((1450..1650).contains(&c[0].1), "{c:?}");
        // and never through ink
        for x in 0..img.width() {
            assert_eq!(img.get_pixel(x, c[0].1)[0], 255);
        }
    }

    #[test]
    fn text_in_the_top_half_is_cut_inside_the_text_not_in_the_blank_bottom() {
        let img = GrayImage::from_fn(2000, 3000, |x, y| {
            Luma([if y < 1500 && y % 50 < 30 && x % 5 != 0 {
                0
            } else {
                255
            }])
        });
        let c = cuts(&img, 2, 300.0);
        assert_eq!(c.len(), 2, "{c:?}");
        // the ink alone would put the cut at 750; the blank half's area moves it down to ~900
        assert!((850..950).contains(&c[0].1), "{c:?}");
    }

    #[test]
    fn a_single_speck_in_a_gap_makes_it_no_place_to_cut() {
        // every row of the gaps between lines (30..50, 80..100, ...) holds one dark pixel (the
        // tall marks above a line), except the gap at 1780..1800
        let img = GrayImage::from_fn(2000, 3000, |x, y| {
            let line = y % 50 < 30 && x % 5 != 0;
            let speck = x == 1000 && !(1780..1800).contains(&y);
            Luma([if line || speck { 0 } else { 255 }])
        });
        let c = cuts(&img, 2, 300.0);
        assert_eq!(c.len(), 2, "{c:?}");
        assert!((1780..1800).contains(&c[0].1), "{c:?}");
    }

    #[test]
    fn without_blank_rows_or_cores_the_page_stays_whole() {
        let black = GrayImage::from_pixel(1000, 3000, Luma([0]));
        assert_eq!(cuts(&black, 2, 300.0), vec![(0, 3000)]);
        assert_eq!(cuts(&lined_page(1300), 1, 300.0), vec![(0, 3000)]);
        // a label, not a page
        let small = GrayImage::from_pixel(1000, 400, Luma([255]));
        assert_eq!(cuts(&small, 2, 300.0), vec![(0, 400)]);
        // a blank page
        let blank = GrayImage::from_pixel(2480, 3508, Luma([255]));
        assert_eq!(cuts(&blank, 2, 300.0), vec![(0, 3508)]);
        assert_eq!(cuts(&GrayImage::new(0, 0), 2, 300.0), vec![(0, 0)]);
    }

    #[test]
    fn line_gaps_serve_when_there_is_no_wider_one() {
        // 20 px line gaps are 1.7 mm at 300 dpi: enough
        let img = GrayImage::from_fn(2000, 3000, |x, y| {
            Luma([if y % 50 < 30 && x % 5 != 0 { 0 } else { 255 }])
        });
        let c = cuts(&img, 3, 300.0);
        assert_eq!(c.len(), 3, "{c:?}");
        for &(_, bottom) in &c[..2] {
            assert!(bottom % 50 >= 30, "{c:?}");
        }
    }

    fn word(text: &str, y: f32, block: u32, line: u32) -> Word {
        Word {
            text: text.to_owned(),
            bbox: [10.0, y, 50.0, y + 20.0],
            confidence: 90.0,
            block,
            paragraph: 1,
            line,
        }
    }

    #[test]
    fn merged_strips_keep_page_coordinates_and_reading_order() {
        let top = tsv::from_words(vec![word("CỘNG", 5.0, 1, 1), word("HÒA", 40.0, 2, 1)]);
        let bottom = tsv::from_words(vec![word("Họ", 3.0, 1, 1), word("tên", 30.0, 1, 2)]);
        let page = merge(vec![(0, top), (1000, bottom)]);
        let texts: Vec<&str> = page.words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["CỘNG", "HÒA", "Họ", "tên"]);
        assert_eq!(page.words[2].bbox[1], 1003.0);
        assert_eq!(page.words[3].bbox[3], 1050.0);
        let blocks: Vec<u32> = page.words.iter().map(|w| w.block).collect();
        assert_eq!(blocks, [1, 2, 3, 3]);
        assert_eq!(page.text, "CỘNG\n\nHÒA\n\nHọ\ntên");
    }
}
