//! PDFs as scanners write them (issue 17 item 5): CCITT G3 1-D, 2-D and byte-aligned, G4,
//! JBIG2, JPEG 2000, LZW, RunLength, a page in tiles and an MRC page (colour background under a
//! black text stencil), made by `scripts/make_scan_pdfs.py` with real encoders (libtiff,
//! OpenJPEG, libjpeg through Pillow; pikepdf). Each must decode to the scanned pixels, agree
//! with poppler's rendering, and read as well as the scan itself. Real files (OCRmyPDF's test
//! resources: jbig2enc output with globals, an Epson scan, masks) are checked when the shared
//! corpus holds them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use sohoa::decode::{decode_page, list_pages, DecodeLimits, Raster, ScannedPage};

use crate::helpers::*;

/// The generated files, made once per test binary under `target/` (a static is never dropped,
/// so a temporary folder would be left behind).
fn made() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = root().join("target/test-scan-pdfs");
        let _ = std::fs::remove_dir_all(&dir);
        let out = Command::new(venv_bin("python"))
            .arg(root().join("scripts/make_scan_pdfs.py"))
            .arg(&dir)
            .output()
            .expect("run make_scan_pdfs.py");
        assert!(out.status.success(), "{}", text(&out));
        dir
    })
}

fn expect() -> BTreeMap<String, serde_json::Value> {
    serde_json::from_slice(&read(&made().join("expect.json"))).unwrap()
}

fn decode(pdf: &Path) -> ScannedPage {
    let lim = DecodeLimits::default();
    let pages = list_pages(pdf, &lim).unwrap();
    assert_eq!(pages.len(), 1, "{}", pdf.display());
    decode_page(&pages[0], None, &lim).unwrap_or_else(|e| panic!("{e}"))
}

fn gray_png(p: &Path) -> image::GrayImage {
    image::open(p).unwrap().into_luma8()
}

fn luma(r: &Raster) -> image::GrayImage {
    match r {
        Raster::Gray(g) => g.clone(),
        Raster::Rgb(c) => image::DynamicImage::ImageRgb8(c.clone()).into_luma8(),
        other => panic!(
            "a raster of an unexpected kind: {}×{}",
            other.width(),
            other.height()
        ),
    }
}

/// Poppler's rendering of page 1 at `dpi`, gray.
fn poppler(pdf: &Path, dpi: u32, out: &Path) -> image::GrayImage {
    let o = Command::new("pdftoppm")
        .args(["-r", &dpi.to_string(), "-gray", "-png", "-singlefile"])
        .arg(pdf)
        .arg(out.with_extension(""))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    gray_png(&out.with_extension("png"))
}

fn mean_diff(a: &image::GrayImage, b: &image::GrayImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let sum: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    sum as f64 / a.as_raw().len() as f64
}

#[test]
fn every_codec_a_scanner_writes_decodes_to_the_scanned_pixels() {
    let dir = made();
    let work = tmp();
    for (pdf, x) in expect() {
        let page = decode(&dir.join(&pdf));
        let want = gray_png(&dir.join(x["ref"].as_str().unwrap()));
        let dpi = x["dpi"].as_f64().unwrap() as f32;
        assert!(
            (page.dpi.0 - dpi).abs() < 0.5 && (page.dpi.1 - dpi).abs() < 0.5,
            "{pdf}: {:?} dpi",
            page.dpi
        );
        let got = luma(&page.raster);
        assert_eq!(got.dimensions(), want.dimensions(), "{pdf}");
        if x["colour"].as_bool() == Some(true) {
            // MRC: every pixel of the text stencil is black; the rest is the background.
            assert!(matches!(page.raster, Raster::Rgb(_)), "{pdf}: colour kept");
            let (mut ink, mut black) = (0usize, 0usize);
            for (g, m) in got.as_raw().iter().zip(want.as_raw()) {
                if *m == 0 {
                    ink += 1;
                    black += usize::from(*g == 0);
                }
            }
            assert!(
                ink > 10_000 && black == ink,
                "{pdf}: {black} of {ink} stencil pixels black"
            );
        } else {
            let wrong = got
                .as_raw()
                .iter()
                .zip(want.as_raw())
                .filter(|(a, b)| a != b)
                .count();
            assert_eq!(wrong, 0, "{pdf}: {wrong} pixels differ from the scan");
        }
        // An independent renderer draws the same page.
        let theirs = poppler(&dir.join(&pdf), dpi as u32, &work.path().join(&pdf));
        let d = mean_diff(&got, &theirs);
        assert!(
            d < 2.0,
            "{pdf}: mean difference {d:.2} from poppler's rendering"
        );
    }
}

#[test]
fn scanner_pdfs_read_as_well_as_the_scan_itself() {
    let dir = made();
    let eval = tmp();
    for f in ["uy-quyen-trang-1.png", "uy-quyen-trang-1.gt.txt"] {
        std::fs::copy(root().join("samples/scans").join(f), eval.path().join(f)).unwrap();
    }
    for pdf in expect().keys() {
        let gt = pdf.replace(".pdf", ".gt.txt");
        for f in [pdf.as_str(), gt.as_str()] {
            std::fs::copy(dir.join(f), eval.path().join(f)).unwrap();
        }
    }
    let p = eval.path().to_str().unwrap();
    let o = sohoa(&["eval", "ocr", p, "--json"]);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let cer: BTreeMap<String, f64> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let name = Path::new(f["file"].as_str().unwrap()).file_name().unwrap();
            (
                name.to_string_lossy().into_owned(),
                f["cer"].as_f64().unwrap(),
            )
        })
        .collect();
    let scan = cer["uy-quyen-trang-1.png"];
    assert!(scan < 0.02, "the scan itself: CER {scan}");
    for pdf in expect().keys() {
        let c = cer[pdf];
        // Bi-level codecs see a thresholded page: allowed half a point more than the scan.
        assert!(
            c <= scan + 0.005,
            "{pdf}: CER {c} against the scan's {scan}"
        );
    }
}

/// Real scanner PDFs from OCRmyPDF's test resources (see tests/corpus/scanner/README.md), each
/// against poppler's rendering at its own resolution.
#[test]
fn real_scanner_pdfs_decode_as_poppler_draws_them() {
    let base = std::env::var_os("SOHOA_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/corpus"));
    let dir = base.join("scanner");
    if !dir.is_dir() {
        let msg = format!(
            "corpus folder {} is absent: this test checked nothing (see tests/corpus/scanner/README.md)",
            dir.display()
        );
        assert!(std::env::var_os("SOHOA_REQUIRE_CORPUS").is_none(), "{msg}");
        eprintln!("NOTE: {msg}");
        return;
    }
    let work = tmp();
    // (file, what it exercises, largest mean difference from poppler): a page of one image
    // against the image as poppler's `pdfimages` decodes it, a page of layers against
    // `pdftoppm`'s rendering (which smooths edges, so a looser bound).
    let cases = [
        ("jbig2.pdf", "JBIG2 with /JBIG2Globals (jbig2enc)", 0.5),
        ("ccitt.pdf", "CCITT G4, /BlackIs1 true", 0.5),
        ("epson.pdf", "CCITT G4 from an Epson device", 0.5),
        (
            "masks.pdf",
            "two JPEG layers (Flate over DCT), a G4 stencil /Mask, a stray stencil",
            4.0,
        ),
    ];
    for (file, what, limit) in cases {
        let page = decode(&dir.join(file));
        let got = luma(&page.raster);
        let theirs = if file == "masks.pdf" {
            poppler(
                &dir.join(file),
                page.dpi.0.round() as u32,
                &work.path().join(file),
            )
        } else {
            let prefix = work.path().join(file).with_extension("");
            let o = Command::new("pdfimages")
                .args(["-png", "-f", "1", "-l", "1"])
                .arg(dir.join(file))
                .arg(&prefix)
                .output()
                .unwrap();
            assert!(o.status.success(), "{}", text(&o));
            gray_png(&prefix.with_file_name(format!("{}-000.png", file.trim_end_matches(".pdf"))))
        };
        let theirs = if theirs.dimensions() == got.dimensions() {
            theirs
        } else {
            image::imageops::resize(
                &theirs,
                got.width(),
                got.height(),
                image::imageops::FilterType::Triangle,
            )
        };
        let d = mean_diff(&got, &theirs);
        assert!(
            d < limit,
            "{file} ({what}): mean difference {d:.2} from poppler"
        );
        eprintln!("{file} ({what}): mean difference {d:.3} from poppler");
    }
}
