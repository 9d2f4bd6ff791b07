//! JPEG and PNG files: size, colour, resolution, passthrough, limits and damaged input.

use super::fixtures::*;
use super::{gray, image_ref, rgb};
use crate::decode::{decode_page, list_pages, DecodeError, DecodeLimits, DpiSource, PageRef};
use image::codecs::jpeg::{PixelDensity, PixelDensityUnit};
use image::ExtendedColorType;

fn lim() -> DecodeLimits {
    DecodeLimits::default()
}

#[test]
fn jpeg_rgb_passthrough_with_jfif_dpi() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = jpeg_rgb(64, 48, Some(300));
    // The extension lies: formats are told by their bytes.
    let path = write(dir.path(), "scan.png", &bytes);
    let pages = list_pages(&path, &lim()).unwrap();
    assert_eq!(pages, vec![PageRef::Image { path: path.clone() }]);
    let p = decode_page(&pages[0], Some(72.0), &lim()).unwrap();
    let img = rgb(&p);
    assert_eq!(img.dimensions(), (64, 48));
    assert_eq!((p.dpi, p.dpi_source), ((300.0, 300.0), DpiSource::File));
    assert_eq!(p.jpeg.as_deref(), Some(&bytes[..]));
    assert_eq!((p.page_index, p.source.as_path()), (0, path.as_path()));
    // Lossy, but close to the pattern.
    let px = img.get_pixel(10, 20);
    assert!(
        (i32::from(px[0]) - 50).abs() < 12 && (i32::from(px[1]) - 60).abs() < 12,
        "{px:?}"
    );
}

#[test]
fn jpeg_gray_dpcm_and_missing_density() {
    let dir = tempfile::tempdir().unwrap();
    let g = gray_pattern(40, 30);
    let dpcm = PixelDensity {
        density: (118, 59),
        unit: PixelDensityUnit::Centimeters,
    };
    let path = write(
        dir.path(),
        "g.jpg",
        &jpeg_encode(g.as_raw(), 40, 30, ExtendedColorType::L8, Some(dpcm)),
    );
    let p = decode_page(&image_ref(&path), None, &lim()).unwrap();
    assert_eq!(gray(&p).dimensions(), (40, 30));
    assert!(
        (p.dpi.0 - 299.72).abs() < 0.01 && (p.dpi.1 - 149.86).abs() < 0.01,
        "{:?}",
        p.dpi
    );

    // Aspect-ratio-only JFIF (units 0): no resolution.
    let path = write(
        dir.path(),
        "nodpi.jpg",
        &jpeg_encode(g.as_raw(), 40, 30, ExtendedColorType::L8, None),
    );
    let e = decode_page(&image_ref(&path), None, &lim()).unwrap_err();
    assert!(matches!(e, DecodeError::NoResolution { .. }));
    assert!(
        e.to_string()
            .contains("nodpi.jpg: the image has no resolution; pass --dpi"),
        "{e}"
    );
    let p = decode_page(&image_ref(&path), Some(150.0), &lim()).unwrap();
    assert_eq!((p.dpi, p.dpi_source), ((150.0, 150.0), DpiSource::Override));
    let e = decode_page(&image_ref(&path), Some(-1.0), &lim()).unwrap_err();
    assert!(matches!(e, DecodeError::BadDpi { .. }), "{e}");
}

#[test]
fn png_gray_phys_exact_pixels() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "g.png", &png_gray(33, 21, Some(11811)));
    let p = decode_page(&image_ref(&path), None, &lim()).unwrap();
    assert_eq!(gray(&p), &gray_pattern(33, 21));
    assert_eq!(
        (p.dpi, p.dpi_source, p.jpeg.is_none()),
        ((300.0, 300.0), DpiSource::File, true)
    );

    let path = write(dir.path(), "n.png", &png_gray(5, 5, None));
    let e = decode_page(&image_ref(&path), None, &lim()).unwrap_err();
    assert!(matches!(e, DecodeError::NoResolution { .. }), "{e}");
    let p = decode_page(&image_ref(&path), Some(200.0), &lim()).unwrap();
    assert_eq!((p.dpi, p.dpi_source), ((200.0, 200.0), DpiSource::Override));
}

#[test]
fn png_alpha_onto_white_and_16_bit() {
    let dir = tempfile::tempdir().unwrap();
    // Opaque red, transparent black, half-transparent black.
    let rgba = [255, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 128];
    let path = write(
        dir.path(),
        "a.png",
        &png_encode(&rgba, 3, 1, ExtendedColorType::Rgba8, Some(3937)),
    );
    let p = decode_page(&image_ref(&path), None, &lim()).unwrap();
    assert_eq!(rgb(&p).as_raw(), &[255, 0, 0, 255, 255, 255, 127, 127, 127]);
    assert_eq!(p.dpi, (100.0, 100.0));

    let la = [0, 255, 0, 0];
    let path = write(
        dir.path(),
        "la.png",
        &png_encode(&la, 2, 1, ExtendedColorType::La8, Some(3937)),
    );
    let p = decode_page(&image_ref(&path), None, &lim()).unwrap();
    assert_eq!(gray(&p).as_raw(), &[0, 255]);

    let l16: Vec<u8> = [0x1234u16, 0xFF00]
        .iter()
        .flat_map(|v| v.to_ne_bytes())
        .collect();
    let path = write(
        dir.path(),
        "16.png",
        &png_encode(&l16, 2, 1, ExtendedColorType::L16, Some(3937)),
    );
    let p = decode_page(&image_ref(&path), None, &lim()).unwrap();
    let g = gray(&p).as_raw().clone();
    assert!(
        g[0].abs_diff(0x12) <= 1 && g[1].abs_diff(0xFE) <= 1,
        "{g:?}"
    );
}

#[test]
fn png_bomb_is_refused_before_allocation() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "bomb.png", &png_claiming(50_000, 50_000));
    // refused from the header: the error names the claimed size (a decode would have had to
    // allocate 2.5 GB first, and failed differently)
    let e = decode_page(&image_ref(&path), Some(300.0), &lim()).unwrap_err();
    assert!(
        matches!(
            e,
            DecodeError::TooManyPixels {
                width: 50_000,
                height: 50_000,
                ..
            }
        ),
        "{e}"
    );
    assert!(
        e.to_string()
            .contains("bomb.png: 50000 × 50000 pixels exceeds the limit of 150 megapixels"),
        "{e}"
    );
    // A tighter limit refuses a small real image too.
    let path = write(dir.path(), "small.png", &png_gray(20, 20, Some(3937)));
    let tight = DecodeLimits {
        max_pixels: 399,
        ..lim()
    };
    assert!(matches!(
        decode_page(&image_ref(&path), None, &tight),
        Err(DecodeError::TooManyPixels { .. })
    ));
    let jpg = write(dir.path(), "small.jpg", &jpeg_rgb(20, 20, Some(300)));
    assert!(matches!(
        decode_page(&image_ref(&jpg), None, &tight),
        Err(DecodeError::TooManyPixels { .. })
    ));
}

#[test]
fn truncated_png_and_jpeg() {
    let dir = tempfile::tempdir().unwrap();
    let noise: Vec<u8> = {
        let mut r = Lcg(7);
        (0..200 * 200).map(|_| r.next() as u8).collect()
    };
    let png = png_encode(&noise, 200, 200, ExtendedColorType::L8, Some(3937));
    let path = write(dir.path(), "x.png", &png[..png.len() / 2]);
    let e = decode_page(&image_ref(&path), None, &lim()).unwrap_err();
    assert!(
        e.to_string()
            .contains("x.png: truncated PNG data (unexpected end of file)"),
        "{e}"
    );
    let path = write(dir.path(), "h.png", &png[..40]);
    let e = decode_page(&image_ref(&path), None, &lim()).unwrap_err();
    assert!(matches!(e, DecodeError::Truncated { .. }), "{e}");

    let jpg = jpeg_rgb(64, 64, Some(300));
    let path = write(dir.path(), "h.jpg", &jpg[..30]);
    let e = decode_page(&image_ref(&path), None, &lim()).unwrap_err();
    assert!(e.to_string().contains("h.jpg: truncated JPEG data"), "{e}");
    // Cut inside the entropy-coded data: an error or a padded image, never a panic.
    let path = write(dir.path(), "t.jpg", &jpg[..jpg.len() * 2 / 3]);
    let _ = decode_page(&image_ref(&path), None, &lim());
}

#[test]
fn empty_and_garbage_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "empty.jpg", b"");
    let e = list_pages(&path, &lim()).unwrap_err();
    assert!(
        e.to_string().contains("empty.jpg: the file is empty"),
        "{e}"
    );
    let e = decode_page(&image_ref(&path), None, &lim()).unwrap_err();
    assert!(matches!(e, DecodeError::Empty { .. }));
    let path = write(dir.path(), "a.bin", b"GIF89a\x01\x00\x01\x00");
    let e = list_pages(&path, &lim()).unwrap_err();
    assert!(
        e.to_string()
            .contains("a.bin: not a JPEG, PNG, TIFF or PDF file (starts with 47 49 46 38)"),
        "{e}"
    );
    let path = write(dir.path(), "j.jpg", &[0xFF, 0xD8, 0xFF]);
    assert!(decode_page(&image_ref(&path), Some(300.0), &lim()).is_err());
}

/// Flips bytes of valid files at random (deterministically): errors are fine, panics are not.
#[test]
fn mutated_images_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let sources = [png_gray(24, 16, Some(3937)), jpeg_rgb(24, 16, Some(300))];
    let mut rng = Lcg(42);
    for (k, src) in sources.iter().enumerate() {
        for round in 0..150 {
            let mut m = src.clone();
            for _ in 0..1 + rng.next() % 4 {
                let i = 2 + (rng.next() as usize) % (m.len() - 2);
                m[i] = rng.next() as u8;
            }
            if round % 5 == 0 {
                m.truncate(2 + (rng.next() as usize) % (m.len() - 2));
            }
            let path = write(dir.path(), &format!("m{k}.img"), &m);
            if let Ok(pages) = list_pages(&path, &lim()) {
                for p in &pages {
                    let _ = decode_page(p, Some(300.0), &lim());
                }
            }
        }
    }
}
