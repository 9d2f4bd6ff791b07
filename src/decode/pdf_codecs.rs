//! Stage `decode`, the image codecs a scanner's PDF may end an image's filter chain with beyond
//! JPEG (ISO 32000-1 §7.4.5–7.4.9): CCITT fax Group 3 (1-D and 2-D) and Group 4 (ITU-T T.4 /
//! T.6, `hayro-ccitt`), JBIG2 with its `/JBIG2Globals` (ITU-T T.88, `hayro-jbig2`), JPEG 2000
//! (ISO/IEC 15444-1, `hayro-jpeg2000`) and RunLength (the `tiff` crate's PackBits). Each checks
//! the size it is about to allocate against the decode limits first.

use super::error::{check_pixels, DecodeError, Location};
use super::samples::{to_raster, Color, Samples};
use super::{tiff_file, DecodeLimits, Raster};
use crate::pdf::{Dict, Object};
use image::GrayImage;
use std::io::Cursor;

/// A bi-level image's rows gathered into gray samples (0 or 255), bounded by the image size
/// the PDF declared: rows past it are dropped, missing rows stay white.
struct BiLevel {
    width: usize,
    height: usize,
    /// Gray value of a black pixel (0, or 255 when the PDF maps black to 1 and then to white).
    black: u8,
    data: Vec<u8>,
    row: usize,
    col: usize,
}

impl BiLevel {
    fn new(width: u32, height: u32, black: u8) -> Self {
        let (width, height) = (width as usize, height as usize);
        Self {
            width,
            height,
            black,
            data: vec![255 - black; width.saturating_mul(height)],
            row: 0,
            col: 0,
        }
    }

    fn push(&mut self, black: bool, n: usize) {
        if self.row >= self.height {
            return;
        }
        let end = self.col.saturating_add(n).min(self.width);
        if black {
            let base = self.row * self.width;
            if let Some(s) = self.data.get_mut(base + self.col..base + end) {
                s.fill(self.black);
            }
        }
        self.col = end;
    }

    fn end_row(&mut self) {
        self.row += 1;
        self.col = 0;
    }

    fn into_raster(self, invert: bool) -> Result<Raster, String> {
        let mut data = self.data;
        if invert {
            data.iter_mut().for_each(|v| *v = 255 - *v);
        }
        GrayImage::from_raw(self.width as u32, self.height as u32, data)
            .map(Raster::Gray)
            .ok_or_else(|| "bi-level buffer of the wrong size".to_string())
    }
}

impl hayro_ccitt::Decoder for BiLevel {
    fn push_row(&mut self, changes: &[u32]) {
        let mut at = 0usize;
        let mut black = false;
        for &c in changes {
            let c = c as usize;
            self.push(black, c.saturating_sub(at));
            at = at.max(c);
            black = !black;
        }
        self.push(black, self.width.saturating_sub(at));
        self.end_row();
    }
}

impl hayro_jbig2::Decoder for BiLevel {
    fn push_pixel(&mut self, black: bool) {
        self.push(black, 1);
    }
    fn push_pixel_chunk(&mut self, black: bool, chunk_count: u32) {
        self.push(black, (chunk_count as usize).saturating_mul(8));
    }
    fn next_line(&mut self) {
        self.end_row();
    }
}

fn int(parms: &Dict, key: &[u8], default: i64) -> i64 {
    parms.int(key).unwrap_or(default)
}

fn flag(parms: &Dict, key: &[u8], default: bool) -> bool {
    match parms.get(key) {
        Some(Object::Bool(b)) => *b,
        _ => default,
    }
}

/// `/CCITTFaxDecode` (§7.4.6, Table 11): `/K` < 0 Group 4, 0 Group 3 1-D, > 0 Group 3 2-D;
/// `/EncodedByteAlign`, `/EndOfLine`, `/EndOfBlock`, `/BlackIs1`; `invert` from `/Decode`.
pub(crate) fn ccitt(
    data: &[u8],
    parms: &Dict,
    (width, height): (u32, u32),
    invert: bool,
    at: &Location,
) -> Result<Raster, DecodeError> {
    let (cols, rows) = (int(parms, b"Columns", 1728), int(parms, b"Rows", 0));
    if cols != i64::from(width) || (rows > 0 && rows != i64::from(height)) {
        return Err(DecodeError::corrupt(
            at,
            "PDF",
            format!(
                "CCITT /Columns {cols} or /Rows {rows} differ from the image's {width}×{height}"
            ),
        ));
    }
    let k = int(parms, b"K", 0);
    let settings = hayro_ccitt::DecodeSettings {
        columns: width,
        rows: height,
        end_of_block: flag(parms, b"EndOfBlock", true),
        end_of_line: flag(parms, b"EndOfLine", false),
        rows_are_byte_aligned: flag(parms, b"EncodedByteAlign", false),
        encoding: match k {
            k if k < 0 => hayro_ccitt::EncodingMode::Group4,
            0 => hayro_ccitt::EncodingMode::Group3_1D,
            _ => hayro_ccitt::EncodingMode::Group3_2D,
        },
        strict: false,
    };
    let black = if flag(parms, b"BlackIs1", false) {
        255
    } else {
        0
    };
    let mut out = BiLevel::new(width, height, black);
    let mut ctx = hayro_ccitt::DecoderContext::new(settings);
    if let Err(e) = hayro_ccitt::decode(data, &mut out, &mut ctx) {
        // Rows decoded before damage are kept (as viewers show them); none is an error.
        if out.row == 0 {
            return Err(DecodeError::corrupt(
                at,
                "PDF CCITT image",
                format!("{e:?}"),
            ));
        }
    }
    out.into_raster(invert)
        .map_err(|e| DecodeError::corrupt(at, "PDF CCITT image", e))
}

/// `/JBIG2Decode` (§7.4.7): an embedded-organisation page, with the decoded
/// `/JBIG2Globals` stream's segments when the image has them.
pub(crate) fn jbig2(
    data: &[u8],
    globals: Option<&[u8]>,
    (width, height): (u32, u32),
    invert: bool,
    at: &Location,
    limits: &DecodeLimits,
) -> Result<Raster, DecodeError> {
    let bad =
        |e: hayro_jbig2::DecodeError| DecodeError::corrupt(at, "PDF JBIG2 image", format!("{e:?}"));
    let settings = hayro_jbig2::DecodeSettings::default();
    let globals = globals
        .map(|g| hayro_jbig2::Globals::new(g, &settings))
        .transpose()
        .map_err(|e| DecodeError::corrupt(at, "PDF JBIG2 globals", format!("{e:?}")))?;
    let page = hayro_jbig2::Page::new_embedded(data, globals.as_ref(), &settings).map_err(bad)?;
    // The page's own size is what the decoder allocates: bounded before decoding.
    check_pixels(
        at,
        page.width().into(),
        page.height().into(),
        limits.max_pixels,
    )?;
    if page.width() != width {
        return Err(DecodeError::corrupt(
            at,
            "PDF JBIG2 image",
            format!(
                "page width {} differs from the image's /Width {width}",
                page.width()
            ),
        ));
    }
    let mut out = BiLevel::new(width, height, 0);
    page.decode(&mut out).map_err(bad)?;
    out.into_raster(invert)
        .map_err(|e| DecodeError::corrupt(at, "PDF JBIG2 image", e))
}

/// `/JPXDecode` (§7.4.9): a JP2 file or a raw codestream; its own colour space (gray, RGB,
/// CMYK, or an ICC profile by its channel count) and any alpha dropped.
pub(crate) fn jpx(
    data: &[u8],
    at: &Location,
    limits: &DecodeLimits,
) -> Result<Raster, DecodeError> {
    let bad = |e: hayro_jpeg2000::DecodeError| {
        DecodeError::corrupt(at, "PDF JPEG 2000 image", format!("{e:?}"))
    };
    let settings = hayro_jpeg2000::DecodeSettings::default();
    let img = hayro_jpeg2000::Image::new(data, &settings).map_err(bad)?;
    let (w, h) = (img.width(), img.height());
    // The decoder keeps every component as 32-bit floats while it works: a quarter of the
    // pixel limit keeps its memory near what an 8-bit RGB page of the full limit takes.
    check_pixels(at, w.into(), h.into(), limits.max_pixels / 4)?;
    let channels = usize::from(img.color_space().num_channels());
    let stride = channels + usize::from(img.has_alpha());
    let mut ctx = hayro_jpeg2000::DecoderContext::default();
    let decoded = img.decode(&mut ctx).map_err(bad)?;
    let data = decoded.data_u8();
    let px = (w as usize).saturating_mul(h as usize);
    if data.len() != px.saturating_mul(stride) {
        return Err(DecodeError::corrupt(
            at,
            "PDF JPEG 2000 image",
            format!(
                "{} samples for {w}×{h} pixels of {stride} channels",
                data.len()
            ),
        ));
    }
    let color = match (channels, img.has_alpha()) {
        (1, false) => Color::Gray,
        (1, true) => Color::GrayAlpha,
        (3, false) => Color::Rgb,
        (3, true) => Color::Rgba,
        (4, false) => Color::Cmyk,
        (n, _) => {
            return Err(DecodeError::unsupported(
                at,
                format!("JPEG 2000 images of {n} colour channels"),
            ))
        }
    };
    let samples = Samples {
        data: &data,
        width: w,
        height: h,
        bits: 8,
        color,
        invert: false,
    };
    to_raster(&samples).map_err(|e| DecodeError::corrupt(at, "PDF JPEG 2000 image", e.to_string()))
}

/// `/RunLengthDecode` (§7.4.5), which is TIFF's PackBits but for its end marker: decoded by
/// the `tiff` crate as one strip of `rows` × `row_bytes` 8-bit samples, exactly the length the
/// image needs, so nothing past the end marker is read.
pub(crate) fn run_length(
    data: &[u8],
    row_bytes: usize,
    rows: u32,
    at: &Location,
    limits: &DecodeLimits,
) -> Result<Vec<u8>, DecodeError> {
    let width = u32::try_from(row_bytes)
        .map_err(|_| DecodeError::corrupt(at, "PDF RunLength image", "rows too long"))?;
    let tiff = tiff_file::one_strip_tiff(width, rows, 8, 32773, 1, data);
    match tiff_file::decode(Cursor::new(tiff), at, 0, limits)? {
        (Raster::Gray(g), _) => Ok(g.into_raw()),
        _ => Err(DecodeError::corrupt(
            at,
            "PDF RunLength image",
            "decoded as colour",
        )),
    }
}
