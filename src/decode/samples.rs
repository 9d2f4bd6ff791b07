//! Stage `decode`, pixels: packed samples (1–16 bits, gray, RGB, CMYK, YCbCr, palette, with or
//! without alpha) to the 8-bit [`Raster`] that `ocr` reads. Alpha is flattened onto white.

use super::Raster;
use image::{GrayImage, RgbImage};

/// How the samples of one pixel are to be read.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Color {
    Gray,
    GrayAlpha,
    Rgb,
    Rgba,
    Cmyk,
    YCbCr,
    /// One index per pixel into these colours.
    Indexed(Vec<[u8; 3]>),
}

impl Color {
    pub(crate) fn channels(&self) -> usize {
        match self {
            Color::Gray | Color::Indexed(_) => 1,
            Color::GrayAlpha => 2,
            Color::Rgb | Color::YCbCr => 3,
            Color::Rgba | Color::Cmyk => 4,
        }
    }
}

/// Rows of packed samples, each row starting on a byte boundary, 16-bit samples big-endian.
pub(crate) struct Samples<'a> {
    pub data: &'a [u8],
    pub width: u32,
    pub height: u32,
    /// 1, 2, 4, 8 or 16.
    pub bits: u8,
    pub color: Color,
    /// Gray only: 0 is white (TIFF WhiteIsZero, PDF `/Decode [1 0]`).
    pub invert: bool,
}

/// `v` over white at opacity `a` (all 0–255).
fn over_white(v: u8, a: u8) -> u8 {
    let (v, a) = (u32::from(v), u32::from(a));
    ((v * a + 255 * (255 - a) + 127) / 255) as u8
}

fn clamp(v: f32) -> u8 {
    v.round().clamp(0.0, 255.0) as u8
}

/// Reads `count` samples of `bits` from `row`, scaled to 0–255 unless `raw` (palette indices).
fn unpack(row: &[u8], bits: u8, count: usize, raw: bool, out: &mut Vec<u8>) {
    out.clear();
    match bits {
        8 => out.extend(row.iter().take(count)),
        16 => out.extend(row.chunks_exact(2).take(count).map(|c| match c {
            [hi, _] => *hi,
            _ => 0,
        })),
        _ => {
            let mask = (1u16 << bits) - 1;
            for i in 0..count {
                let bit = i * usize::from(bits);
                let byte = u16::from(row.get(bit / 8).copied().unwrap_or(0));
                let shift = 8 - u16::from(bits) - (bit % 8) as u16;
                let v = (byte >> shift) & mask;
                out.push(if raw { v as u8 } else { (v * 255 / mask) as u8 });
            }
        }
    }
}

/// Why samples cannot be turned into a raster (the caller names the file and format).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum SampleError {
    #[error("{0} bits per sample")]
    Bits(u8),
    #[error("row too long")]
    RowTooLong,
    #[error("image too large")]
    TooLarge,
    #[error("pixel buffer size mismatch")]
    BufferSize,
    #[error("image data ends early: {have} bytes for {width} × {height} pixels, {need} needed")]
    Short {
        have: usize,
        width: usize,
        height: usize,
        need: usize,
    },
}

/// Converts; errors when the data is short or odd.
pub(crate) fn to_raster(s: &Samples<'_>) -> Result<Raster, SampleError> {
    if ![1, 2, 4, 8, 16].contains(&s.bits) {
        return Err(SampleError::Bits(s.bits));
    }
    let channels = s.color.channels();
    let (w, h) = (s.width as usize, s.height as usize);
    let per_row = w.checked_mul(channels).ok_or(SampleError::RowTooLong)?;
    let stride = per_row
        .checked_mul(usize::from(s.bits))
        .ok_or(SampleError::RowTooLong)?
        .div_ceil(8);
    let need = stride.checked_mul(h).ok_or(SampleError::TooLarge)?;
    if s.data.len() < need {
        return Err(SampleError::Short {
            have: s.data.len(),
            width: w,
            height: h,
            need,
        });
    }
    let raw = matches!(s.color, Color::Indexed(_));
    let gray_palette = match &s.color {
        Color::Indexed(p) => p.iter().all(|[r, g, b]| r == g && g == b),
        _ => false,
    };
    let gray_out = matches!(s.color, Color::Gray | Color::GrayAlpha) || gray_palette;
    let mut out = Vec::with_capacity(w * h * if gray_out { 1 } else { 3 });
    let mut row = Vec::with_capacity(per_row);
    let black = [0u8; 3];
    for chunk in s.data.chunks(stride.max(1)).take(h) {
        unpack(chunk, s.bits, per_row, raw, &mut row);
        match &s.color {
            Color::Gray if s.invert => out.extend(row.iter().map(|v| 255 - v)),
            Color::Gray => out.extend_from_slice(&row),
            Color::GrayAlpha => out.extend(row.chunks_exact(2).map(|p| match p {
                [v, a] => over_white(*v, *a),
                _ => 255,
            })),
            Color::Rgb => out.extend_from_slice(&row),
            Color::Rgba => {
                for p in row.chunks_exact(4) {
                    if let [r, g, b, a] = p {
                        out.extend([over_white(*r, *a), over_white(*g, *a), over_white(*b, *a)]);
                    }
                }
            }
            Color::Cmyk => {
                for p in row.chunks_exact(4) {
                    if let [c, m, y, k] = p {
                        let k = 255 - u16::from(*k);
                        let ch = |v: u8| ((255 - u16::from(v)) * k / 255) as u8;
                        out.extend([ch(*c), ch(*m), ch(*y)]);
                    }
                }
            }
            Color::YCbCr => {
                for p in row.chunks_exact(3) {
                    if let [y, cb, cr] = p {
                        let (y, cb, cr) = (
                            f32::from(*y),
                            f32::from(*cb) - 128.0,
                            f32::from(*cr) - 128.0,
                        );
                        out.extend([
                            clamp(y + 1.402 * cr),
                            clamp(y - 0.344_136 * cb - 0.714_136 * cr),
                            clamp(y + 1.772 * cb),
                        ]);
                    }
                }
            }
            Color::Indexed(pal) => {
                for &i in &row {
                    let c = pal.get(usize::from(i)).or(pal.last()).unwrap_or(&black);
                    if gray_palette {
                        out.push(c[0]);
                    } else {
                        out.extend_from_slice(c);
                    }
                }
            }
        }
    }
    let (w, h) = (s.width, s.height);
    Ok(if gray_out {
        Raster::Gray(GrayImage::from_raw(w, h, out).ok_or(SampleError::BufferSize)?)
    } else {
        Raster::Rgb(RgbImage::from_raw(w, h, out).ok_or(SampleError::BufferSize)?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(data: &[u8], w: u32, h: u32, bits: u8, color: Color, invert: bool) -> Raster {
        let s = Samples {
            data,
            width: w,
            height: h,
            bits,
            color,
            invert,
        };
        to_raster(&s).unwrap()
    }

    fn gray(r: Raster) -> Vec<u8> {
        match r {
            Raster::Gray(g) => g.into_raw(),
            other => panic!("expected gray, got {other:?}"),
        }
    }

    fn rgb(r: Raster) -> Vec<u8> {
        match r {
            Raster::Rgb(g) => g.into_raw(),
            other => panic!("expected RGB, got {other:?}"),
        }
    }

    #[test]
    fn bilevel_rows_are_byte_aligned() {
        // 10 pixels wide: two bytes a row; the second row starts on its own byte.
        let data = [0b1010_0000, 0b0100_0000, 0b1111_1111, 0b1100_0000];
        let g = gray(conv(&data, 10, 2, 1, Color::Gray, false));
        assert_eq!(&g[..10], &[255, 0, 255, 0, 0, 0, 0, 0, 0, 255]);
        assert_eq!(&g[10..], &[255; 10]);
        let g = gray(conv(&data, 10, 2, 1, Color::Gray, true));
        assert_eq!(&g[..3], &[0, 255, 0]);
    }

    #[test]
    fn depths_alpha_palette_cmyk_ycbcr() {
        assert_eq!(
            gray(conv(&[0x0F, 0x80], 2, 1, 4, Color::Gray, false)),
            [0, 255]
        );
        assert_eq!(
            gray(conv(&[0xAB, 0xCD], 1, 1, 16, Color::Gray, false)),
            [0xAB]
        );
        // Black at half opacity over white is mid gray; transparent is white.
        assert_eq!(
            gray(conv(&[0, 128, 0, 0], 2, 1, 8, Color::GrayAlpha, false)),
            [127, 255]
        );
        assert_eq!(
            rgb(conv(&[255, 0, 0, 0], 1, 1, 8, Color::Rgba, false)),
            [255, 255, 255]
        );
        let pal = vec![[255, 0, 0], [0, 0, 255]];
        assert_eq!(
            rgb(conv(&[0b0100_0000], 2, 1, 1, Color::Indexed(pal), false)),
            [255, 0, 0, 0, 0, 255]
        );
        let grays = vec![[10, 10, 10], [200, 200, 200], [7, 7, 7]];
        assert_eq!(
            gray(conv(&[0, 1, 9], 3, 1, 8, Color::Indexed(grays), false)),
            [10, 200, 7]
        );
        assert_eq!(
            rgb(conv(&[0, 0, 0, 255], 1, 1, 8, Color::Cmyk, false)),
            [0, 0, 0]
        );
        assert_eq!(
            rgb(conv(&[0, 255, 255, 0], 1, 1, 8, Color::Cmyk, false)),
            [255, 0, 0]
        );
        let px = rgb(conv(&[76, 85, 255], 1, 1, 8, Color::YCbCr, false));
        assert!(px[0] > 250 && px[1] < 5 && px[2] < 5, "{px:?}");
    }

    #[test]
    fn short_data_is_an_error_not_a_panic() {
        let s = Samples {
            data: &[1, 2, 3],
            width: 2,
            height: 2,
            bits: 8,
            color: Color::Rgb,
            invert: false,
        };
        assert!(to_raster(&s)
            .unwrap_err()
            .to_string()
            .contains("ends early"));
        let s = Samples { bits: 3, ..s };
        assert!(to_raster(&s).is_err());
    }
}
