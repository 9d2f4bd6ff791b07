//! Stage `classify`, image side: the second code reader, `rxing` (a Rust port of ZXing), for
//! what `rqrr` misses on a page that may be a cover sheet: QR symbols (ISO/IEC 18004) with
//! small modules, blur or low contrast, and the Data Matrix (ISO/IEC 16022) and Code 128
//! (ISO/IEC 15417) symbols some offices print instead. Tried at the page's own resolution
//! with ZXing's local (hybrid) binarizer, then a global histogram one, then on a copy scaled
//! up twice when the modules are small; a symbol is only ever reported with its error
//! correction (QR, Data Matrix) or check character (Code 128) satisfied, as ZXing does.

use image::GrayImage;
use rxing::common::{GlobalHistogramBinarizer, HybridBinarizer};
use rxing::multi::{GenericMultipleBarcodeReader, MultipleBarcodeReader};
use rxing::{
    BarcodeFormat, Binarizer, BinaryBitmap, DecodeHints, Luma8Source, MultiUseMultiFormatReader,
    RXingResult,
};
use std::collections::HashSet;

/// Largest page handed to the reader (pixels): an A4 page at 300 dpi is 8.7 MP.
const MAX_PIXELS: u64 = 12_000_000;
/// Below this resolution the page is also read scaled up twice (QR modules of 0.5 mm are
/// under 4 pixels there, where the finder-pattern search loses them).
const UPSCALE_BELOW_DPI: f32 = 250.0;

/// One symbol read: its text and its box on the page given (pixels).
#[derive(Clone, Debug, PartialEq)]
pub struct Symbol {
    pub text: String,
    pub bbox: [f32; 4],
}

fn hints() -> DecodeHints {
    DecodeHints {
        TryHarder: Some(true),
        PossibleFormats: Some(HashSet::from([
            BarcodeFormat::QR_CODE,
            BarcodeFormat::DATA_MATRIX,
            BarcodeFormat::CODE_128,
        ])),
        ..DecodeHints::default()
    }
}

fn bbox(r: &RXingResult, scale: f32) -> [f32; 4] {
    let pts = r.getPoints();
    if pts.is_empty() {
        return [0.0; 4];
    }
    let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for p in pts {
        x0 = x0.min(p.x);
        y0 = y0.min(p.y);
        x1 = x1.max(p.x);
        y1 = y1.max(p.y);
    }
    [x0 / scale, y0 / scale, x1 / scale, y1 / scale]
}

fn decode_with<B: Binarizer>(bitmap: B, scale: f32) -> Vec<Symbol> {
    let mut reader = GenericMultipleBarcodeReader::new(MultiUseMultiFormatReader::default());
    let mut image = BinaryBitmap::new(bitmap);
    reader
        .decode_multiple_with_hints(&mut image, &hints())
        .unwrap_or_default()
        .iter()
        .map(|r| Symbol {
            text: r.getText().to_string(),
            bbox: bbox(r, scale),
        })
        .collect()
}

/// The page as rxing's luminance source, borrowed (no copy of the page per pass).
fn source(gray: &GrayImage) -> Option<Luma8Source<'_>> {
    Luma8Source::new_with_slice(gray.as_raw(), gray.width(), gray.height()).ok()
}

/// Every symbol rxing finds on `gray` (`dpi` its resolution), stopping at the first pass that
/// finds any. Panics inside the third-party reader are contained (no symbol).
pub fn read(gray: &GrayImage, dpi: f32) -> Vec<Symbol> {
    let px = u64::from(gray.width()) * u64::from(gray.height());
    if px == 0 || px > MAX_PIXELS {
        return Vec::new();
    }
    let passes = |gray: &GrayImage, scale: f32| -> Vec<Symbol> {
        let found = source(gray).map(|s| decode_with(HybridBinarizer::new(s), scale));
        match found {
            Some(f) if !f.is_empty() => f,
            _ => source(gray)
                .map(|s| decode_with(GlobalHistogramBinarizer::new(s), scale))
                .unwrap_or_default(),
        }
    };
    std::panic::catch_unwind(|| {
        let found = passes(gray, 1.0);
        let small_modules = dpi < UPSCALE_BELOW_DPI; // false for a NaN resolution too
        if !found.is_empty() || !small_modules || px.saturating_mul(4) > MAX_PIXELS {
            return found;
        }
        let big = image::imageops::resize(
            gray,
            gray.width() * 2,
            gray.height() * 2,
            image::imageops::FilterType::Triangle,
        );
        passes(&big, 2.0)
    })
    .unwrap_or_default()
}
