//! Refusals: each names what is wrong and, for a page, its source and number; a refused
//! page leaves the writer usable.

use super::super::{AssembleError, AssembleOptions};
use super::*;

fn msg<T>(r: Result<T, AssembleError>) -> String {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_pages_are_refused_by_name() {
    let mut w = PdfAWriter::new(Vec::new(), info()).unwrap();
    let good = recognized(
        scanned(gray_raster(200, 100), 100.0, None),
        vietnamese_words(),
    );

    let mut p = good.clone();
    p.scanned.page_index = 2;
    p.rotation = 90; // but width/height not swapped
    let m = msg(w.add_page(&p));
    assert!(
        m.starts_with("scans/ho_so.jpg page 3: upright size 200x100"),
        "{m}"
    );

    let mut p = good.clone();
    p.rotation = 45;
    assert!(msg(w.add_page(&p)).contains("rotation 45"));

    let mut p = good.clone();
    p.scanned.dpi = (0.0, 100.0);
    assert!(msg(w.add_page(&p)).contains("resolution"));

    let mut p = good.clone();
    p.scanned.dpi = (0.5, 0.5); // 200 px at 0.5 dpi: 28,800 pt

    assert!(msg(w.add_page(&p)).contains("3 to 14400 pt"));

    let mut p = good.clone();
    p.words[0].bbox[0] = f32::NAN;
    assert!(msg(w.add_page(&p)).contains("non-finite"));

    // Still usable after the refusals.
    w.add_page(&good).unwrap();
    assert!(w.finish().is_ok());
}

#[test]
fn document_errors() {
    let w = PdfAWriter::new(Vec::new(), info()).unwrap();
    assert!(matches!(w.finish(), Err(AssembleError::NoPages)));

    let mut i = info();
    i.source_sha256.push("abc".into());
    assert!(msg(PdfAWriter::new(Vec::new(), i)).contains("not 64 hex digits"));

    let mut i = info();
    i.utc_offset_minutes = 24 * 60;
    assert!(msg(PdfAWriter::new(Vec::new(), i)).contains("UTC offset"));

    let opts = AssembleOptions {
        glyphless_font: "/nonexistent/pdf.ttf".into(),
    };
    let m = msg(PdfAWriter::with_options(Vec::new(), info(), &opts));
    assert!(
        m.contains("/nonexistent/pdf.ttf") && m.contains("install tesseract-ocr"),
        "{m}"
    );
}

#[test]
fn odd_text_is_kept_or_dropped_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let words = vec![
        // Decomposed input comes out NFC; controls are dropped; a non-BMP character survives.
        word("Nguye\u{302}\u{303}n", [20.0, 20.0, 110.0, 42.0], 1),
        word("a\u{0}b", [120.0, 20.0, 150.0, 42.0], 1),
        word("𠀀😀", [160.0, 20.0, 200.0, 42.0], 1),
        word("\u{1}", [210.0, 20.0, 230.0, 42.0], 1),
        // Touching boxes on the next line still extract with a space between.
        word("sử", [20.0, 60.0, 50.0, 80.0], 2),
        word("dụng", [50.0, 60.0, 110.0, 82.0], 2),
    ];
    let p = recognized(scanned(gray_raster(240, 100), 100.0, None), words);
    let mut w = PdfAWriter::new(Vec::new(), info()).unwrap();
    assert_eq!(w.add_page(&p).unwrap().words, 5);
    let path = dir.path().join("odd.pdf");
    std::fs::write(&path, w.finish().unwrap()).unwrap();
    assert_eq!(text_lines(&path, 1), ["Nguyễn ab 𠀀😀", "sử dụng"]);
}
