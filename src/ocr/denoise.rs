//! Stage `ocr`, before recognition: a 3×3 median filter for speckled pages. Scans carry salt-and-pepper specks
//! that Tesseract reads as stray punctuation and that make it drop the digit of a list number
//! ("1." read as "."); the median removes isolated specks and keeps strokes and geometry (the
//! image keeps its size, so word boxes need no mapping).

use image::GrayImage;

/// [`speck_ratio`] above which a page has salt-and-pepper noise worth a median filter (on
/// other pages the filter only softens strokes: measured, it costs accuracy there).
pub const SPECKLED: f32 = 5e-5;

/// Share of pixels that are dark specks: darker than 128 with all eight neighbours lighter.
/// Clean and Gaussian-noise scans have almost none; salt-and-pepper scans have 0.3–2 ‰.
pub fn speck_ratio(img: &GrayImage) -> f32 {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w < 3 || h < 3 {
        return 0.0;
    }
    let src = img.as_raw();
    let mut specks = 0usize;
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            if src[y * w + x] >= 128 {
                continue;
            }
            let lone = (y - 1..=y + 1)
                .flat_map(|r| (x - 1..=x + 1).map(move |c| (r, c)))
                .all(|(r, c)| (r == y && c == x) || src[r * w + c] >= 128);
            specks += usize::from(lone);
        }
    }
    specks as f32 / (w * h) as f32
}

/// Median of each pixel's 3×3 neighbourhood (edges replicated).
pub fn median3(img: &GrayImage) -> GrayImage {
    let (w, h) = img.dimensions();
    let (wu, hu) = (w as usize, h as usize);
    let src = img.as_raw();
    if wu < 3 || hu < 3 {
        return img.clone();
    }
    let mut out = vec![0u8; src.len()];
    for y in 0..hu {
        let rows = [y.saturating_sub(1), y, (y + 1).min(hu - 1)].map(|r| &src[r * wu..][..wu]);
        let dst = &mut out[y * wu..][..wu];
        // the two edge columns, neighbours replicated
        for x in [0, wu - 1] {
            let cols = [x.saturating_sub(1), x, (x + 1).min(wu - 1)];
            let mut v = [0u8; 9];
            for (i, r) in rows.iter().enumerate() {
                for (j, &c) in cols.iter().enumerate() {
                    v[i * 3 + j] = r[c];
                }
            }
            dst[x] = median9(&mut v);
        }
        // the inner columns, LANES pixels at a time: the same network on nine arrays, which
        // the compiler turns into vector min/max (was one pixel at a time: 13 % of a speckled
        // page's CPU time in the service benchmark)
        let inner = wu - 2;
        let mut x0 = 0;
        while x0 < inner {
            let len = LANES.min(inner - x0);
            let mut v = [[0u8; LANES]; 9];
            for (i, r) in rows.iter().enumerate() {
                for j in 0..3 {
                    v[i * 3 + j][..len].copy_from_slice(&r[x0 + j..x0 + j + len]);
                }
            }
            median9_lanes(&mut v);
            dst[1 + x0..1 + x0 + len].copy_from_slice(&v[4][..len]);
            x0 += len;
        }
    }
    GrayImage::from_raw(w, h, out).unwrap_or_else(|| img.clone())
}

/// Pixels filtered together by [`median3`].
const LANES: usize = 64;

/// [`median9`] on `LANES` nine-value sets at once (set `k` is `v[0][k]..v[8][k]`); the
/// median lands in `v[4]`.
fn median9_lanes(v: &mut [[u8; LANES]; 9]) {
    for (a, b) in MEDIAN9_NETWORK {
        let (lo, hi) = if a < b {
            let (l, r) = v.split_at_mut(b);
            (&mut l[a], &mut r[0])
        } else {
            let (l, r) = v.split_at_mut(a);
            (&mut r[0], &mut l[b])
        };
        for k in 0..LANES {
            let (x, y) = (lo[k], hi[k]);
            lo[k] = x.min(y);
            hi[k] = x.max(y);
        }
    }
}

/// Median of nine values by the 19 compare-exchanges of the median-of-9 selection network
/// (Paeth, Graphics Gems, 1990): branch-free min/max, four times faster here than a partial
/// sort, which took 4 % of a page's CPU time on speckled scans.
fn median9(v: &mut [u8; 9]) -> u8 {
    for (a, b) in MEDIAN9_NETWORK {
        let (x, y) = (v[a], v[b]);
        v[a] = x.min(y);
        v[b] = x.max(y);
    }
    v[4]
}

/// The compare-exchanges of [`median9`]: after them, `(a, b)` holds min then max.
const MEDIAN9_NETWORK: [(usize, usize); 19] = [
    (1, 2),
    (4, 5),
    (7, 8),
    (0, 1),
    (3, 4),
    (6, 7),
    (1, 2),
    (4, 5),
    (7, 8),
    (0, 3),
    (5, 8),
    (4, 7),
    (3, 6),
    (1, 4),
    (2, 5),
    (4, 7),
    (4, 2),
    (6, 4),
    (4, 2),
];

#[cfg(test)]
mod tests {
    use image::Luma;

    use super::*;

    #[test]
    fn the_median_network_agrees_with_sorting() {
        let mut seed = 0x9e37_79b9u32;
        for n in 0..200_000 {
            let mut v = [0u8; 9];
            for x in &mut v {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                // few distinct values half the time: ties are where networks go wrong
                *x = if n % 2 == 0 {
                    (seed % 4) as u8
                } else {
                    seed as u8
                };
            }
            let mut sorted = v;
            sorted.sort_unstable();
            assert_eq!(median9(&mut v.clone()), sorted[4], "{v:?}");
        }
    }

    #[test]
    fn the_lane_filter_agrees_with_sorting_each_neighbourhood() {
        let mut seed = 0x2545_f491u32;
        // widths around the lane count and odd shapes: the edges and the last partial chunk
        for (w, h) in [
            (3, 3),
            (4, 9),
            (66, 5),
            (67, 4),
            (130, 3),
            (200, 7),
            (3, 40),
        ] {
            let img = GrayImage::from_fn(w, h, |_, _| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                Luma([if seed.is_multiple_of(3) {
                    (seed >> 8) as u8
                } else {
                    (seed % 3) as u8 * 120
                }])
            });
            let m = median3(&img);
            for y in 0..h {
                for x in 0..w {
                    let mut v = Vec::with_capacity(9);
                    for dy in [-1i64, 0, 1] {
                        for dx in [-1i64, 0, 1] {
                            let yy = (i64::from(y) + dy).clamp(0, i64::from(h) - 1) as u32;
                            let xx = (i64::from(x) + dx).clamp(0, i64::from(w) - 1) as u32;
                            v.push(img.get_pixel(xx, yy)[0]);
                        }
                    }
                    v.sort_unstable();
                    assert_eq!(m.get_pixel(x, y)[0], v[4], "{w}x{h} at ({x}, {y})");
                }
            }
        }
    }

    #[test]
    fn median_removes_isolated_specks_and_keeps_strokes() {
        let mut img = GrayImage::from_pixel(20, 20, Luma([255]));
        img.put_pixel(3, 3, Luma([0])); // a speck
        for y in 5..15 {
            for x in 10..13 {
                img.put_pixel(x, y, Luma([0])); // a 3 px stroke
            }
        }
        let m = median3(&img);
        assert_eq!(m.dimensions(), (20, 20));
        assert_eq!(m.get_pixel(3, 3)[0], 255);
        assert_eq!(m.get_pixel(11, 10)[0], 0);
        assert_eq!(m.get_pixel(10, 10)[0], 0);
    }

    #[test]
    fn specks_are_counted_and_strokes_are_not() {
        let mut img = GrayImage::from_pixel(100, 100, Luma([250]));
        for y in 20..30 {
            for x in 20..60 {
                img.put_pixel(x, y, Luma([0])); // a thick stroke: no specks
            }
        }
        assert_eq!(speck_ratio(&img), 0.0);
        assert!(speck_ratio(&img) <= SPECKLED);
        img.put_pixel(80, 80, Luma([10]));
        img.put_pixel(5, 90, Luma([10]));
        assert!((speck_ratio(&img) - 2e-4).abs() < 1e-6);
        assert!(speck_ratio(&img) > SPECKLED);
    }
}
