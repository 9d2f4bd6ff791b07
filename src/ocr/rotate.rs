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

/// Bright saturated ink (a red seal, a blue signature) differs from its lightest channel's
/// minimum by at least this much...
const DROP_CHROMA: u8 = 64;
/// ...and its lightest channel is at least this light (dark blue or red print is text).
const DROP_LIGHT: u8 = 144;

/// [`to_gray`] with coloured ink dropped, as a scanner's colour dropout does: a pixel of bright
/// saturated colour (red seals, blue signatures) becomes its lightest channel, so it reads as
/// paper; black text, also where it crosses a seal, and dark coloured print keep their luma.
pub fn to_gray_dropping_colour(raster: &Raster) -> GrayImage {
    let Raster::Rgb(rgb) = raster else {
        return to_gray(raster);
    };
    let data = rgb
        .as_raw()
        .chunks_exact(3)
        .map(|p| {
            let (hi, lo) = (p[0].max(p[1]).max(p[2]), p[0].min(p[1]).min(p[2]));
            if hi - lo >= DROP_CHROMA && hi >= DROP_LIGHT {
                hi
            } else {
                let v = 77 * u32::from(p[0]) + 150 * u32::from(p[1]) + 29 * u32::from(p[2]);
                ((v + 128) >> 8).min(255) as u8
            }
        })
        .collect();
    GrayImage::from_raw(rgb.width(), rgb.height(), data)
        .unwrap_or_else(|| GrayImage::new(rgb.width(), rgb.height()))
}

/// Clockwise rotation by `degrees` (0, 90, 180 or 270; anything else is taken modulo 360 and
/// rounded down to a quarter turn). Exact: 90 and 270 swap width and height.
pub fn quarter_turn<P: image::Pixel + 'static>(
    img: &ImageBuffer<P, Vec<P::Subpixel>>,
    degrees: u16,
) -> ImageBuffer<P, Vec<P::Subpixel>> {
    match (degrees % 360) / 90 {
        1 => image::imageops::rotate90(img),
        2 => half_turned(img),
        3 => image::imageops::rotate270(img),
        _ => img.clone(),
    }
}

/// Half a turn: the pixels in reverse order (one pass over the buffer, where `image`'s
/// `rotate180` reads and writes pixel by pixel through bounds checks, about ten times slower).
fn half_turned<P: image::Pixel + 'static>(
    img: &ImageBuffer<P, Vec<P::Subpixel>>,
) -> ImageBuffer<P, Vec<P::Subpixel>> {
    let mut out = img.clone();
    half_turn_in_place(&mut out);
    out
}

/// [`quarter_turn`] by 180 in place.
pub fn half_turn_in_place<P: image::Pixel + 'static>(img: &mut ImageBuffer<P, Vec<P::Subpixel>>) {
    let ch = usize::from(P::CHANNEL_COUNT);
    let raw: &mut [P::Subpixel] = img;
    raw.reverse();
    if ch > 1 {
        // the reversal also reversed the channels of each pixel
        for px in raw.chunks_exact_mut(ch) {
            px.reverse();
        }
    }
}

/// Counter-clockwise rotation by `degrees` about the centre onto a white canvas of the same
/// size, bilinear. A point at `(x, y)` (pixel centres at `i + 0.5`) relative to the centre
/// `(dx, dy)` moves to `(dx·cos + dy·sin, −dx·sin + dy·cos)` (y grows downwards).
#[cfg(test)]
pub fn rotate_about_centre_gray(img: &GrayImage, degrees: f32) -> GrayImage {
    turn_and_rotate_gray(img, 0, degrees, 1)
}

/// [`quarter_turn`] by `rotation`, then [`rotate_about_centre_gray`] by `degrees`, in one
/// pass over the pixels (the same values as the two steps, with no intermediate image).
fn turn_and_rotate_gray(img: &GrayImage, rotation: u16, degrees: f32, threads: usize) -> GrayImage {
    let (w, h) = img.dimensions();
    let (ow, oh) = turned_size(w, h, rotation);
    let data = rotate_channels(img.as_raw(), (w, h, 1), rotation, degrees, threads);
    GrayImage::from_raw(ow, oh, data).unwrap_or_else(|| white_gray(ow, oh))
}

/// [`turn_and_rotate_gray`] for RGB.
fn turn_and_rotate_rgb(img: &RgbImage, rotation: u16, degrees: f32) -> RgbImage {
    let (w, h) = img.dimensions();
    let (ow, oh) = turned_size(w, h, rotation);
    let data = rotate_channels(img.as_raw(), (w, h, 3), rotation, degrees, 1);
    RgbImage::from_raw(ow, oh, data).unwrap_or_else(|| RgbImage::from_pixel(ow, oh, Rgb([255; 3])))
}

/// Width and height after a clockwise quarter turn by `rotation` degrees.
fn turned_size(w: u32, h: u32, rotation: u16) -> (u32, u32) {
    if (rotation % 360) / 90 % 2 == 1 {
        (h, w)
    } else {
        (w, h)
    }
}

fn white_gray(w: u32, h: u32) -> GrayImage {
    GrayImage::from_pixel(w, h, Luma([255]))
}

/// The upright raster: `quarter_turn(rotation)`, then the deskew rotation (skipped below
/// [`MIN_SKEW_DEGREES`]).
pub fn upright(raster: &Raster, rotation: u16, skew_degrees: f32) -> Raster {
    let skew = skew_degrees.abs() >= MIN_SKEW_DEGREES;
    match raster {
        Raster::Gray(g) if skew => Raster::Gray(turn_and_rotate_gray(g, rotation, skew_degrees, 1)),
        Raster::Gray(g) => Raster::Gray(quarter_turn(g, rotation)),
        Raster::Rgb(c) if skew => Raster::Rgb(turn_and_rotate_rgb(c, rotation, skew_degrees)),
        Raster::Rgb(c) => Raster::Rgb(quarter_turn(c, rotation)),
    }
}

/// Upright gray image for recognition, a deskew spread over up to `threads` threads (the
/// cores the page may use while nothing else runs beside it: a one-page call's deskew is on
/// the path to its first recognition).
pub fn upright_gray(
    gray: &GrayImage,
    rotation: u16,
    skew_degrees: f32,
    threads: usize,
) -> GrayImage {
    if skew_degrees.abs() >= MIN_SKEW_DEGREES {
        turn_and_rotate_gray(gray, rotation, skew_degrees, threads)
    } else {
        quarter_turn(gray, rotation)
    }
}

/// Threads a rotation is spread over at most.
const MAX_THREADS: usize = 16;
/// Fractional bits of the source coordinates in [`rotate_channels`].
const FRAC: u32 = 32;
/// Bits of the interpolation weights (a 4096th of a pixel: the largest for which the mix of
/// four 8-bit samples, 255 << 24 plus the rounding, still fits in a `u32`).
const WEIGHT_BITS: u32 = 12;
const WEIGHT_ONE: u32 = 1 << WEIGHT_BITS;

/// Turns an interleaved `ch`-channel 8-bit `w`×`h` buffer clockwise by the quarter turns of
/// `rotation`, then rotates it counter-clockwise by `degrees` about its centre (on a canvas of
/// the turned size); samples outside the source are white. Both steps are one affine map from
/// an output pixel back to the source, and a quarter turn only swaps and mirrors the axes, so
/// the bilinear samples are those of the two steps done one after the other.
///
/// Bilinear, in fixed point: the inverse map's source point is stepped along each row in
/// 32.32 fixed point (from the row's start computed in `f64`, so the drift over a row of
/// 32767 px stays below 10⁻⁵ px), and the weights are rounded to 4096ths, so a value differs
/// from the exact `f64` interpolation by at most 1 (see the test). With the quarter turn in
/// the same pass it takes about half the time of the per-pixel `f64` rotation plus the separate
/// turn it replaced (9.8% -> 4.9% of a digitize run's cycles).
fn rotate_channels(
    src: &[u8],
    (w, h, ch): (u32, u32, usize),
    rotation: u16,
    degrees: f32,
    threads: usize,
) -> Vec<u8> {
    let (ow, oh) = turned_size(w, h, rotation);
    let (ow, oh) = (ow as usize, oh as usize);
    let (w, h) = (w as usize, h as usize);
    let mut out = vec![255u8; ow * oh * ch];
    if w == 0 || h == 0 || src.len() < w * h * ch {
        return out;
    }
    let (sin, cos) = f64::from(degrees).to_radians().sin_cos();
    let (cx, cy) = (ow as f64 / 2.0, oh as f64 / 2.0);
    // deskew: output pixel (x, y) -> point (tx, ty) of the turned image,
    //   tx = a·x + b·y + c, ty = d·x + e·y + f
    let (a, b, c) = (cos, -sin, (0.5 - cx) * cos - (0.5 - cy) * sin + cx - 0.5);
    let (d, e, f) = (sin, cos, (0.5 - cx) * sin + (0.5 - cy) * cos + cy - 0.5);
    // quarter turn: point (tx, ty) of the turned image -> source point, as the same form
    let (wl, hl) = ((w - 1) as f64, (h - 1) as f64);
    let [a, b, c, d, e, f] = match (rotation % 360) / 90 {
        // turned (u, v) = source (v, h-1-u)
        1 => [d, e, f, -a, -b, hl - c],
        // source (w-1-u, h-1-v)
        2 => [-a, -b, wl - c, -d, -e, hl - f],
        // source (w-1-v, u)
        3 => [-d, -e, wl - f, a, b, c],
        _ => [a, b, c, d, e, f],
    };
    let one = (1i64 << FRAC) as f64;
    let fixed = |v: f64| (v * one).round() as i64;
    let (step_x, step_y) = (fixed(a), fixed(d));
    let (lo, wmax, hmax) = (-(1i64 << FRAC), (w as i64) << FRAC, (h as i64) << FRAC);
    // the fraction rounded to WEIGHT_BITS: 0..=WEIGHT_ONE
    let weight = |v: i64| {
        let f = (v & ((1i64 << FRAC) - 1)) >> (FRAC - WEIGHT_BITS - 1);
        ((f + 1) >> 1) as u32
    };
    let fetch = |x: i64, y: i64, c: usize| -> u32 {
        if x < 0 || y < 0 || x >= w as i64 || y >= h as i64 {
            255
        } else {
            u32::from(src[(y as usize * w + x as usize) * ch + c])
        }
    };
    // weights sum to WEIGHT_ONE per axis: the product, at most 255 << 24, is rounded half up
    let mix = |p00: u32, p01: u32, p10: u32, p11: u32, fx: u32, fy: u32| -> u8 {
        let top = p00 * (WEIGHT_ONE - fx) + p01 * fx;
        let bottom = p10 * (WEIGHT_ONE - fx) + p11 * fx;
        let v = top * (WEIGHT_ONE - fy) + bottom * fy;
        ((v + (1 << (2 * WEIGHT_BITS - 1))) >> (2 * WEIGHT_BITS)).min(255) as u8
    };
    let stride = w * ch;
    let out_stride = ow * ch;
    let fill_row = |y: usize, row: &mut [u8]| {
        // the source point that lands on the row's first pixel (0, y)
        let mut sx = fixed(b * y as f64 + c);
        let mut sy = fixed(e * y as f64 + f);
        for x in 0..ow {
            let (px, py) = (sx, sy);
            sx += step_x;
            sy += step_y;
            if px <= lo || py <= lo || px >= wmax || py >= hmax {
                continue;
            }
            let (x0, y0) = (px >> FRAC, py >> FRAC);
            let (fx, fy) = (weight(px), weight(py));
            let o = x * ch;
            if x0 >= 0 && y0 >= 0 && (x0 as usize) + 1 < w && (y0 as usize) + 1 < h {
                let i = (y0 as usize * w + x0 as usize) * ch;
                let (p0, p1) = (&src[i..i + 2 * ch], &src[i + stride..i + stride + 2 * ch]);
                for c in 0..ch {
                    row[o + c] = mix(
                        u32::from(p0[c]),
                        u32::from(p0[ch + c]),
                        u32::from(p1[c]),
                        u32::from(p1[ch + c]),
                        fx,
                        fy,
                    );
                }
            } else {
                for c in 0..ch {
                    row[o + c] = mix(
                        fetch(x0, y0, c),
                        fetch(x0 + 1, y0, c),
                        fetch(x0, y0 + 1, c),
                        fetch(x0 + 1, y0 + 1, c),
                        fx,
                        fy,
                    );
                }
            }
        }
    };
    // rows are independent: the idle cores take a band each
    let band = oh.div_ceil(threads.clamp(1, MAX_THREADS).min(oh.max(1)));
    if band >= oh || out_stride == 0 {
        for (y, row) in out.chunks_exact_mut(out_stride.max(1)).enumerate() {
            fill_row(y, row);
        }
    } else {
        std::thread::scope(|scope| {
            for (i, rows) in out.chunks_mut(band * out_stride).enumerate() {
                let fill_row = &fill_row;
                scope.spawn(move || {
                    for (k, row) in rows.chunks_exact_mut(out_stride).enumerate() {
                        fill_row(i * band + k, row);
                    }
                });
            }
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> GrayImage {
        GrayImage::from_fn(40, 20, |x, y| Luma([((x * 5 + y * 3) % 256) as u8]))
    }

    /// The rotation as first written (`f64` per pixel, libm `floor` and `round`, every read
    /// bounds-checked): the fixed-point one must stay within 1 of it everywhere.
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

    /// Xorshift64: reproducible noise for the pixel tests.
    fn noise(mut seed: u64) -> impl FnMut() -> u64 {
        move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        }
    }

    #[test]
    fn the_fixed_point_rotation_stays_within_one_of_the_exact_one() {
        // noise and hard edges, odd and even sides, gray and RGB, small and large angles
        let mut next = noise(0x2545_f491_4f6c_dd1d);
        let (mut differ, mut bytes) = (0usize, 0usize);
        for (w, h, ch) in [(57, 40, 1), (64, 64, 1), (33, 71, 3), (1, 9, 1), (2, 2, 3)] {
            let src: Vec<u8> = (0..w * h * ch)
                .map(|i| if i % 7 == 0 { 0 } else { (next() % 256) as u8 })
                .collect();
            for deg in [0.1f32, -0.37, 1.0, 2.5, -3.3, 7.9, -10.0, 30.0, 90.0, 179.0] {
                let fast = rotate_channels(&src, (w as u32, h as u32, ch), 0, deg, 1);
                let exact = reference(&src, w as u32, h as u32, ch, deg);
                assert_eq!(fast.len(), exact.len());
                for (i, (a, b)) in fast.iter().zip(&exact).enumerate() {
                    assert!(
                        a.abs_diff(*b) <= 1,
                        "{w}x{h}x{ch} at {deg}°, byte {i}: {a} vs {b}"
                    );
                    differ += usize::from(a != b);
                }
                bytes += fast.len();
            }
        }
        // and rarely at all: 941 of 134,260 bytes with 4096ths (3,639 with 1024ths)
        assert!(differ * 100 < bytes, "{differ} of {bytes} bytes differ");
    }

    #[test]
    fn one_pass_turn_and_rotation_equals_the_two_steps() {
        let mut next = noise(0x9e37_79b9_7f4a_7c15);
        for (w, h) in [(57u32, 40u32), (40, 57), (64, 64), (3, 11)] {
            let img = GrayImage::from_fn(w, h, |_, _| Luma([(next() % 256) as u8]));
            for rotation in [0u16, 90, 180, 270] {
                for deg in [0.3f32, -2.5, 7.0] {
                    let one = turn_and_rotate_gray(&img, rotation, deg, 1);
                    let two = rotate_about_centre_gray(&quarter_turn(&img, rotation), deg);
                    assert_eq!(one.dimensions(), two.dimensions());
                    for (p, q) in one.pixels().zip(two.pixels()) {
                        assert!(p[0].abs_diff(q[0]) <= 1, "{w}x{h} {rotation} {deg}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_rotation_spread_over_threads_equals_the_one_on_one_thread() {
        let mut next = noise(0x5851_f42d_4c95_7f2d);
        for (w, h, ch) in [
            (57u32, 40u32, 1usize),
            (40, 57, 3),
            (5, 2, 1),
            (1, 1, 1),
            (0, 4, 1),
        ] {
            let src: Vec<u8> = (0..(w * h) as usize * ch)
                .map(|_| (next() % 256) as u8)
                .collect();
            for rotation in [0u16, 90, 180, 270] {
                let one = rotate_channels(&src, (w, h, ch), rotation, 2.5, 1);
                for threads in [2, 3, 7, 64] {
                    let many = rotate_channels(&src, (w, h, ch), rotation, 2.5, threads);
                    assert_eq!(
                        one, many,
                        "{w}x{h}x{ch} turned {rotation} on {threads} threads"
                    );
                }
            }
        }
    }

    #[test]
    fn half_a_turn_in_reverse_order_is_images_rotate180() {
        let mut next = noise(0x2d35_8dcc_aa6c_78a5);
        for (w, h) in [(57u32, 40u32), (1, 9), (2, 2), (0, 3)] {
            let g = GrayImage::from_fn(w, h, |_, _| Luma([(next() % 256) as u8]));
            assert_eq!(half_turned(&g), image::imageops::rotate180(&g));
            let c = RgbImage::from_fn(w, h, |_, _| {
                Rgb([
                    (next() % 256) as u8,
                    (next() % 256) as u8,
                    (next() % 256) as u8,
                ])
            });
            assert_eq!(half_turned(&c), image::imageops::rotate180(&c));
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
    fn colour_dropout_turns_seal_red_and_signature_blue_to_paper_and_keeps_text() {
        let inks = [
            ([200, 30, 40], true),    // a seal's red
            ([230, 140, 150], true),  // a faded seal
            ([40, 60, 170], true),    // a ballpoint signature's blue
            ([20, 20, 25], false),    // black text
            ([60, 15, 20], false),    // black text over the seal (multiplied)
            ([20, 30, 90], false),    // dark blue print
            ([120, 120, 120], false), // grey
        ];
        let rgb = RgbImage::from_fn(inks.len() as u32, 1, |x, _| Rgb(inks[x as usize].0));
        let (dropped, plain) = (
            to_gray_dropping_colour(&Raster::Rgb(rgb.clone())),
            to_gray(&Raster::Rgb(rgb)),
        );
        for (x, (ink, drops)) in inks.iter().enumerate() {
            let (d, p) = (dropped.as_raw()[x], plain.as_raw()[x]);
            if *drops {
                assert!(d >= 144 && d > p, "{ink:?}: {d} (luma {p})");
            } else {
                assert_eq!(d, p, "{ink:?}");
            }
        }
        // a gray page is read as it is
        let gray = GrayImage::from_fn(3, 1, |x, _| Luma([x as u8 * 100]));
        assert_eq!(to_gray_dropping_colour(&Raster::Gray(gray.clone())), gray);
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
