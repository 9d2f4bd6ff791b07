//! Stage `ocr`, before recognition: skew (±10°) and text direction (horizontal or vertical
//! lines) from a downscaled, binarised copy, by maximising the variance of the projection
//! profile over angles, coarse to fine.

use image::GrayImage;

/// Long side of the working copy.
const WORK_SIDE: u32 = 1000;
/// Ink pixels projected at most (the rest are subsampled).
const MAX_POINTS: usize = 300_000;

/// Skew estimate for one text direction.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SkewEstimate {
    /// Counter-clockwise rotation (degrees) that makes the lines level.
    pub degrees: f32,
    /// Squared coefficient of variation of the projection profile at that angle: large for
    /// lines of text across the projection direction, small for ink spread evenly.
    pub score: f64,
}

/// Estimates for both line directions of a page.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PageLayout {
    /// Lines run left to right in the scan (rotation 0 or 180).
    pub horizontal: SkewEstimate,
    /// Lines run top to bottom in the scan (rotation 90 or 270); `degrees` is the skew once
    /// the page is turned by a quarter turn (skew does not depend on the quarter turn).
    pub vertical: SkewEstimate,
    /// Share of ink pixels in the working copy.
    pub ink: f64,
}

/// Analyses the page: downscale, Otsu binarisation, profiles within ±`max_degrees`.
pub fn analyse(gray: &GrayImage, max_degrees: f32) -> PageLayout {
    let small = downscale(gray, WORK_SIDE);
    let points = ink_points(&small);
    let total = (small.width() as f64 * small.height() as f64).max(1.0);
    let ink = points.len() as f64 / total;
    let none = SkewEstimate {
        degrees: 0.0,
        score: 0.0,
    };
    if points.len() < 50 {
        return PageLayout {
            horizontal: none,
            vertical: none,
            ink,
        };
    }
    // vertical lines: turn the points a quarter clockwise, (dx, dy) -> (-dy, dx)
    let turned: Vec<(f32, f32)> = points.iter().map(|&(x, y)| (-y, x)).collect();
    PageLayout {
        horizontal: estimate_points(&points, max_degrees),
        vertical: estimate_points(&turned, max_degrees),
        ink,
    }
}

/// Coarse (0.5°) then finer (0.1°, 0.02°) search for the angle of maximal profile variance.
fn estimate_points(points: &[(f32, f32)], max_degrees: f32) -> SkewEstimate {
    let max = f64::from(max_degrees.clamp(0.0, 45.0));
    let mut best = search(points, -max, max, 0.5, 0.0);
    for step in [0.1, 0.02] {
        let lo = (best.0 - step * 5.0).max(-max);
        let hi = (best.0 + step * 5.0).min(max);
        best = search(points, lo, hi, step, best.0);
    }
    // round to 0.01° to keep reports tidy
    let degrees = ((best.0 * 100.0).round() / 100.0) as f32;
    SkewEstimate {
        degrees,
        score: best.1,
    }
}

/// Best `(angle, score)` on a grid; ties go to the angle nearest `prefer`.
fn search(points: &[(f32, f32)], lo: f64, hi: f64, step: f64, prefer: f64) -> (f64, f64) {
    let n = ((hi - lo) / step).round().max(0.0) as usize;
    let mut best = (prefer, f64::MIN);
    for i in 0..=n {
        let a = lo + step * i as f64;
        let s = profile_score(points, a);
        let better = s > best.1 * (1.0 + 1e-9)
            || (s >= best.1 * (1.0 - 1e-9) && (a - prefer).abs() < (best.0 - prefer).abs());
        if better {
            best = (a, s);
        }
    }
    best
}

/// Squared coefficient of variation of the 1 px profile of `y' = −x·sin a + y·cos a`, the row
/// a point lands on after a counter-clockwise turn by `a`.
fn profile_score(points: &[(f32, f32)], degrees: f64) -> f64 {
    let (sin, cos) = degrees.to_radians().sin_cos();
    let (sin, cos) = (sin as f32, cos as f32);
    let ys: Vec<f32> = points.iter().map(|&(x, y)| -x * sin + y * cos).collect();
    let lo = ys.iter().copied().fold(f32::INFINITY, f32::min);
    let hi = ys.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if !lo.is_finite() || !hi.is_finite() {
        return 0.0;
    }
    let bins = (hi - lo) as usize + 1;
    let mut hist = vec![0u32; bins];
    for y in ys {
        let b = ((y - lo) as usize).min(bins - 1);
        hist[b] += 1;
    }
    let n = points.len() as f64;
    let mean = n / bins as f64;
    let sq: f64 = hist
        .iter()
        .map(|&c| f64::from(c) * f64::from(c))
        .sum::<f64>()
        / bins as f64;
    (sq - mean * mean) / (mean * mean)
}

/// Box-filter downscale by an integer factor so the long side is at most `side`.
fn downscale(gray: &GrayImage, side: u32) -> GrayImage {
    let (w, h) = gray.dimensions();
    let f = w.max(h).div_ceil(side.max(1)).max(1);
    if f == 1 {
        return gray.clone();
    }
    let (sw, sh) = (w.div_ceil(f), h.div_ceil(f));
    let mut sum = vec![0u32; (sw * sh) as usize];
    let mut cnt = vec![0u32; (sw * sh) as usize];
    // row by row, f pixels at a time: no division per pixel (it was most of this function)
    for (y, row) in gray.as_raw().chunks_exact(w as usize).enumerate() {
        let first = (y / f as usize) * sw as usize;
        let sums = &mut sum[first..first + sw as usize];
        let cnts = &mut cnt[first..first + sw as usize];
        for ((block, s), c) in row.chunks(f as usize).zip(sums).zip(cnts) {
            *s += block.iter().map(|&p| u32::from(p)).sum::<u32>();
            *c += block.len() as u32;
        }
    }
    let data = sum
        .iter()
        .zip(&cnt)
        .map(|(&s, &c)| (s / c.max(1)) as u8)
        .collect();
    GrayImage::from_raw(sw, sh, data).unwrap_or_else(|| GrayImage::new(sw, sh))
}

/// Ink pixels (Otsu, and darker than 60 % white), relative to the centre, subsampled.
fn ink_points(gray: &GrayImage) -> Vec<(f32, f32)> {
    let t = otsu(gray).min(153);
    let (w, h) = gray.dimensions();
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    // Strokes, not blobs: a dark pixel whose neighbours two pixels away on all four sides are
    // dark too is inside a photo, a stamp or a filled box, whose mass would drown the text
    // lines' profile (an ID card's portrait pulled both skew estimates to the limit).
    let dark_at = |x: i64, y: i64| {
        x >= 0
            && y >= 0
            && x < i64::from(w)
            && y < i64::from(h)
            && gray.get_pixel(x as u32, y as u32)[0] < t
    };
    let stroke = |x: u32, y: u32| {
        let (x, y) = (i64::from(x), i64::from(y));
        !(dark_at(x - 2, y) && dark_at(x + 2, y) && dark_at(x, y - 2) && dark_at(x, y + 2))
    };
    let dark = gray
        .enumerate_pixels()
        .filter(|(x, y, p)| p[0] < t && stroke(*x, *y))
        .count();
    let stride = dark.div_ceil(MAX_POINTS).max(1);
    gray.enumerate_pixels()
        .filter(|(x, y, p)| p[0] < t && stroke(*x, *y))
        .step_by(stride)
        .map(|(x, y, _)| (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy))
        .collect()
}

/// Otsu's threshold: pixels below it are ink.
fn otsu(gray: &GrayImage) -> u8 {
    let mut hist = [0u64; 256];
    for p in gray.pixels() {
        hist[p[0] as usize] += 1;
    }
    otsu_split(&hist).unwrap_or(0)
}

/// Otsu's threshold of an 8-bit histogram: the level `t` for which "below `t`" and "from `t`
/// up" are best separated (maximal between-class variance); `None` when the histogram has a
/// single level. Shared with `similar`, which binarises pages the same way.
pub fn otsu_split(hist: &[u64; 256]) -> Option<u8> {
    let total: u64 = hist.iter().sum();
    let sum_all: f64 = hist
        .iter()
        .enumerate()
        .map(|(i, &c)| i as f64 * c as f64)
        .sum();
    let (mut w0, mut sum0, mut best, mut best_t) = (0u64, 0f64, -1f64, None);
    for (t, &c) in hist.iter().enumerate() {
        // class 0 = values < t
        if w0 > 0 && w0 < total {
            let w1 = total - w0;
            let m0 = sum0 / w0 as f64;
            let m1 = (sum_all - sum0) / w1 as f64;
            let between = w0 as f64 * w1 as f64 * (m0 - m1) * (m0 - m1);
            if between > best {
                best = between;
                best_t = Some(t as u8);
            }
        }
        w0 += c;
        sum0 += t as f64 * c as f64;
    }
    best_t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ocr::rotate::rotate_about_centre_gray;
    use image::Luma;

    /// Dashed "text lines": 12 px tall bars of 3-8 px dashes, 30 px apart.
    fn lines(w: u32, h: u32) -> GrayImage {
        GrayImage::from_fn(w, h, |x, y| {
            let in_line = (100..h - 100).contains(&y) && y % 30 < 12;
            let in_word = (80..w - 80).contains(&x) && (x * 7 + y / 30 * 13) % 11 < 8;
            Luma([if in_line && in_word { 0 } else { 255 }])
        })
    }

    #[test]
    fn level_lines_have_no_skew_and_are_horizontal() {
        let layout = analyse(&lines(1200, 900), 10.0);
        assert!(layout.horizontal.degrees.abs() < 0.1, "{layout:?}");
        assert!(
            layout.horizontal.score > 2.0 * layout.vertical.score,
            "{layout:?}"
        );
    }

    #[test]
    fn finds_skews_both_ways() {
        let page = lines(1600, 1200);
        for skew in [-7.3f32, -2.0, 0.6, 4.5, 9.0] {
            // the scan is the upright page turned clockwise by `skew`
            let scan = rotate_about_centre_gray(&page, -skew);
            let est = analyse(&scan, 10.0).horizontal;
            assert!((est.degrees - skew).abs() <= 0.15, "skew {skew}: {est:?}");
        }
    }

    #[test]
    fn vertical_lines_are_recognised_with_their_skew() {
        let page = lines(1200, 900);
        let scan = rotate_about_centre_gray(&crate::ocr::rotate::quarter_turn(&page, 90), -3.0);
        let layout = analyse(&scan, 10.0);
        assert!(
            layout.vertical.score > 2.0 * layout.horizontal.score,
            "{layout:?}"
        );
        assert!((layout.vertical.degrees - 3.0).abs() <= 0.15, "{layout:?}");
    }

    #[test]
    fn blank_page_is_flat() {
        let layout = analyse(&GrayImage::from_pixel(800, 600, Luma([255])), 10.0);
        assert_eq!(layout.horizontal.degrees, 0.0);
        assert_eq!(layout.horizontal.score, 0.0);
    }

    #[test]
    fn otsu_splits_two_levels() {
        let img = GrayImage::from_fn(10, 10, |x, _| Luma([if x < 3 { 20 } else { 230 }]));
        let t = otsu(&img);
        assert!(t > 20 && t <= 230, "{t}");
    }
}
