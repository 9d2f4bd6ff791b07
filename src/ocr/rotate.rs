//! Stage `ocr`, pixel geometry: luma conversion, exact quarter-turn rotations and the bilinear
//! rotation about the centre that deskew applies (the geometry contract of
//! [`RecognizedPage`](super::RecognizedPage)).

use image::{GrayImage, ImageBuffer, Luma, Rgb, RgbImage};

use crate::decode::Raster;

/// Rotations smaller than this (degrees) are not applied: a tenth of a degree moves a point
/// 1.7 px over 1000 px, below what recognition notices.
pub const MIN_SKEW_DEGREES: f32 = 0.1;

/// ITU-R BT.601 luma of an 8-bit raster (a copy for gray input).
pub fn to_gray(raster: &Raster) -> GrayImage {
    match raster {
        Raster::Gray(g) => g.clone(),
        Raster::Rgb(rgb) => {
            let data = rgb
                .as_raw()
                .chunks_exact(3)
                .map(|p| {
                    let v = 77 * u32::from(p[0]) + 150 * u32::from(p[1]) + 29 * u32::from(p[2]);
                    ((v + 128) >> 8).min(255) as u8
                })
                .collect();
            GrayImage::from_raw(rgb.width(), rgb.height(), data)
                .unwrap_or_else(|| GrayImage::new(rgb.width(), rgb.height()))
        }
    }
}

/// Clockwise rotation by `degrees` (0, 90, 180 or 270; anything else is taken modulo 360 and
/// rounded down to a quarter turn). Exact: 90 and 270 swap width and height.
pub fn quarter_turn<P: image::Pixel + 'static>(
    img: &ImageBuffer<P, Vec<P::Subpixel>>,
    degrees: u16,
) -> ImageBuffer<P, Vec<P::Subpixel>> {
    match (degrees % 360) / 90 {
        1 => image::imageops::rotate90(img),
        2 => image::imageops::rotate180(img),
        3 => image::imageops::rotate270(img),
        _ => img.clone(),
    }
}

/// Counter-clockwise rotation by `degrees` about the centre onto a white canvas of the same
/// size, bilinear. A point at `(x, y)` (pixel centres at `i + 0.5`) relative to the centre
/// `(dx, dy)` moves to `(dx·cos + dy·sin, −dx·sin + dy·cos)` (y grows downwards).
pub fn rotate_about_centre_gray(img: &GrayImage, degrees: f32) -> GrayImage {
    let (w, h) = img.dimensions();
    let data = rotate_channels(img.as_raw(), w, h, 1, degrees);
    GrayImage::from_raw(w, h, data).unwrap_or_else(|| white_gray(w, h))
}

/// [`rotate_about_centre_gray`] for RGB.
pub fn rotate_about_centre_rgb(img: &RgbImage, degrees: f32) -> RgbImage {
    let (w, h) = img.dimensions();
    let data = rotate_channels(img.as_raw(), w, h, 3, degrees);
    RgbImage::from_raw(w, h, data).unwrap_or_else(|| RgbImage::from_pixel(w, h, Rgb([255; 3])))
}

fn white_gray(w: u32, h: u32) -> GrayImage {
    GrayImage::from_pixel(w, h, Luma([255]))
}

/// The upright raster: `quarter_turn(rotation)`, then the deskew rotation (skipped below
/// [`MIN_SKEW_DEGREES`]).
pub fn upright(raster: &Raster, rotation: u16, skew_degrees: f32) -> Raster {
    let skew = skew_degrees.abs() >= MIN_SKEW_DEGREES;
    match raster {
        Raster::Gray(g) => {
            let r = quarter_turn(g, rotation);
            Raster::Gray(if skew {
                rotate_about_centre_gray(&r, skew_degrees)
            } else {
                r
            })
        }
        Raster::Rgb(c) => {
            let r = quarter_turn(c, rotation);
            Raster::Rgb(if skew {
                rotate_about_centre_rgb(&r, skew_degrees)
            } else {
                r
            })
        }
    }
}

/// Upright gray image for recognition.
pub fn upright_gray(gray: &GrayImage, rotation: u16, skew_degrees: f32) -> GrayImage {
    let r = quarter_turn(gray, rotation);
    if skew_degrees.abs() >= MIN_SKEW_DEGREES {
        rotate_about_centre_gray(&r, skew_degrees)
    } else {
        r
    }
}

/// Rotates an interleaved `ch`-channel 8-bit buffer; samples outside the source are white.
///
/// The inverse map and the weights are computed in `f64` exactly as written (the same
/// expressions in the same order, so the result does not depend on how it is computed); what
/// is cheap is the rest: the row's terms once per row, `floor` and `round` as exact integer
/// conversions instead of library calls, and the four source pixels read without bounds
/// checks where all four lie inside the image (all but the margins).
fn rotate_channels(src: &[u8], w: u32, h: u32, ch: usize, degrees: f32) -> Vec<u8> {
    let (w, h) = (w as usize, h as usize);
    let mut out = vec![255u8; w * h * ch];
    if w == 0 || h == 0 || src.len() < w * h * ch {
        return out;
    }
    let (sin, cos) = f64::from(degrees).to_radians().sin_cos();
    let (cx, cy) = (w as f64 / 2.0, h as f64 / 2.0);
    let (wf, hf) = (w as f64, h as f64);
    let fetch = |x: i64, y: i64, c: usize| -> f64 {
        if x < 0 || y < 0 || x >= w as i64 || y >= h as i64 {
            255.0
        } else {
            f64::from(src[(y as usize * w + x as usize) * ch + c])
        }
    };
    // `v.round().clamp(0, 255)` without the library calls: round half away from zero, exact
    // (the fraction `v - trunc(v)` is exact in floating point)
    let to_u8 = |v: f64| {
        let t = v as i64;
        let r = if v >= 0.0 {
            t + i64::from(v - t as f64 >= 0.5)
        } else {
            t - i64::from(t as f64 - v >= 0.5)
        };
        r.clamp(0, 255) as u8
    };
    // `floor`, exact: truncation, one down for a negative fraction
    let floor = |v: f64| {
        let t = v as i64;
        t - i64::from((t as f64) > v)
    };
    let stride = w * ch;
    for y in 0..h {
        let dy = y as f64 + 0.5 - cy;
        let (dy_sin, dy_cos) = (dy * sin, dy * cos);
        let row = &mut out[y * stride..(y + 1) * stride];
        for x in 0..w {
            let dx = x as f64 + 0.5 - cx;
            // inverse map: the source point that lands on (x, y)
            let sx = dx * cos - dy_sin + cx - 0.5;
            let sy = dx * sin + dy_cos + cy - 0.5;
            if sx <= -1.0 || sy <= -1.0 || sx >= wf || sy >= hf {
                continue;
            }
            let (x0, y0) = (floor(sx), floor(sy));
            let (fx, fy) = (sx - x0 as f64, sy - y0 as f64);
            let o = x * ch;
            if x0 >= 0 && y0 >= 0 && (x0 as usize) + 1 < w && (y0 as usize) + 1 < h {
                let i = (y0 as usize * w + x0 as usize) * ch;
                let (p00, p10) = (&src[i..i + 2 * ch], &src[i + stride..i + stride + 2 * ch]);
                for c in 0..ch {
                    let top = f64::from(p00[c]) * (1.0 - fx) + f64::from(p00[ch + c]) * fx;
                    let bottom = f64::from(p10[c]) * (1.0 - fx) + f64::from(p10[ch + c]) * fx;
                    row[o + c] = to_u8(top * (1.0 - fy) + bottom * fy);
                }
            } else {
                for c in 0..ch {
                    let top = fetch(x0, y0, c) * (1.0 - fx) + fetch(x0 + 1, y0, c) * fx;
                    let bottom = fetch(x0, y0 + 1, c) * (1.0 - fx) + fetch(x0 + 1, y0 + 1, c) * fx;
                    row[o + c] = to_u8(top * (1.0 - fy) + bottom * fy);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> GrayImage {
        GrayImage::from_fn(40, 20, |x, y| Luma([((x * 5 + y * 3) % 256) as u8]))
    }

    /// The rotation as first written (libm `floor` and `round`, every read bounds-checked):
    /// the faster one must give the same bytes.
    fn reference(src: &[u8], w: u32, h: u32, ch: usize, degrees: f32) -> Vec<u8> {
        let (w, h) = (w as usize, h as usize);
        let mut out = vec![255u8; w * h * ch];
        let (sin, cos) = f64::from(degrees).to_radians().sin_cos();
        let (cx, cy) = (w as f64 / 2.0, h as f64 / 2.0);
        let fetch = |x: i64, y: i64, c: usize| -> f64 {
            if x < 0 || y < 0 || x >= w as i64 || y >= h as i64 {
                255.0
            } else {
                f64::from(src[(y as usize * w + x as usize) * ch + c])
            }
        };
        for y in 0..h {
            let dy = y as f64 + 0.5 - cy;
            for x in 0..w {
                let dx = x as f64 + 0.5 - cx;
                let sx = dx * cos - dy * sin + cx - 0.5;
                let sy = dx * sin + dy * cos + cy - 0.5;
                if sx <= -1.0 || sy <= -1.0 || sx >= w as f64 || sy >= h as f64 {
                    continue;
                }
                let (x0, y0) = (sx.floor(), sy.floor());
                let (fx, fy) = (sx - x0, sy - y0);
                let (x0, y0) = (x0 as i64, y0 as i64);
                let o = (y * w + x) * ch;
                for c in 0..ch {
                    let top = fetch(x0, y0, c) * (1.0 - fx) + fetch(x0 + 1, y0, c) * fx;
                    let bottom = fetch(x0, y0 + 1, c) * (1.0 - fx) + fetch(x0 + 1, y0 + 1, c) * fx;
                    out[o + c] = (top * (1.0 - fy) + bottom * fy).round().clamp(0.0, 255.0) as u8;
                }
            }
        }
        out
    }

    #[test]
    fn the_fast_rotation_gives_the_reference_bytes() {
        // noise and hard edges, odd and even sides, gray and RGB, small and large angles
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for (w, h, ch) in [(57, 40, 1), (64, 64, 1), (33, 71, 3), (1, 9, 1), (2, 2, 3)] {
            let src: Vec<u8> = (0..w * h * ch)
                .map(|i| if i % 7 == 0 { 0 } else { (next() % 256) as u8 })
                .collect();
            for deg in [0.1f32, -0.37, 1.0, 2.5, -3.3, 7.9, -10.0, 30.0, 90.0, 179.0] {
                assert_eq!(
                    rotate_channels(&src, w as u32, h as u32, ch, deg),
                    reference(&src, w as u32, h as u32, ch, deg),
                    "{w}x{h}x{ch} at {deg}°"
                );
            }
        }
    }

    #[test]
    fn zero_degrees_is_identity() {
        let img = sample();
        assert_eq!(rotate_about_centre_gray(&img, 0.0), img);
    }

    #[test]
    fn ninety_on_a_square_matches_the_exact_turn() {
        let img = GrayImage::from_fn(31, 31, |x, y| Luma([((x * 7 + y * 3) % 256) as u8]));
        // counter-clockwise 90 = clockwise 270
        let bilinear = rotate_about_centre_gray(&img, 90.0);
        let exact = quarter_turn(&img, 270);
        for (a, b) in bilinear.pixels().zip(exact.pixels()) {
            assert!(a[0].abs_diff(b[0]) <= 1, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn counter_clockwise_moves_right_side_up() {
        // a black dot right of the centre goes up (y decreases) when turned counter-clockwise
        let mut img = white_gray(101, 101);
        img.put_pixel(80, 50, Luma([0]));
        let r = rotate_about_centre_gray(&img, 90.0);
        assert!(r.get_pixel(50, 20)[0] < 10);
    }

    #[test]
    fn quarter_turns_swap_sides_and_compose() {
        let img = sample();
        let r90 = quarter_turn(&img, 90);
        assert_eq!(r90.dimensions(), (20, 40));
        // clockwise: the top-left pixel goes to the top-right corner
        assert_eq!(r90.get_pixel(19, 0), img.get_pixel(0, 0));
        assert_eq!(quarter_turn(&r90, 270), img);
        assert_eq!(quarter_turn(&quarter_turn(&img, 180), 180), img);
    }

    #[test]
    fn luma_of_rgb() {
        let rgb = RgbImage::from_fn(2, 1, |x, _| {
            if x == 0 {
                Rgb([255, 255, 255])
            } else {
                Rgb([255, 0, 0])
            }
        });
        let g = to_gray(&Raster::Rgb(rgb));
        assert_eq!(g.get_pixel(0, 0)[0], 255);
        assert_eq!(g.get_pixel(1, 0)[0], 77);
    }
}
