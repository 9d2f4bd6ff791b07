//! Assemble stage, page step: page size, the `cm` matrix that draws the scanned image upright
//! and deskewed (the `ocr` geometry contract), and the invisible text layer (`3 Tr`, ISO
//! 32000-1 §9.3.6) with one glyph run per word, scaled (`Tz`) to the word's box.

use unicode_normalization::UnicodeNormalization;

use crate::ocr::RecognizedPage;
use crate::pdf::writer::write_real;

use super::font::GlyphlessFont;

/// Resource names used in every page's content stream.
pub(crate) const IMAGE_NAME: &str = "Im1";
pub(crate) const FONT_NAME: &str = "F1";

/// Least gap kept between the glyph runs of neighbouring words, as a fraction of the size.
const MIN_GAP: f64 = 0.1;

/// An affine map `[a b c d e f]`: x' = a·x + c·y + e, y' = b·x + d·y + f (§8.3.3).
pub(crate) type Matrix = [f64; 6];

/// `m1` then `m2`.
fn then(m1: Matrix, m2: Matrix) -> Matrix {
    let [a1, b1, c1, d1, e1, f1] = m1;
    let [a2, b2, c2, d2, e2, f2] = m2;
    [
        a2 * a1 + c2 * b1,
        b2 * a1 + d2 * b1,
        a2 * c1 + c2 * d1,
        b2 * c1 + d2 * d1,
        a2 * e1 + c2 * f1 + e2,
        b2 * e1 + d2 * f1 + f2,
    ]
}

/// Page size and the maps from upright pixels and from image space to page points.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Geometry {
    pub width_pt: f64,
    pub height_pt: f64,
    /// Points per upright pixel, horizontally and vertically.
    pub kx: f64,
    pub ky: f64,
    /// Image space (unit square) to page points.
    pub image_cm: Matrix,
}

/// Why a recognized page cannot be laid out (the contract between `ocr` and `assemble`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum PageError {
    #[error("rotation {0} is not 0, 90, 180 or 270")]
    Rotation(u16),
    #[error(
        "upright size {width}x{height} does not match the {sw}x{sh} scan rotated by {rotation}"
    )]
    Size {
        width: u32,
        height: u32,
        sw: u32,
        sh: u32,
        rotation: u16,
    },
    #[error("skew {0} degrees out of range")]
    Skew(f64),
    #[error("resolution {0}x{1} dpi is not usable")]
    Resolution(f64, f64),
    #[error("page would be {width_pt:.1}x{height_pt:.1} pt ({width}x{height} px at {dux}x{duy} dpi); PDF pages are 3 to 14400 pt")]
    PageSize {
        width_pt: f64,
        height_pt: f64,
        width: u32,
        height: u32,
        dux: f64,
        duy: f64,
    },
    #[error("word {0:?} has a non-finite box")]
    WordBox(String),
    #[error("unsupported raster kind (only 8-bit Gray and RGB)")]
    RasterKind,
    #[error("compressing: {0}")]
    Compress(#[from] std::io::Error),
}

/// Checks the page against the geometry contract and computes its [`Geometry`].
pub(crate) fn geometry(p: &RecognizedPage) -> Result<Geometry, PageError> {
    let (sw, sh) = (p.scanned.raster.width(), p.scanned.raster.height());
    let quarter = match p.rotation {
        0 | 180 => false,
        90 | 270 => true,
        r => return Err(PageError::Rotation(r)),
    };
    let upright = if quarter { (sh, sw) } else { (sw, sh) };
    if upright != (p.width, p.height) {
        return Err(PageError::Size {
            width: p.width,
            height: p.height,
            sw,
            sh,
            rotation: p.rotation,
        });
    }
    let skew = f64::from(p.skew_degrees);
    if !skew.is_finite() || skew.abs() > 45.0 {
        return Err(PageError::Skew(skew));
    }
    let (dx, dy) = (f64::from(p.scanned.dpi.0), f64::from(p.scanned.dpi.1));
    if !(dx.is_finite() && dy.is_finite() && dx > 0.0 && dy > 0.0) {
        return Err(PageError::Resolution(dx, dy));
    }
    let (dux, duy) = if quarter { (dy, dx) } else { (dx, dy) };
    let (kx, ky) = (72.0 / dux, 72.0 / duy);
    let (w, h) = (f64::from(p.width), f64::from(p.height));
    let (width_pt, height_pt) = (w * kx, h * ky);
    // ISO 32000-1 Annex C.2: page sides between 3 and 14,400 units.
    for side in [width_pt, height_pt] {
        if !(3.0..=14_400.0).contains(&side) {
            return Err(PageError::PageSize {
                width_pt,
                height_pt,
                width: p.width,
                height: p.height,
                dux,
                duy,
            });
        }
    }
    let (sw, sh) = (f64::from(sw), f64::from(sh));
    // Unit square to scanned pixels (y down).
    let m0 = [sw, 0.0, 0.0, -sh, 0.0, sh];
    // Clockwise quarter turns, in pixels (y down).
    let m1 = match p.rotation {
        90 => [0.0, 1.0, -1.0, 0.0, sh, 0.0],
        180 => [-1.0, 0.0, 0.0, -1.0, sw, sh],
        270 => [0.0, -1.0, 1.0, 0.0, 0.0, sw],
        _ => [1.0, 0.0, 0.0, 1.0, 0.0, 0.0],
    };
    // Counter-clockwise (as seen) skew about the centre, in pixels (y down).
    let (s, c) = skew.to_radians().sin_cos();
    let (cx, cy) = (w / 2.0, h / 2.0);
    let m2 = [c, -s, s, c, cx - c * cx - s * cy, cy + s * cx - c * cy];
    // Upright pixels to points (y up).
    let m3 = [kx, 0.0, 0.0, -ky, 0.0, height_pt];
    Ok(Geometry {
        width_pt,
        height_pt,
        kx,
        ky,
        image_cm: then(then(then(m0, m1), m2), m3),
    })
}

fn num(out: &mut Vec<u8>, v: f64) {
    write_real(out, v);
    out.push(b' ');
}

/// The page content: clipped image, then the invisible text. Returns the number of words
/// placed. Words of one line (same block, paragraph, line) share a baseline and size; each
/// word but the last of its line is followed by a space code, so extraction puts spaces
/// between words and keeps the line together.
pub(crate) fn content(
    p: &RecognizedPage,
    g: &Geometry,
    font: &mut GlyphlessFont,
) -> Result<(Vec<u8>, usize), PageError> {
    let mut out = Vec::new();
    out.extend_from_slice(b"q\n0 0 ");
    num(&mut out, g.width_pt);
    num(&mut out, g.height_pt);
    out.extend_from_slice(b"re W n\n");
    for v in g.image_cm {
        num(&mut out, v);
    }
    out.extend_from_slice(format!("cm\n/{IMAGE_NAME} Do\nQ\n").as_bytes());

    for w in &p.words {
        if w.bbox.iter().any(|v| !v.is_finite()) {
            return Err(PageError::WordBox(w.text.clone()));
        }
    }
    let mut placed = 0;
    let mut text_started = false;
    let mut rest = &p.words[..];
    while let Some(first) = rest.first() {
        let key = (first.block, first.paragraph, first.line);
        let n = rest
            .iter()
            .take_while(|w| (w.block, w.paragraph, w.line) == key)
            .count();
        let (line, tail) = rest.split_at(n);
        rest = tail;
        let encoded: Vec<(&crate::ocr::Word, Vec<u16>)> = line
            .iter()
            .map(|w| {
                let mut codes = Vec::new();
                font.encode(&w.text.nfc().collect::<String>(), &mut codes);
                (w, codes)
            })
            .filter(|(_, codes)| !codes.is_empty())
            .collect();
        let Some(top) = encoded.iter().map(|(w, _)| w.bbox[1]).reduce(f32::min) else {
            continue;
        };
        let bottom = encoded.iter().map(|(w, _)| w.bbox[3]).fold(top, f32::max);
        let size = (f64::from(bottom - top).max(1.0) * g.ky).max(0.5);
        let baseline = g.height_pt - f64::from(bottom) * g.ky;
        if !text_started {
            out.extend_from_slice(b"BT\n3 Tr\n");
            text_started = true;
        }
        out.extend_from_slice(format!("/{FONT_NAME} ").as_bytes());
        num(&mut out, size);
        out.extend_from_slice(b"Tf\n");
        for (i, (w, codes)) in encoded.iter().enumerate() {
            let x0 = f64::from(w.bbox[0]) * g.kx;
            let mut width = f64::from(w.bbox[2] - w.bbox[0]).max(1.0) * g.kx;
            if let Some((next, _)) = encoded.get(i + 1) {
                // Extractors (poppler) join words whose glyphs touch, space code or not:
                // keep a gap of a tenth of the size, giving up at most half the box.
                let room = f64::from(next.bbox[0]) * g.kx - MIN_GAP * size - x0;
                width = width.min(room).max(width / 2.0);
            }
            let natural = codes.len() as f64 * font.advance() * size;
            num(&mut out, 100.0 * width / natural);
            out.extend_from_slice(b"Tz 1 0 0 1 ");
            num(&mut out, x0);
            num(&mut out, baseline);
            out.extend_from_slice(b"Tm <");
            for c in codes {
                out.extend_from_slice(format!("{c:04X}").as_bytes());
            }
            if i + 1 < encoded.len() {
                out.extend_from_slice(b"0020");
            }
            out.extend_from_slice(b"> Tj\n");
            placed += 1;
        }
    }
    if text_started {
        out.extend_from_slice(b"ET\n");
    }
    Ok((out, placed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(m: Matrix, x: f64, y: f64) -> (f64, f64) {
        (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])
    }

    fn close(a: (f64, f64), b: (f64, f64)) -> bool {
        (a.0 - b.0).abs() < 1e-9 && (a.1 - b.1).abs() < 1e-9
    }

    #[test]
    fn composition_order() {
        let scale = [2.0, 0.0, 0.0, 3.0, 0.0, 0.0];
        let shift = [1.0, 0.0, 0.0, 1.0, 5.0, 7.0];
        assert!(close(apply(then(scale, shift), 1.0, 1.0), (7.0, 10.0)));
        assert!(close(apply(then(shift, scale), 1.0, 1.0), (12.0, 24.0)));
    }
}
