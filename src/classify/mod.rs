//! Stage `classify` (after `ocr`, before `assemble`): splits a batch of recognised pages into
//! dossiers (cover sheets with a QR dossier code) and papers, gives each paper a document type
//! with a confidence (rules from `doc-types.toml`, plus a trained naive Bayes model when there
//! is one), and reads its identity fields.
//!
//! Pure builders (`text`, `types`, `rules`, `model`, `fields`, `dossier_code`, `batch`,
//! `eval`, `sheet`) beside the parts that read pixels (`qr`, which gathers `barcode`, `patch`,
//! `blank` and `seal`) or files (`load`).

pub mod barcode;
pub mod batch;
pub mod blank;
pub mod dossier_code;
pub mod eval;
pub mod fields;
pub mod load;
pub mod model;
pub mod page;
pub mod patch;
pub mod qr;
pub mod rules;
pub mod seal;
#[cfg(test)]
mod separator_tests;
pub mod sheet;
pub mod types;

pub use batch::{Batch, Classifier, CodeSource, Component, Dossier, PageId};
pub use page::{CodeRead, PageLine, PageText, PageWord};

/// Pixels per millimetre of a page said to be scanned at `dpi`, for the image-side readers
/// (`patch`, `blank`, `seal`): a resolution no scanner writes (outside 50–1200 dpi, or not a
/// number) is taken as 200 dpi, the desks' usual.
pub(crate) fn px_per_mm(dpi: f32) -> f32 {
    let dpi = if dpi.is_finite() && (50.0..=1200.0).contains(&dpi) {
        dpi
    } else {
        200.0
    };
    dpi / 25.4
}
