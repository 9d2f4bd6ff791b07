//! Stage `classify`, image side: where a colour scan shows a red seal (con dấu) — a compact
//! patch of red ink 20–65 mm across, as the round seals of Vietnamese offices are (and their
//! rectangular title stamps) — so that a paper that should bear one and shows none is flagged.
//! A gray scan cannot show red: there the seal is unknown, not absent.
//!
//! The page is sampled every half millimetre; a sample is red when its red channel is bright
//! and well above green and blue (seal ink at 85% over paper or text). Red is summed in 5 mm
//! cells; 8-connected cells holding red make a patch; a patch 4–13 cells (20–65 mm) wide and
//! tall, not more than 2.5 times longer than wide, with at least [`MIN_RED_MM2`] of red ink, is
//! a seal. A red rule or a frame round the page is too long and thin to pass.

use crate::decode::Raster;

/// Red ink a seal shows at least, mm² (a 40 mm ring of 1.2 mm alone is about 150 mm²).
pub const MIN_RED_MM2: f32 = 80.0;
/// A sample is red when its red channel is at least this...
const RED_MIN: u8 = 130;
/// ...and exceeds green and blue by at least this.
const RED_OVER: u8 = 60;
const CELL_MM: f32 = 5.0;
/// A cell holding this much red (mm²) belongs to a patch.
const CELL_RED_MM2: f32 = 1.0;
/// A seal's extent, in cells (20–65 mm).
const SPAN_CELLS: (usize, usize) = (4, 13);

/// The box (`[x0, y0, x1, y1]`, pixels of `raster`) of the largest red seal on a colour page;
/// `None` when there is none or the page is gray (see [`is_colour`]).
pub fn find(raster: &Raster, dpi: f32) -> Option<[f32; 4]> {
    let Raster::Rgb(rgb) = raster else {
        return None;
    };
    let px_mm = super::px_per_mm(dpi);
    let step = (px_mm / 2.0).round().max(1.0) as usize;
    let sample_mm2 = (step as f32 / px_mm).powi(2);
    let cell = (CELL_MM * px_mm).round().max(1.0) as usize;
    let (w, h) = (rgb.width() as usize, rgb.height() as usize);
    let (cols, rows) = (w.div_ceil(cell), h.div_ceil(cell));
    if cols == 0 || rows == 0 {
        return None;
    }
    let mut red = vec![0.0f32; cols * rows];
    let raw = rgb.as_raw();
    for y in (0..h).step_by(step) {
        for x in (0..w).step_by(step) {
            let i = (y * w + x) * 3;
            let (r, g, b) = (raw[i], raw[i + 1], raw[i + 2]);
            if r >= RED_MIN && r.saturating_sub(g.max(b)) >= RED_OVER {
                red[(y / cell) * cols + x / cell] += sample_mm2;
            }
        }
    }
    // patches of red cells, the largest seal among them
    let mut seen = vec![false; red.len()];
    let mut best: Option<(f32, [usize; 4])> = None;
    for start in 0..red.len() {
        if seen[start] || red[start] < CELL_RED_MM2 {
            continue;
        }
        seen[start] = true;
        let mut stack = vec![start];
        let (mut area, mut bx) = (0.0f32, [usize::MAX, usize::MAX, 0, 0]);
        while let Some(c) = stack.pop() {
            let (cx, cy) = (c % cols, c / cols);
            area += red[c];
            bx = [bx[0].min(cx), bx[1].min(cy), bx[2].max(cx), bx[3].max(cy)];
            for ny in cy.saturating_sub(1)..(cy + 2).min(rows) {
                for nx in cx.saturating_sub(1)..(cx + 2).min(cols) {
                    let n = ny * cols + nx;
                    if !seen[n] && red[n] >= CELL_RED_MM2 {
                        seen[n] = true;
                        stack.push(n);
                    }
                }
            }
        }
        let (sw, sh) = (bx[2] - bx[0] + 1, bx[3] - bx[1] + 1);
        let spans = |s: usize| (SPAN_CELLS.0..=SPAN_CELLS.1).contains(&s);
        let compact = sw.max(sh) as f32 <= 2.5 * sw.min(sh) as f32;
        if spans(sw)
            && spans(sh)
            && compact
            && area >= MIN_RED_MM2
            && best.is_none_or(|b| area > b.0)
        {
            best = Some((area, bx));
        }
    }
    best.map(|(_, b)| {
        let px = |c: usize| (c * cell) as f32;
        [
            px(b[0]),
            px(b[1]),
            px(b[2] + 1).min(w as f32),
            px(b[3] + 1).min(h as f32),
        ]
    })
}

/// Whether the page was scanned in colour (a gray scan says nothing of red seals).
pub fn is_colour(raster: &Raster) -> bool {
    matches!(raster, Raster::Rgb(_))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    /// A4 at 150 dpi, paper with black "text" bands.
    fn page() -> RgbImage {
        RgbImage::from_fn(1240, 1754, |_, y| {
            if (200..1200).contains(&y) && y % 40 < 12 {
                Rgb([30, 30, 30])
            } else {
                Rgb([245, 243, 240])
            }
        })
    }

    /// A ring of `width` mm, `diameter` mm across, centred at (cx, cy) px, in seal red over
    /// what is there (multiplied at 85%).
    fn ring(img: &mut RgbImage, cx: f32, cy: f32, diameter: f32, width: f32) {
        let px = 150.0 / 25.4;
        let (ro, ri) = (diameter / 2.0 * px, (diameter / 2.0 - width) * px);
        for y in 0..img.height() {
            for x in 0..img.width() {
                let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
                if d <= ro && d >= ri {
                    let p = img.get_pixel_mut(x, y);
                    let ink = [200.0, 30.0, 40.0];
                    for c in 0..3 {
                        let v = f32::from(p[c]);
                        p[c] = (v * (1.0 - 0.85) + v * ink[c] / 255.0 * 0.85) as u8;
                    }
                }
            }
        }
    }

    #[test]
    fn a_round_red_seal_over_the_signature_is_found_where_it_is() {
        let mut img = page();
        ring(&mut img, 800.0, 1100.0, 40.0, 1.2);
        ring(&mut img, 800.0, 1100.0, 32.0, 0.5);
        let b = find(&Raster::Rgb(img), 150.0).expect("a seal");
        assert!(
            b[0] <= 700.0 && b[2] >= 900.0 && b[1] <= 1000.0 && b[3] >= 1200.0,
            "{b:?}"
        );
    }

    #[test]
    fn no_seal_on_black_text_a_red_frame_a_red_rule_or_a_gray_scan() {
        assert_eq!(find(&Raster::Rgb(page()), 150.0), None);
        let mut framed = page();
        for y in 0..1754u32 {
            for x in 0..1240u32 {
                let edge = !(40..1200).contains(&x) || !(40..1714).contains(&y);
                let rule = (300..306).contains(&y);
                if edge || rule {
                    framed.put_pixel(x, y, Rgb([210, 40, 40]));
                }
            }
        }
        assert_eq!(find(&Raster::Rgb(framed), 150.0), None);
        let gray = image::GrayImage::from_pixel(100, 100, image::Luma([0]));
        assert_eq!(find(&Raster::Gray(gray.clone()), 150.0), None);
        assert!(!is_colour(&Raster::Gray(gray)));
        // a small red tick is not a seal
        let mut tick = page();
        ring(&mut tick, 600.0, 600.0, 6.0, 1.0);
        assert_eq!(find(&Raster::Rgb(tick), 150.0), None);
    }
}
