//! Stage `classify` (after `ocr`, before `assemble`): splits a batch of recognised pages into
//! dossiers (cover sheets with a QR dossier code) and papers, gives each paper a document type
//! with a confidence (rules from `doc-types.toml`, plus a trained naive Bayes model when there
//! is one), and reads its identity fields.
//!
//! Pure builders (`text`, `types`, `rules`, `model`, `fields`, `dossier_code`, `batch`,
//! `eval`) beside the parts that touch pixels or files (`qr`, `load`).

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
