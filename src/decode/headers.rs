//! Stage `decode`, headers: size, components and density of JPEG (ITU T.81 markers, JFIF,
//! EXIF) and PNG (IHDR, pHYs) read without touching pixel data, so limits apply first.

use super::dpi::{self, Unit};
use super::error::{DecodeError, Location};
use std::io::{ErrorKind, Read, Seek, SeekFrom};

/// What a JPEG's headers say.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct JpegInfo {
    pub width: u32,
    pub height: u32,
    /// 1 gray, 3 YCbCr/RGB, 4 CMYK/YCCK.
    pub components: u8,
    pub dpi: Option<(f64, f64)>,
}

fn be16(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(
        d.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

fn be32(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(
        d.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

/// JFIF APP0 density (JFIF 1.02: units, Xdensity, Ydensity after `JFIF\0` and the version).
fn jfif_density(seg: &[u8]) -> Option<(f64, f64)> {
    let unit = match seg.get(7)? {
        1 => Unit::Inch,
        2 => Unit::Centimetre,
        _ => return None,
    };
    let (x, y) = (be16(seg, 8)?, be16(seg, 10)?);
    dpi::to_dpi(f64::from(x), f64::from(y), unit)
}

/// Walks the markers up to the frame header (SOFn).
pub(crate) fn jpeg_info(data: &[u8], at: &Location) -> Result<JpegInfo, DecodeError> {
    let truncated = || DecodeError::truncated(at, "JPEG");
    if data.get(..2) != Some(&[0xFF, 0xD8][..]) {
        return Err(DecodeError::corrupt(at, "JPEG", "no start-of-image marker"));
    }
    let (mut pos, mut jfif, mut exif) = (2usize, None, None);
    loop {
        match data.get(pos) {
            None => return Err(truncated()),
            Some(0xFF) => {}
            Some(_) => {
                let msg = format!("expected a marker at offset {pos}");
                return Err(DecodeError::corrupt(at, "JPEG", msg));
            }
        }
        while data.get(pos) == Some(&0xFF) {
            pos += 1;
        }
        let marker = *data.get(pos).ok_or_else(truncated)?;
        pos += 1;
        match marker {
            0x01 | 0xD0..=0xD8 => continue,
            0xD9 | 0xDA => {
                return Err(DecodeError::corrupt(
                    at,
                    "JPEG",
                    "no frame header before the image data",
                ))
            }
            _ => {}
        }
        let len = usize::from(be16(data, pos).ok_or_else(truncated)?);
        if len < 2 {
            return Err(DecodeError::corrupt(
                at,
                "JPEG",
                format!("bad segment length at offset {pos}"),
            ));
        }
        let end = pos.checked_add(len).ok_or_else(truncated)?;
        let seg = data.get(pos + 2..end).ok_or_else(truncated)?;
        pos = end;
        match marker {
            0xE0 if seg.starts_with(b"JFIF\0") => jfif = jfif_density(seg),
            0xE1 if seg.starts_with(b"Exif\0\0") => exif = seg.get(6..).and_then(dpi::exif_density),
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                let (height, width) = (be16(seg, 1), be16(seg, 3));
                let (Some(height), Some(width), Some(&components)) = (height, width, seg.get(5))
                else {
                    return Err(DecodeError::corrupt(at, "JPEG", "short frame header"));
                };
                if height == 0 {
                    return Err(DecodeError::unsupported(
                        at,
                        "a JPEG whose height is given after the image data (DNL)",
                    ));
                }
                return Ok(JpegInfo {
                    width: u32::from(width),
                    height: u32::from(height),
                    components,
                    dpi: jfif.or(exif),
                });
            }
            _ => {}
        }
    }
}

/// What a PNG's chunks before the image data say.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PngInfo {
    pub width: u32,
    pub height: u32,
    pub dpi: Option<(f64, f64)>,
}

/// Most chunks looked at before the first IDAT.
const MAX_PNG_CHUNKS: usize = 4096;

fn read_exact<R: Read>(r: &mut R, buf: &mut [u8], at: &Location) -> Result<(), DecodeError> {
    r.read_exact(buf).map_err(|e| match e.kind() {
        ErrorKind::UnexpectedEof => DecodeError::truncated(at, "PNG"),
        _ => DecodeError::io(at, e),
    })
}

/// Reads the chunk headers up to the first IDAT (PNG spec §5.3, §11.2.2 IHDR, §11.3.5.3 pHYs),
/// seeking over chunk data.
pub(crate) fn png_info<R: Read + Seek>(r: &mut R, at: &Location) -> Result<PngInfo, DecodeError> {
    let mut sig = [0u8; 8];
    read_exact(r, &mut sig, at)?;
    let (mut size, mut dpi) = (None, None);
    for _ in 0..MAX_PNG_CHUNKS {
        let mut head = [0u8; 8];
        read_exact(r, &mut head, at)?;
        let len = be32(&head, 0).unwrap_or(0);
        let kind = head.get(4..).unwrap_or_default();
        if size.is_none() && (kind != b"IHDR" || len != 13) {
            return Err(DecodeError::corrupt(
                at,
                "PNG",
                "the first chunk is not IHDR",
            ));
        }
        let mut skip = i64::from(len) + 4;
        match kind {
            b"IHDR" if size.is_none() => {
                let mut d = [0u8; 13];
                read_exact(r, &mut d, at)?;
                size = Some((be32(&d, 0).unwrap_or(0), be32(&d, 4).unwrap_or(0)));
                skip = 4;
            }
            b"pHYs" if len == 9 => {
                let mut d = [0u8; 9];
                read_exact(r, &mut d, at)?;
                let (x, y) = (be32(&d, 0).unwrap_or(0), be32(&d, 4).unwrap_or(0));
                if d.get(8) == Some(&1) {
                    dpi = dpi::to_dpi(f64::from(x), f64::from(y), Unit::Metre);
                }
                skip = 4;
            }
            b"IDAT" | b"IEND" => break,
            _ => {}
        }
        r.seek(SeekFrom::Current(skip))
            .map_err(|e| DecodeError::io(at, e))?;
    }
    let (width, height) = size.ok_or_else(|| DecodeError::truncated(at, "PNG"))?;
    Ok(PngInfo { width, height, dpi })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;
    use std::path::Path;

    fn at() -> Location {
        Location::file(Path::new("x"))
    }

    #[test]
    fn jpeg_markers() {
        // SOI, APP0 JFIF 2 dpcm 118×118, SOF0 8-bit 20×10 with 3 components.
        let mut j = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16];
        j.extend_from_slice(b"JFIF\0\x01\x02\x02\0\x76\0\x76\0\0");
        j.extend_from_slice(&[0xFF, 0xFF, 0xC0, 0, 17, 8, 0, 10, 0, 20, 3]);
        j.extend_from_slice(&[0; 9]);
        let info = jpeg_info(&j, &at()).unwrap();
        assert_eq!((info.width, info.height, info.components), (20, 10, 3));
        assert!((info.dpi.unwrap().0 - 299.72).abs() < 0.01);
        for cut in 0..j.len() - 12 {
            assert!(jpeg_info(&j[..cut], &at()).is_err(), "cut at {cut}");
        }
        assert!(matches!(
            jpeg_info(&j[..8], &at()),
            Err(DecodeError::Truncated { .. })
        ));
        assert!(jpeg_info(&[0xFF, 0xD8, 0x00, 0x01], &at()).is_err());
        assert!(jpeg_info(&[0xFF, 0xD8, 0xFF, 0xD9], &at()).is_err());
        assert!(jpeg_info(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 1], &at()).is_err());
    }

    #[test]
    fn png_chunks() {
        let png = crate::decode::tests::fixtures::png_gray(3, 2, Some(11811));
        let info = png_info(&mut Cursor::new(&png), &at()).unwrap();
        assert_eq!(
            info,
            PngInfo {
                width: 3,
                height: 2,
                dpi: Some((300.0, 300.0))
            }
        );
        let e = png_info(&mut Cursor::new(&png[..20]), &at()).unwrap_err();
        assert!(matches!(e, DecodeError::Truncated { .. }), "{e}");
        let mut bad = png.clone();
        bad[12] = b'X';
        assert!(matches!(
            png_info(&mut Cursor::new(&bad), &at()),
            Err(DecodeError::Corrupt { .. })
        ));
    }
}
