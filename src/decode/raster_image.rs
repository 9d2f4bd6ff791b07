//! Stage `decode`, single-image files: JPEG (kept as is for passthrough unless CMYK) and PNG,
//! headers checked against the limits before `image` allocates pixels.

use super::dpi;
use super::error::{check_pixels, DecodeError, Location};
use super::headers::{jpeg_info, png_info, JpegInfo};
use super::samples::{to_raster, Color, Samples};
use super::{DecodeLimits, Raster, ScannedPage};
use image::codecs::jpeg::JpegDecoder;
use image::codecs::png::PngDecoder;
use image::{DynamicImage, ImageDecoder, ImageError};
use std::fs::File;
use std::io::{Cursor, ErrorKind, Read};
use std::path::Path;

/// Bytes per pixel the `image` decoders may need at most (16-bit RGBA), for `image::Limits`.
const MAX_BYTES_PER_PIXEL: u64 = 8;

fn image_limits(limits: &DecodeLimits) -> image::Limits {
    let mut l = image::Limits::default();
    l.max_alloc = Some(limits.max_pixels.saturating_mul(MAX_BYTES_PER_PIXEL));
    l
}

/// `image`'s errors in our words.
fn map_image_error(e: ImageError, at: &Location, format: &'static str) -> DecodeError {
    match e {
        ImageError::IoError(io) if io.kind() == ErrorKind::UnexpectedEof => {
            DecodeError::truncated(at, format)
        }
        ImageError::IoError(io) => DecodeError::io(at, io),
        ImageError::Unsupported(u) => DecodeError::unsupported(at, format!("this {format} ({u})")),
        ImageError::Limits(l) => {
            DecodeError::corrupt(at, format, format!("over the memory limit: {l}"))
        }
        other => {
            let msg = other.to_string();
            let lower = msg.to_ascii_lowercase();
            if lower.contains("eof") || lower.contains("end of file") || lower.contains("truncat") {
                DecodeError::truncated(at, format)
            } else {
                DecodeError::corrupt(at, format, msg)
            }
        }
    }
}

/// Flattens alpha onto white and keeps gray as gray.
pub(crate) fn dynamic_to_raster(img: DynamicImage, at: &Location) -> Result<Raster, DecodeError> {
    let (color, alpha) = (img.color().has_color(), img.color().has_alpha());
    let (w, h) = (img.width(), img.height());
    let flatten = |data: &[u8], color: Color| {
        let s = Samples {
            data,
            width: w,
            height: h,
            bits: 8,
            color,
            invert: false,
        };
        to_raster(&s).map_err(|e| DecodeError::corrupt(at, "image", e.to_string()))
    };
    match (color, alpha) {
        (false, false) => Ok(Raster::Gray(img.into_luma8())),
        (true, false) => Ok(Raster::Rgb(img.into_rgb8())),
        (false, true) => flatten(img.into_luma_alpha8().as_raw(), Color::GrayAlpha),
        (true, true) => flatten(img.into_rgba8().as_raw(), Color::Rgba),
    }
}

/// Decodes a JPEG held in memory (a file, or a PDF DCTDecode stream) after its header passed
/// the pixel limit.
pub(crate) fn decode_jpeg(
    data: &[u8],
    at: &Location,
    limits: &DecodeLimits,
) -> Result<(Raster, JpegInfo), DecodeError> {
    let info = jpeg_info(data, at)?;
    check_pixels(at, info.width.into(), info.height.into(), limits.max_pixels)?;
    let mut dec =
        JpegDecoder::new(Cursor::new(data)).map_err(|e| map_image_error(e, at, "JPEG"))?;
    dec.set_limits(image_limits(limits))
        .map_err(|e| map_image_error(e, at, "JPEG"))?;
    let img = DynamicImage::from_decoder(dec).map_err(|e| map_image_error(e, at, "JPEG"))?;
    Ok((dynamic_to_raster(img, at)?, info))
}

/// A `.jpg` input: one page; its bytes are kept for passthrough unless it is CMYK.
pub(crate) fn jpeg_file(
    path: &Path,
    mut file: File,
    dpi_override: Option<f32>,
    limits: &DecodeLimits,
) -> Result<ScannedPage, DecodeError> {
    let at = Location::file(path);
    let mut data = Vec::new();
    file.read_to_end(&mut data)
        .map_err(|e| DecodeError::io(&at, e))?;
    let (raster, info) = decode_jpeg(&data, &at, limits)?;
    let (dpi, dpi_source) = dpi::resolve(info.dpi, dpi_override, &at)?;
    Ok(ScannedPage {
        source: path.to_path_buf(),
        page_index: 0,
        raster,
        dpi,
        dpi_source,
        jpeg: (info.components != 4).then_some(data),
        png: None,
    })
}

/// A `.png` input: one page; its compressed image data is kept for passthrough when it is a
/// plain 8-bit Gray or RGB PNG (see [`png_passthrough`]).
pub(crate) fn png_file(
    path: &Path,
    mut file: File,
    dpi_override: Option<f32>,
    limits: &DecodeLimits,
) -> Result<ScannedPage, DecodeError> {
    let at = Location::file(path);
    let mut data = Vec::new();
    file.read_to_end(&mut data)
        .map_err(|e| DecodeError::io(&at, e))?;
    let mut r = Cursor::new(&data[..]);
    let info = png_info(&mut r, &at)?;
    check_pixels(
        &at,
        info.width.into(),
        info.height.into(),
        limits.max_pixels,
    )?;
    let (dpi, dpi_source) = dpi::resolve(info.dpi, dpi_override, &at)?;
    let dec = PngDecoder::with_limits(Cursor::new(&data[..]), image_limits(limits))
        .map_err(|e| map_image_error(e, &at, "PNG"))?;
    let img = DynamicImage::from_decoder(dec).map_err(|e| map_image_error(e, &at, "PNG"))?;
    let raster = dynamic_to_raster(img, &at)?;
    let png = png_passthrough(&data).filter(|p| {
        let (w, h) = (raster.width(), raster.height());
        (p.width, p.height, p.gray) == (w, h, matches!(raster, Raster::Gray(_)))
    });
    Ok(ScannedPage {
        source: path.to_path_buf(),
        page_index: 0,
        raster,
        dpi,
        dpi_source,
        jpeg: None,
        png: png.map(|p| p.idat),
    })
}

/// The compressed image data of a PNG a PDF can hold unchanged (ISO 32000-1 §7.4.4.4: Flate
/// with the PNG predictors, /Predictor 15): 8 bits per sample, Gray or RGB, not interlaced,
/// no transparency, no palette. `None` for anything else (the raster is compressed again).
pub(crate) struct PngPassthrough {
    pub width: u32,
    pub height: u32,
    pub gray: bool,
    /// The IDAT chunks' data, concatenated: one zlib stream of filtered rows.
    pub idat: Vec<u8>,
}

pub(crate) fn png_passthrough(data: &[u8]) -> Option<PngPassthrough> {
    if data.get(..8)? != b"\x89PNG\r\n\x1a\n" {
        return None;
    }
    let mut at = 8usize;
    let mut head: Option<(u32, u32, bool)> = None;
    let mut idat = Vec::new();
    while at + 8 <= data.len() {
        let len = u32::from_be_bytes(data[at..at + 4].try_into().ok()?) as usize;
        let kind = &data[at + 4..at + 8];
        let body = data.get(at + 8..at.checked_add(8)?.checked_add(len)?)?;
        match kind {
            b"IHDR" => {
                if body.len() != 13 {
                    return None;
                }
                let w = u32::from_be_bytes(body[0..4].try_into().ok()?);
                let h = u32::from_be_bytes(body[4..8].try_into().ok()?);
                let (depth, color, compression, filter, interlace) =
                    (body[8], body[9], body[10], body[11], body[12]);
                if depth != 8
                    || !matches!(color, 0 | 2)
                    || compression != 0
                    || filter != 0
                    || interlace != 0
                {
                    return None;
                }
                head = Some((w, h, color == 0));
            }
            // transparency or a palette: the PDF would need more than the samples
            b"tRNS" | b"PLTE" => return None,
            b"IDAT" => idat.extend_from_slice(body),
            b"IEND" => break,
            _ => {}
        }
        // length, type, data, CRC
        at = at.checked_add(12)?.checked_add(len)?;
    }
    let (width, height, gray) = head?;
    (!idat.is_empty()).then_some(PngPassthrough {
        width,
        height,
        gray,
        idat,
    })
}
