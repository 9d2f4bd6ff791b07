//! Tests of the assemble stage: pages built by hand, documents checked with real tools
//! (qpdf, poppler-utils, pikepdf's PDF/A validator), which must be installed.

mod copy;
mod errors;
mod geometry;
mod stream;
mod tools;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, UNIX_EPOCH};

use image::{GrayImage, Luma, RgbImage};

use super::{DocumentInfo, EncodedRaster, PdfAWriter};
use crate::decode::{DpiSource, Raster, ScannedPage};
use crate::ocr::{RecognizedPage, Word};

pub(super) const SHA_A: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

pub(super) fn info() -> DocumentInfo {
    DocumentInfo {
        title: "Hồ sơ cấp giấy chứng nhận quyền sử dụng đất".into(),
        producer: "sohoa 0.1".into(),
        // 2024-03-01T06:30:00+07:00
        created: UNIX_EPOCH + Duration::from_secs(1_709_249_400),
        utc_offset_minutes: 420,
        source_sha256: vec![SHA_A.into(), SHA_A.to_uppercase()],
        document_id: *b"0123456789abcdef",
    }
}

pub(super) fn word(text: &str, bbox: [f32; 4], line: u32) -> Word {
    Word {
        text: text.into(),
        bbox,
        confidence: 90.0,
        block: 1,
        paragraph: 1,
        line,
    }
}

pub(super) fn scanned(raster: Raster, dpi: f32, jpeg: Option<Vec<u8>>) -> ScannedPage {
    ScannedPage {
        source: PathBuf::from("scans/ho_so.jpg"),
        page_index: 0,
        raster,
        dpi: (dpi, dpi),
        dpi_source: DpiSource::File,
        jpeg,
        png: None,
    }
}

/// An upright page (rotation 0, no skew) from a scan.
pub(super) fn recognized(scanned: ScannedPage, words: Vec<Word>) -> RecognizedPage {
    let (width, height) = (scanned.raster.width(), scanned.raster.height());
    let text = words
        .iter()
        .map(|w| w.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    RecognizedPage {
        scanned,
        rotation: 0,
        skew_degrees: 0.0,
        width,
        height,
        words,
        text,
        mean_confidence: 90.0,
    }
}

/// A light-gray page with dark bars where the words are.
pub(super) fn gray_raster(w: u32, h: u32) -> Raster {
    Raster::Gray(GrayImage::from_fn(w, h, |x, y| {
        Luma([if (x / 7 + y / 5) % 9 == 0 { 90 } else { 235 }])
    }))
}

/// A small RGB JPEG (the scan's bytes) and the raster decoded from it.
pub(super) fn jpeg_scan(w: u32, h: u32, dpi: f32) -> (ScannedPage, Vec<u8>) {
    let img = RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 3 % 256) as u8, (y * 2 % 256) as u8, 200])
    });
    let mut bytes = Vec::new();
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 85);
    image::DynamicImage::ImageRgb8(img)
        .write_with_encoder(enc)
        .unwrap();
    let decoded = image::load_from_memory(&bytes).unwrap().to_rgb8();
    let page = scanned(Raster::Rgb(decoded), dpi, Some(bytes.clone()));
    (page, bytes)
}

/// Line 1: "Nguyễn Thị Hường"; line 2: "quyền sử dụng đất" (pixels at 100 dpi).
pub(super) fn vietnamese_words() -> Vec<Word> {
    vec![
        word("Nguyễn", [40.0, 40.0, 130.0, 62.0], 1),
        word("Thị", [142.0, 40.0, 180.0, 60.0], 1),
        word("Hường", [192.0, 41.0, 280.0, 62.0], 1),
        word("quyền", [40.0, 100.0, 120.0, 122.0], 2),
        word("sử", [131.0, 100.0, 160.0, 120.0], 2),
        word("dụng", [171.0, 100.0, 236.0, 122.0], 2),
        word("đất", [247.0, 99.0, 290.0, 120.0], 2),
    ]
}

/// Writes `pages` to `dir/name` and returns the path.
pub(super) fn write_pdf(dir: &Path, name: &str, pages: &[RecognizedPage]) -> PathBuf {
    let mut w = PdfAWriter::new(Vec::new(), info()).unwrap();
    for p in pages {
        w.add_page(p).unwrap();
    }
    let path = dir.join(name);
    std::fs::write(&path, w.finish().unwrap()).unwrap();
    path
}

/// Runs a tool; panics (the tools are required) when it cannot be started.
pub(super) fn run(cmd: &str, args: &[&str]) -> std::process::Output {
    Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd} is required for these tests: {e}"))
}

pub(super) fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `pdftotext` of page `n` (1-based), its non-empty lines.
pub(super) fn text_lines(pdf: &Path, n: usize) -> Vec<String> {
    let n = n.to_string();
    let p = pdf.to_str().unwrap();
    let o = run("pdftotext", &["-enc", "UTF-8", "-f", &n, "-l", &n, p, "-"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    stdout(&o)
        .lines()
        .map(|l| {
            l.trim_matches(|c: char| c.is_whitespace() || c == '\u{c}')
                .to_string()
        })
        .filter(|l| !l.is_empty())
        .collect()
}

/// `pdftotext -bbox` words of page `n`: (text, xMin, yMin, xMax, yMax) in points.
pub(super) fn bbox_words(pdf: &Path, n: usize) -> Vec<(String, [f64; 4])> {
    let n = n.to_string();
    let p = pdf.to_str().unwrap();
    let o = run("pdftotext", &["-bbox", "-f", &n, "-l", &n, p, "-"]);
    let mut v = Vec::new();
    for line in stdout(&o).lines() {
        let Some(rest) = line.trim().strip_prefix("<word ") else {
            continue;
        };
        let attr = |name: &str| -> f64 {
            let at = rest.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
            rest[at..].split('"').next().unwrap().parse().unwrap()
        };
        let text = rest.split('>').nth(1).unwrap().split('<').next().unwrap();
        let b = [attr("xMin"), attr("yMin"), attr("xMax"), attr("yMax")];
        v.push((text.to_string(), b));
    }
    v
}

/// The project venv (pikepdf with its `pdfa` module).
const PYTHON: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/.venv/bin/python");

/// pikepdf's validator on the written file; its report as JSON.
const VALIDATE: &str = r#"
import json, sys
from pikepdf import pdfa
r = pdfa.validate_written(sys.argv[1], sys.argv[2])
print(json.dumps({"verdict": r.verdict, "summary": r.summary(),
                  "rules": [f.rule for f in r.findings]}))
"#;

pub(super) fn validate(pdf: &Path, flavour: &str) -> serde_json::Value {
    let o = run(PYTHON, &["-c", VALIDATE, pdf.to_str().unwrap(), flavour]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    eprintln!(
        "pikepdf validate_written({flavour}) on {}:\n{}",
        pdf.display(),
        v["summary"].as_str().unwrap_or("")
    );
    v
}

/// Validates as PDF/A-2b (pikepdf offers 1b/2b/3b, not 2u) and asserts that the only finding
/// is the conformance level: the file declares U, the validator expects B.
pub(super) fn assert_pdfa_2u(pdf: &Path) {
    let v = validate(pdf, "2b");
    let rules: Vec<&str> = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r.as_str())
        .collect();
    assert_eq!(rules, ["ISO_19005_2:6.6.4-3"], "{}", v["summary"]);
}
