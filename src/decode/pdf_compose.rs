//! Stage `decode`, a page that draws several images (MRC layers: a background, a foreground
//! through a stencil or soft mask, text as an image mask; tiles; a text image over a
//! background) painted in order onto one raster of the page box, at the resolution of its
//! sharpest page-sized layer. Masks per ISO 32000-1 §8.9.6 (stencil `/ImageMask` in the fill
//! colour, explicit `/Mask` stream) and §11.6.5.3 (`/SMask`); colour-key masks and clipping
//! are not applied. Nearest-neighbour sampling, one decoded layer in memory at a time.

use super::error::{check_pixels, DecodeError, Location};
use super::pdf_image;
use super::pdf_layers::Placement;
use super::{DecodeLimits, Raster};
use crate::pdf::content::matrix::{apply, Matrix};
use crate::pdf::{Object, PdfFile};
use image::{GrayImage, RgbImage};
use std::fs::File;

type Pdf = PdfFile<File>;

/// A layer smaller than this share of the page does not set the page's resolution (a stray
/// 1-point stencil would otherwise ask for an enormous canvas); it is still painted.
const MIN_SHARE: f64 = 0.01;

fn inverse(m: &Matrix) -> Option<Matrix> {
    let det = m[0] * m[3] - m[1] * m[2];
    if !det.is_finite() || det.abs() < 1e-12 {
        return None;
    }
    let (a, b, c, d) = (m[3] / det, -m[1] / det, -m[2] / det, m[0] / det);
    Some([a, b, c, d, -(m[4] * a + m[5] * c), -(m[4] * b + m[5] * d)])
}

/// A layer's alpha source: a decoded gray mask and whether 0 means opaque (stencil) or
/// transparent (soft mask).
struct Alpha {
    gray: GrayImage,
    zero_paints: bool,
}

impl Alpha {
    fn at(&self, u: f64, v: f64) -> u8 {
        let (w, h) = self.gray.dimensions();
        let x = ((u * f64::from(w)) as u32).min(w.saturating_sub(1));
        let y = (((1.0 - v) * f64::from(h)) as u32).min(h.saturating_sub(1));
        let g = self.gray.get_pixel(x, y).0[0];
        if self.zero_paints {
            if g < 128 {
                255
            } else {
                0
            }
        } else {
            g
        }
    }
}

/// The page box `[x0, y0, x1, y1]` painted as one raster; its resolution in dpi.
pub(crate) fn compose(
    pdf: &mut Pdf,
    layers: &[Placement],
    page_box: [f64; 4],
    at: &Location,
    limits: &DecodeLimits,
) -> Result<(Raster, (f64, f64)), DecodeError> {
    let [x0, y0, x1, y1] = page_box;
    let (bw, bh) = ((x1 - x0).abs(), (y1 - y0).abs());
    let (left, top) = (x0.min(x1), y0.max(y1));
    if !(bw > 0.0 && bh > 0.0) {
        return Err(DecodeError::corrupt(at, "PDF", "page box of no area"));
    }
    // Pixels per point: the sharpest layer that covers a real part of the page.
    let mut density: f64 = 0.0;
    for l in layers {
        let m = &l.ctm;
        let (sx, sy) = (m[0].hypot(m[1]), m[2].hypot(m[3]));
        if sx * sy < MIN_SHARE * bw * bh {
            continue;
        }
        let w = l.stream.dict.int(b"Width").unwrap_or(0).max(0) as f64;
        let h = l.stream.dict.int(b"Height").unwrap_or(0).max(0) as f64;
        density = density.max(w / sx).max(h / sy);
    }
    if !(density.is_finite() && density > 0.0) {
        return Err(DecodeError::not_image_only(
            at,
            "its images cover less than 1% of the page",
        ));
    }
    let max = limits.max_pixels as f64;
    if bw * bh * density * density > max {
        density = (max / (bw * bh)).sqrt();
    }
    let (cw, ch) = (
        (bw * density).round().max(1.0) as u32,
        (bh * density).round().max(1.0) as u32,
    );
    check_pixels(at, cw.into(), ch.into(), limits.max_pixels)?;
    let mut canvas = RgbImage::from_pixel(cw, ch, image::Rgb([255; 3]));
    let mut colour = false;
    for l in layers {
        let Some(inv) = inverse(&l.ctm) else { continue };
        let d = &l.stream.dict;
        let stencil = matches!(d.get(b"ImageMask"), Some(Object::Bool(true)));
        let img = pdf_image::decode(pdf, &l.stream, &l.resources, at, limits)?.raster;
        let alpha = if stencil {
            None
        } else {
            layer_alpha(pdf, l, at, limits)?
        };
        let gray_in = matches!(img, Raster::Gray(_)) || stencil;
        colour |= (!gray_in) || (stencil && l.fill.iter().any(|&c| c != l.fill[0]));
        let (iw, ih) = (img.width().max(1), img.height().max(1));
        // The layer's bounding box on the canvas.
        let corners = [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)].map(|(u, v)| {
            let (px, py) = apply(&l.ctm, u, v);
            ((px - left) * density, (top - py) * density)
        });
        let lo = |f: fn(&(f64, f64)) -> f64| corners.iter().map(f).fold(f64::INFINITY, f64::min);
        let hi =
            |f: fn(&(f64, f64)) -> f64| corners.iter().map(f).fold(f64::NEG_INFINITY, f64::max);
        let span = |a: f64, b: f64, n: u32| {
            let n = f64::from(n);
            (
                a.floor().clamp(0.0, n) as u32,
                b.ceil().clamp(0.0, n) as u32,
            )
        };
        let (ax, bx) = span(lo(|c| c.0), hi(|c| c.0), cw);
        let (ay, by) = span(lo(|c| c.1), hi(|c| c.1), ch);
        for cy in ay..by {
            let py = top - (f64::from(cy) + 0.5) / density;
            for cx in ax..bx {
                let px = left + (f64::from(cx) + 0.5) / density;
                let (u, v) = apply(&inv, px, py);
                if !(0.0..1.0).contains(&u) || !(0.0..1.0).contains(&v) {
                    continue;
                }
                let sx = ((u * f64::from(iw)) as u32).min(iw - 1);
                let sy = (((1.0 - v) * f64::from(ih)) as u32).min(ih - 1);
                let (rgb, a) = match &img {
                    // A stencil paints the fill colour where its sample is 0 (decoded black).
                    Raster::Gray(g) if stencil => match g.get_pixel(sx, sy).0[0] {
                        v if v < 128 => (l.fill, 255),
                        _ => continue,
                    },
                    Raster::Rgb(c) if stencil => match c.get_pixel(sx, sy).0[0] {
                        v if v < 128 => (l.fill, 255),
                        _ => continue,
                    },
                    Raster::Gray(g) => ([g.get_pixel(sx, sy).0[0]; 3], 255),
                    Raster::Rgb(c) => (c.get_pixel(sx, sy).0, 255),
                };
                let a = alpha.as_ref().map_or(a, |m| m.at(u, v));
                if a == 0 {
                    continue;
                }
                let dst = canvas.get_pixel_mut(cx, cy);
                for (d, s) in dst.0.iter_mut().zip(rgb) {
                    *d = ((u16::from(s) * u16::from(a) + u16::from(*d) * (255 - u16::from(a)))
                        / 255) as u8;
                }
            }
        }
    }
    let dpi = density * 72.0;
    let raster = if colour {
        Raster::Rgb(canvas)
    } else {
        Raster::Gray(crate::ocr::to_gray(&Raster::Rgb(canvas)))
    };
    Ok((raster, (dpi, dpi)))
}

/// The alpha a layer is painted with: its `/SMask` (§11.6.5.3) or a stencil `/Mask` stream
/// (§8.9.6.3); a colour-key `/Mask` array is not applied.
fn layer_alpha(
    pdf: &mut Pdf,
    l: &Placement,
    at: &Location,
    limits: &DecodeLimits,
) -> Result<Option<Alpha>, DecodeError> {
    let e = super::pdf_page::pdf_err(at);
    for (key, zero_paints) in [(&b"SMask"[..], false), (b"Mask", true)] {
        let Some(o) = l.stream.dict.get(key) else {
            continue;
        };
        if let Object::Stream(m) = pdf.resolve(o).map_err(&e)? {
            let gray = match pdf_image::decode(pdf, &m, &l.resources, at, limits)?.raster {
                Raster::Gray(g) => g,
                colour => crate::ocr::to_gray(&colour),
            };
            return Ok(Some(Alpha { gray, zero_paints }));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_undoes_a_placement() {
        let m = [612.0, 0.0, 0.0, 792.0, 10.0, 20.0];
        let inv = inverse(&m).unwrap();
        let (u, v) = apply(&inv, 316.0, 416.0);
        assert!((u - 0.5).abs() < 1e-9 && (v - 0.5).abs() < 1e-9, "{u} {v}");
        assert!(inverse(&[0.0; 6]).is_none());
        let turned = [0.0, 792.0, -612.0, 0.0, 612.0, 0.0];
        let inv = inverse(&turned).unwrap();
        let (u, v) = apply(&inv, 612.0, 792.0);
        assert!((u - 1.0).abs() < 1e-9 && v.abs() < 1e-9, "{u} {v}");
    }
}
