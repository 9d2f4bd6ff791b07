//! Stage `decode`, TIFF (TIFF 6.0, BigTIFF): every IFD of the main chain is a page, decoded
//! one at a time with the `tiff` crate (none, LZW, Deflate, PackBits, CCITT G4, JPEG), then
//! expanded to 8-bit gray or RGB. Palette images are read through a one-tag patch that shows
//! the crate gray indices, mapped through the ColorMap here.

use super::dpi::{self, Unit};
use super::error::{check_pixels, DecodeError, Location};
use super::samples::{to_raster, Color, Samples};
use super::{DecodeLimits, PageRef, Raster, ScannedPage};
use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufReader, ErrorKind, Read, Seek, SeekFrom};
use std::path::Path;
use tiff::decoder::{Decoder, DecodingResult};
use tiff::tags::Tag;
use tiff::{ColorType, TiffError};

const PHOTOMETRIC: u16 = 262;

/// A reader that shows `patch` bytes at its offset instead of the file's.
struct Patched<R> {
    inner: R,
    pos: u64,
    patch: Option<(u64, Vec<u8>)>,
}

impl<R: Read> Read for Patched<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some((off, bytes)) = &self.patch {
            for (i, b) in bytes.iter().enumerate() {
                let p = off.saturating_add(i as u64);
                if let Some(rel) = p.checked_sub(self.pos).filter(|r| *r < n as u64) {
                    if let Some(slot) = buf.get_mut(rel as usize) {
                        *slot = *b;
                    }
                }
            }
        }
        self.pos = self.pos.saturating_add(n as u64);
        Ok(n)
    }
}

impl<R: Seek> Seek for Patched<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.pos = self.inner.seek(to)?;
        Ok(self.pos)
    }
}

fn map_err(e: TiffError, at: &Location) -> DecodeError {
    match e {
        TiffError::IoError(io) if io.kind() == ErrorKind::UnexpectedEof => {
            DecodeError::truncated(at, "TIFF")
        }
        TiffError::IoError(io) => DecodeError::io(at, io),
        TiffError::UnsupportedError(u) => DecodeError::unsupported(at, format!("this TIFF ({u})")),
        TiffError::LimitsExceeded => {
            DecodeError::corrupt(at, "TIFF", "a strip or tile larger than the memory limit")
        }
        other => DecodeError::corrupt(at, "TIFF", other.to_string()),
    }
}

/// The pages of a TIFF: one per IFD of the main chain, loops refused.
pub(crate) fn list(
    path: &Path,
    file: File,
    limits: &DecodeLimits,
) -> Result<Vec<PageRef>, DecodeError> {
    let at = Location::file(path);
    let mut dec = Decoder::new(BufReader::new(file)).map_err(|e| map_err(e, &at))?;
    let (mut next, mut seen, mut pages) = (dec.ifd_pointer(), HashSet::new(), Vec::new());
    while let Some(ptr) = next {
        if !seen.insert(ptr.0) {
            return Err(DecodeError::corrupt(&at, "TIFF", "the page chain loops"));
        }
        if pages.len() >= limits.max_pages {
            return Err(DecodeError::TooManyPages {
                at,
                limit: limits.max_pages,
            });
        }
        pages.push(PageRef::Tiff {
            path: path.to_path_buf(),
            index: pages.len(),
        });
        next = dec.read_directory(ptr).map_err(|e| map_err(e, &at))?.next();
    }
    Ok(pages)
}

/// Page `index` of a TIFF file.
pub(crate) fn decode_file(
    path: &Path,
    file: File,
    index: usize,
    dpi_override: Option<f32>,
    limits: &DecodeLimits,
) -> Result<ScannedPage, DecodeError> {
    let at = Location::page(path, index);
    let (raster, from_file) = decode(BufReader::new(file), &at, index, limits)?;
    let (dpi, dpi_source) = dpi::resolve(from_file, dpi_override, &at)?;
    Ok(ScannedPage {
        source: path.to_path_buf(),
        page_index: index,
        raster,
        dpi,
        dpi_source,
        jpeg: None,
        png: None,
    })
}

fn compression_name(c: u16) -> Option<&'static str> {
    Some(match c {
        2 => "TIFF compression CCITT modified Huffman (2)",
        3 => "TIFF compression CCITT Group 3 fax (3)",
        6 => "TIFF compression old-style JPEG (6)",
        1 | 4 | 5 | 7 | 8 | 32773 | 32946 => return None,
        _ => return Some("this TIFF compression"),
    })
}

/// Offset of the PhotometricInterpretation value in the IFD at `ifd`, and the patch that
/// makes it BlackIsZero (TIFF 6.0 §2: 12-byte entries, 20 in BigTIFF).
fn photometric_patch<R: Read + Seek>(
    r: &mut R,
    ifd: u64,
    le: bool,
    big: bool,
) -> io::Result<Option<(u64, Vec<u8>)>> {
    let u16_of = |b: [u8; 2]| {
        if le {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        }
    };
    r.seek(SeekFrom::Start(ifd))?;
    let count = if big {
        let mut b = [0u8; 8];
        r.read_exact(&mut b)?;
        if le {
            u64::from_le_bytes(b)
        } else {
            u64::from_be_bytes(b)
        }
    } else {
        let mut b = [0u8; 2];
        r.read_exact(&mut b)?;
        u64::from(u16_of(b))
    };
    let (first, size, value_at) = if big {
        (8u64, 20u64, 12u64)
    } else {
        (2, 12, 8)
    };
    for i in 0..count.min(4096) {
        let entry = ifd.saturating_add(first).saturating_add(i * size);
        r.seek(SeekFrom::Start(entry))?;
        let mut b = [0u8; 4];
        r.read_exact(&mut b)?;
        if u16_of([b[0], b[1]]) != PHOTOMETRIC {
            continue;
        }
        let bytes = match (u16_of([b[2], b[3]]), le) {
            (3, true) => vec![1, 0],
            (3, false) => vec![0, 1],
            (4, true) => vec![1, 0, 0, 0],
            (4, false) => vec![0, 0, 0, 1],
            _ => return Ok(None),
        };
        return Ok(Some((entry.saturating_add(value_at), bytes)));
    }
    Ok(None)
}

fn tag_f64(dec: &mut Decoder<impl Read + Seek>, tag: Tag) -> Option<f64> {
    #[allow(deprecated)]
    match dec.find_tag(tag).ok()?? {
        tiff::decoder::ifd::Value::Rational(n, d) if d != 0 => Some(f64::from(n) / f64::from(d)),
        v => v.into_u32().ok().map(f64::from),
    }
}

/// Decodes page `index` of the TIFF read by `r` and returns the file's resolution if sane.
pub(crate) fn decode<R: Read + Seek>(
    mut r: R,
    at: &Location,
    index: usize,
    limits: &DecodeLimits,
) -> Result<(Raster, Option<(f64, f64)>), DecodeError> {
    let e = |err| map_err(err, at);
    let mut head = [0u8; 4];
    r.read_exact(&mut head).map_err(|err| e(err.into()))?;
    r.seek(SeekFrom::Start(0))
        .map_err(|err| DecodeError::io(at, err))?;
    let (le, big) = (head[0] == b'I', head[2] == 43 || head[3] == 43);
    let mut tl = tiff::decoder::Limits::default();
    let max_bytes = limits.max_pixels.saturating_mul(8).max(1 << 20);
    tl.decoding_buffer_size = usize::try_from(max_bytes).unwrap_or(usize::MAX);
    tl.intermediate_buffer_size = tl.decoding_buffer_size;
    let patched = Patched {
        inner: r,
        pos: 0,
        patch: None,
    };
    let mut dec = Decoder::new(patched).map_err(e)?.with_limits(tl);
    if index > 0 {
        dec.seek_to_image(index).map_err(e)?;
    }
    let (w, h) = dec.dimensions().map_err(e)?;
    check_pixels(at, w.into(), h.into(), limits.max_pixels)?;
    let compression = dec
        .find_tag_unsigned::<u16>(Tag::Compression)
        .map_err(e)?
        .unwrap_or(1);
    if let Some(name) = compression_name(compression) {
        return Err(DecodeError::unsupported(at, name));
    }
    if dec
        .find_tag_unsigned::<u16>(Tag::PlanarConfiguration)
        .map_err(e)?
        == Some(2)
        && dec
            .find_tag_unsigned::<u16>(Tag::SamplesPerPixel)
            .map_err(e)?
            .unwrap_or(1)
            > 1
    {
        return Err(DecodeError::unsupported(
            at,
            "a TIFF with separate colour planes",
        ));
    }
    let unit = match dec
        .find_tag_unsigned::<u16>(Tag::ResolutionUnit)
        .ok()
        .flatten()
        .unwrap_or(2)
    {
        2 => Some(Unit::Inch),
        3 => Some(Unit::Centimetre),
        _ => None,
    };
    let (x, y) = (
        tag_f64(&mut dec, Tag::XResolution),
        tag_f64(&mut dec, Tag::YResolution),
    );
    let density = unit.and_then(|u| dpi::to_dpi(x.or(y)?, y.or(x)?, u));

    let mut palette = None;
    if dec
        .find_tag_unsigned::<u16>(Tag::PhotometricInterpretation)
        .map_err(e)?
        == Some(3)
    {
        let map = dec.find_tag(Tag::ColorMap).map_err(e)?.ok_or_else(|| {
            DecodeError::corrupt(at, "TIFF", "a palette image without a ColorMap")
        })?;
        let map = map.into_u16_vec().map_err(e)?;
        let n = map.len() / 3;
        let (r, g, b) = (map.get(..n), map.get(n..2 * n), map.get(2 * n..3 * n));
        let (Some(r), Some(g), Some(b)) = (r, g, b) else {
            return Err(DecodeError::corrupt(at, "TIFF", "short ColorMap"));
        };
        let pal: Vec<[u8; 3]> = r
            .iter()
            .zip(g)
            .zip(b)
            .map(|((r, g), b)| [(r >> 8) as u8, (g >> 8) as u8, (b >> 8) as u8])
            .collect();
        let ifd = dec.ifd_pointer().map(|p| p.0).unwrap_or(0);
        let patch = photometric_patch(dec.inner(), ifd, le, big).map_err(|err| e(err.into()))?;
        dec.inner().patch = patch;
        dec.seek_to_image(index).map_err(e)?;
        palette = Some(pal);
    }
    let color = dec.colortype().map_err(e)?;
    let (color, bits) = match (color, palette) {
        (ColorType::Gray(b), Some(p)) if b <= 8 => (Color::Indexed(p), b),
        (ColorType::Gray(b), None) => (Color::Gray, b),
        (ColorType::RGB(b), _) => (Color::Rgb, b),
        (ColorType::RGBA(b), _) => (Color::Rgba, b),
        (
            ColorType::Multiband {
                bit_depth,
                num_samples: 2,
            },
            _,
        ) => (Color::GrayAlpha, bit_depth),
        (ColorType::CMYK(b), _) => (Color::Cmyk, b),
        (ColorType::YCbCr(b), _) => (Color::YCbCr, b),
        (other, _) => {
            return Err(DecodeError::unsupported(
                at,
                format!("TIFF colour type {other:?}"),
            ))
        }
    };
    let (data, bits) = match dec.read_image().map_err(e)? {
        DecodingResult::U8(v) => (v, bits),
        DecodingResult::U16(v) => (v.iter().map(|s| (s >> 8) as u8).collect(), 8),
        _ => {
            return Err(DecodeError::unsupported(
                at,
                "TIFF samples other than 1–16-bit unsigned integers",
            ))
        }
    };
    let s = Samples {
        data: &data,
        width: w,
        height: h,
        bits,
        color,
        invert: false,
    };
    let raster = to_raster(&s).map_err(|e| DecodeError::corrupt(at, "TIFF", e.to_string()))?;
    Ok((raster, density))
}

/// A one-strip little-endian TIFF around CCITT Group 4 data (the TIFF tests' fixtures).
/// `photometric` 0 (WhiteIsZero) gives 0 for black in the output, 1 gives 0 for white.
#[cfg(test)]
pub(crate) fn g4_tiff(width: u32, height: u32, photometric: u16, data: &[u8]) -> Vec<u8> {
    one_strip_tiff(width, height, 1, 4, photometric, data)
}

/// A one-strip little-endian TIFF (TIFF 6.0 baseline fields only) around `data` compressed
/// with `compression`, one sample of `bits` per pixel: how data a PDF filter shares with TIFF
/// (PackBits, §7.4.5 RunLengthDecode) reaches the `tiff` crate's decoder.
pub(crate) fn one_strip_tiff(
    width: u32,
    height: u32,
    bits: u16,
    compression: u16,
    photometric: u16,
    data: &[u8],
) -> Vec<u8> {
    const ENTRIES: u32 = 9;
    let data_at = 8 + 2 + ENTRIES * 12 + 4;
    let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
    let entries: [(u16, u16, u32); ENTRIES as usize] = [
        (256, 4, width),
        (257, 4, height),
        (258, 3, u32::from(bits)),
        (259, 3, u32::from(compression)),
        (PHOTOMETRIC, 3, u32::from(photometric)),
        (273, 4, data_at),
        (277, 3, 1),
        (278, 4, height),
        (279, 4, len),
    ];
    let mut t = b"II*\0\x08\0\0\0".to_vec();
    t.extend_from_slice(&(ENTRIES as u16).to_le_bytes());
    for (tag, ty, v) in entries {
        t.extend_from_slice(&tag.to_le_bytes());
        t.extend_from_slice(&ty.to_le_bytes());
        t.extend_from_slice(&1u32.to_le_bytes());
        if ty == 3 {
            t.extend_from_slice(&(v as u16).to_le_bytes());
            t.extend_from_slice(&[0, 0]);
        } else {
            t.extend_from_slice(&v.to_le_bytes());
        }
    }
    t.extend_from_slice(&[0; 4]);
    t.extend_from_slice(data);
    t
}
