//! Stage `decode`, text layer: tests on hand-written PDFs (fonts, positioning, forms, bounds).

use std::io::Cursor;

use super::{read_text_layer, read_with_limits, LayerLimits, TextLayer};
use crate::decode::tests::fixtures::{pdf_file, pdf_head, pdf_stream, Lcg};
use crate::decode::DecodeError;
use crate::pdf::{Limits, PdfFile};

const HELVETICA: &str = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>";

/// One page 200 × 100 points, `resources` and `content`; `extra` objects are numbered from 5.
fn pdf(page_extra: &str, resources: &str, content: &[u8], extra: &[Vec<u8>]) -> Vec<u8> {
    let mut objs = pdf_head(1, "");
    objs.push(
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] {page_extra} /Resources {resources} /Contents 4 0 R >>"
        )
        .into_bytes(),
    );
    objs.push(pdf_stream("", content));
    objs.extend(extra.iter().cloned());
    pdf_file(&objs, "")
}

fn read(bytes: Vec<u8>) -> Result<TextLayer, DecodeError> {
    let mut f = PdfFile::open(Cursor::new(bytes), Limits::default()).unwrap();
    read_text_layer(&mut f, 0, "t.pdf")
}

/// Helvetica as /F1 (object 5).
fn helvetica(content: &str) -> TextLayer {
    read(pdf(
        "",
        "<< /Font << /F1 5 0 R >> >>",
        content.as_bytes(),
        &[HELVETICA.as_bytes().to_vec()],
    ))
    .unwrap()
}

fn texts(l: &TextLayer) -> Vec<Vec<&str>> {
    l.lines
        .iter()
        .map(|line| line.iter().map(|w| w.text.as_str()).collect())
        .collect()
}

fn close(a: [f32; 4], b: [f32; 4]) -> bool {
    a.iter().zip(b).all(|(x, y)| (x - y).abs() < 0.01)
}

#[test]
fn identity_h_with_to_unicode_ranges_arrays_and_a_ligature() {
    let cmap = b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n\
        1 begincodespacerange <0000> <FFFF> endcodespacerange\n\
        2 beginbfchar <0001> <0058> <0002> <00660069> endbfchar\n\
        2 beginbfrange <0010> <0012> [<0048> <006503230302> <0075>] <0020> <0020> <0020> endbfrange\n\
        endcmap end end";
    let l = read(pdf(
        "",
        "<< /Font << /F1 5 0 R >> >>",
        b"BT /F1 10 Tf 1 0 0 1 20 50 Tm <0010001100120020000100020001> Tj ET",
        &[
            b"<< /Type /Font /Subtype /Type0 /BaseFont /X /Encoding /Identity-H /DescendantFonts [6 0 R] /ToUnicode 7 0 R >>".to_vec(),
            b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /X /DW 500 /W [1 [600 400] 16 18 250] >>".to_vec(),
            pdf_stream("", cmap),
        ],
    ))
    .unwrap();
    assert_eq!((l.width, l.height), (200.0, 100.0));
    // U+0065 U+0323 U+0302 composes to U+1EC7 (NFC); code 2 is the "fi" ligature.
    assert_eq!(texts(&l), vec![vec!["H\u{1EC7}u", "XfiX"]]);
    assert!(
        close(l.lines[0][0].bbox, [20.0, 42.0, 27.5, 52.0]),
        "{:?}",
        l.lines[0][0]
    );
    assert!(
        close(l.lines[0][1].bbox, [32.5, 42.0, 48.5, 52.0]),
        "{:?}",
        l.lines[0][1]
    );
}

#[test]
fn win_ansi_with_differences_and_widths() {
    let font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman /FirstChar 65 /Widths [500 600 700 800] \
        /Encoding << /Type /Encoding /BaseEncoding /WinAnsiEncoding /Differences [65 /B /uni1EA0 68 /seven] >> >>";
    let l = read(pdf(
        "",
        "<< /Font << /F1 5 0 R >> >>",
        b"BT /F1 10 Tf 10 50 Td (ABCD\\351) Tj ET",
        &[font.to_vec()],
    ))
    .unwrap();
    assert_eq!(texts(&l), vec![vec!["B\u{1EA0}C7\u{E9}"]]);
    // 5 + 6 + 7 + 8 + 5 (no width: 500) points.
    assert!(
        close(l.lines[0][0].bbox, [10.0, 42.0, 41.0, 52.0]),
        "{:?}",
        l.lines[0][0]
    );
}

#[test]
fn standard_encoding_without_to_unicode() {
    let l = helvetica("BT /F1 10 Tf 10 50 Td (it\\047s \\256ne) Tj ET");
    assert_eq!(texts(&l), vec![vec!["it\u{2019}s", "\u{FB01}ne"]]);
}

#[test]
fn tj_gaps_wider_than_a_quarter_em_split_words() {
    let l = helvetica("BT /F1 10 Tf 10 50 Td [(Ho) -100 (so) -300 (so) 50 (1)] TJ ET");
    assert_eq!(texts(&l), vec![vec!["Hoso", "so1"]]);
    // A word spacing (Tw) gap after a space still separates, and a Td jump does too.
    let l = helvetica("BT /F1 10 Tf 5 Tw 10 50 Td (a b) Tj 30 0 Td (c) Tj (d) Tj ET");
    assert_eq!(texts(&l), vec![vec!["a", "b", "cd"]]);
}

#[test]
fn positions_give_line_order_top_to_bottom_left_to_right() {
    let l = helvetica(
        "BT /F1 12 Tf 100 20 Td (right) Tj -80 0 Td (left) Tj ET \
         BT /F1 12 Tf 1 0 0 1 10 80 Tm (top) Tj 2 Ts 60 0 Td (raised) Tj 0 Ts 14 TL T* (middle) Tj ET",
    );
    assert_eq!(
        texts(&l),
        vec![vec!["top", "raised"], vec!["middle"], vec!["left", "right"]]
    );
    let mid = &l.lines[1][0];
    assert!((mid.bbox[3] - (100.0 - 66.0 + 2.4)).abs() < 0.01, "{mid:?}");
}

#[test]
fn cm_scales_boxes() {
    let l = helvetica(
        "q 2 0 0 2 0 0 cm BT /F1 10 Tf 10 10 Td (AB) Tj ET Q BT /F1 10 Tf 10 60 Td (C) Tj ET",
    );
    assert_eq!(texts(&l), vec![vec!["C"], vec!["AB"]]);
    // Helvetica A and B are 667 units wide; ascent 0.8, descent 0.2 of the 20-point size.
    assert!(
        close(l.lines[1][0].bbox, [20.0, 64.0, 46.68, 84.0]),
        "{:?}",
        l.lines[1][0]
    );
}

#[test]
fn form_xobjects_with_their_matrix_and_resources() {
    let form = pdf_stream(
        "/Type /XObject /Subtype /Form /BBox [0 0 200 100] /Matrix [1 0 0 1 50 0] /Resources << /Font << /F9 6 0 R >> >>",
        b"BT /F9 10 Tf 0 50 Td (Form) Tj ET",
    );
    let l = read(pdf(
        "",
        "<< /XObject << /Fm1 5 0 R >> >>",
        b"q /Fm1 Do Q",
        &[form, HELVETICA.as_bytes().to_vec()],
    ))
    .unwrap();
    assert_eq!(texts(&l), vec![vec!["Form"]]);
    assert!((l.lines[0][0].bbox[0] - 50.0).abs() < 0.01);
}

#[test]
fn invisible_text_of_ocr_layers_is_read() {
    let l = helvetica("BT 3 Tr /F1 10 Tf 50 Tz 10 10 Td (hidden) Tj ET");
    assert_eq!(texts(&l), vec![vec!["hidden"]]);
    let b = l.lines[0][0].bbox;
    // Tz 50 halves the advance: h i d d e n = 556+222+556+556+556+556 units.
    assert!(
        (b[2] - b[0] - 0.5 * 3.002 * 10.0 / 1.0).abs() < 0.01,
        "{b:?}"
    );
}

#[test]
fn rotated_page_and_crop_box() {
    let l = read(pdf(
        "/Rotate 90 /CropBox [0 0 200 100]",
        "<< /Font << /F1 5 0 R >> >>",
        b"BT /F1 10 Tf 10 50 Td (up) Tj ET",
        &[HELVETICA.as_bytes().to_vec()],
    ))
    .unwrap();
    assert_eq!((l.width, l.height), (100.0, 200.0));
    assert_eq!(texts(&l), vec![vec!["up"]]);
}

#[test]
fn operator_budget_form_depth_and_text_size_are_bounded() {
    let bytes = pdf(
        "",
        "<< /Font << /F1 5 0 R >> >>",
        &b"q Q ".repeat(200),
        &[HELVETICA.as_bytes().to_vec()],
    );
    let mut f = PdfFile::open(Cursor::new(bytes), Limits::default()).unwrap();
    let small = LayerLimits {
        max_operators: 100,
        ..LayerLimits::default()
    };
    let e = read_with_limits(&mut f, 0, "t.pdf", &small).unwrap_err();
    assert!(matches!(e, DecodeError::TextLayerLimit { .. }), "{e}");
    assert!(e.to_string().starts_with("t.pdf page 1: "), "{e}");
    assert!(
        e.to_string().contains("more than 100 content operators"),
        "{e}"
    );
    assert!(read_text_layer(&mut f, 0, "t.pdf")
        .unwrap()
        .lines
        .is_empty());

    // A form that draws itself.
    let form = pdf_stream(
        "/Type /XObject /Subtype /Form /BBox [0 0 1 1] /Resources << /XObject << /Fm1 5 0 R >> >>",
        b"/Fm1 Do",
    );
    let e = read(pdf(
        "",
        "<< /XObject << /Fm1 5 0 R >> >>",
        b"/Fm1 Do",
        &[form],
    ))
    .unwrap_err();
    assert!(e.to_string().contains("nested deeper than 8"), "{e}");

    let bytes = pdf(
        "",
        "<< /Font << /F1 5 0 R >> >>",
        b"BT /F1 10 Tf (0123456789abc) Tj ET",
        &[HELVETICA.as_bytes().to_vec()],
    );
    let mut f = PdfFile::open(Cursor::new(bytes), Limits::default()).unwrap();
    let tiny = LayerLimits {
        max_text_bytes: 10,
        ..LayerLimits::default()
    };
    let e = read_with_limits(&mut f, 0, "t.pdf", &tiny).unwrap_err();
    assert!(e.to_string().contains("more than 10 bytes of text"), "{e}");
    let e = read_text_layer(&mut f, 3, "t.pdf").unwrap_err();
    assert!(matches!(e, DecodeError::NoSuchPage { .. }), "{e}");
}

#[test]
fn damaged_content_and_fonts_do_not_panic() {
    for content in [
        &b"BT /F1 12 Tf (unclosed"[..],
        b"BT /F1 Tf Tj TJ ' \" Td Tm cm Q Q Q ET",
        b"BT /F2 12 Tf (no such font) Tj /F1 1e999 Tf (x) Tj ET",
        b"BT /F1 12 Tf [(a) /x (b) <zz> 1 2] TJ ET /None Do BI /W 1 ID \xff",
        b"\x00\xff<<>>[[[]]])))",
        b"BT /F1 -12 Tf 0 0 0 0 0 0 Tm (deg) Tj ET",
    ] {
        let _ = helvetica(std::str::from_utf8(content).unwrap_or("BT ET"));
        let _ = read(pdf(
            "",
            "<< /Font << /F1 5 0 R >> >>",
            content,
            &[HELVETICA.as_bytes().to_vec()],
        ));
    }
    // A font whose ToUnicode is not a stream and whose W array is garbage still reads widths.
    let l = read(pdf(
        "",
        "<< /Font << /F1 5 0 R >> >>",
        b"BT /F1 10 Tf (AB) Tj ET",
        &[b"<< /Type /Font /Subtype /Type0 /Encoding /Identity-H /DescendantFonts [6 0 R] /ToUnicode 9 >>".to_vec(),
          b"<< /W [1 (x) 2 /y] >>".to_vec()],
    ))
    .unwrap();
    assert!(l.lines.is_empty());
    // Mutated copies of a valid file: any result but a panic.
    let good = pdf(
        "",
        "<< /Font << /F1 5 0 R >> >>",
        b"BT /F1 10 Tf 10 50 Td [(Ho) -300 (so)] TJ ET",
        &[HELVETICA.as_bytes().to_vec()],
    );
    let mut rng = Lcg(7);
    for _ in 0..300 {
        let mut b = good.clone();
        for _ in 0..4 {
            let i = (rng.next() as usize) % b.len();
            b[i] = rng.next() as u8;
        }
        if let Ok(mut f) = PdfFile::open(Cursor::new(b), Limits::default()) {
            let _ = read_text_layer(&mut f, 0, "t.pdf");
        }
    }
}
