//! PDF pages: image-only pages of each kind, text and vector pages, encryption, damage.

use super::fixtures::*;
use super::{gray, rgb};
use crate::decode::{decode_page, list_pages, DecodeError, DecodeLimits, DpiSource, PageRef};

fn lim() -> DecodeLimits {
    DecodeLimits::default()
}

/// A PDF under construction: objects 1 (catalog) and 2 (page tree) are written at the end.
struct Doc {
    objs: Vec<Vec<u8>>,
    pages: Vec<usize>,
}

impl Doc {
    fn new() -> Self {
        Self {
            objs: pdf_head(0, ""),
            pages: Vec::new(),
        }
    }

    fn add(&mut self, body: Vec<u8>) -> usize {
        self.objs.push(body);
        self.objs.len()
    }

    fn image(&mut self, dict: &str, data: &[u8]) -> usize {
        self.add(pdf_stream(
            &format!("/Type /XObject /Subtype /Image {dict}"),
            data,
        ))
    }

    fn page(&mut self, extra: &str, content: &str) {
        let c = self.add(pdf_stream("", content.as_bytes()));
        let p = self
            .add(format!("<< /Type /Page /Parent 2 0 R /Contents {c} 0 R {extra} >>").into_bytes());
        self.pages.push(p);
    }

    fn finish(mut self, pages_extra: &str, trailer_extra: &str) -> Vec<u8> {
        let kids: Vec<String> = self.pages.iter().map(|p| format!("{p} 0 R")).collect();
        self.objs[1] = format!(
            "<< /Type /Pages /Kids [{}] /Count {} {pages_extra} >>",
            kids.join(" "),
            kids.len()
        )
        .into_bytes();
        pdf_file(&self.objs, trailer_extra)
    }
}

fn xobj(name: &str, obj: usize) -> String {
    format!("/Resources << /XObject << /{name} {obj} 0 R >> >>")
}

const DRAW: &str = "q 144 0 0 108 0 0 cm /Im0 Do Q";

#[test]
fn image_only_pages_of_every_kind() {
    let dir = tempfile::tempdir().unwrap();
    let jpg = jpeg_rgb(400, 300, None);
    let mut d = Doc::new();
    // 1: DCTDecode, 400 × 300 pixels on 144 × 108 points: 200 dpi.
    let im = d.image(
        "/Width 400 /Height 300 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode",
        &jpg,
    );
    d.page(
        &format!("/MediaBox [0 0 144 108] {}", xobj("Im0", im)),
        DRAW,
    );
    // 2: Flate with PNG predictors, 30 × 20 gray, through a Form XObject, MediaBox inherited.
    let g = gray_pattern(30, 20);
    let rows: Vec<u8> = g
        .as_raw()
        .chunks(30)
        .flat_map(|r| [&[0u8][..], r].concat())
        .collect();
    let im = d.image(
        "/Width 30 /Height 20 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode \
         /DecodeParms << /Predictor 15 /Columns 30 /Colors 1 >>",
        &zlib(&rows),
    );
    let form = d.add(pdf_stream(
        &format!(
            "/Type /XObject /Subtype /Form /BBox [0 0 1 1] {}",
            xobj("Im1", im)
        ),
        b"/Im1 Do",
    ));
    d.page(&xobj("Fm0", form), "q 10.8 0 0 7.2 0 0 cm /Fm0 Do Q");
    // 3: Indexed, 1 bit per index, palette red / blue.
    let im = d.image(
        "/Width 8 /Height 1 /ColorSpace [/Indexed /DeviceRGB 1 <FF00000000FF>] /BitsPerComponent 1 /Filter /FlateDecode",
        &zlib(&[0b1010_0000]),
    );
    d.page(
        &format!("/MediaBox [0 0 2.88 0.36] {}", xobj("Im0", im)),
        "/Im0 Do",
    );
    // 4: CCITT G4 image mask; 5: CCITT G4 DeviceGray with BlackIs1.
    let im = d.image(
        "/Width 8 /Height 2 /ImageMask true /Filter /CCITTFaxDecode /DecodeParms << /K -1 /Columns 8 /Rows 2 >>",
        &G4_8X2,
    );
    d.page(
        &format!("/MediaBox [0 0 2.88 0.72] {}", xobj("Im0", im)),
        "/Im0 Do",
    );
    let im = d.image(
        "/Width 8 /Height 2 /ColorSpace /DeviceGray /BitsPerComponent 1 /Filter [/CCITTFaxDecode] \
         /DecodeParms [<< /K -1 /Columns 8 /BlackIs1 true >>]",
        &G4_8X2,
    );
    d.page(
        &format!("/MediaBox [0 0 2.88 0.72] {}", xobj("Im0", im)),
        "/Im0 Do",
    );
    let path = write(
        dir.path(),
        "doc.pdf",
        &d.finish("/MediaBox [0 0 10.8 7.2]", ""),
    );

    let pages = list_pages(&path, &lim()).unwrap();
    assert_eq!(pages.len(), 5);
    assert!(pages.iter().enumerate().all(|(i, p)| *p
        == PageRef::Pdf {
            path: path.clone(),
            index: i,
            has_text: false
        }));
    let p: Vec<_> = pages
        .iter()
        .map(|r| decode_page(r, None, &lim()).unwrap())
        .collect();
    assert_eq!(rgb(&p[0]).dimensions(), (400, 300));
    assert_eq!(p[0].jpeg.as_deref(), Some(&jpg[..]));
    assert_eq!(
        (p[0].dpi, p[0].dpi_source),
        ((200.0, 200.0), DpiSource::File)
    );
    assert_eq!(gray(&p[1]), &g);
    assert_eq!((p[1].dpi, p[1].jpeg.is_none()), ((200.0, 200.0), true));
    let want: Vec<u8> = [1, 0, 1, 0, 0, 0, 0, 0]
        .iter()
        .flat_map(|&b| if b == 1 { [0, 0, 255] } else { [255, 0, 0] })
        .collect();
    assert_eq!(rgb(&p[2]).as_raw(), &want);
    assert_eq!(gray(&p[3]).as_raw(), &[G4_8X2_ROW, G4_8X2_ROW].concat());
    let inv: Vec<u8> = G4_8X2_ROW.iter().map(|v| 255 - v).collect();
    assert_eq!(gray(&p[4]).as_raw(), &[inv.clone(), inv].concat());
    assert_eq!(p[4].page_index, 4);
}

#[test]
fn text_vector_and_unsupported_pages() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Doc::new();
    let jpg = jpeg_rgb(40, 30, None);
    let im = d.image(
        "/Width 40 /Height 30 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode",
        &jpg,
    );
    let font = d.add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec());
    let res = format!("/Resources << /Font << /F1 {font} 0 R >> /XObject << /Im0 {im} 0 R >> >>");
    d.page(&res, &format!("{DRAW} BT /F1 12 Tf 3 Tr (Hello) Tj ET"));
    d.page(&xobj("Im0", im), &format!("0 0 m 100 100 l S {DRAW}"));
    d.page(&xobj("Im0", im), "/Im0 Do /Im0 Do");
    let jb = d.image(
        "/Width 8 /Height 8 /ImageMask true /Filter /JBIG2Decode",
        b"xx",
    );
    d.page(&xobj("Im0", jb), "/Im0 Do");
    d.page(
        &format!("/MediaBox [0 0 0 0] {}", xobj("Im0", im)),
        "/Im0 Do",
    );
    d.page("", "");
    let path = write(
        dir.path(),
        "doc.pdf",
        &d.finish("/MediaBox [0 0 144 108]", ""),
    );

    let pages = list_pages(&path, &lim()).unwrap();
    let text: Vec<bool> = pages
        .iter()
        .map(|p| matches!(p, PageRef::Pdf { has_text: true, .. }))
        .collect();
    assert_eq!(text, [true, false, false, false, false, false]);
    let errs: Vec<DecodeError> = pages
        .iter()
        .map(|p| decode_page(p, None, &lim()).unwrap_err())
        .collect();
    assert!(
        matches!(errs[0], DecodeError::HasText { .. }),
        "{}",
        errs[0]
    );
    // Even when the caller did not list the page first.
    let unlisted = PageRef::Pdf {
        path: path.clone(),
        index: 0,
        has_text: false,
    };
    assert!(matches!(
        decode_page(&unlisted, None, &lim()),
        Err(DecodeError::HasText { .. })
    ));
    assert_eq!(
        errs[1].to_string(),
        "doc.pdf page 2: the page has no single full-page image (it carries text or vector content)"
            .replace("doc.pdf", &path.display().to_string())
    );
    assert!(
        errs[2]
            .to_string()
            .contains("cover less than 1% of the page"),
        "{}",
        errs[2]
    );
    assert!(
        matches!(errs[3], DecodeError::Corrupt { .. }) && errs[3].to_string().contains("JBIG2"),
        "{}",
        errs[3]
    );
    assert!(
        matches!(errs[4], DecodeError::NoResolution { .. }),
        "{}",
        errs[4]
    );
    let p = decode_page(&pages[4], Some(300.0), &lim()).unwrap();
    assert_eq!((p.dpi, p.dpi_source), ((300.0, 300.0), DpiSource::Override));
    assert!(
        errs[5]
            .to_string()
            .contains("page 6: the page has no single full-page image (it draws no image)"),
        "{}",
        errs[5]
    );
    let missing = PageRef::Pdf {
        path: path.clone(),
        index: 6,
        has_text: false,
    };
    assert!(matches!(
        decode_page(&missing, None, &lim()),
        Err(DecodeError::NoSuchPage { count: 6, .. })
    ));
}

#[test]
fn encrypted_damaged_and_mutated_pdfs() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Doc::new();
    let im = d.image(
        "/Width 8 /Height 1 /ColorSpace /DeviceGray /BitsPerComponent 8",
        &[7; 8],
    );
    d.page(
        &format!("/MediaBox [0 0 2.88 0.36] {}", xobj("Im0", im)),
        "/Im0 Do",
    );
    let good = d.finish("", "");
    let path = write(dir.path(), "plain.pdf", &good);
    let p = super::decode_all(&path, None).remove(0).unwrap();
    assert_eq!(
        (gray(&p).as_raw().clone(), p.dpi),
        (vec![7; 8], (200.0, 200.0))
    );

    let mut d = Doc::new();
    d.page("", "");
    let path = write(
        dir.path(),
        "secret.pdf",
        &d.finish("", "/Encrypt << /Filter /Standard /V 2 >>"),
    );
    let e = list_pages(&path, &lim()).unwrap_err();
    assert!(matches!(e, DecodeError::Encrypted { .. }), "{e}");
    assert!(
        e.to_string().contains("secret.pdf: the PDF is encrypted"),
        "{e}"
    );

    let path = write(dir.path(), "junk.pdf", b"%PDF-1.4\nnothing here\n");
    let e = list_pages(&path, &lim()).unwrap_err();
    assert!(
        matches!(e, DecodeError::Pdf { .. })
            && e.to_string().starts_with(&path.display().to_string()),
        "{e}"
    );

    let mut rng = Lcg(3);
    for _ in 0..300 {
        let mut m = good.clone();
        for _ in 0..1 + rng.next() % 3 {
            let i = 9 + (rng.next() as usize) % (m.len() - 9);
            m[i] = b"0123456789 /<>[]()RobjendstreamDo\n"[(rng.next() % 34) as usize];
        }
        let path = write(dir.path(), "m.pdf", &m);
        if let Ok(pages) = list_pages(&path, &lim()) {
            for p in &pages {
                let _ = decode_page(p, Some(300.0), &lim());
            }
        }
    }
}

#[test]
fn layered_pages_are_painted_together_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Doc::new();
    // A 40 × 30 gray background over the whole 144 × 108 page (20 dpi), then the 8 × 2 G4
    // stencil painted red over the bottom-right quarter, then a soft-masked white square.
    let bg = d.image(
        "/Width 40 /Height 30 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode",
        &zlib(&[200u8; 1200]),
    );
    let st = d.image(
        "/Width 8 /Height 2 /ImageMask true /Filter /CCITTFaxDecode /DecodeParms << /K -1 /Columns 8 >>",
        &G4_8X2,
    );
    let sm = d.image(
        "/Width 1 /Height 1 /ColorSpace /DeviceGray /BitsPerComponent 8",
        &[0],
    );
    let wh = d.image(
        &format!("/Width 1 /Height 1 /ColorSpace /DeviceGray /BitsPerComponent 8 /SMask {sm} 0 R"),
        &[255],
    );
    d.page(
        &format!("/MediaBox [0 0 144 108] /Resources << /XObject << /Bg {bg} 0 R /St {st} 0 R /Wh {wh} 0 R >> >>"),
        "q 144 0 0 108 0 0 cm /Bg Do Q 1 0 0 rg q 72 0 0 54 72 0 cm /St Do Q \
         q 36 0 0 27 0 0 cm /Wh Do Q",
    );
    let path = write(dir.path(), "layers.pdf", &d.finish("", ""));
    let pages = list_pages(&path, &lim()).unwrap();
    let p = decode_page(&pages[0], None, &lim()).unwrap();
    assert_eq!((p.dpi, p.jpeg.is_none()), ((20.0, 20.0), true));
    let img = rgb(&p);
    assert_eq!(img.dimensions(), (40, 30));
    // Top left: the background. Bottom right quarter (x 20..40, y 15..30): the stencil's rows,
    // each 7.5 canvas rows high; its black samples (columns 2–4 of 8) red, the rest background.
    assert_eq!(img.get_pixel(0, 0).0, [200; 3]);
    for (x, y) in [(26, 16), (30, 29)] {
        assert_eq!(img.get_pixel(x, y).0, [255, 0, 0], "({x}, {y})");
    }
    for (x, y) in [(21, 16), (38, 29), (19, 29)] {
        assert_eq!(img.get_pixel(x, y).0, [200; 3], "({x}, {y})");
    }
    // The white square's soft mask is 0: nothing of it shows (bottom-left corner).
    assert_eq!(img.get_pixel(2, 28).0, [200; 3]);
}

#[test]
fn damaged_scanner_codecs_are_errors_naming_the_page() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Doc::new();
    // (dictionary, must be an error): damaged fax data keeps the rows read before the damage,
    // as viewers show them, so it need not be an error; it must not panic.
    let cases = [
        ("/ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /CCITTFaxDecode /DecodeParms << /K 0 /Columns 64 >>", false),
        ("/ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /CCITTFaxDecode /DecodeParms << /K -1 /Columns 65 >>", true),
        ("/Filter /JPXDecode", true),
        ("/ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /JBIG2Decode", true),
        ("/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /RunLengthDecode", true),
        ("/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /LZWDecode", true),
        ("/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter [/DCTDecode /FlateDecode]", true),
    ];
    for (dict, _) in cases {
        let im = d.image(
            &format!("/Width 64 /Height 64 {dict}"),
            b"\xff\xff\xff\xff garbage \x00\x01\x02",
        );
        d.page(&xobj("Im0", im), "q 46.08 0 0 46.08 0 0 cm /Im0 Do Q");
    }
    let path = write(
        dir.path(),
        "bad.pdf",
        &d.finish("/MediaBox [0 0 46.08 46.08]", ""),
    );
    let pages = list_pages(&path, &lim()).unwrap();
    for (i, (page, (dict, must_fail))) in pages.iter().zip(cases).enumerate() {
        match decode_page(page, None, &lim()) {
            Err(e) => {
                let e = e.to_string();
                assert!(e.contains(&format!("page {}", i + 1)), "{e}");
            }
            Ok(_) => assert!(!must_fail, "{dict}: decoded"),
        }
    }
}
