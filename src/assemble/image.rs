//! Assemble stage, image step: the page's scanned image as an image XObject (ISO 32000-1
//! §8.9.5): the original JPEG bytes unchanged as /DCTDecode when they are a plain 8-bit
//! Gray/RGB JPEG of the raster's size; a plain 8-bit Gray/RGB PNG's compressed data unchanged
//! as /FlateDecode with the PNG predictors (§7.4.4.4, /Predictor 15: what img2pdf does);
//! else the raster itself, lossless, /FlateDecode.

use std::io::Write;

use flate2::{write::ZlibEncoder, Compression};

use crate::decode::{Raster, ScannedPage};
use crate::pdf::{Dict, Object};

use super::jpeg_info;
use super::page::PageError;

/// An image XObject ready to write: dictionary (without /Length) and stream data.
pub(crate) struct ImageXObject<'a> {
    pub dict: Dict,
    pub data: std::borrow::Cow<'a, [u8]>,
    pub passthrough_jpeg: bool,
}

fn image_dict(width: u32, height: u32, gray: bool, filter: &str) -> Dict {
    let mut d = Dict::new();
    d.set(b"Type", Object::name("XObject"));
    d.set(b"Subtype", Object::name("Image"));
    d.set(b"Width", Object::Int(i64::from(width)));
    d.set(b"Height", Object::Int(i64::from(height)));
    let cs = if gray { "DeviceGray" } else { "DeviceRGB" };
    d.set(b"ColorSpace", Object::name(cs));
    d.set(b"BitsPerComponent", Object::Int(8));
    d.set(b"Filter", Object::name(filter));
    d
}

/// The raster of a page compressed for its XObject ahead of time: the slow part of writing a
/// page whose scan cannot be passed through (30-150 ms for a TIFF page of the samples), done on
/// a core of its own while the page is recognised, instead of after it, on the path to the
/// output (see [`PdfAWriter::add_page_with`](super::PdfAWriter::add_page_with)).
#[derive(Debug)]
pub struct EncodedRaster {
    width: u32,
    height: u32,
    gray: bool,
    data: Vec<u8>,
}

impl EncodedRaster {
    /// Whether the XObject of `scanned` will be its raster compressed (no JPEG or PNG data
    /// to pass through), i.e. whether compressing it ahead saves anything.
    pub fn wanted(scanned: &ScannedPage) -> bool {
        passthrough(scanned).is_none()
    }

    /// Compresses `raster` as [`xobject`] would; `None` when it cannot (then writing the page
    /// reports why).
    pub fn encode(raster: &Raster) -> Option<Self> {
        let (raw, gray) = raw(raster).ok()?;
        Some(Self {
            width: raster.width(),
            height: raster.height(),
            gray,
            data: deflate(raw).ok()?,
        })
    }
}

/// The XObject for `scanned`: its JPEG (or PNG data) when it can be passed through, else its
/// raster, compressed here unless `ahead` holds it already.
pub(crate) fn xobject(
    scanned: &ScannedPage,
    ahead: Option<EncodedRaster>,
) -> Result<ImageXObject<'_>, PageError> {
    if let Some(x) = passthrough(scanned) {
        return Ok(x);
    }
    let (w, h) = (scanned.raster.width(), scanned.raster.height());
    let (data, gray) = match ahead {
        // made from this page's raster (the sizes and kind only guard a caller's mix-up)
        Some(a)
            if (a.width, a.height) == (w, h)
                && a.gray == matches!(scanned.raster, Raster::Gray(_)) =>
        {
            (a.data, a.gray)
        }
        _ => {
            let (raw, gray) = raw(&scanned.raster)?;
            (deflate(raw)?, gray)
        }
    };
    Ok(ImageXObject {
        dict: image_dict(w, h, gray, "FlateDecode"),
        data: std::borrow::Cow::Owned(data),
        passthrough_jpeg: false,
    })
}

/// The XObject of a scan whose compressed data can be embedded as it is: a plain JPEG of the
/// raster's size, or a plain PNG's image data.
fn passthrough(scanned: &ScannedPage) -> Option<ImageXObject<'_>> {
    let (w, h) = (scanned.raster.width(), scanned.raster.height());
    if let Some(jpeg) = scanned.jpeg.as_deref() {
        // A JPEG that cannot be read or does not match the raster is not an error: the
        // raster (what OCR saw) is embedded instead.
        if let Ok(info) = jpeg_info::parse(jpeg) {
            if info.passthrough_ok() && (info.width, info.height) == (w, h) {
                return Some(ImageXObject {
                    dict: image_dict(w, h, info.components == 1, "DCTDecode"),
                    data: std::borrow::Cow::Borrowed(jpeg),
                    passthrough_jpeg: true,
                });
            }
        }
    }
    if let Some(idat) = scanned.png.as_deref() {
        let gray = matches!(scanned.raster, Raster::Gray(_));
        let mut dict = image_dict(w, h, gray, "FlateDecode");
        let mut parms = Dict::new();
        parms.set(b"Predictor", Object::Int(15));
        parms.set(b"Colors", Object::Int(if gray { 1 } else { 3 }));
        parms.set(b"BitsPerComponent", Object::Int(8));
        parms.set(b"Columns", Object::Int(i64::from(w)));
        dict.set(b"DecodeParms", Object::Dict(parms));
        return Some(ImageXObject {
            dict,
            data: std::borrow::Cow::Borrowed(idat),
            passthrough_jpeg: false,
        });
    }
    None
}

/// The samples of `raster`, and whether they are gray.
fn raw(raster: &Raster) -> Result<(&[u8], bool), PageError> {
    match raster {
        Raster::Gray(i) => Ok((i.as_raw(), true)),
        Raster::Rgb(i) => Ok((i.as_raw(), false)),
        #[allow(unreachable_patterns)]
        _ => Err(PageError::RasterKind),
    }
}

/// `raw` zlib-compressed for /FlateDecode.
fn deflate(raw: &[u8]) -> Result<Vec<u8>, PageError> {
    // Level 3: on the sample scans (noisy 200–300 dpi colour pages) as small as level 6 and
    // three times faster (measured with zlib: 0.24 s against 0.75 s for a 1654 × 2339 RGB
    // page, 4.17 against 4.21 MB); at level 6 this one call took 43 % of a page's CPU time.
    let mut enc = ZlibEncoder::new(Vec::with_capacity(raw.len() / 4), Compression::new(3));
    enc.write_all(raw)?;
    Ok(enc.finish()?)
}
