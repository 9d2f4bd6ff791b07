//! Stage `assemble`: recognised pages to a searchable PDF/A-2u (ISO 19005-2, level U): each
//! page's original image embedded once, an invisible text layer on the words, XMP metadata,
//! an sRGB OutputIntent. Streams page by page to the output.
//!
//! Flow inside the stage: [`PdfAWriter::new`] writes the header and loads the glyphless font
//! (`font`); [`PdfAWriter::add_page`] writes the page's image XObject (`image`, with
//! `jpeg_info` deciding JPEG pass-through), its content stream and page object (`page`);
//! [`PdfAWriter::copy_page`] copies a page of an existing PDF that already carries text,
//! unchanged and without a text layer (`copy`), reporting what breaks PDF/A (`copy_check`);
//! [`PdfAWriter::finish`] writes the font, page tree, XMP (`xmp`), OutputIntent, catalog,
//! Info, cross-reference table and trailer (`writer`).

mod copy;
mod copy_check;
mod copy_plan;
mod font;
mod image;
mod jpeg_info;
mod page;
mod writer;
mod xmp;

#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::time::SystemTime;

pub use copy::CopiedPageStats;
pub use copy_plan::{MAX_COPIED_BYTES, MAX_COPIED_OBJECTS};
pub use image::EncodedRaster;
pub use writer::PdfAWriter;

/// Where Tesseract installs its glyphless font (Debian/Ubuntu `tesseract-ocr`, version 5).
pub const DEFAULT_GLYPHLESS_FONT: &str = "/usr/share/tesseract-ocr/5/tessdata/pdf.ttf";

/// Document-level facts. The clock and the document ID are parameters: the stage reads no
/// clock and draws no randomness.
#[derive(Clone, Debug)]
pub struct DocumentInfo {
    pub title: String,
    /// `sohoa x.y`.
    pub producer: String,
    /// Creation time, written as CreateDate, ModifyDate and MetadataDate.
    pub created: SystemTime,
    /// Local offset from UTC for the dates, minutes (Viet Nam: +420).
    pub utc_offset_minutes: i32,
    /// SHA-256 of each input file, hex (64 digits), in input order.
    pub source_sha256: Vec<String>,
    /// Both halves of the trailer `/ID`, and `xmpMM:DocumentID`/`InstanceID`.
    pub document_id: [u8; 16],
}

/// Settings of the writer that are not facts about the document.
#[derive(Clone, Debug)]
pub struct AssembleOptions {
    /// Tesseract's `pdf.ttf` (one blank glyph; Apache-2.0), embedded for the text layer.
    pub glyphless_font: PathBuf,
}

impl Default for AssembleOptions {
    fn default() -> Self {
        Self {
            glyphless_font: PathBuf::from(DEFAULT_GLYPHLESS_FONT),
        }
    }
}

/// What one [`PdfAWriter::add_page`] wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageStats {
    /// Bytes of the image stream (the JPEG itself, or the Flate-compressed raster).
    pub image_bytes: u64,
    /// True when the scan's original JPEG bytes were embedded unchanged (/DCTDecode).
    pub passthrough_jpeg: bool,
    /// Words placed in the text layer (words whose text is empty after cleaning are skipped).
    pub words: usize,
    /// SHA-256 of the image stream's data as written (still encoded): how a later step that
    /// holds the page's pixels recognises its image (`sign::appearance::KnownImage`).
    pub image_sha256: [u8; 32],
}

/// Everything that can stop the PDF/A writer. Page errors name the source file and page.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum AssembleError {
    #[error("writing the PDF: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot read the glyphless font {}: {source}; install tesseract-ocr (it ships pdf.ttf) or set the font path", path.display())]
    FontMissing {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("glyphless font {}: {msg}", path.display())]
    BadFont { path: PathBuf, msg: String },
    #[error("{} page {page}: {msg}", file.display())]
    Page {
        file: PathBuf,
        /// 1-based page within `source`.
        page: usize,
        msg: String,
    },
    #[error("document info: {0}")]
    Info(#[from] InfoError),
    #[error("a PDF needs at least one page; none was added")]
    NoPages,
    #[error("an earlier write failed, so the output is incomplete; start a new document")]
    Poisoned,
}

/// What is wrong with the document information given to the writer.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum InfoError {
    #[error(transparent)]
    Time(#[from] crate::time::TimeError),
    #[error("source SHA-256 {0:?} is not 64 hex digits")]
    SourceHash(String),
}

impl AssembleError {
    pub(crate) fn page(p: &crate::ocr::RecognizedPage, msg: impl Into<String>) -> Self {
        AssembleError::Page {
            file: p.scanned.source.clone(),
            page: p.scanned.page_index + 1,
            msg: msg.into(),
        }
    }
}
