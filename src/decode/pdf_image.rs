//! Stage `decode`, PDF image XObjects (ISO 32000-1 §8.9.5) to rasters: DCTDecode (bytes kept
//! for passthrough), Flate, LZW, RunLength or unfiltered samples in DeviceGray/RGB/CMYK,
//! ICCBased, Cal* and Indexed colour spaces, image masks; CCITT, JBIG2 and JPX through
//! `pdf_codecs`.

use super::error::{check_pixels, DecodeError, Location};
use super::raster_image::decode_jpeg;
use super::samples::{to_raster, Color, Samples};
use super::{pdf_codecs, DecodeLimits, Raster};
use crate::pdf::{Dict, Object, PdfFile, Stream};
use std::fs::File;

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
    let mask = matches!(resolved(pdf, d.get(b"ImageMask"), at)?, Object::Bool(true));
    let decode_arr = resolved(pdf, d.get(b"Decode"), at)?;
    let invert = match decode_arr.as_array() {
        Some([a, b, ..]) => a.as_number().unwrap_or(0.0) > b.as_number().unwrap_or(1.0),
        _ => false,
    };
    let (data, codec) = pdf.stream_to_codec(s).map_err(pe)?;
    let codec_name = codec.as_ref().map(|c| c.name.as_slice());
    let parms = codec
        .as_ref()
        .and_then(|c| c.parms.clone())
        .unwrap_or_default();
    match codec_name {
        Some(b"DCTDecode" | b"DCT") => {
            let (raster, info) = decode_jpeg(&data, at, limits)?;
            // Passed through unchanged only when the stream is the JPEG file itself.
            let lone = match resolved(pdf, d.get(b"Filter"), at)? {
                Object::Array(a) => a.len() == 1,
                _ => true,
            };
            let jpeg = (info.components != 4 && lone).then_some(data);
            return Ok(PdfImage { raster, jpeg });
        }
        Some(b"CCITTFaxDecode" | b"CCF") => {
            let raster = pdf_codecs::ccitt(&data, &parms, (width, height), invert, at)?;
            return Ok(PdfImage { raster, jpeg: None });
        }
        Some(b"JBIG2Decode") => {
            let globals = match parms.get(b"JBIG2Globals") {
                Some(g) => match pdf.resolve(g).map_err(pe)? {
                    Object::Stream(g) => Some(pdf.stream_decoded(&g).map_err(pe)?),
                    _ => None,
                },
                None => None,
            };
            let raster = pdf_codecs::jbig2(
                &data,
                globals.as_deref(),
                (width, height),
                invert,
                at,
                limits,
            )?;
            return Ok(PdfImage { raster, jpeg: None });
        }
        Some(b"JPXDecode") => {
            let raster = pdf_codecs::jpx(&data, at, limits)?;
            return Ok(PdfImage { raster, jpeg: None });
        }
        _ => {}
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
    let data = match codec_name {
        Some(b"RunLengthDecode" | b"RL") => {
            let row_bits = (width as usize)
                .saturating_mul(color.channels())
                .saturating_mul(usize::from(bits));
            pdf_codecs::run_length(&data, row_bits.div_ceil(8), height, at, limits)?
        }
        _ => data,
    };
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
