//! Assemble stage, image step: reads a JPEG's frame header (SOF) so that the scan's original
//! bytes can be embedded unchanged as /DCTDecode (ISO 32000-1 §7.4.8). Only the markers
//! before the first SOF are walked, each bounded by the data length (ITU-T T.81 §B.2).

/// What the image dictionary needs from the frame header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct JpegInfo {
    /// The SOF marker's second byte: 0xC0 baseline, 0xC1 extended, 0xC2 progressive, ….
    pub sof: u8,
    pub precision: u8,
    pub width: u32,
    pub height: u32,
    pub components: u8,
    /// The Adobe APP14 transform flag, when that segment is present.
    pub adobe_transform: Option<u8>,
}

impl JpegInfo {
    /// True when PDF readers decode it as 8-bit Gray or RGB with Huffman coding, the only
    /// JPEGs embedded as they are.
    pub fn passthrough_ok(&self) -> bool {
        matches!(self.sof, 0xC0..=0xC2)
            && self.precision == 8
            && matches!(self.components, 1 | 3)
            && self.width > 0
            && self.height > 0
    }
}

/// Most marker segments looked at before giving up (real files have a handful).
const MAX_SEGMENTS: usize = 4096;

/// Why a JPEG's markers cannot be read (ITU-T T.81 Annex B).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum JpegError {
    #[error("not a JPEG (no SOI marker)")]
    NoSoi,
    #[error("expected a marker at offset {0}")]
    NoMarker(usize),
    #[error("truncated before a marker")]
    Truncated,
    #[error("no frame header (SOF) before the scan data")]
    ScanBeforeFrame,
    #[error("truncated marker length")]
    TruncatedLength,
    #[error("marker 0xFF{marker:02X} has length {len}")]
    BadLength { marker: u8, len: usize },
    #[error("marker 0xFF{0:02X} runs past the end")]
    PastEnd(u8),
    #[error("frame header too short")]
    ShortFrame,
    #[error("no frame header in the first {0} markers")]
    NoFrame(usize),
}

/// Parses the markers up to the first SOF.
pub(crate) fn parse(data: &[u8]) -> Result<JpegInfo, JpegError> {
    if data.get(..2) != Some(&[0xFF, 0xD8][..]) {
        return Err(JpegError::NoSoi);
    }
    let mut pos = 2usize;
    let mut adobe_transform = None;
    for _ in 0..MAX_SEGMENTS {
        // A marker is 0xFF (possibly repeated as fill) followed by a non-0xFF byte.
        if data.get(pos) != Some(&0xFF) {
            return Err(JpegError::NoMarker(pos));
        }
        while data.get(pos) == Some(&0xFF) {
            pos += 1;
        }
        let marker = *data.get(pos).ok_or(JpegError::Truncated)?;
        pos += 1;
        if marker == 0x01 || (0xD0..=0xD7).contains(&marker) {
            continue; // TEM, RSTn: no length
        }
        if marker == 0xD9 || marker == 0xDA {
            return Err(JpegError::ScanBeforeFrame);
        }
        let len = data
            .get(pos..pos + 2)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
            .ok_or(JpegError::TruncatedLength)?;
        if len < 2 {
            return Err(JpegError::BadLength { marker, len });
        }
        let seg = data
            .get(pos + 2..pos + len)
            .ok_or(JpegError::PastEnd(marker))?;
        let is_sof = (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_sof {
            if seg.len() < 6 {
                return Err(JpegError::ShortFrame);
            }
            return Ok(JpegInfo {
                sof: marker,
                precision: seg[0],
                height: u32::from(u16::from_be_bytes([seg[1], seg[2]])),
                width: u32::from(u16::from_be_bytes([seg[3], seg[4]])),
                components: seg[5],
                adobe_transform,
            });
        }
        if marker == 0xEE && seg.len() >= 12 && seg.starts_with(b"Adobe") {
            adobe_transform = Some(seg[11]);
        }
        pos += len;
    }
    Err(JpegError::NoFrame(MAX_SEGMENTS))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(img: &image::DynamicImage) -> Vec<u8> {
        let mut v = Vec::new();
        let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut v, 80);
        img.write_with_encoder(enc).unwrap();
        v
    }

    #[test]
    fn reads_gray_and_rgb_frames() {
        let g = encode(&image::DynamicImage::ImageLuma8(image::GrayImage::new(
            33, 17,
        )));
        let i = parse(&g).unwrap();
        assert_eq!(
            (i.width, i.height, i.components, i.precision),
            (33, 17, 1, 8)
        );
        assert!(i.passthrough_ok());
        let c = encode(&image::DynamicImage::ImageRgb8(image::RgbImage::new(
            5, 300,
        )));
        let i = parse(&c).unwrap();
        assert_eq!((i.width, i.height, i.components), (5, 300, 3));
        assert_eq!(i.sof, 0xC0);
    }

    #[test]
    fn rejects_garbage_and_truncation_without_panicking() {
        let c = encode(&image::DynamicImage::ImageRgb8(image::RgbImage::new(8, 8)));
        for n in 0..c.len().min(700) {
            let _ = parse(&c[..n]);
        }
        assert!(parse(b"\x89PNG").is_err());
        assert!(parse(&[0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x01]).is_err());
        assert!(parse(&[0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02]).is_err());
        // 4-component (CMYK) frame with an Adobe segment: parsed, but not passed through.
        let mut cmyk = vec![0xFF, 0xD8, 0xFF, 0xEE, 0x00, 0x0E];
        cmyk.extend_from_slice(b"Adobe\x00\x64\x00\x00\x00\x00\x02");
        cmyk.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x08, 8, 0, 4, 0, 4, 4]);
        let i = parse(&cmyk).unwrap();
        assert_eq!((i.components, i.adobe_transform), (4, Some(2)));
        assert!(!i.passthrough_ok());
    }
}
