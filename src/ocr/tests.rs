//! Stage `ocr`, end to end with the real Tesseract on the fixtures of `testdata/` (rendered
//! once by `testdata/make.py`): orientation, deskew, text accuracy, word boxes, errors.

use std::path::{Path, PathBuf};
use std::time::Instant;

use image::{GrayImage, Luma};
use unicode_normalization::UnicodeNormalization;

use super::rotate::{quarter_turn, rotate_about_centre_gray};
use super::*;
use crate::decode::DpiSource;

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/ocr/testdata")
        .join(name)
}

fn fixture(name: &str) -> (GrayImage, String) {
    let img = image::open(testdata(&format!("{name}.png")))
        .expect("fixture PNG")
        .to_luma8();
    let text = std::fs::read_to_string(testdata(&format!("{name}.txt"))).expect("fixture text");
    (img, text)
}

/// `word -> [x0, y0, x1, y1]` ink boxes from `NAME.boxes.tsv`.
fn boxes(name: &str) -> Vec<(String, [f32; 4])> {
    let tsv = std::fs::read_to_string(testdata(&format!("{name}.boxes.tsv"))).expect("boxes");
    tsv.lines()
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            let v = |i: usize| c[i].parse::<f32>().expect("number");
            (c[0].nfc().collect(), [v(1), v(2), v(3), v(4)])
        })
        .collect()
}

fn scanned(img: GrayImage, name: &str) -> ScannedPage {
    ScannedPage {
        source: PathBuf::from(format!("{name}.png")),
        page_index: 0,
        raster: Raster::Gray(img),
        dpi: (300.0, 300.0),
        dpi_source: DpiSource::File,
        jpeg: None,
        png: None,
    }
}

/// White border of `px` around the image (room for a skew).
fn pad(img: &GrayImage, px: u32) -> GrayImage {
    let mut out = GrayImage::from_pixel(img.width() + 2 * px, img.height() + 2 * px, Luma([255]));
    image::imageops::replace(&mut out, img, i64::from(px), i64::from(px));
    out
}

fn normalize(s: &str) -> Vec<char> {
    let nfc: String = s.nfc().collect();
    nfc.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .collect()
}

/// Character error rate: Levenshtein distance over the reference length.
fn cer(reference: &str, hypothesis: &str) -> f64 {
    let (r, h) = (normalize(reference), normalize(hypothesis));
    let mut prev: Vec<usize> = (0..=h.len()).collect();
    for (i, rc) in r.iter().enumerate() {
        let mut cur = vec![i + 1; h.len() + 1];
        for (j, hc) in h.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(rc != hc))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[h.len()] as f64 / r.len().max(1) as f64
}

fn engine() -> Engine {
    Engine::new(&OcrConfig::default()).expect("Tesseract with vie")
}

/// Recognises, reports time and CER, checks CER ≤ 2 %.
fn run(engine: &mut Engine, page: ScannedPage, expected: &str, label: &str) -> RecognizedPage {
    let t = Instant::now();
    let r = engine.recognize(page).expect("recognition");
    let e = cer(expected, &r.text);
    eprintln!(
        "{label}: rotation {} skew {:.2} CER {:.4} conf {:.1} {:.2} s",
        r.rotation,
        r.skew_degrees,
        e,
        r.mean_confidence,
        t.elapsed().as_secs_f64()
    );
    assert!(e <= 0.02, "{label}: CER {e:.4}\n{}", r.text);
    r
}

/// The box Tesseract gives `word` is within `tol` px of its ink box (shifted by `offset`).
fn check_box(r: &RecognizedPage, word: &str, truth: [f32; 4], offset: f32, tol: f32) {
    let w = r.words.iter().find(|w| w.text == word);
    let w = w.unwrap_or_else(|| panic!("no word {word:?} in {:?}", r.text));
    for (got, want) in w.bbox.iter().zip(truth) {
        assert!(
            (got - (want + offset)).abs() <= tol,
            "{word}: {:?} vs {truth:?} + {offset}",
            w.bbox
        );
    }
}

#[test]
fn upright_pages_read_accurately_with_boxes() {
    let mut engine = engine();
    for name in ["don_de_nghi", "to_khai"] {
        let (img, text) = fixture(name);
        let (w, h) = img.dimensions();
        let r = run(
            &mut engine,
            scanned(img, name),
            &text,
            &format!("{name} upright"),
        );
        assert_eq!(
            (r.rotation, r.skew_degrees, r.width, r.height),
            (0, 0.0, w, h)
        );
        assert!(r.mean_confidence > 80.0);
        for (word, truth) in boxes(name) {
            check_box(&r, &word, truth, 0.0, 4.0);
        }
        // reading order: the first line comes first
        let first = text.lines().next().unwrap_or_default();
        assert!(r.text.starts_with(first), "{}", r.text);
    }
}

#[test]
fn quarter_turned_scans_come_back_upright() {
    let mut engine = engine();
    let name = "don_de_nghi";
    let (img, text) = fixture(name);
    let truth = boxes(name);
    for turn in [90u16, 180, 270] {
        // the scan is the page turned clockwise by `turn`; undoing it is the rest of the circle
        let scan = quarter_turn(&img, turn);
        let r = run(
            &mut engine,
            scanned(scan, name),
            &text,
            &format!("{name} turned {turn}"),
        );
        assert_eq!(r.rotation, (360 - turn) % 360);
        assert_eq!((r.width, r.height), img.dimensions());
        // exact turns: the upright page is the original, boxes included
        for (word, b) in &truth {
            check_box(&r, word, *b, 0.0, 4.0);
        }
        match upright_raster(&r) {
            Raster::Gray(g) => assert_eq!(g, img),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn skewed_scan_is_deskewed() {
    let mut engine = engine();
    let name = "don_de_nghi";
    let (img, text) = fixture(name);
    let border = 120;
    let page = pad(&img, border);
    // the scan is the page turned 3° clockwise
    let scan = rotate_about_centre_gray(&page, -3.0);
    let r = run(
        &mut engine,
        scanned(scan, name),
        &text,
        &format!("{name} skewed 3°"),
    );
    assert_eq!(r.rotation, 0);
    assert!(
        (r.skew_degrees - 3.0).abs() <= 0.5,
        "skew {}",
        r.skew_degrees
    );
    // a residual skew of ≤ 0.5° moves points ≤ 7 px at 800 px from the centre
    for (word, b) in boxes(name) {
        check_box(&r, &word, b, border as f32, 10.0);
    }
}

#[test]
fn colour_scan_upside_down() {
    let mut engine = engine();
    let name = "to_khai";
    let (img, text) = fixture(name);
    let rgb = image::DynamicImage::ImageLuma8(quarter_turn(&img, 180)).to_rgb8();
    let mut page = scanned(GrayImage::new(1, 1), name);
    page.raster = Raster::Rgb(rgb);
    let r = run(&mut engine, page, &text, &format!("{name} rgb turned 180"));
    assert_eq!(r.rotation, 180);
    assert!(matches!(upright_raster(&r), Raster::Rgb(c) if c.dimensions() == img.dimensions()));
}

#[test]
fn blank_page_has_no_words() {
    let mut engine = engine();
    let r = engine
        .recognize(scanned(
            GrayImage::from_pixel(1748, 2480, Luma([255])),
            "blank",
        ))
        .expect("blank page is not an error");
    assert!(r.words.is_empty(), "{:?}", r.words);
    assert_eq!(
        (r.text.as_str(), r.mean_confidence, r.rotation),
        ("", 0.0, 0)
    );
    let empty = engine
        .recognize(scanned(GrayImage::new(0, 0), "empty"))
        .expect("empty");
    assert!(empty.words.is_empty());
}

#[test]
fn language_errors_are_clean() {
    let cfg = |lang: &str| OcrConfig {
        lang: lang.into(),
        ..OcrConfig::default()
    };
    let err = Engine::new(&cfg("vie+xyz")).expect_err("xyz is not installed");
    let msg = err.to_string();
    assert!(
        matches!(err, OcrError::LanguageMissing { ref lang, .. } if lang == "xyz"),
        "{msg}"
    );
    assert!(
        msg.contains("'xyz'") && msg.contains("install tesseract-ocr-xyz"),
        "{msg}"
    );
    let err = Engine::new(&cfg("vie;rm")).expect_err("not a code");
    assert!(matches!(err, OcrError::InvalidLanguage(_)), "{err}");
    let missing = OcrConfig {
        tessdata: Some("/nonexistent/tessdata".into()),
        ..cfg("vie")
    };
    let err = Engine::new(&missing).expect_err("no such folder");
    assert!(err.to_string().contains("/nonexistent/tessdata"), "{err}");
}

#[test]
fn page_errors_name_the_page() {
    let mut engine = engine();
    let mut page = scanned(GrayImage::new(1, 1), "scan");
    page.raster = Raster::Gray(GrayImage::new(40_000, 2));
    page.page_index = 2;
    let err = engine.recognize(page).expect_err("too wide");
    assert!(err.to_string().starts_with("scan.png page 3: "), "{err}");
}

#[test]
fn cer_counts_edits() {
    assert_eq!(cer("abc  d", "abc d"), 0.0);
    assert!((cer("Hường", "Huong") - 0.4).abs() < 1e-9);
    // NFC on both sides: decomposed input is not an error
    assert_eq!(cer("Hường", "Hu\u{31b}o\u{31b}\u{300}ng"), 0.0);
}

/// Timing on an A4 page (2480 x 3508 px at 300 dpi): `cargo test --release --lib
/// ocr::tests::timing -- --ignored --nocapture`, with `OMP_THREAD_LIMIT=1`.
#[test]
#[ignore]
fn timing_a4() {
    let (img, text) = fixture("don_de_nghi");
    let mut a4 = GrayImage::from_pixel(2480, 3508, Luma([255]));
    image::imageops::replace(&mut a4, &img, 300, 300);
    let t = Instant::now();
    let layout = super::deskew::analyse(&a4, 10.0);
    eprintln!("analyse: {:.3} s {layout:?}", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let turned = rotate_about_centre_gray(&a4, -3.0);
    eprintln!("bilinear rotation: {:.3} s", t.elapsed().as_secs_f64());
    let mut engine = engine();
    let mut no_orientation = Engine::new(&OcrConfig {
        detect_orientation: false,
        ..OcrConfig::default()
    })
    .expect("engine");
    for _ in 0..2 {
        run(
            &mut no_orientation,
            scanned(a4.clone(), "a4"),
            &text,
            "A4 upright, no orientation",
        );
        run(&mut engine, scanned(a4.clone(), "a4"), &text, "A4 upright");
        run(
            &mut engine,
            scanned(quarter_turn(&a4, 90), "a4"),
            &text,
            "A4 turned 90",
        );
        run(
            &mut engine,
            scanned(quarter_turn(&a4, 180), "a4"),
            &text,
            "A4 turned 180",
        );
        run(
            &mut engine,
            scanned(turned.clone(), "a4"),
            &text,
            "A4 skewed 3",
        );
    }
}

/// A form page (samples/scans, 200 dpi, turned 90°) read with full auto layout put its list
/// numbers in a column of their own after the text, or dropped their digits.
#[test]
fn list_numbers_stay_at_their_line_starts() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/scans/to-khai-to-roi.jpg");
    let img = image::open(&path).expect("sample scan").to_luma8();
    let mut page = scanned(img, "to-khai-to-roi");
    page.dpi = (200.0, 200.0);
    let r = engine().recognize(page).expect("recognized");
    let lines: Vec<&str> = r.text.lines().collect();
    for (n, start) in [
        (4, "Số định danh"),
        (5, "Số điện thoại"),
        (7, "Mối quan hệ"),
    ] {
        let want = format!("{n}. {start}");
        assert!(
            lines.iter().any(|l| l.starts_with(&want)),
            "no line starts with {want:?}:\n{}",
            r.text
        );
    }
}

#[test]
fn pooled_engines_are_reused_between_runs_and_at_most_max_idle_are_kept() {
    let pool = super::EnginePool::new(OcrConfig::default(), 1);
    let a = super::engine_for(Some(&pool), &OcrConfig::default()).unwrap();
    let b = super::engine_for(Some(&pool), &OcrConfig::default()).unwrap();
    assert_eq!(pool.idle(), 0);
    // two batches being read: no core left over for strips
    assert_eq!(pool.lent(), 2);
    drop(a);
    assert_eq!(pool.lent(), 1);
    drop(b);
    assert_eq!(pool.lent(), 0);
    // one kept, the other shut down
    assert_eq!(pool.idle(), 1);
    let mut c = super::engine_for(Some(&pool), &OcrConfig::default()).unwrap();
    assert_eq!(pool.idle(), 0);
    // the reused engine still reads a page
    let (img, text) = fixture("don_de_nghi");
    run(&mut c, scanned(img, "pooled"), &text, "pooled engine");
    drop(c);
    assert_eq!(pool.idle(), 1);
    // without a pool: a fresh engine, not kept anywhere
    drop(super::engine_for(None, &OcrConfig::default()).unwrap());
    assert_eq!(pool.idle(), 1);
}

/// The strips fixture, its text, and its reading as one whole page by one engine.
fn whole_page_reading() -> (GrayImage, String, RecognizedPage) {
    let (img, text) = fixture("don_de_nghi");
    let one = run(
        &mut engine(),
        scanned(img.clone(), "whole"),
        &text,
        "whole page",
    );
    (img, text, one)
}

#[test]
fn the_way_up_is_told_from_the_ink_above_and_below_the_lines() {
    use super::orientation::{way_up, WayUp};
    for name in ["don_de_nghi", "to_khai"] {
        let (img, _) = fixture(name);
        assert_eq!(way_up(&img, 300.0), WayUp::Upright, "{name}");
        let turned = quarter_turn(&img, 180);
        assert_eq!(way_up(&turned, 300.0), WayUp::UpsideDown, "{name}");
        // without a resolution the height of a line is unknown
        assert_eq!(way_up(&img, f32::NAN), WayUp::Unclear, "{name}");
        // a few lines are not enough to tell
        let top = image::imageops::crop_imm(&img, 0, 0, img.width(), 150).to_image();
        assert_eq!(way_up(&top, 300.0), WayUp::Unclear, "{name} top");
    }
    let blank = GrayImage::from_pixel(800, 1000, Luma([255]));
    assert_eq!(way_up(&blank, 300.0), WayUp::Unclear);
    assert_eq!(way_up(&GrayImage::new(0, 0), 300.0), WayUp::Unclear);
}

#[test]
fn clear_text_lines_need_no_orientation_probe() {
    let mut engine = engine();
    let name = "to_khai";
    let (img, text) = fixture(name);
    for turn in [0u16, 90, 180, 270] {
        let before = engine.recognitions();
        let r = run(
            &mut engine,
            scanned(quarter_turn(&img, turn), name),
            &text,
            &format!("{name} turned {turn}"),
        );
        assert_eq!(r.rotation, (360 - turn) % 360);
        // the page itself, read once: no probe of a window, no second orientation
        assert_eq!(engine.recognitions() - before, 1, "{name} turned {turn}");
    }
}

#[test]
fn the_last_page_of_a_call_is_read_in_strips_by_every_engine_of_the_call_as_the_whole_page() {
    let (img, text, one) = whole_page_reading();
    // a call of one page on two engines: the second has no page of its own and helps
    let board = Board::new(2, 1);
    let (mut first, mut second) = (engine(), engine());
    first.share(Some(board.clone()));
    second.share(Some(board.clone()));
    let shared = std::thread::scope(|scope| {
        let helper = scope.spawn(|| second.help());
        let r = run(
            &mut first,
            scanned(img.clone(), "board"),
            &text,
            "on the board",
        );
        first.help();
        helper.join().unwrap();
        r
    });
    // the same words, within a few characters
    assert!(
        (cer(&text, &shared.text) - cer(&text, &one.text)).abs() <= 0.005,
        "whole:\n{}\non the board:\n{}",
        one.text,
        shared.text
    );
    assert!(shared.words.len().abs_diff(one.words.len()) <= 3);
    // cut through blank rows into a strip per engine, read by both engines
    let cuts = strips::cuts(&img, board.parts_for_page(), 300.0);
    assert_eq!(
        cuts.len(),
        2,
        "the fixture has blank rows to cut through: {cuts:?}"
    );
    assert!(first.recognitions() >= 1 && second.recognitions() >= 1);
    assert_eq!(
        first.recognitions() + second.recognitions(),
        cuts.len() as u64
    );
    // each strip's words are in page coordinates, below its cut, in reading order
    for &(top, _) in &cuts[1..] {
        let cut = top as f32;
        let first_below = shared
            .words
            .iter()
            .position(|w| w.bbox[1] >= cut)
            .unwrap_or_else(|| panic!("no word below the cut at {cut}"));
        assert!(shared.words[first_below..].iter().all(|w| w.bbox[1] >= cut));
    }
    // each word's box is where the whole page's reading put the same word
    for w in &shared.words {
        if let Some(same) = one
            .words
            .iter()
            .find(|o| o.text == w.text && o.text.len() > 5)
        {
            assert!((same.bbox[1] - w.bbox[1]).abs() <= 3.0, "{w:?} vs {same:?}");
        }
    }
}
