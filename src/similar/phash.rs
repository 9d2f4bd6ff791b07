//! Stage `similar` (beside `classify`, used by `store`/`find`): perceptual hashes of an upright
//! page image, a 64-bit DCT hash (pHash) and a 64-bit difference hash (dHash).
//!
//! Both are computed on the page's *ink*, not its grey levels: the page is binarised (Otsu),
//! scanner borders (dark areas touching the image edge) are dropped, and the image is cropped to
//! the bounding box of the remaining ink. So paper tint, uneven lighting, brightness, JPEG
//! quality, resolution and where the paper lay on the scanner bed do not enter the hash; what is
//! left is the layout of the text on the page.
//!
//! - pHash: ink fraction averaged over a 32×32 grid of the crop (area averaging), orthonormal
//!   2-D DCT-II, the 8×8 lowest frequencies; the 63 coefficients other than DC are compared with
//!   their median, bit `8·v + u` set when coefficient (u, v) is above it (u horizontal, v
//!   vertical frequency). Bit 0 (DC) is always 0, so distances run 0..=63.
//! - dHash: ink fraction over a 9×8 grid; bit `8·row + col` set when cell `col + 1` holds more
//!   ink than cell `col`.

use image::GrayImage;

/// Side of the grid the DCT runs on.
const DCT_N: usize = 32;
/// Low-frequency block kept from the DCT.
const KEEP: usize = 8;
/// A block of the coarse grid is part of a scanner border when more than this share of its
/// pixels is ink and it connects to the image edge through such blocks.
const BORDER_FILL: f32 = 0.6;
/// A row or column of blocks holds content when its ink is at least this share of its pixels;
/// below that it is noise (salt and pepper, JPEG specks).
const CONTENT_MIN: f32 = 0.004;

/// Number of differing bits.
pub fn hamming(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// Ink of the content box of a page: `mask[y * w + x]` is true for ink, with the box's size.
#[derive(Clone, Debug)]
pub struct InkBox {
    pub width: usize,
    pub height: usize,
    pub ink: Vec<bool>,
}

/// The two hashes of a page image: `(phash, dhash)`. An empty (blank) page gives `(0, 0)`.
pub fn hashes(img: &GrayImage) -> (u64, u64) {
    match content(img) {
        Some(b) => (phash_of(&b), dhash_of(&b)),
        None => (0, 0),
    }
}

/// 64-bit DCT perceptual hash of `img` (see the module documentation).
pub fn phash(img: &GrayImage) -> u64 {
    content(img).map_or(0, |b| phash_of(&b))
}

/// 64-bit difference hash of `img` (see the module documentation).
pub fn dhash(img: &GrayImage) -> u64 {
    content(img).map_or(0, |b| dhash_of(&b))
}

fn phash_of(b: &InkBox) -> u64 {
    let grid = area_average(b, DCT_N, DCT_N);
    let coeffs = dct_low(&grid);
    let mut ac: Vec<f64> = coeffs[1..].to_vec();
    ac.sort_by(f64::total_cmp);
    // median of the 63 AC coefficients: the middle one
    let median = ac[ac.len() / 2];
    let mut h = 0u64;
    for (i, &c) in coeffs.iter().enumerate().skip(1) {
        if c > median {
            h |= 1 << i;
        }
    }
    h
}

fn dhash_of(b: &InkBox) -> u64 {
    let grid = area_average(b, 9, 8);
    let mut h = 0u64;
    for row in 0..8 {
        for col in 0..8 {
            if grid[row * 9 + col + 1] > grid[row * 9 + col] {
                h |= 1 << (row * 8 + col);
            }
        }
    }
    h
}

/// Orthonormal 2-D DCT-II of a `DCT_N`×`DCT_N` grid (row-major), the `KEEP`×`KEEP` lowest
/// frequencies, index `v * KEEP + u`.
fn dct_low(grid: &[f64]) -> Vec<f64> {
    let n = DCT_N as f64;
    // basis[k][x] = α(k) cos(π (2x + 1) k / 2N)
    let basis: Vec<Vec<f64>> = (0..KEEP)
        .map(|k| {
            let alpha = if k == 0 {
                (1.0 / n).sqrt()
            } else {
                (2.0 / n).sqrt()
            };
            (0..DCT_N)
                .map(|x| {
                    alpha * (std::f64::consts::PI * (2 * x + 1) as f64 * k as f64 / (2.0 * n)).cos()
                })
                .collect()
        })
        .collect();
    // rows first: tmp[y][u] = Σx grid[y][x] basis[u][x]
    let mut tmp = vec![0.0; DCT_N * KEEP];
    for y in 0..DCT_N {
        for (u, bu) in basis.iter().enumerate() {
            tmp[y * KEEP + u] = (0..DCT_N).map(|x| grid[y * DCT_N + x] * bu[x]).sum();
        }
    }
    let mut out = vec![0.0; KEEP * KEEP];
    for (v, bv) in basis.iter().enumerate() {
        for u in 0..KEEP {
            out[v * KEEP + u] = (0..DCT_N).map(|y| tmp[y * KEEP + u] * bv[y]).sum();
        }
    }
    out
}

/// Ink fraction of the box averaged over a `gw`×`gh` grid (each cell the mean over the pixels
/// whose index falls in it; cells at least one pixel wide).
fn area_average(b: &InkBox, gw: usize, gh: usize) -> Vec<f64> {
    let edges = |len: usize, cells: usize| -> Vec<usize> {
        (0..=cells)
            .map(|i| (i * len / cells).min(len))
            .collect::<Vec<_>>()
    };
    let xs = edges(b.width, gw);
    let ys = edges(b.height, gh);
    // column sums per grid row first, so every pixel is read once
    let mut out = vec![0.0; gw * gh];
    for gy in 0..gh {
        let (y0, y1) = (ys[gy], ys[gy + 1].max(ys[gy] + 1).min(b.height));
        let mut col = vec![0u32; b.width];
        for y in y0..y1 {
            let row = &b.ink[y * b.width..(y + 1) * b.width];
            for (c, &v) in col.iter_mut().zip(row) {
                *c += u32::from(v);
            }
        }
        for gx in 0..gw {
            let (x0, x1) = (xs[gx], xs[gx + 1].max(xs[gx] + 1).min(b.width));
            let sum: u32 = col[x0..x1].iter().sum();
            let area = ((x1 - x0) * (y1 - y0)).max(1);
            out[gy * gw + gx] = f64::from(sum) / area as f64;
        }
    }
    out
}

/// Otsu's threshold of an 8-bit histogram (`ocr`'s): pixels `<= t` are ink; 127 for a page of
/// one level.
fn otsu(hist: &[u64; 256]) -> u8 {
    // ocr's split level t has "below t" as ink, so t >= 1 and the last ink level is t - 1
    crate::ocr::otsu_split(hist).map_or(127, |t| t.saturating_sub(1))
}

/// Binarises `img`, drops scanner borders and crops to the content; `None` for a blank page.
pub fn content(img: &GrayImage) -> Option<InkBox> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w == 0 || h == 0 {
        return None;
    }
    let mut hist = [0u64; 256];
    for &p in img.as_raw() {
        hist[usize::from(p)] += 1;
    }
    let t = otsu(&hist);
    // A page with almost no contrast has no ink: Otsu would split paper noise in two.
    let spread = |q: f64| {
        let total: u64 = hist.iter().sum();
        let target = (total as f64 * q) as u64;
        let mut acc = 0u64;
        for (i, &c) in hist.iter().enumerate() {
            acc += c;
            if acc > target {
                return i;
            }
        }
        255
    };
    if spread(0.995) < spread(0.005) + 48 {
        return None;
    }
    let ink: Vec<bool> = img.as_raw().iter().map(|&p| p <= t).collect();

    // Coarse grid of blocks about 1/150 of the shorter side (1.4 mm on A4 at any resolution).
    let bs = (w.min(h) / 150).max(1);
    let (bw, bh) = (w.div_ceil(bs), h.div_ceil(bs));
    let mut count = vec![0u32; bw * bh];
    for (y, row) in ink.chunks_exact(w).enumerate() {
        let counts = &mut count[(y / bs) * bw..(y / bs + 1) * bw];
        for (block, c) in row.chunks(bs).zip(counts) {
            *c += block.iter().filter(|&&v| v).count() as u32;
        }
    }
    let area = |bx: usize, by: usize| -> f32 {
        let cw = (bs).min(w - bx * bs);
        let ch = (bs).min(h - by * bs);
        (cw * ch) as f32
    };
    // Scanner borders: dense blocks reached from the image edge through dense blocks.
    let dense: Vec<bool> = (0..bw * bh)
        .map(|i| count[i] as f32 > BORDER_FILL * area(i % bw, i / bw))
        .collect();
    let mut border = vec![false; bw * bh];
    let mut stack: Vec<usize> = (0..bw * bh)
        .filter(|&i| {
            let (x, y) = (i % bw, i / bw);
            (x == 0 || y == 0 || x == bw - 1 || y == bh - 1) && dense[i]
        })
        .collect();
    while let Some(i) = stack.pop() {
        if border[i] {
            continue;
        }
        border[i] = true;
        let (x, y) = (i % bw, i / bw);
        let mut push = |nx: usize, ny: usize| {
            let j = ny * bw + nx;
            if dense[j] && !border[j] {
                stack.push(j);
            }
        };
        if x > 0 {
            push(x - 1, y);
        }
        if x + 1 < bw {
            push(x + 1, y);
        }
        if y > 0 {
            push(x, y - 1);
        }
        if y + 1 < bh {
            push(x, y + 1);
        }
    }
    // A border's anti-aliased fringe: non-dense blocks next to a border block are border too.
    let fringe: Vec<bool> = (0..bw * bh)
        .map(|i| {
            let (x, y) = (i % bw, i / bw);
            border[i]
                || (x > 0 && border[i - 1])
                || (x + 1 < bw && border[i + 1])
                || (y > 0 && border[i - bw])
                || (y + 1 < bh && border[i + bw])
        })
        .collect();
    let mut rows = vec![0u32; bh];
    let mut cols = vec![0u32; bw];
    let mut row_area = vec![0f32; bh];
    let mut col_area = vec![0f32; bw];
    for i in 0..bw * bh {
        let (x, y) = (i % bw, i / bw);
        let a = area(x, y);
        row_area[y] += a;
        col_area[x] += a;
        if !fringe[i] {
            rows[y] += count[i];
            cols[x] += count[i];
        }
    }
    let first_last = |v: &[u32], a: &[f32]| -> Option<(usize, usize)> {
        let ok = |i: usize| v[i] as f32 >= CONTENT_MIN * a[i] && v[i] >= 2;
        let first = (0..v.len()).find(|&i| ok(i))?;
        let last = (0..v.len()).rev().find(|&i| ok(i))?;
        Some((first, last))
    };
    let (by0, by1) = first_last(&rows, &row_area)?;
    let (bx0, bx1) = first_last(&cols, &col_area)?;
    let (x0, x1) = (bx0 * bs, ((bx1 + 1) * bs).min(w));
    let (y0, y1) = (by0 * bs, ((by1 + 1) * bs).min(h));
    let (cw, ch) = (x1 - x0, y1 - y0);
    let mut out = Vec::with_capacity(cw * ch);
    // x0 starts block bx0: the row goes block by block, no division per pixel
    for y in y0..y1 {
        let edge = &fringe[(y / bs) * bw + bx0..(y / bs + 1) * bw];
        for (block, &f) in ink[y * w + x0..y * w + x1].chunks(bs).zip(edge) {
            out.extend(block.iter().map(|&v| v && !f));
        }
    }
    Some(InkBox {
        width: cw,
        height: ch,
        ink: out,
    })
}
