//! Stage `classify`, image side: finds and decodes QR codes on a scanned page (the dossier code
//! on a cover sheet) with `rqrr` (a Rust port of quirc), and where that reads nothing on a page
//! that may be a cover sheet, with [`super::barcode`] (ZXing's port, also Data Matrix and
//! Code 128); [`read_marks`] also gathers the other
//! marks read from a page's pixels: patch codes on separator sheets ([`super::patch`]), a blank
//! back ([`super::blank`]), a red seal ([`super::seal`]). ISO/IEC 18004 symbols; a symbol
//! whose finder patterns are found but whose data cannot be corrected is reported as
//! [`CodeRead::Unreadable`], never guessed.

use crate::classify::CodeRead;
use crate::decode::Raster;

/// Working resolution: QR modules on A4 cover sheets are ~1 mm, 6 px at this resolution.
const WORK_DPI: f32 = 150.0;

/// Reads every code on `raster` (the page as scanned, `dpi` its resolution) with both readers.
/// Boxes are returned in the coordinates of the upright page after a clockwise turn of
/// `rotation` degrees (the OCR's orientation; skew is ignored, the boxes are indicative).
pub fn read_codes(raster: &Raster, dpi: f32, rotation: u16) -> Vec<CodeRead> {
    read_marks(raster, dpi, rotation, true).codes
}

/// Words on a page below which it may be a cover sheet whatever its text says.
const FEW_WORDS: usize = 60;

/// Whether a page whose OCR gave `lines` is worth the second code reader when `rqrr` decoded
/// nothing: few words, or a dossier code printed in its text (a cover sheet prints the code
/// under its symbol). An ordinary paper is not read twice.
pub fn cover_plausible(lines: &[crate::classify::PageLine]) -> bool {
    let words: usize = lines.iter().map(|l| l.words.len()).sum();
    words < FEW_WORDS
        || lines
            .iter()
            .any(|l| super::dossier_code::find_in_text(&l.text).is_some())
}

/// What the page image says beside its text: its codes, whether it is blank, its seal.
#[derive(Clone, Debug, Default)]
pub struct Marks {
    pub codes: Vec<CodeRead>,
    /// See [`super::blank`].
    pub blank: bool,
    /// Scanned in colour (a gray scan cannot show a red seal).
    pub colour: bool,
    /// Where a red seal is ([`super::seal`]), in upright-page pixels like the codes' boxes.
    pub seal: Option<[f32; 4]>,
}

/// [`read_codes`] and [`super::blank::is_blank`] on the same gray copy, and
/// [`super::seal::find`] on the colours. `rqrr` reads every page at [`WORK_DPI`]; when it
/// decodes nothing and the page is `thorough` (see [`cover_plausible`]), [`super::barcode`]
/// reads it again at full resolution (QR, Data Matrix, Code 128), and its symbols replace any
/// unreadable report in the same place.
pub fn read_marks(raster: &Raster, dpi: f32, rotation: u16, thorough: bool) -> Marks {
    let factor = if dpi.is_finite() && dpi >= 2.0 * WORK_DPI {
        (dpi / WORK_DPI).floor() as u32
    } else {
        1
    };
    // rqrr thresholds the copy in place: one copy of the page, not two
    let gray = if factor == 1 {
        crate::ocr::to_gray(raster)
    } else {
        downscaled_gray(raster, factor)
    };
    if gray.width() < 21 || gray.height() < 21 {
        return Marks::default();
    }
    let (sw, sh) = (raster.width() as f32, raster.height() as f32);
    let f = factor as f32;
    let blank = super::blank::is_blank(&gray, dpi / f);
    let patches: Vec<CodeRead> = super::patch::find(&gray, dpi / f)
        .into_iter()
        .map(|p| {
            let b = p.bbox;
            CodeRead::Patch {
                bars: p.bars,
                bbox: turn_box([b[0] * f, b[1] * f, b[2] * f, b[3] * f], sw, sh, rotation),
            }
        })
        .collect();
    // rqrr is a third-party decoder fed with untrusted pixels: a panic inside it must not take
    // the page down, so it is contained and reported as an unreadable code.
    let found = std::panic::catch_unwind(move || {
        let mut img = rqrr::PreparedImage::prepare(gray);
        img.detect_grids()
            .into_iter()
            .map(|g| {
                let b = g.bounds;
                let xs = b.iter().map(|p| p.x as f32);
                let ys = b.iter().map(|p| p.y as f32);
                let bbox = [
                    xs.clone().fold(f32::MAX, f32::min),
                    ys.clone().fold(f32::MAX, f32::min),
                    xs.fold(f32::MIN, f32::max),
                    ys.fold(f32::MIN, f32::max),
                ];
                (bbox, g.decode().map(|(_, text)| text))
            })
            .collect::<Vec<_>>()
    });
    let mut codes = match found {
        Ok(found) => found
            .into_iter()
            .map(|(b, result)| {
                let bbox = turn_box([b[0] * f, b[1] * f, b[2] * f, b[3] * f], sw, sh, rotation);
                match result {
                    Ok(text) => CodeRead::Decoded { text, bbox },
                    Err(e) => CodeRead::Unreadable {
                        reason: format!("QR code found but not decodable ({e:?})"),
                        bbox,
                    },
                }
            })
            .collect(),
        Err(_) => vec![CodeRead::Unreadable {
            reason: "the QR decoder failed on this page".into(),
            bbox: [0.0, 0.0, sw, sh],
        }],
    };
    // A blank page holds no mark a symbol could be (see `blank`): nothing to read again.
    if thorough && !blank && !codes.iter().any(|c| matches!(c, CodeRead::Decoded { .. })) {
        let full = crate::ocr::to_gray(raster);
        for sym in super::barcode::read(&full, dpi) {
            let bbox = turn_box(sym.bbox, sw, sh, rotation);
            codes.retain(
                |c| !matches!(c, CodeRead::Unreadable { bbox: b, .. } if overlap(b, &bbox)),
            );
            codes.push(CodeRead::Decoded {
                text: sym.text,
                bbox,
            });
        }
    }
    codes.extend(patches);
    let seal = super::seal::find(raster, dpi).map(|b| turn_box(b, sw, sh, rotation));
    Marks {
        codes,
        blank,
        colour: super::seal::is_colour(raster),
        seal,
    }
}

/// Whether two boxes share any area.
fn overlap(a: &[f32; 4], b: &[f32; 4]) -> bool {
    a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]
}

/// Box-filter downscale to gray by an integer factor.
fn downscaled_gray(raster: &Raster, factor: u32) -> image::GrayImage {
    let factor = factor.max(1);
    let (w, h) = (raster.width() / factor, raster.height() / factor);
    let luma = |x: u32, y: u32| -> u32 {
        match raster {
            Raster::Gray(i) => i.get_pixel(x, y).0[0] as u32,
            Raster::Rgb(i) => {
                let [r, g, b] = i.get_pixel(x, y).0;
                (r as u32 * 299 + g as u32 * 587 + b as u32 * 114) / 1000
            }
        }
    };
    let n = factor * factor;
    image::GrayImage::from_fn(w, h, |x, y| {
        let mut sum = 0u32;
        for dy in 0..factor {
            for dx in 0..factor {
                sum += luma(x * factor + dx, y * factor + dy);
            }
        }
        image::Luma([(sum / n) as u8])
    })
}

/// A box on the scan (size `w` × `h`) after turning the page clockwise by `rotation` degrees.
fn turn_box(b: [f32; 4], w: f32, h: f32, rotation: u16) -> [f32; 4] {
    let turn = |x: f32, y: f32| match rotation {
        90 => (h - y, x),
        180 => (w - x, h - y),
        270 => (y, w - x),
        _ => (x, y),
    };
    let (ax, ay) = turn(b[0], b[1]);
    let (bx, by) = turn(b[2], b[3]);
    [ax.min(bx), ay.min(by), ax.max(bx), ay.max(by)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes_turn_with_the_page() {
        // a box at the top-left of a 100 x 200 scan
        let b = [0.0, 0.0, 10.0, 20.0];
        assert_eq!(turn_box(b, 100.0, 200.0, 0), b);
        // turned clockwise: the scan's top-left goes to the top-right of a 200 x 100 page
        assert_eq!(turn_box(b, 100.0, 200.0, 90), [180.0, 0.0, 200.0, 10.0]);
        assert_eq!(turn_box(b, 100.0, 200.0, 180), [90.0, 180.0, 100.0, 200.0]);
        assert_eq!(turn_box(b, 100.0, 200.0, 270), [0.0, 90.0, 20.0, 100.0]);
    }

    /// A version 2 QR code of `text`, modules of `module_mm`, on a light page at `dpi`.
    fn qr_page(text: &str, module_mm: f32, dpi: f32) -> Raster {
        let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M).unwrap();
        let (n, dark) = (code.width() as f32, code.to_colors());
        let px = module_mm / 25.4 * dpi;
        let (w, h) = ((120.0 / 25.4 * dpi) as u32, (80.0 / 25.4 * dpi) as u32);
        let (x0, y0) = (w as f32 * 0.5, h as f32 * 0.3);
        Raster::Gray(image::GrayImage::from_fn(w, h, |x, y| {
            let (c, r) = ((x as f32 + 0.5 - x0) / px, (y as f32 + 0.5 - y0) / px);
            let on = c >= 0.0
                && r >= 0.0
                && c < n
                && r < n
                && dark[r as usize * n as usize + c as usize] == qrcode::Color::Dark;
            image::Luma([if on { 25 } else { 245 }])
        }))
    }

    #[test]
    fn small_modules_are_read_by_the_second_reader_on_a_cover_page() {
        let text = "000.00.31.H29-261207-0042";
        // 0.5 mm modules at 150 dpi: under 3 pixels a module.
        let page = qr_page(text, 0.5, 150.0);
        let decoded = |codes: &[CodeRead]| -> Vec<String> {
            codes
                .iter()
                .filter_map(|c| match c {
                    CodeRead::Decoded { text, .. } => Some(text.clone()),
                    _ => None,
                })
                .collect()
        };
        assert_eq!(decoded(&read_codes(&page, 150.0, 0)), [text]);
        let Raster::Gray(g) = &page else {
            unreachable!()
        };
        let direct = super::super::barcode::read(g, 150.0);
        assert_eq!(direct.len(), 1);
        assert_eq!(direct[0].text, text);
        // Its box is where the symbol was drawn (x from 50% of the width).
        assert!(
            direct[0].bbox[0] > g.width() as f32 * 0.45,
            "{:?}",
            direct[0].bbox
        );
    }

    #[test]
    fn only_pages_that_may_be_cover_sheets_are_read_twice() {
        use crate::classify::{PageLine, PageWord};
        let line = |t: &str| PageLine {
            text: t.to_string(),
            words: t
                .split(' ')
                .map(|w| PageWord {
                    text: w.to_string(),
                    bbox: [0.0; 4],
                })
                .collect(),
            bbox: [0.0; 4],
        };
        let paper: Vec<PageLine> = (0..20)
            .map(|_| line("Cộng hòa xã hội chủ nghĩa Việt Nam"))
            .collect();
        assert!(!cover_plausible(&paper));
        let mut cover = paper.clone();
        cover.push(line("Mã hồ sơ: 000.00.31.H29-261207-0042"));
        assert!(cover_plausible(&cover));
        assert!(cover_plausible(&paper[..5]));
    }

    #[test]
    fn noise_gives_no_symbol() {
        let mut seed = 7u32;
        let noise = image::GrayImage::from_fn(600, 600, |_, _| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            image::Luma([if seed >> 16 & 1 == 1 { 20 } else { 240 }])
        });
        assert!(super::super::barcode::read(&noise, 150.0).is_empty());
        let r = Raster::Gray(noise);
        assert!(read_codes(&r, 150.0, 0)
            .iter()
            .all(|c| !matches!(c, CodeRead::Decoded { .. })));
    }

    #[test]
    fn a_blank_page_has_no_codes() {
        let r = Raster::Gray(image::GrayImage::from_pixel(600, 800, image::Luma([250])));
        assert!(read_codes(&r, 200.0, 0).is_empty());
    }
}
