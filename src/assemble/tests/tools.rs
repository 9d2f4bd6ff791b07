//! A two-page document (gray raster page, pass-through JPEG page) checked with qpdf,
//! pdftotext, pdfimages, pdffonts, pdfinfo and pikepdf's PDF/A validator.

use super::*;

fn two_pages() -> (Vec<RecognizedPage>, Vec<u8>) {
    let gray = recognized(
        scanned(gray_raster(320, 200), 100.0, None),
        vietnamese_words(),
    );
    let (mut jpeg_scan, jpeg) = jpeg_scan(300, 160, 100.0);
    jpeg_scan.page_index = 1;
    let jpeg_page = recognized(
        jpeg_scan,
        vec![
            word("Ủy", [30.0, 30.0, 60.0, 52.0], 1),
            word("ban", [70.0, 32.0, 115.0, 50.0], 1),
            word("nhân", [124.0, 30.0, 190.0, 52.0], 1),
            word("dân", [198.0, 30.0, 250.0, 50.0], 1),
        ],
    );
    (vec![gray, jpeg_page], jpeg)
}

#[test]
fn real_tools_accept_the_document() {
    let dir = tempfile::tempdir().unwrap();
    let (pages, jpeg) = two_pages();
    let mut w = PdfAWriter::new(Vec::new(), info()).unwrap();
    let s1 = w.add_page(&pages[0]).unwrap();
    let s2 = w.add_page(&pages[1]).unwrap();
    assert!(!s1.passthrough_jpeg && s2.passthrough_jpeg);
    assert_eq!((s1.words, s2.words), (7, 4));
    assert_eq!(s2.image_bytes, jpeg.len() as u64);
    let pdf = dir.path().join("doc.pdf");
    let bytes = w.finish().unwrap();
    assert!(bytes.starts_with(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n"));
    std::fs::write(&pdf, &bytes).unwrap();
    let p = pdf.to_str().unwrap();

    // qpdf: exit 0 means no errors and no warnings.
    let o = run("qpdf", &["--check", p]);
    let out = stdout(&o);
    assert!(
        o.status.success(),
        "qpdf --check: {out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        out.contains("No syntax or stream encoding errors found"),
        "{out}"
    );

    // The text layer, line by line, NFC, one space between words.
    assert_eq!(
        text_lines(&pdf, 1),
        ["Nguyễn Thị Hường", "quyền sử dụng đất"]
    );
    assert_eq!(text_lines(&pdf, 2), ["Ủy ban nhân dân"]);

    // One image per page; the JPEG comes back byte for byte.
    let o = run("pdfimages", &["-list", p]);
    let list = stdout(&o);
    let rows: Vec<Vec<&str>> = list
        .lines()
        .skip(2)
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows.len(), 2, "{list}");
    assert_eq!(
        &rows[0][..6],
        ["1", "0", "image", "320", "200", "gray"],
        "{list}"
    );
    assert_eq!(
        &rows[1][..6],
        ["2", "1", "image", "300", "160", "rgb"],
        "{list}"
    );
    assert_eq!(rows[1][8], "jpeg", "{list}");
    let prefix = dir.path().join("img");
    let o = run(
        "pdfimages",
        &["-j", "-f", "2", "-l", "2", p, prefix.to_str().unwrap()],
    );
    assert!(o.status.success());
    let extracted = std::fs::read(dir.path().join("img-000.jpg")).unwrap();
    assert!(extracted == jpeg, "extracted JPEG differs from the input");

    // The font: embedded, not a subset, with ToUnicode.
    let fonts = stdout(&run("pdffonts", &[p]));
    let row = fonts
        .lines()
        .find(|l| l.starts_with("GlyphLessFont"))
        .unwrap_or_else(|| panic!("{fonts}"));
    assert!(row.contains("CID TrueType"), "{fonts}");
    let flags: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        &flags[flags.len() - 5..flags.len() - 2],
        ["yes", "no", "yes"],
        "{fonts}"
    );

    // Info and page sizes: 320x200 px at 100 dpi = 230.4x144 pt.
    let inf = stdout(&run("pdfinfo", &["-isodates", p]));
    assert!(
        inf.contains("Title:           Hồ sơ cấp giấy chứng nhận quyền sử dụng đất"),
        "{inf}"
    );
    assert!(inf.contains("Producer:        sohoa 0.1"), "{inf}");
    assert!(
        inf.contains("CreationDate:    2024-03-01T06:30:00+07"),
        "{inf}"
    );
    assert!(inf.contains("Page size:       230.4 x 144 pts"), "{inf}");
    assert!(inf.contains("PDF version:     1.7"), "{inf}");
    assert!(inf.contains("Pages:           2"), "{inf}");

    // PDF/A: pikepdf validates parts 1b/2b/3b only. Our file declares 2u, which it reports
    // as the one conformance-level finding; with the level byte set to B (same length, so
    // offsets hold) the same bytes must pass 2b.
    assert_pdfa_2u(&pdf);
    let needle = b"<pdfaid:conformance>U<";
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap();
    let mut as_b = bytes.clone();
    as_b[at + needle.len() - 2] = b'B';
    let pdf_b = dir.path().join("doc-as-2b.pdf");
    std::fs::write(&pdf_b, &as_b).unwrap();
    let v = validate(&pdf_b, "2b");
    assert_eq!(v["verdict"], "pass", "{}", v["summary"]);
}

#[test]
fn xmp_carries_the_metadata() {
    let (pages, _) = two_pages();
    let mut w = PdfAWriter::new(Vec::new(), info()).unwrap();
    w.add_page(&pages[0]).unwrap();
    let bytes = w.finish().unwrap();
    let text = String::from_utf8_lossy(&bytes);
    let start = text.find("<?xpacket begin").unwrap();
    let end = text.find("<?xpacket end=\"w\"?>").unwrap();
    let xmp = &text[start..end];
    for needle in [
        "<pdfaid:part>2</pdfaid:part>",
        "<pdfaid:conformance>U</pdfaid:conformance>",
        "<dc:format>application/pdf</dc:format>",
        "<rdf:li xml:lang=\"x-default\">Hồ sơ cấp giấy chứng nhận quyền sử dụng đất</rdf:li>",
        "<xmp:CreateDate>2024-03-01T06:30:00+07:00</xmp:CreateDate>",
        "<xmp:ModifyDate>2024-03-01T06:30:00+07:00</xmp:ModifyDate>",
        "<xmp:MetadataDate>2024-03-01T06:30:00+07:00</xmp:MetadataDate>",
        "<pdf:Producer>sohoa 0.1</pdf:Producer>",
        "<xmpMM:DocumentID>uuid:30313233-3435-3637-3839-616263646566</xmpMM:DocumentID>",
    ] {
        assert!(xmp.contains(needle), "{needle} not in\n{xmp}");
    }
    // Both sources (the second given in upper case) as RFC 6920 URIs.
    assert_eq!(
        xmp.matches(&format!("<rdf:li>nih:sha-256;{SHA_A}</rdf:li>"))
            .count(),
        2
    );
    let id = "/ID [<30313233343536373839616263646566> <30313233343536373839616263646566>]";
    assert!(text.contains(id));
    assert!(text.contains("/Lang (vi-VN)"));
}

#[test]
fn a_plain_png_is_embedded_unchanged_and_decodes_to_the_same_pixels() {
    use crate::decode::{decode_page, list_pages, DecodeLimits};
    let dir = tempfile::tempdir().unwrap();
    // RGB and Gray, with noise so every PNG row filter is used
    let mut seed = 7u32;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    let rgb = image::RgbImage::from_fn(181, 97, |x, y| {
        image::Rgb([(x * 3) as u8, (y * 5) as u8, (next() & 0xff) as u8])
    });
    let gray = image::GrayImage::from_fn(64, 33, |x, y| image::Luma([((x ^ y) * 7) as u8]));
    let rgba = image::RgbaImage::from_pixel(20, 10, image::Rgba([1, 2, 3, 128]));
    let paths = [
        dir.path().join("rgb.png"),
        dir.path().join("gray.png"),
        dir.path().join("rgba.png"),
    ];
    rgb.save(&paths[0]).unwrap();
    gray.save(&paths[1]).unwrap();
    rgba.save(&paths[2]).unwrap();
    let limits = DecodeLimits::default();
    let page = |p: &std::path::Path| {
        let r = list_pages(p, &limits).unwrap().remove(0);
        decode_page(&r, Some(100.0), &limits).unwrap()
    };
    let pages: Vec<_> = paths.iter().map(|p| page(p)).collect();
    assert!(pages[0].png.is_some() && pages[1].png.is_some());
    // alpha is flattened onto white: those samples are not the file's, so no passthrough
    assert!(pages[2].png.is_none());
    let mut w = PdfAWriter::new(Vec::new(), info()).unwrap();
    for p in &pages {
        let s = w.add_page(&recognized(p.clone(), Vec::new())).unwrap();
        if let Some(idat) = &p.png {
            assert_eq!(s.image_bytes, idat.len() as u64);
        }
    }
    let pdf = dir.path().join("png.pdf");
    std::fs::write(&pdf, w.finish().unwrap()).unwrap();
    let p = pdf.to_str().unwrap();
    let o = run("qpdf", &["--check", p]);
    assert!(o.status.success(), "{}", stdout(&o));
    // poppler decodes each image back to exactly the raster OCR saw
    let prefix = dir.path().join("out");
    assert!(run("pdfimages", &["-png", p, prefix.to_str().unwrap()])
        .status
        .success());
    for (i, scan) in pages.iter().enumerate() {
        let back = image::open(dir.path().join(format!("out-{i:03}.png"))).unwrap();
        match &scan.raster {
            crate::decode::Raster::Rgb(r) => assert!(back.to_rgb8() == *r, "page {i}"),
            crate::decode::Raster::Gray(g) => assert!(back.to_luma8() == *g, "page {i}"),
            #[allow(unreachable_patterns)]
            _ => unreachable!(),
        }
    }
}
