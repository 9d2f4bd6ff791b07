//! TIFF files: page count and order, compressions, colour types, resolution, limits, damage.

use super::fixtures::*;
use super::{decode_all, gray, rgb};
use crate::decode::tiff_file::g4_tiff;
use crate::decode::{decode_page, list_pages, DecodeError, DecodeLimits, DpiSource, PageRef};
use std::io::Cursor;
use tiff::encoder::{colortype, Compression, DeflateLevel, Rational, TiffEncoder};
use tiff::tags::ResolutionUnit;

fn lim() -> DecodeLimits {
    DecodeLimits::default()
}

/// Three pages: Gray8 LZW 300 dpi, RGB8 Deflate 118 px/cm, Gray16 PackBits 200 dpi.
fn three_pages() -> Vec<u8> {
    let mut buf = Cursor::new(Vec::new());
    let mut enc = TiffEncoder::new(&mut buf)
        .unwrap()
        .with_compression(Compression::Lzw);
    let mut img = enc.new_image::<colortype::Gray8>(30, 20).unwrap();
    img.resolution(ResolutionUnit::Inch, Rational { n: 300, d: 1 });
    img.write_data(gray_pattern(30, 20).as_raw()).unwrap();
    let mut enc = enc.with_compression(Compression::Deflate(DeflateLevel::Balanced));
    let mut img = enc.new_image::<colortype::RGB8>(25, 15).unwrap();
    img.resolution(ResolutionUnit::Centimeter, Rational { n: 118, d: 1 });
    img.write_data(rgb_pattern(25, 15).as_raw()).unwrap();
    let mut enc = enc.with_compression(Compression::Packbits);
    let mut img = enc.new_image::<colortype::Gray16>(10, 12).unwrap();
    img.resolution(ResolutionUnit::Inch, Rational { n: 400, d: 2 });
    let g16: Vec<u16> = gray_pattern(10, 12)
        .pixels()
        .map(|p| u16::from(p[0]) * 257)
        .collect();
    img.write_data(&g16).unwrap();
    buf.into_inner()
}

#[test]
fn multi_page_order_compression_and_dpi() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "scan.dat", &three_pages());
    let pages = list_pages(&path, &lim()).unwrap();
    let want: Vec<PageRef> = (0..3)
        .map(|index| PageRef::Tiff {
            path: path.clone(),
            index,
        })
        .collect();
    assert_eq!(pages, want);
    let p: Vec<_> = pages
        .iter()
        .map(|r| decode_page(r, None, &lim()).unwrap())
        .collect();
    assert_eq!(gray(&p[0]), &gray_pattern(30, 20));
    assert_eq!(rgb(&p[1]), &rgb_pattern(25, 15));
    assert_eq!(gray(&p[2]), &gray_pattern(10, 12));
    assert_eq!(p[0].dpi, (300.0, 300.0));
    assert!((p[1].dpi.0 - 299.72).abs() < 0.01, "{:?}", p[1].dpi);
    assert_eq!(
        (p[2].dpi, p[2].dpi_source),
        ((200.0, 200.0), DpiSource::File)
    );
    assert_eq!(
        p.iter().map(|s| s.page_index).collect::<Vec<_>>(),
        [0, 1, 2]
    );
    assert!(p.iter().all(|s| s.jpeg.is_none()));

    let two = DecodeLimits {
        max_pages: 2,
        ..lim()
    };
    let e = list_pages(&path, &two).unwrap_err();
    assert!(
        matches!(e, DecodeError::TooManyPages { limit: 2, .. }),
        "{e}"
    );
}

#[test]
fn resolution_unit_none_needs_override() {
    let mut buf = Cursor::new(Vec::new());
    let mut enc = TiffEncoder::new(&mut buf).unwrap();
    enc.write_image::<colortype::Gray8>(4, 4, &[128; 16])
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "n.tif", buf.get_ref());
    let r = decode_all(&path, None);
    let e = r[0].as_ref().unwrap_err();
    assert!(
        e.to_string()
            .contains("n.tif page 1: the image has no resolution; pass --dpi"),
        "{e}"
    );
    let p = decode_all(&path, Some(240.0)).remove(0).unwrap();
    assert_eq!((p.dpi, p.dpi_source), ((240.0, 240.0), DpiSource::Override));
}

#[test]
fn ccitt_g4_white_is_zero_and_black_is_zero() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "g4.tif", &g4_tiff(8, 2, 0, &G4_8X2));
    let p = decode_all(&path, Some(300.0)).remove(0).unwrap();
    assert_eq!(gray(&p).as_raw(), &[G4_8X2_ROW, G4_8X2_ROW].concat());
    let path = write(dir.path(), "g4b.tif", &g4_tiff(8, 2, 1, &G4_8X2));
    let p = decode_all(&path, Some(300.0)).remove(0).unwrap();
    let inverted: Vec<u8> = G4_8X2_ROW.iter().map(|v| 255 - v).collect();
    assert_eq!(gray(&p).as_raw(), &[inverted.clone(), inverted].concat());
    // Data cut short: an error, not a panic.
    let path = write(dir.path(), "g4t.tif", &g4_tiff(8, 200, 0, &G4_8X2[..1]));
    assert!(decode_all(&path, Some(300.0)).remove(0).is_err());
}

fn base(
    w: u32,
    h: u32,
    bps: Vec<u32>,
    compression: u32,
    photometric: u32,
) -> Vec<(u16, u16, Vec<u32>)> {
    let spp = bps.len() as u32;
    vec![
        (256, 4, vec![w]),
        (257, 4, vec![h]),
        (258, 3, bps),
        (259, 3, vec![compression]),
        (262, 3, vec![photometric]),
        (277, 3, vec![spp]),
        (278, 4, vec![h]),
    ]
}

#[test]
fn palette_white_is_zero_gray_alpha_cmyk_rgba() {
    let dir = tempfile::tempdir().unwrap();
    let mut map = vec![0u32; 768];
    for (i, [r, g, b]) in [
        [65535, 0, 0],
        [0, 65535, 0],
        [0, 0, 65535],
        [65535, 65535, 65535],
    ]
    .iter()
    .enumerate()
    {
        (map[i], map[256 + i], map[512 + i]) = (*r, *g, *b);
    }
    let mut e = base(4, 2, vec![8], 1, 3);
    e.push((320, 3, map));
    let path = write(
        dir.path(),
        "pal.tif",
        &tiff_raw(e, &[0, 1, 2, 3, 3, 2, 1, 0]),
    );
    let p = decode_all(&path, Some(300.0)).remove(0).unwrap();
    let img = rgb(&p);
    assert_eq!(
        img.as_raw()[..12],
        [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]
    );
    assert_eq!(img.get_pixel(3, 1).0, [255, 0, 0]);

    // 4-bit palette of grays: a gray raster.
    let mut map: Vec<u32> = (0..16).map(|i| i * 4096).collect();
    map.extend(map.clone());
    map.extend(map[..16].to_vec());
    let mut e = base(4, 1, vec![4], 1, 3);
    e.push((320, 3, map));
    let path = write(dir.path(), "pal4.tif", &tiff_raw(e, &[0x01, 0xF3]));
    let p = decode_all(&path, Some(300.0)).remove(0).unwrap();
    assert_eq!(gray(&p).as_raw(), &[0, 16, 240, 48]);

    let path = write(
        dir.path(),
        "wiz.tif",
        &tiff_raw(base(3, 1, vec![8], 1, 0), &[0, 255, 100]),
    );
    let p = decode_all(&path, Some(300.0)).remove(0).unwrap();
    assert_eq!(gray(&p).as_raw(), &[255, 0, 155]);

    let mut e = base(2, 1, vec![8, 8], 1, 1);
    e.push((338, 3, vec![2]));
    let path = write(dir.path(), "ga.tif", &tiff_raw(e, &[0, 255, 0, 0]));
    let p = decode_all(&path, Some(300.0)).remove(0).unwrap();
    assert_eq!(gray(&p).as_raw(), &[0, 255]);

    let e = base(2, 1, vec![8, 8, 8, 8], 1, 5);
    let path = write(
        dir.path(),
        "cmyk.tif",
        &tiff_raw(e, &[0, 0, 0, 255, 0, 255, 255, 0]),
    );
    let p = decode_all(&path, Some(300.0)).remove(0).unwrap();
    assert_eq!(rgb(&p).as_raw(), &[0, 0, 0, 255, 0, 0]);

    let mut e = base(2, 1, vec![8, 8, 8, 8], 1, 2);
    e.push((338, 3, vec![2]));
    let path = write(
        dir.path(),
        "rgba.tif",
        &tiff_raw(e, &[0, 0, 255, 255, 0, 0, 0, 0]),
    );
    let p = decode_all(&path, Some(300.0)).remove(0).unwrap();
    assert_eq!(rgb(&p).as_raw(), &[0, 0, 255, 255, 255, 255]);
}

#[test]
fn jpeg_in_tiff_ycbcr() {
    let dir = tempfile::tempdir().unwrap();
    let red = image::RgbImage::from_pixel(16, 16, image::Rgb([250, 0, 0]));
    let jpg = jpeg_encode(red.as_raw(), 16, 16, image::ExtendedColorType::Rgb8, None);
    let path = write(
        dir.path(),
        "j.tif",
        &tiff_raw(base(16, 16, vec![8, 8, 8], 7, 6), &jpg),
    );
    let p = decode_all(&path, Some(300.0)).remove(0).unwrap();
    let px = rgb(&p).get_pixel(8, 8).0;
    assert!(px[0] > 230 && px[1] < 20 && px[2] < 20, "{px:?}");
    assert!(p.jpeg.is_none());
}

#[test]
fn limits_loops_unsupported_and_damage() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "scan.tif",
        &tiff_raw(base(60_000, 60_000, vec![8], 1, 1), &[0; 16]),
    );
    let e = decode_all(&path, Some(300.0)).remove(0).unwrap_err();
    assert!(
        e.to_string()
            .contains("scan.tif page 1: 60000 × 60000 pixels exceeds the limit of 150 megapixels"),
        "{e}"
    );
    let mut looped = g4_tiff(8, 2, 0, &G4_8X2);
    looped[118..122].copy_from_slice(&8u32.to_le_bytes());
    let path = write(dir.path(), "loop.tif", &looped);
    let e = list_pages(&path, &lim()).unwrap_err();
    assert!(matches!(e, DecodeError::Corrupt { .. }), "{e}");
    assert!(
        e.to_string().contains("loop") || e.to_string().contains("cycle"),
        "{e}"
    );

    let path = write(
        dir.path(),
        "g3.tif",
        &tiff_raw(base(8, 2, vec![1], 3, 0), &[0; 8]),
    );
    let e = decode_all(&path, Some(300.0)).remove(0).unwrap_err();
    assert!(
        matches!(e, DecodeError::Unsupported { .. }) && e.to_string().contains("Group 3"),
        "{e}"
    );

    let full = three_pages();
    for cut in [12, 100, full.len() / 2, full.len() - 10] {
        let path = write(dir.path(), "cut.tif", &full[..cut]);
        if let Ok(pages) = list_pages(&path, &lim()) {
            for p in &pages {
                let _ = decode_page(p, Some(300.0), &lim());
            }
        }
    }
    let p = PageRef::Tiff {
        path: write(dir.path(), "one.tif", &full),
        index: 7,
    };
    assert!(decode_page(&p, None, &lim()).is_err());
}

#[test]
fn mutated_tiffs_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let sources = [three_pages(), g4_tiff(8, 2, 0, &G4_8X2)];
    let mut rng = Lcg(9);
    for (k, src) in sources.iter().enumerate() {
        for _ in 0..200 {
            let mut m = src.clone();
            for _ in 0..1 + rng.next() % 3 {
                let i = 4 + (rng.next() as usize) % (m.len() - 4);
                m[i] = rng.next() as u8;
            }
            let path = write(dir.path(), &format!("m{k}.tif"), &m);
            if let Ok(pages) = list_pages(&path, &lim()) {
                for p in pages.iter().take(4) {
                    let _ = decode_page(p, Some(300.0), &lim());
                }
            }
        }
    }
}
