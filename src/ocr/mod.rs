//! Stage `ocr`: orientation (0/90/180/270), deskew (±10°) and Tesseract recognition of a
//! [`ScannedPage`](crate::decode::ScannedPage), giving words with boxes and confidences.
//!
//! Typed state: [`RecognizedPage`] is what `classify` and `assemble` consume.
//!
//! Flow per page ([`Engine::recognize`]): luma → `deskew` (skew and line direction from
//! projection profiles of a downscaled copy) → `orientation` (quarter turns to try, best
//! recognition wins, the first clearly good one stops the search) → `rotate` (upright pixels)
//! → `denoise` (3×3 median, speckled pages only) → Tesseract (PSM 4: one column of lines, so
//! a form's list numbers stay at their line starts) → `tsv` (words, text, confidence) →
//! `listnum` (lines starting with a lone dot re-read as one line to recover the list number's
//! digit). `omp` keeps OpenMP single-threaded. The engines of one call share a `board`: the
//! call's last pages are read in strips by every engine out of pages of its own.

mod board;
mod borders;
mod denoise;
mod deskew;
mod engine;
mod listnum;
mod omp;
mod orientation;
mod pool;
mod rotate;
mod strips;
mod tess;
#[cfg(test)]
mod tests;
mod tsv;

use std::path::PathBuf;

use crate::decode::{Raster, ScannedPage};

pub use board::Board;
pub use deskew::otsu_split;
pub use engine::Engine;
pub use omp::{ensure_single_threaded_openmp, ensure_single_threaded_openmp_with};
pub use pool::{engine_for, EnginePool, PooledEngine};
pub use rotate::to_gray;

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

/// OCR settings.
#[derive(Clone, Debug)]
pub struct OcrConfig {
    /// Tesseract language codes joined by `+`: `"vie"` (default) or `"vie+eng"`.
    pub lang: String,
    /// Folder holding the `.traineddata` files; `None`: `TESSDATA_PREFIX`, else Tesseract's
    /// built-in folder (Debian: `/usr/share/tesseract-ocr/5/tessdata`).
    pub tessdata: Option<PathBuf>,
    /// Find and undo quarter turns (0/90/180/270).
    pub detect_orientation: bool,
    /// Largest skew searched and corrected, degrees.
    pub max_skew_degrees: f32,
    /// Read colour pages with their red and blue ink dropped (seals and signatures over the
    /// text; see `rotate::to_gray_dropping_colour`); the PDF/A keeps the original image.
    pub colour_dropout: bool,
}

impl Default for OcrConfig {
    fn default() -> Self {
        Self {
            lang: "vie".to_owned(),
            tessdata: None,
            detect_orientation: true,
            max_skew_degrees: 10.0,
            colour_dropout: true,
        }
    }
}

/// What can go wrong in the OCR stage; each message says what to do.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum OcrError {
    #[error(
        "OCR language '{0}' is not a list of Tesseract language codes: use e.g. 'vie' or 'vie+eng'"
    )]
    InvalidLanguage(String),
    #[error("tessdata folder {} is not valid UTF-8, which Tesseract needs: move the language data to a UTF-8 path", .0.display())]
    InvalidDataPath(PathBuf),
    #[error("language data '{lang}' not found in {}: install tesseract-ocr-{lang} (Debian), or point ocr.tessdata at a folder holding {lang}.traineddata", dir.display())]
    LanguageMissing { lang: String, dir: PathBuf },
    #[error("Tesseract failed to start with language '{lang}' (data from {dir}): check that the .traineddata files are complete and made for Tesseract 4 or later")]
    Init { lang: String, dir: String },
    #[error("{file} page {page}: {width}x{height} px exceeds Tesseract's limit of 32767 px per side: rescan at a lower resolution or split the page")]
    PageTooLarge {
        file: String,
        /// 1-based.
        page: usize,
        width: u32,
        height: u32,
    },
    #[error("{file} page {page}: Tesseract failed ({what}): check that the scan opens in an image viewer; if every page fails, reinstall libtesseract")]
    Recognition {
        file: String,
        /// 1-based.
        page: usize,
        what: String,
    },
}

/// Upright raster for a recognized page (the geometry contract of [`RecognizedPage`]), in the
/// scan's colour model, for callers that need pixels.
pub fn upright_raster(page: &RecognizedPage) -> Raster {
    rotate::upright(&page.scanned.raster, page.rotation, page.skew_degrees)
}
