//! `sohoa sheet` end to end: the cover and separator sheets sohoa prints, turned into scans
//! the way a desk makes them (poppler's `pdftoppm`, gray JPEG at 200 and 150 dpi, quality 60;
//! one copy with its QR code painted white so only the patch T bars are left, one with the bars
//! painted white so only the `PATCHT` QR code is left), then read back by `sohoa classify`
//! with real Tesseract between the bundled sample scans, with blank duplex backs (made here:
//! paper-grey noise and dust specks; one with only a page number) after some of them, a second
//! cover sheet (150 dpi) starting a second dossier, and a paper bearing a red seal.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::helpers::*;

const CODE: &str = "000.00.10.H59-261207-0042";
const CODE2: &str = "000.00.10.H59-261207-0043";

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

/// A blank back as a duplex scanner makes it at 200 dpi: paper-grey noise, dust specks
/// under 0.5 mm, and (`number`) a page number, a 3 mm stroke at the foot of the page.
fn back(out: &Path, number: bool) -> PathBuf {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut img = image::GrayImage::from_fn(1654, 2339, |_, _| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        image::Luma([215 + (seed % 40) as u8])
    });
    for k in 0..150u32 {
        img.put_pixel(
            100 + (k * 53) % 1400,
            100 + (k * 97) % 2100,
            image::Luma([40]),
        );
    }
    if number {
        for y in 2200..2224 {
            for x in 826..830 {
                img.put_pixel(x, y, image::Luma([30]));
            }
        }
    }
    let tmp = out.with_extension("raw.png");
    img.save(&tmp).unwrap();
    whiten(&tmp, 200.0, &[], out)
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
fn printed_sheets_and_blank_backs_split_a_batch_and_are_left_out_of_its_stored_papers() {
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
    let o = sohoa(&[
        "sheet",
        "cover",
        "--dossier",
        CODE2,
        "-o",
        at("cover2.pdf").to_str().unwrap(),
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
    let cover2 = scan(&at("cover2.pdf"), 150, &at("cover2.jpg"));
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
    // the birth certificate with a red seal over its middle: a sealed paper
    let sealed = sealed_copy(&paper("khai-sinh.jpg"), &at("khai-sinh.tif"));
    let batch = [
        cover,
        sealed,
        back(&at("back.tif"), false),
        sep,
        back(&at("sep-back.tif"), false),
        paper("to-khai-cu-tru.jpg"),
        back(&at("numbered.tif"), true),
        bars_only,
        paper("don-xac-nhan-hon-nhan.jpg"),
        qr_only,
        paper("cu-tru.jpg"),
        cover2,
        paper("dkdn-trang-1.jpg"),
        back(&at("last-back.tif"), false),
    ];
    let mut args = vec!["classify", "--json"];
    args.extend(batch.iter().map(|p| p.to_str().unwrap()));
    let o = sohoa(&args);
    assert!(o.status.success(), "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();

    let dossiers = v["dossiers"].as_array().unwrap();
    assert_eq!(dossiers.len(), 2, "{v:#}");
    assert_eq!(dossiers[0]["code"], CODE);
    assert_eq!(dossiers[0]["code_source"], "cover_sheet");
    // the second cover sheet (printed, scanned at 150 dpi) starts the second dossier: one
    // paper, its blank back counted with it
    assert_eq!(dossiers[1]["code"], CODE2);
    assert_eq!(dossiers[1]["code_source"], "cover_sheet");
    let second = dossiers[1]["components"].as_array().unwrap();
    assert_eq!(second.len(), 1, "{v:#}");
    assert_eq!(second[0]["pages"][0]["source"], "dkdn-trang-1.jpg", "{v:#}");
    assert_eq!(
        second[0]["blank_pages"][0]["source"], "last-back.tif",
        "{v:#}"
    );
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
    let expected: [&[&str]; 4] = [
        &["khai-sinh.tif"],
        &["to-khai-cu-tru.jpg", "numbered.tif"],
        &["don-xac-nhan-hon-nhan.jpg"],
        &["cu-tru.jpg"],
    ];
    assert_eq!(papers, expected, "{v:#}");
    // the blank back of the birth certificate is counted with it; the page that only holds a
    // page number stays a page; the separator's blank back belongs to no paper
    let sources = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|p| p["source"].as_str().unwrap().to_owned())
            .collect()
    };
    let comps = dossiers[0]["components"].as_array().unwrap();
    assert_eq!(sources(&comps[0]["blank_pages"]), ["back.tif"], "{v:#}");
    // the sealed birth certificate shows its seal
    let seal: Vec<&Value> = comps[0]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "seal")
        .collect();
    assert_eq!(seal.len(), 1, "{v:#}");
    assert_eq!(seal[0]["value"], "present", "{v:#}");
    assert!(sources(&comps[1]["blank_pages"]).is_empty(), "{v:#}");
    assert_eq!(sources(&v["blank_pages"]), ["sep-back.tif"], "{v:#}");

    // ingested, the same batch stores the four papers without the sheets or the blank back,
    // and the index counts the back with its paper
    let cfg = store_config(dir.path(), "000.00.10.H59", "");
    let mut args = vec!["--config", cfg.to_str().unwrap(), "ingest", "--json"];
    args.extend(batch.iter().map(|p| p.to_str().unwrap()));
    let o = sohoa(&args);
    assert!(o.status.success(), "{}", text(&o));
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    let stored = report[0]["papers"].as_array().unwrap();
    let dossier_of: Vec<(&str, &str)> = stored
        .iter()
        .map(|p| {
            (
                p["pages"].as_str().unwrap(),
                p["dossier_code"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        dossier_of,
        [
            ("khai-sinh.tif p1", CODE),
            ("to-khai-cu-tru.jpg p1 - numbered.tif p1", CODE),
            ("don-xac-nhan-hon-nhan.jpg p1", CODE),
            ("cu-tru.jpg p1", CODE),
            ("dkdn-trang-1.jpg p1", CODE2),
        ],
        "{report:#}"
    );
    assert_eq!(stored[0]["blank_pages"], serde_json::json!(["back.tif p1"]));
    assert_eq!(
        stored[4]["blank_pages"],
        serde_json::json!(["last-back.tif p1"])
    );
    assert_eq!(report[0]["separator_pages"].as_array().unwrap().len(), 3);
    let o = sohoa(&[
        "--config",
        cfg.to_str().unwrap(),
        "find",
        "--dossier",
        CODE,
        "--json",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let found: Value = serde_json::from_slice(&o.stdout).unwrap();
    let counts: Vec<(u64, u64)> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let c = &f["component"];
            (
                c["pages"].as_u64().unwrap(),
                c["blank_pages"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut counts = counts;
    counts.sort_unstable();
    assert_eq!(counts, [(1, 0), (1, 0), (1, 1), (2, 0)], "{found:#}");
}
