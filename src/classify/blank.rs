//! Stage `classify`, image side: whether a scanned page is blank — the empty back of a duplex
//! scan, dropped from its paper but counted (Circular 01/2023/TT-VPCP asks for the page count
//! of the original).
//!
//! A page is blank when, away from its edges, no mark of ink reaches [`MARK_MM`] in width or
//! height: dust and toner specks are smaller, while a page number (a 3 mm digit), a signature,
//! a stamp or a seal are larger. Show-through of the other side is lighter than the ink
//! threshold. Where in doubt the page is kept: a hair or heavy show-through makes a page
//! count as written on, never a written page blank.

use image::GrayImage;

/// A pixel darker than this is ink (red and blue inks of seals and signatures included: a
/// seal's red is about 80 in gray).
const INK: u8 = 160;
/// The smallest mark that makes a page written on, mm.
pub const MARK_MM: f32 = 1.2;
/// The band along each edge left out (scanner borders, punch holes, the shadow of the lid), mm.
const EDGE_MM: f32 = 8.0;

/// Whether `gray` (at `dpi`) holds no mark of [`MARK_MM`] or more away from its edges.
pub fn is_blank(gray: &GrayImage, dpi: f32) -> bool {
    let px_mm = super::px_per_mm(dpi);
    let (w, h) = (gray.width() as usize, gray.height() as usize);
    let edge = (EDGE_MM * px_mm) as usize;
    if w <= 2 * edge || h <= 2 * edge {
        return false;
    }
    let mark = (MARK_MM * px_mm).ceil().max(2.0) as usize;
    let (x0, x1, y0, y1) = (edge, w - edge, edge, h - edge);
    let raw = gray.as_raw();
    let ink = |x: usize, y: usize| raw[y * w + x] < INK;
    // flood fill each mark (8-connected), stopping as soon as one is large enough
    let mut seen = vec![false; (x1 - x0) * (y1 - y0)];
    let at = |x: usize, y: usize| (y - y0) * (x1 - x0) + (x - x0);
    let mut stack = Vec::new();
    for y in y0..y1 {
        for x in x0..x1 {
            if seen[at(x, y)] || !ink(x, y) {
                continue;
            }
            seen[at(x, y)] = true;
            stack.push((x, y));
            let (mut lx, mut hx, mut ly, mut hy) = (x, x, y, y);
            while let Some((cx, cy)) = stack.pop() {
                lx = lx.min(cx);
                hx = hx.max(cx);
                ly = ly.min(cy);
                hy = hy.max(cy);
                if hx - lx + 1 >= mark || hy - ly + 1 >= mark {
                    return false;
                }
                for ny in cy.saturating_sub(1).max(y0)..(cy + 2).min(y1) {
                    for nx in cx.saturating_sub(1).max(x0)..(cx + 2).min(x1) {
                        if !seen[at(nx, ny)] && ink(nx, ny) {
                            seen[at(nx, ny)] = true;
                            stack.push((nx, ny));
                        }
                    }
                }
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;

    /// A4 at 150 dpi, paper-white with faint show-through-like gray noise.
    fn paper() -> GrayImage {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        GrayImage::from_fn(1240, 1754, |_, _| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            Luma([200 + (seed % 50) as u8])
        })
    }

    fn ink(img: &mut GrayImage, x: u32, y: u32, w: u32, h: u32, v: u8) {
        for yy in y..y + h {
            for xx in x..x + w {
                img.put_pixel(xx, yy, Luma([v]));
            }
        }
    }

    #[test]
    fn an_empty_back_with_specks_and_edge_shadows_is_blank() {
        let mut img = paper();
        // dust: specks of 1-3 px (under 0.5 mm at 150 dpi)
        for k in 0..200u32 {
            ink(
                &mut img,
                100 + (k * 37) % 1000,
                100 + (k * 91) % 1500,
                1 + k % 3,
                1 + k % 2,
                30,
            );
        }
        // the scanner's dark border and two punch holes within the edge band
        ink(&mut img, 0, 0, 1240, 20, 10);
        ink(&mut img, 10, 700, 30, 30, 0);
        ink(&mut img, 10, 1000, 30, 30, 0);
        assert!(is_blank(&img, 150.0));
    }

    #[test]
    fn a_page_number_a_signature_or_a_red_seal_keep_the_page() {
        // a page number: a digit 3 mm tall, 0.4 mm strokes
        let mut number = paper();
        ink(&mut number, 610, 1650, 3, 18, 40);
        assert!(!is_blank(&number, 150.0));
        // a signature: a thin diagonal scribble
        let mut signature = paper();
        for i in 0..60u32 {
            ink(&mut signature, 800 + i, 1300 + i / 3, 2, 2, 90);
        }
        assert!(!is_blank(&signature, 150.0));
        // a red seal's ring in gray (about 80)
        let mut seal = paper();
        ink(&mut seal, 500, 500, 120, 4, 80);
        assert!(!is_blank(&seal, 150.0));
        // a tiny image: not judged blank
        assert!(!is_blank(
            &GrayImage::from_pixel(40, 40, Luma([255])),
            150.0
        ));
    }
}
