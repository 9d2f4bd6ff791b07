//! Copying pages that already carry text: a two-page source (non-embedded Helvetica shared by
//! both pages, MediaBox only on the page tree, a link annotation) copied next to a recognized
//! page and checked with qpdf, pdftotext and pdfinfo; cycles, missing objects and the caps.

use std::io::{Cursor, Write};

use flate2::{write::ZlibEncoder, Compression};

use super::super::copy_plan::Caps;
use super::*;
use crate::pdf::{Limits, PdfFile};

/// A classic-xref PDF of objects `1..=n` (`None`: free), catalog 1.
fn pdf(objects: &[Option<Vec<u8>>]) -> Vec<u8> {
    let mut buf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut xref = format!("xref\n0 {}\n0000000000 65535 f\r\n", objects.len() + 1);
    for (i, o) in objects.iter().enumerate() {
        match o {
            Some(body) => {
                xref.push_str(&format!("{:010} 00000 n\r\n", buf.len()));
                buf.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
                buf.extend_from_slice(body);
                buf.extend_from_slice(b"\nendobj\n");
            }
            None => xref.push_str("0000000000 00001 f\r\n"),
        }
    }
    let at = buf.len();
    buf.extend_from_slice(xref.as_bytes());
    let size = objects.len() + 1;
    let t = format!("trailer\n<< /Size {size} /Root 1 0 R >>\nstartxref\n{at}\n%%EOF\n");
    buf.extend_from_slice(t.as_bytes());
    buf
}

fn obj(s: &str) -> Option<Vec<u8>> {
    Some(s.as_bytes().to_vec())
}

fn stream(dict: &str, data: &[u8]) -> Option<Vec<u8>> {
    let mut v = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
    v.extend_from_slice(data);
    v.extend_from_slice(b"\nendstream");
    Some(v)
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Page 1: Flate content, inherited /Resources, a link; page 2: own resources. Both use
/// Helvetica (object 8) and inherit the 300x200 MediaBox and /Rotate 0 from the tree.
fn two_page_source() -> Vec<u8> {
    let one = b"BT /F1 12 Tf 20 100 Td (Copied page one) Tj ET";
    pdf(&[
        obj("<< /Type /Catalog /Pages 2 0 R >>"),
        obj("<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 /MediaBox [0 0 300 200] /Rotate 0 /Resources 5 0 R >>"),
        obj("<< /Type /Page /Parent 2 0 R /Contents 6 0 R /Annots [9 0 R] /StructParents 0 >>"),
        obj("<< /Type /Page /Parent 2 0 R /Contents 7 0 R /Resources << /Font << /F1 8 0 R >> >> >>"),
        obj("<< /Font << /F1 8 0 R >> >>"),
        stream("/Filter /FlateDecode", &zlib(one)),
        stream("", b"BT /F1 12 Tf 20 100 Td (Second source page) Tj ET"),
        obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"),
        obj("<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /P 3 0 R /A << /S /URI /URI (http://example.com) >> >>"),
    ])
}

fn open(bytes: Vec<u8>) -> PdfFile<Cursor<Vec<u8>>> {
    PdfFile::open(Cursor::new(bytes), Limits::default()).unwrap()
}

fn check_qpdf(path: &Path) {
    let o = run("qpdf", &["--check", path.to_str().unwrap()]);
    assert!(
        o.status.success(),
        "qpdf --check: {}{}",
        stdout(&o),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn copied_pages_keep_their_text_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut src = open(two_page_source());
    let mut w = PdfAWriter::new(Vec::new(), info()).unwrap();
    let s2 = w.copy_page(&mut src, "doc.pdf", 1).unwrap();
    let s1 = w.copy_page(&mut src, "doc.pdf", 0).unwrap();
    let scan = recognized(
        scanned(gray_raster(320, 200), 100.0, None),
        vietnamese_words(),
    );
    w.add_page(&scan).unwrap();
    // Page 2 of the source: page, content, font; page 1: page, content, resources (the
    // font is shared, written once).
    assert_eq!((s2.objects, s1.objects), (3, 3));
    assert!(s1.bytes > 0 && s2.bytes > 0);
    assert_eq!(s2.pdfa_warnings, ["font Helvetica is not embedded"]);
    assert_eq!(
        s1.pdfa_warnings,
        [
            "1 annotation(s) (links, comments, form fields, stamps) not copied",
            "font Helvetica is not embedded"
        ]
    );
    let bytes = w.finish().unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert_eq!(text.matches("/BaseFont /Helvetica").count(), 1);
    assert!(!text.contains("/Annots") && !text.contains("/StructParents"));
    let path = dir.path().join("mixed.pdf");
    std::fs::write(&path, &bytes).unwrap();
    check_qpdf(&path);

    assert_eq!(text_lines(&path, 1), ["Second source page"]);
    assert_eq!(text_lines(&path, 2), ["Copied page one"]);
    assert_eq!(
        text_lines(&path, 3),
        ["Nguyễn Thị Hường", "quyền sử dụng đất"]
    );
    // The whole text: each copied line once (no second text layer), in page order.
    let p = path.to_str().unwrap();
    let all = stdout(&run("pdftotext", &["-enc", "UTF-8", p, "-"]));
    assert_eq!(all.matches("Second source page").count(), 1, "{all}");
    assert_eq!(all.matches("Copied page one").count(), 1, "{all}");
    let (a, b) = (
        all.find("Second source").unwrap(),
        all.find("Copied page").unwrap(),
    );
    assert!(a < b && b < all.find("Nguyễn").unwrap(), "{all}");

    let inf = stdout(&run("pdfinfo", &[p]));
    assert!(inf.contains("Pages:           3"), "{inf}");
    let inf = stdout(&run("pdfinfo", &["-f", "1", "-l", "3", p]));
    assert!(inf.contains("Page    1 size:  300 x 200 pts"), "{inf}");
    assert!(inf.contains("Page    2 size:  300 x 200 pts"), "{inf}");
    assert!(inf.contains("Page    3 size:  230.4 x 144 pts"), "{inf}");
    // The validator agrees that the copied font breaks PDF/A.
    let v = validate(&path, "2b");
    let rules = v["rules"].to_string();
    assert!(rules.contains("ISO_19005_2:6.2.11.4.1-1"), "{rules}");
}

#[test]
fn cycles_missing_objects_and_inherited_rotation() {
    // 5 refers to itself and to 6, which refers back to 5; 9 does not exist; 10 is the other
    // page, reached through the resources (written as null, not followed to the tree).
    let src = pdf(&[
        obj("<< /Type /Catalog /Pages 2 0 R >>"),
        obj("<< /Type /Pages /Kids [3 0 R 10 0 R] /Count 2 /Rotate 90 /CropBox [0 0 100 50] >>"),
        obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R /Resources << /Properties << /P0 5 0 R /P1 9 0 R /P2 10 0 R >> >> >>"),
        stream("", b"0 0 m 10 10 l S"),
        obj("<< /Self 5 0 R /Next 6 0 R /JS (app.alert(1)) /S /JavaScript >>"),
        obj("[5 0 R 6 0 R]"),
        obj("null"),
        None,
        None,
        obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>"),
    ]);
    let mut src = open(src);
    let mut w = PdfAWriter::new(Vec::new(), info()).unwrap();
    let s = w.copy_page(&mut src, "loop.pdf", 0).unwrap();
    // page, content, 5, 6, missing 9, other page 10.
    assert_eq!(s.objects, 6);
    assert_eq!(s.pdfa_warnings, ["JavaScript action"]);
    let bytes = w.finish().unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert_eq!(text.matches("/Type /Page ").count(), 1, "{text}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("loop.pdf");
    std::fs::write(&path, &bytes).unwrap();
    check_qpdf(&path);
    let inf = stdout(&run(
        "pdfinfo",
        &["-f", "1", "-l", "1", "-box", path.to_str().unwrap()],
    ));
    assert!(inf.contains("Pages:           1"), "{inf}");
    assert!(inf.contains("Page    1 rot:   90"), "{inf}");
    assert!(
        inf.contains("Page    1 CropBox:       0.00     0.00   100.00    50.00"),
        "{inf}"
    );
}

#[test]
fn refusals_name_the_page_and_leave_the_writer_usable() {
    let mut src = open(two_page_source());
    let mut w = PdfAWriter::new(Vec::new(), info()).unwrap();
    let e = w.copy_page(&mut src, "doc.pdf", 2).unwrap_err().to_string();
    assert_eq!(e, "doc.pdf page 3: the PDF has only 2 page(s)");
    let few = Caps {
        objects: 2,
        bytes: 1 << 20,
    };
    let e = w.copy_page_capped(&mut src, "doc.pdf", 1, few).unwrap_err();
    assert_eq!(
        e.to_string(),
        "doc.pdf page 2: the page references more than 2 objects; not copied"
    );
    let small = Caps {
        objects: 100,
        bytes: 10,
    };
    let e = w
        .copy_page_capped(&mut src, "doc.pdf", 0, small)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "doc.pdf page 1: the page's streams exceed 10 bytes; not copied"
    );
    // Nothing was written by the refused copies: the document is still valid.
    let s = w.copy_page(&mut src, "doc.pdf", 0).unwrap();
    assert_eq!(s.objects, 4);
    let bytes = w.finish().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("after.pdf");
    std::fs::write(&path, &bytes).unwrap();
    check_qpdf(&path);
    assert_eq!(text_lines(&path, 1), ["Copied page one"]);
}

#[test]
fn a_clean_copy_stays_pdfa_and_common_violations_are_reported() {
    let clean = pdf(&[
        obj("<< /Type /Catalog /Pages 2 0 R >>"),
        obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
        obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R >>"),
        stream("", b"0 0 1 rg 10 10 50 50 re f"),
    ]);
    let mut w = PdfAWriter::new(Vec::new(), info()).unwrap();
    let s = w.copy_page(&mut open(clean), "clean.pdf", 0).unwrap();
    assert!(s.pdfa_warnings.is_empty(), "{:?}", s.pdfa_warnings);
    let scan = recognized(
        scanned(gray_raster(200, 100), 100.0, None),
        vietnamese_words(),
    );
    w.add_page(&scan).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clean.pdf");
    std::fs::write(&path, w.finish().unwrap()).unwrap();
    check_qpdf(&path);
    assert_pdfa_2u(&path);

    let bad = pdf(&[
        obj("<< /Type /Catalog /Pages 2 0 R >>"),
        obj("<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 200 100] >>"),
        obj("<< /Type /Page /Parent 2 0 R /Contents 4 0 R /AA << /O 8 0 R >> /Resources << /XObject << /Im0 5 0 R >> /Font << /F0 6 0 R >> /Properties << /L 7 0 R >> >> >>"),
        stream("", b"/Im0 Do"),
        stream("/Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceCMYK /BitsPerComponent 8 /Interpolate true /Filter [/LZWDecode]", b"\x80\x0b\x60\x50\x22\x0c\x0c\x85\x01"),
        obj("<< /Type /Font /Subtype /Type0 /BaseFont /ABCDEF+Arial /Encoding /Identity-H /DescendantFonts [] >>"),
        obj("<< /Type /OCG /Name (Layer) >>"),
        obj("<< /S /Launch /F (calc.exe) >>"),
    ]);
    let mut w = PdfAWriter::new(Vec::new(), info()).unwrap();
    let s = w.copy_page(&mut open(bad), "bad.pdf", 0).unwrap();
    // The page's /AA is dropped (not copied, so not reported); what it referenced is unused.
    assert_eq!(
        s.pdfa_warnings,
        [
            "LZW-compressed stream",
            "image interpolation (/Interpolate true)",
            "DeviceCMYK colour (the output intent is sRGB)",
            "font ABCDEF+Arial has no ToUnicode map",
            "optional content (layers) without the document's /OCProperties",
        ]
    );
    assert_eq!(s.objects, 5);
}

#[test]
fn object_streams_and_a_second_file_of_the_same_name() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.pdf");
    let packed = dir.path().join("packed.pdf");
    std::fs::write(&plain, two_page_source()).unwrap();
    let args = ["--object-streams=generate", plain.to_str().unwrap()];
    let o = run("qpdf", &[&args[..], &[packed.to_str().unwrap()]].concat());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut src = open(std::fs::read(&packed).unwrap());
    assert!(src
        .entries()
        .values()
        .any(|e| matches!(e, crate::pdf::XrefEntry::Compressed { .. })));
    let mut w = PdfAWriter::new(Vec::new(), info()).unwrap();
    w.copy_page(&mut src, "doc.pdf", 0).unwrap();
    // Another file under the same name: nothing of the first is reused.
    let other = pdf(&[
        obj("<< /Type /Catalog /Pages 2 0 R >>"),
        obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
        obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>"),
        stream("", b"BT /F1 10 Tf 10 50 Td (Other file) Tj ET"),
        obj("<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>"),
    ]);
    let s = w.copy_page(&mut open(other), "doc.pdf", 0).unwrap();
    assert_eq!(s.objects, 3);
    assert_eq!(s.pdfa_warnings, ["font Courier is not embedded"]);
    w.copy_page(&mut src, "doc.pdf", 1).unwrap();
    let path = dir.path().join("out.pdf");
    std::fs::write(&path, w.finish().unwrap()).unwrap();
    check_qpdf(&path);
    assert_eq!(text_lines(&path, 1), ["Copied page one"]);
    assert_eq!(text_lines(&path, 2), ["Other file"]);
    assert_eq!(text_lines(&path, 3), ["Second source page"]);
}
