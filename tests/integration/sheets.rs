//! `sohoa sheet` end to end: the cover and separator sheets sohoa prints, turned into scans
//! the way a desk makes them (poppler's `pdftoppm`, gray JPEG at 200 and 150 dpi, quality 60;
//! one copy with its QR code painted white so only the patch T bars are left, one with the bars
//! painted white so only the `PATCHT` QR code is left), then read back by `sohoa classify`
//! with real Tesseract between the bundled sample scans.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::helpers::*;

const CODE: &str = "000.00.10.H59-261207-0042";

/// `pdftoppm -r dpi -gray -jpeg` of a one-page PDF into `out.jpg`.
fn scan(pdf: &Path, dpi: u32, out: &Path) -> PathBuf {
    let stem = out.with_extension("");
    let o = Command::new("pdftoppm")
        .args([
            "-r",
            &dpi.to_string(),
            "-gray",
            "-jpeg",
            "-jpegopt",
            "quality=60",
        ])
        .args(["-singlefile", pdf.to_str().unwrap(), stem.to_str().unwrap()])
        .output()
        .expect("pdftoppm (poppler-utils)");
    assert!(o.status.success(), "{}", text(&o));
    stem.with_extension("jpg")
}

/// A copy of `scan` (at `dpi`) with the rows between each `(from, to)` mm from the top painted
/// white.
fn whiten(scan: &Path, dpi: f32, rows_mm: &[(f32, f32)], out: &Path) -> PathBuf {
    let mut img = image::open(scan).unwrap().to_luma8();
    let px = dpi / 25.4;
    for &(from, to) in rows_mm {
        let (a, b) = ((from * px) as u32, ((to * px) as u32).min(img.height()));
        for y in a..b {
            for x in 0..img.width() {
                img.put_pixel(x, y, image::Luma([255]));
            }
        }
    }
    // a TIFF that says its resolution, as a scanner's does
    let mut file = std::fs::File::create(out).unwrap();
    let mut tif = tiff::encoder::TiffEncoder::new(&mut file).unwrap();
    let mut page = tif
        .new_image::<tiff::encoder::colortype::Gray8>(img.width(), img.height())
        .unwrap();
    let n = dpi as u32;
    page.resolution(
        tiff::tags::ResolutionUnit::Inch,
        tiff::encoder::Rational { n, d: 1 },
    );
    page.write_data(img.as_raw()).unwrap();
    out.to_path_buf()
}

#[test]
fn printed_cover_and_separator_sheets_split_a_batch_and_are_left_out_of_its_papers() {
    let dir = tmp();
    let at = |n: &str| dir.path().join(n);
    let o = sohoa(&[
        "sheet",
        "cover",
        "--dossier",
        CODE,
        "-o",
        at("cover.pdf").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let o = sohoa(&["sheet", "separator", "-o", at("sep.pdf").to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    for f in ["cover.pdf", "sep.pdf"] {
        let (ok, check) = qpdf_check(&at(f));
        assert!(ok, "{f}: {check}");
    }
    let o = sohoa(&[
        "sheet",
        "cover",
        "--dossier",
        "not-a-code",
        "-o",
        at("x.pdf").to_str().unwrap(),
    ]);
    assert!(
        !o.status.success() && text(&o).contains("not-a-code"),
        "{}",
        text(&o)
    );
    assert!(!at("x.pdf").exists());

    let cover = scan(&at("cover.pdf"), 200, &at("cover.jpg"));
    let sep = scan(&at("sep.pdf"), 200, &at("sep.jpg"));
    let low = scan(&at("sep.pdf"), 150, &at("sep-150.jpg"));
    // the QR code sits 138-179 mm from the top, the bars within 31 mm of either edge
    let bars_only = whiten(&low, 150.0, &[(120.0, 200.0)], &at("sep-bars.tif"));
    let qr_only = whiten(
        &low,
        150.0,
        &[(0.0, 40.0), (257.0, 297.0)],
        &at("sep-qr.tif"),
    );
    let paper = |n: &str| root().join("samples/scans").join(n);
    let batch = [
        cover,
        paper("khai-sinh.jpg"),
        sep,
        paper("to-khai-cu-tru.jpg"),
        bars_only,
        paper("don-xac-nhan-hon-nhan.jpg"),
        qr_only,
        paper("cu-tru.jpg"),
    ];
    let mut args = vec!["classify", "--json"];
    args.extend(batch.iter().map(|p| p.to_str().unwrap()));
    let o = sohoa(&args);
    assert!(o.status.success(), "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();

    let dossiers = v["dossiers"].as_array().unwrap();
    assert_eq!(dossiers.len(), 1, "{v:#}");
    assert_eq!(dossiers[0]["code"], CODE);
    assert_eq!(dossiers[0]["code_source"], "cover_sheet");
    let separators: Vec<&str> = v["separator_pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["source"].as_str().unwrap())
        .collect();
    assert_eq!(
        separators,
        ["sep.jpg", "sep-bars.tif", "sep-qr.tif"],
        "{v:#}"
    );
    // one paper per sample scan, no sheet in any of them
    let papers: Vec<Vec<&str>> = dossiers[0]["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            c["pages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["source"].as_str().unwrap())
                .collect()
        })
        .collect();
    assert_eq!(
        papers,
        [
            ["khai-sinh.jpg"],
            ["to-khai-cu-tru.jpg"],
            ["don-xac-nhan-hon-nhan.jpg"],
            ["cu-tru.jpg"]
        ],
        "{v:#}"
    );
}
