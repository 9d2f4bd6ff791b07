//! Stage `sign`, visible stamps, what a page shows: a page-sized image (a scan) marks only
//! the cells where its pixels have ink (ISO 32000-1 §8.9: DCT and Flate 8-bit Gray/RGB, 1-bit
//! Gray); an image it cannot read here marks its whole box.

use std::borrow::Cow;
use std::io::{Read, Seek};
use std::sync::Arc;

use crate::decode::Raster;
use crate::pdf::{Object, PdfError, PdfFile};
use crate::pki::digest::DigestAlg;

use super::walk::{apply, bbox, Matrix, Walker};
use super::{INK_LUMA, MAX_INK_PIXELS};

/// The pixels of an image stream this process wrote itself (a scan's page image in the PDF/A
/// it just assembled), so that placing a stamp need not decode the image again. Found by the
/// SHA-256 of the stream's data as stored (undecoded): a stream that does not hash to it is
/// decoded as any other. The raster must be the pixels that data decodes to.
#[derive(Clone, Debug)]
pub struct KnownImage {
    pub stream_sha256: [u8; 32],
    pub raster: Arc<Raster>,
}

impl KnownImage {
    /// The luminance `ink` would compute from the decoded stream: ITU-R BT.709 for DCT (what
    /// the `image` crate's JPEG path gives), (3R + 6G + B) / 10 for Flate. `None` when the
    /// size differs from the image dictionary's.
    fn luma(&self, w: usize, h: usize, dct: bool) -> Option<Cow<'_, [u8]>> {
        if self.raster.width() as usize != w || self.raster.height() as usize != h {
            return None;
        }
        Some(match &*self.raster {
            // gray: the pixels themselves, no copy
            Raster::Gray(g) => Cow::Borrowed(g.as_raw().as_slice()),
            Raster::Rgb(rgb) if dct => Cow::Owned(image::imageops::grayscale(rgb).into_raw()),
            Raster::Rgb(rgb) => Cow::Owned(
                rgb.as_raw()
                    .chunks_exact(3)
                    .map(|p| {
                        ((u16::from(p[0]) * 3 + u16::from(p[1]) * 6 + u16::from(p[2])) / 10) as u8
                    })
                    .collect(),
            ),
        })
    }
}

impl Walker<'_> {
    /// Marks the cells where a page-sized image has ink; false when its pixels cannot be read
    /// here (then the caller takes its whole box).
    pub(super) fn ink<R: Read + Seek>(
        &mut self,
        pdf: &mut PdfFile<R>,
        s: &crate::pdf::object::Stream,
        ctm: &Matrix,
    ) -> Result<bool, PdfError> {
        let (w, h) = (
            s.dict.int(b"Width").unwrap_or(0),
            s.dict.int(b"Height").unwrap_or(0),
        );
        if w <= 0 || h <= 0 || (w as u64) * (h as u64) > MAX_INK_PIXELS {
            return Ok(false);
        }
        let (w, h) = (w as usize, h as usize);
        let filter = match s.dict.get(b"Filter").map(|f| pdf.resolve(f)).transpose()? {
            Some(Object::Name(n)) => Some(n),
            Some(Object::Array(a)) if a.len() == 1 => a[0].as_name().map(<[u8]>::to_vec),
            None => None,
            _ => return Ok(false),
        };
        let dct = matches!(filter.as_deref(), Some(b"DCTDecode") | Some(b"DCT"));
        let known = if self.known.is_empty() {
            None
        } else {
            let digest = DigestAlg::Sha256.digest(&pdf.stream_raw(s)?);
            self.known
                .iter()
                .find(|k| k.stream_sha256[..] == digest[..])
                .and_then(|k| k.luma(w, h, dct))
        };
        let luma: Cow<'_, [u8]> = if let Some(luma) = known {
            luma
        } else {
            match filter.as_deref() {
                Some(b"DCTDecode") | Some(b"DCT") => {
                    let raw = pdf.stream_raw(s)?;
                    let Ok(img) =
                        image::load_from_memory_with_format(&raw, image::ImageFormat::Jpeg)
                    else {
                        return Ok(false);
                    };
                    if img.width() as usize != w || img.height() as usize != h {
                        return Ok(false);
                    }
                    img.to_luma8().into_raw().into()
                }
                None | Some(b"FlateDecode") | Some(b"Fl") => {
                    let bpc = s.dict.int(b"BitsPerComponent").unwrap_or(8);
                    let comps = match s
                        .dict
                        .get(b"ColorSpace")
                        .map(|c| pdf.resolve(c))
                        .transpose()?
                    {
                        Some(Object::Name(n)) if n == b"DeviceGray" || n == b"G" => 1,
                        Some(Object::Name(n)) if n == b"DeviceRGB" || n == b"RGB" => 3,
                        _ => return Ok(false),
                    };
                    let Ok(data) = pdf.stream_decoded(s) else {
                        return Ok(false);
                    };
                    match (bpc, comps) {
                        (8, c) if data.len() >= w * h * c => data
                            .chunks_exact(c)
                            .take(w * h)
                            .map(|p| match p {
                                [g] => *g,
                                [r, g, b] => {
                                    ((u16::from(*r) * 3 + u16::from(*g) * 6 + u16::from(*b)) / 10)
                                        as u8
                                }
                                _ => 255,
                            })
                            .collect(),
                        (1, 1) => {
                            let stride = w.div_ceil(8);
                            if data.len() < stride * h {
                                return Ok(false);
                            }
                            let mut out = Vec::with_capacity(w * h);
                            for y in 0..h {
                                for x in 0..w {
                                    let bit = data[y * stride + x / 8] >> (7 - x % 8) & 1;
                                    out.push(if bit == 1 { 255 } else { 0 });
                                }
                            }
                            out.into()
                        }
                        _ => return Ok(false),
                    }
                }
                _ => return Ok(false),
            }
        };
        // Image space: the unit square, row 0 at the top (ISO 32000-1 §8.9.4).
        let before = self.occ.marks.clone();
        let (sx, sy) = (1.0 / w as f64, 1.0 / h as f64);
        // One pixel in page space, for the count a cell needs to be ink, not dust.
        let px_area = bbox(ctm, 0.0, 0.0, sx, sy).area().max(1e-6);
        let per_cell = (self.occ.cell * self.occ.cell / px_area).max(1.0);
        let threshold = ((per_cell * 0.02).ceil() as u32)
            .max(3)
            .min(per_cell.ceil() as u32);
        for y in 0..h {
            let row = &luma[y * w..(y + 1) * w];
            for (x, &v) in row.iter().enumerate() {
                if v < INK_LUMA {
                    let (px, py) = apply(ctm, (x as f64 + 0.5) * sx, 1.0 - (y as f64 + 0.5) * sy);
                    self.occ.mark_point(px, py, 1);
                }
            }
        }
        self.occ.finish_counts(threshold, &before);
        Ok(true)
    }
}
