//! Stage `decode`, PDF image XObjects (ISO 32000-1 §8.9.5) to rasters: DCTDecode (bytes kept
//! for passthrough), Flate or unfiltered samples in DeviceGray/RGB/CMYK, ICCBased, Cal* and
//! Indexed colour spaces, image masks, and CCITT Group 4 through the TIFF decoder.

use super::error::{check_pixels, DecodeError, Location};
use super::raster_image::decode_jpeg;
use super::samples::{to_raster, Color, Samples};
use super::{tiff_file, DecodeLimits, Raster};
use crate::pdf::filters::filter_specs;
use crate::pdf::{Dict, Object, PdfFile, Stream};
use std::fs::File;
use std::io::Cursor;

type Pdf = PdfFile<File>;

/// A decoded image and, for a lone DCTDecode non-CMYK image, its JPEG bytes.
pub(crate) struct PdfImage {
    pub raster: Raster,
    pub jpeg: Option<Vec<u8>>,
}

/// Deepest colour-space indirection (named in /Resources, Indexed base).
const MAX_CS_DEPTH: usize = 4;

fn resolved(pdf: &mut Pdf, o: Option<&Object>, at: &Location) -> Result<Object, DecodeError> {
    match o {
        Some(o) => pdf.resolve(o).map_err(|source| DecodeError::Pdf {
            at: at.clone(),
            source,
        }),
        None => Ok(Object::Null),
    }
}

fn positive(pdf: &mut Pdf, d: &Dict, key: &[u8], at: &Location) -> Result<u32, DecodeError> {
    let v = resolved(pdf, d.get(key), at)?.as_int();
    v.and_then(|v| u32::try_from(v).ok())
        .filter(|v| *v > 0)
        .ok_or_else(|| {
            let k = String::from_utf8_lossy(key);
            DecodeError::corrupt(
                at,
                "PDF",
                format!("image /{k} is missing or not a positive integer"),
            )
        })
}

fn to_rgb(base: &Color, c: &[u8]) -> [u8; 3] {
    match (base, c) {
        (Color::Gray, [g, ..]) => [*g, *g, *g],
        (Color::Rgb, [r, g, b, ..]) => [*r, *g, *b],
        (Color::Cmyk, [c, m, y, k, ..]) => {
            let k = 255 - u16::from(*k);
            let ch = |v: u8| ((255 - u16::from(v)) * k / 255) as u8;
            [ch(*c), ch(*m), ch(*y)]
        }
        _ => [0, 0, 0],
    }
}

/// The colour space `cs` (§8.6) as the sample layout to read.
fn color_space(
    pdf: &mut Pdf,
    cs: &Object,
    res: &Dict,
    at: &Location,
    depth: usize,
) -> Result<Color, DecodeError> {
    let unsupported = |what: &[u8]| {
        let w = String::from_utf8_lossy(what);
        DecodeError::unsupported(at, format!("the PDF colour space /{w}"))
    };
    if depth > MAX_CS_DEPTH {
        return Err(DecodeError::corrupt(
            at,
            "PDF",
            "colour spaces nested too deeply",
        ));
    }
    let cs = resolved(pdf, Some(cs), at)?;
    let (family, arr) = match &cs {
        Object::Name(n) => (n.as_slice(), &[][..]),
        Object::Array(a) => match a.first().and_then(Object::as_name) {
            Some(n) => (n, a.as_slice()),
            None => return Err(DecodeError::corrupt(at, "PDF", "bad /ColorSpace array")),
        },
        _ => {
            return Err(DecodeError::corrupt(
                at,
                "PDF",
                "image without a usable /ColorSpace",
            ))
        }
    };
    match family {
        b"DeviceGray" | b"G" | b"CalGray" => Ok(Color::Gray),
        b"DeviceRGB" | b"RGB" | b"CalRGB" => Ok(Color::Rgb),
        b"DeviceCMYK" | b"CMYK" => Ok(Color::Cmyk),
        b"ICCBased" => {
            let s = resolved(pdf, arr.get(1), at)?;
            match s.as_dict().and_then(|d| d.int(b"N")) {
                Some(1) => Ok(Color::Gray),
                Some(3) => Ok(Color::Rgb),
                Some(4) => Ok(Color::Cmyk),
                _ => Err(DecodeError::corrupt(
                    at,
                    "PDF",
                    "ICCBased colour space without a usable /N",
                )),
            }
        }
        b"Indexed" | b"I" if arr.len() >= 4 => {
            let base_obj = arr.get(1).cloned().unwrap_or(Object::Null);
            let base = color_space(pdf, &base_obj, res, at, depth + 1)?;
            let n = match base {
                Color::Gray => 1,
                Color::Rgb => 3,
                Color::Cmyk => 4,
                _ => return Err(unsupported(b"Indexed with this base")),
            };
            let hival = resolved(pdf, arr.get(2), at)?
                .as_int()
                .filter(|h| (0..=255).contains(h));
            let hival =
                hival.ok_or_else(|| DecodeError::corrupt(at, "PDF", "bad Indexed /hival"))?;
            let lookup = match resolved(pdf, arr.get(3), at)? {
                Object::String(s) => s,
                Object::Stream(s) => pdf.stream_decoded(&s).map_err(|source| DecodeError::Pdf {
                    at: at.clone(),
                    source,
                })?,
                _ => return Err(DecodeError::corrupt(at, "PDF", "bad Indexed lookup table")),
            };
            let pal = (0..=hival as usize)
                .map(|i| {
                    lookup
                        .get(i * n..i * n + n)
                        .map_or([0, 0, 0], |c| to_rgb(&base, c))
                })
                .collect();
            Ok(Color::Indexed(pal))
        }
        other => {
            let named = match res.get(b"ColorSpace") {
                Some(d) => pdf.get_dict(d).map_err(|source| DecodeError::Pdf {
                    at: at.clone(),
                    source,
                })?,
                None => None,
            };
            match (
                matches!(cs, Object::Name(_)),
                named.as_ref().and_then(|d| d.get(other)),
            ) {
                (true, Some(next)) => color_space(pdf, &next.clone(), res, at, depth + 1),
                _ => Err(unsupported(other)),
            }
        }
    }
}

/// Decodes the image XObject `s` drawn with resources `res`.
pub(crate) fn decode(
    pdf: &mut Pdf,
    s: &Stream,
    res: &Dict,
    at: &Location,
    limits: &DecodeLimits,
) -> Result<PdfImage, DecodeError> {
    let pe = |source| DecodeError::Pdf {
        at: at.clone(),
        source,
    };
    let d = &s.dict;
    let (width, height) = (
        positive(pdf, d, b"Width", at)?,
        positive(pdf, d, b"Height", at)?,
    );
    check_pixels(at, width.into(), height.into(), limits.max_pixels)?;
    let what = format!("image stream at offset {}", s.data_offset);
    let filters = filter_specs(d, &mut |o| pdf.resolve(o), &what).map_err(pe)?;
    let names: Vec<&[u8]> = filters.iter().map(|f| f.name.as_slice()).collect();
    let mask = matches!(resolved(pdf, d.get(b"ImageMask"), at)?, Object::Bool(true));
    let decode_arr = resolved(pdf, d.get(b"Decode"), at)?;
    let invert = match decode_arr.as_array() {
        Some([a, b, ..]) => a.as_number().unwrap_or(0.0) > b.as_number().unwrap_or(1.0),
        _ => false,
    };
    match names.as_slice() {
        [b"DCTDecode" | b"DCT"] => {
            let raw = pdf.stream_raw(s).map_err(pe)?;
            let (raster, info) = decode_jpeg(&raw, at, limits)?;
            let jpeg = (info.components != 4).then_some(raw);
            return Ok(PdfImage { raster, jpeg });
        }
        [b"CCITTFaxDecode" | b"CCF"] => {
            let parms = filters
                .first()
                .and_then(|f| f.parms.clone())
                .unwrap_or_default();
            let int = |k: &[u8], def: i64| parms.int(k).unwrap_or(def);
            let flag = |k: &[u8]| matches!(parms.get(k), Some(Object::Bool(true)));
            if int(b"K", 0) >= 0 || flag(b"EncodedByteAlign") {
                return Err(DecodeError::unsupported(at, "the PDF image filter /CCITTFaxDecode with Group 3 coding or byte alignment (only pure Group 4 is read)"));
            }
            let (cols, rows) = (int(b"Columns", 1728), int(b"Rows", 0));
            if cols != i64::from(width) || (rows != 0 && rows != i64::from(height)) {
                return Err(DecodeError::corrupt(
                    at,
                    "PDF",
                    "CCITT /Columns or /Rows differ from the image size",
                ));
            }
            let raw = pdf.stream_raw(s).map_err(pe)?;
            let tiff = tiff_file::g4_tiff(width, height, u16::from(flag(b"BlackIs1")), &raw);
            let (raster, _) = tiff_file::decode(Cursor::new(tiff), at, 0, limits)?;
            let raster = match raster {
                Raster::Gray(mut g) if invert => {
                    g.iter_mut().for_each(|v| *v = 255 - *v);
                    Raster::Gray(g)
                }
                r => r,
            };
            return Ok(PdfImage { raster, jpeg: None });
        }
        _ => {}
    }
    if let Some(bad) = names
        .iter()
        .find(|n| !matches!(**n, b"FlateDecode" | b"Fl" | b"ASCIIHexDecode" | b"AHx"))
    {
        let shown = String::from_utf8_lossy(bad);
        return Err(DecodeError::unsupported(
            at,
            format!("the PDF image filter /{shown}"),
        ));
    }
    let (color, bits) = if mask {
        (Color::Gray, 1)
    } else {
        let cs = d.get(b"ColorSpace").cloned().unwrap_or(Object::Null);
        let bits = resolved(pdf, d.get(b"BitsPerComponent"), at)?
            .as_int()
            .unwrap_or(8);
        (
            color_space(pdf, &cs, res, at, 0)?,
            u8::try_from(bits).unwrap_or(0),
        )
    };
    let data = pdf.stream_decoded(s).map_err(pe)?;
    let invert = invert && color == Color::Gray;
    let samples = Samples {
        data: &data,
        width,
        height,
        bits,
        color,
        invert,
    };
    let raster =
        to_raster(&samples).map_err(|e| DecodeError::corrupt(at, "PDF image", e.to_string()))?;
    Ok(PdfImage { raster, jpeg: None })
}
