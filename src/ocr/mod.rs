//! Stage `ocr`: orientation (0/90/180/270), deskew (±10°) and Tesseract recognition of a
//! [`ScannedPage`](crate::decode::ScannedPage), giving words with boxes and confidences.
//!
//! Typed state: [`RecognizedPage`] is what `classify` and `assemble` consume.

use crate::decode::ScannedPage;

/// One recognised word, in the coordinates of the upright page (pixels, origin top-left).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Word {
    /// NFC text.
    pub text: String,
    /// `[x0, y0, x1, y1]`, x0 < x1, y0 < y1, in upright-page pixels.
    pub bbox: [f32; 4],
    /// Tesseract's word confidence, 0–100.
    pub confidence: f32,
    /// Block, paragraph and line numbers (reading order).
    pub block: u32,
    pub paragraph: u32,
    pub line: u32,
}

/// A page after orientation, deskew and recognition.
///
/// The upright page is the scanned raster rotated clockwise by `rotation` degrees (exact, so
/// width and height swap for 90 and 270), then rotated counter-clockwise by `skew_degrees`
/// about its centre on a canvas of the same size. `assemble` reproduces that geometry with a
/// transformation matrix, so the original image (and a JPEG's original bytes) is embedded
/// unchanged.
#[derive(Clone, Debug)]
pub struct RecognizedPage {
    pub scanned: ScannedPage,
    /// Clockwise rotation applied: 0, 90, 180 or 270.
    pub rotation: u16,
    /// Counter-clockwise deskew applied after `rotation`, degrees (|skew| ≤ 10).
    pub skew_degrees: f32,
    /// Upright page size in pixels.
    pub width: u32,
    pub height: u32,
    pub words: Vec<Word>,
    /// NFC text, lines separated by `\n`, blocks by a blank line.
    pub text: String,
    /// Mean word confidence, 0–100 (0 when no words).
    pub mean_confidence: f32,
}
