//! Stage `ocr`, before orientation: scanner borders. A dark band along an edge of the scan (the
//! lid's shadow, the glass beyond a short paper) is the densest "ink" on the page: it made the
//! line-direction analysis see vertical lines and the probe window land on the band, so pages
//! were turned a quarter the wrong way. Such bands are painted white on the grey copy that
//! analysis and recognition read; the embedded image keeps them (it is the scan).

use image::GrayImage;

/// A row or column darker than this share of its pixels is a band, not text (text lines reach
/// about 30 %).
const BAND: f32 = 0.5;
/// Beyond a band's core, its blurred or slanted fringe: keep whitening while this dark.
const FRINGE: f32 = 0.12;
/// Darker than this grey level counts as dark.
const DARK: u8 = 110;

/// Paints white the dark bands touching the edges of `img`; returns how many rows and columns
/// were painted.
pub fn whiten_edge_bands(img: &mut GrayImage) -> usize {
    let (w, h) = img.dimensions();
    if w < 8 || h < 8 {
        return 0;
    }
    let (mut cols, mut rows) = (vec![0u32; w as usize], vec![0u32; h as usize]);
    for (x, y, p) in img.enumerate_pixels() {
        if p[0] < DARK {
            cols[x as usize] += 1;
            rows[y as usize] += 1;
        }
    }
    let col_share: Vec<f32> = cols.iter().map(|&c| c as f32 / h as f32).collect();
    let row_share: Vec<f32> = rows.iter().map(|&c| c as f32 / w as f32).collect();
    let (left, right) = (band_from_start(&col_share), band_from_end(&col_share));
    let (top, bottom) = (band_from_start(&row_share), band_from_end(&row_share));
    // a band wider than a third of the page is not a border (a dark photo, a negative scan)
    let limit_w = (w / 3) as usize;
    let limit_h = (h / 3) as usize;
    let left = if left > limit_w { 0 } else { left };
    let right = if right > limit_w { 0 } else { right };
    let top = if top > limit_h { 0 } else { top };
    let bottom = if bottom > limit_h { 0 } else { bottom };
    if left + right + top + bottom == 0 {
        return 0;
    }
    let white = image::Luma([255u8]);
    for y in 0..h {
        for x in 0..w {
            let xs = x as usize;
            let ys = y as usize;
            if xs < left || xs >= w as usize - right || ys < top || ys >= h as usize - bottom {
                img.put_pixel(x, y, white);
            }
        }
    }
    left + right + top + bottom
}

/// How many leading entries form a band: a core of at least [`BAND`], then its fringe down
/// to [`FRINGE`], plus two for the anti-aliased edge. 0 when the first entry is no band.
fn band_from_start(share: &[f32]) -> usize {
    if share.first().is_none_or(|&s| s < BAND) {
        return 0;
    }
    let core = share.iter().take_while(|&&s| s >= BAND).count();
    let fringe = share[core..].iter().take_while(|&&s| s >= FRINGE).count();
    (core + fringe + 2).min(share.len())
}

fn band_from_end(share: &[f32]) -> usize {
    let rev: Vec<f32> = share.iter().rev().cloned().collect();
    band_from_start(&rev)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;

    fn page_with_text() -> GrayImage {
        let mut img = GrayImage::from_pixel(400, 600, Luma([245]));
        // text lines: short dark runs
        for line in 0..20 {
            let y = 60 + line * 24;
            for x in (60..340).step_by(7) {
                for dy in 0..10 {
                    for dx in 0..4 {
                        img.put_pixel(x + dx, y + dy, Luma([20]));
                    }
                }
            }
        }
        img
    }

    #[test]
    fn a_dark_strip_on_an_edge_is_painted_white_and_text_is_kept() {
        let mut img = page_with_text();
        let clean = img.clone();
        for y in 0..600 {
            for x in 0..25 {
                img.put_pixel(x, y, Luma([30]));
            }
            // blurred fringe
            img.put_pixel(25, y, Luma([90]));
        }
        assert!(whiten_edge_bands(&mut img) >= 26);
        for y in 0..600 {
            for x in 0..27 {
                assert_eq!(img.get_pixel(x, y)[0], 255, "({x},{y})");
            }
        }
        // the text area is untouched
        for y in 0..600 {
            for x in 40..400 {
                assert_eq!(img.get_pixel(x, y), clean.get_pixel(x, y));
            }
        }
    }

    #[test]
    fn a_page_without_borders_is_left_alone() {
        let mut img = page_with_text();
        let clean = img.clone();
        assert_eq!(whiten_edge_bands(&mut img), 0);
        assert_eq!(img, clean);
        // nor is a page that is mostly dark (a photo)
        let mut dark = GrayImage::from_pixel(100, 100, Luma([10]));
        assert_eq!(whiten_edge_bands(&mut dark), 0);
    }
}
