//! The `cm` matrix against the geometry contract, checked on pages rendered by pdftoppm:
//! a dark square in the scan must land where "rotate clockwise, then deskew
//! counter-clockwise about the centre" puts it; words land on their boxes (pdftotext -bbox).

use super::*;

const SW: u32 = 240;
const SH: u32 = 160;
/// Centre of the dark 16x16 square in the scan (pixels, y down).
const P: (f64, f64) = (40.0, 30.0);

/// The contract, written out independently of the matrix code.
fn forward(p: (f64, f64), rotation: u16, skew: f64) -> (f64, f64) {
    let (sw, sh) = (f64::from(SW), f64::from(SH));
    let (x, y) = p;
    let (q, (w, h)) = match rotation {
        90 => ((sh - y, x), (sh, sw)),
        180 => ((sw - x, sh - y), (sw, sh)),
        270 => ((y, sw - x), (sh, sw)),
        _ => ((x, y), (sw, sh)),
    };
    let (dx, dy) = (q.0 - w / 2.0, q.1 - h / 2.0);
    let (s, c) = skew.to_radians().sin_cos();
    (w / 2.0 + dx * c + dy * s, h / 2.0 - dx * s + dy * c)
}

fn page(rotation: u16, skew: f32, dpi: (f32, f32), words: Vec<Word>) -> RecognizedPage {
    let raster = GrayImage::from_fn(SW, SH, |x, y| {
        let inside =
            (f64::from(x) + 0.5 - P.0).abs() < 8.0 && (f64::from(y) + 0.5 - P.1).abs() < 8.0;
        Luma([if inside { 0 } else { 255 }])
    });
    let mut s = scanned(Raster::Gray(raster), dpi.0, None);
    s.dpi = dpi;
    let mut p = recognized(s, words);
    p.rotation = rotation;
    p.skew_degrees = skew;
    if rotation % 180 == 90 {
        (p.width, p.height) = (SH, SW);
    }
    p
}

fn render(pdf: &Path, rx: f32, ry: f32) -> GrayImage {
    let out = pdf.with_extension("");
    let (rx, ry) = (rx.to_string(), ry.to_string());
    let args = ["-gray", "-png", "-singlefile", "-rx", &rx, "-ry", &ry];
    let o = run(
        "pdftoppm",
        &[&args[..], &[pdf.to_str().unwrap(), out.to_str().unwrap()]].concat(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    image::open(out.with_extension("png")).unwrap().to_luma8()
}

fn at(img: &GrayImage, q: (f64, f64)) -> u8 {
    let x = (q.0.floor() as u32).min(img.width() - 1);
    let y = (q.1.floor() as u32).min(img.height() - 1);
    img.get_pixel(x, y)[0]
}

#[test]
fn image_lands_where_the_contract_says() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(u16, f32, (f32, f32)); 8] = [
        (0, 0.0, (100.0, 100.0)),
        (90, 0.0, (100.0, 100.0)),
        (180, 0.0, (100.0, 100.0)),
        (270, 0.0, (100.0, 100.0)),
        (90, 3.0, (100.0, 100.0)),
        (0, 10.0, (100.0, 100.0)),
        (270, -10.0, (100.0, 100.0)),
        (90, 10.0, (150.0, 75.0)),
    ];
    for (i, &(rot, skew, dpi)) in cases.iter().enumerate() {
        let p = page(rot, skew, dpi, Vec::new());
        let pdf = write_pdf(dir.path(), &format!("g{i}.pdf"), std::slice::from_ref(&p));
        // Upright dpi: the scan's axes swap with a quarter turn.
        let (rx, ry) = if rot % 180 == 90 { (dpi.1, dpi.0) } else { dpi };
        let img = render(&pdf, rx, ry);
        let case = format!("rotation {rot}, skew {skew}, dpi {dpi:?}");
        assert_eq!(img.dimensions(), (p.width, p.height), "{case}");
        let q = forward(P, rot, f64::from(skew));
        assert!(at(&img, q) < 60, "{case}: no square at {q:?}");
        // Where a wrong convention would put it: opposite skew, opposite quarter turn.
        let mut wrong = vec![forward(P, rot, -f64::from(skew))];
        if rot % 180 == 90 {
            wrong.push(forward(P, 360 - rot, f64::from(skew)));
        }
        for qw in wrong {
            let far = (qw.0 - q.0).hypot(qw.1 - q.1) > 20.0;
            assert!(!far || at(&img, qw) > 200, "{case}: square also at {qw:?}");
        }
        // The page is white away from the square.
        let away = forward((200.0, 130.0), rot, f64::from(skew));
        assert!(at(&img, away) > 200, "{case}");
    }
}

#[test]
fn page_size_swaps_and_words_land_on_their_boxes() {
    let dir = tempfile::tempdir().unwrap();
    let words = vec![
        word("Thửa", [20.0, 120.0, 80.0, 140.0], 1),
        word("đất", [92.0, 121.0, 135.0, 140.0], 1),
        word("số", [20.0, 160.0, 50.0, 178.0], 2),
        word("12", [60.0, 160.0, 90.0, 178.0], 2),
    ];
    for (rot, skew) in [(90u16, 0.0f32), (90, 3.0), (0, 3.0)] {
        let p = page(rot, skew, (100.0, 100.0), words.clone());
        let pdf = write_pdf(
            dir.path(),
            &format!("w{rot}-{skew}.pdf"),
            std::slice::from_ref(&p),
        );
        let inf = stdout(&run("pdfinfo", &[pdf.to_str().unwrap()]));
        let size = if rot == 90 {
            "115.2 x 172.8 pts"
        } else {
            "172.8 x 115.2 pts"
        };
        assert!(inf.contains(&format!("Page size:       {size}")), "{inf}");
        if rot == 0 {
            continue; // the words are below this page
        }
        let found = bbox_words(&pdf, 1);
        assert_eq!(found.len(), 4, "{found:?}");
        for (w, (text, b)) in words.iter().zip(&found) {
            assert_eq!(&w.text, text);
            let want = w.bbox.map(|v| f64::from(v) * 0.72);
            for k in 0..4 {
                // 2 pt horizontally; vertically the line's box (the words' union) is used.
                let tol = if k % 2 == 0 { 2.0 } else { 3.0 };
                assert!((b[k] - want[k]).abs() < tol, "{text}: {b:?} vs {want:?}");
            }
        }
        assert_eq!(text_lines(&pdf, 1), ["Thửa đất", "số 12"]);
    }
}
