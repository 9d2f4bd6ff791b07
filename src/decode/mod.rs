//! Stage `decode`: scans (JPEG, PNG, multi-page TIFF, image-only PDF pages) to page rasters,
//! bounded (file size, pixel count, page count), page by page so memory stays flat.
//!
//! Typed state: [`ScannedPage`] is what `ocr` consumes.
//!
//! Flow: [`list_pages`] / [`decode_page`] → `sniff` (size, magic bytes) → `raster_image`
//! (JPEG, PNG; `headers` read first) | `tiff_file` | `pdf_page` (`pdf::content::scan`,
//! `pdf_image`) → `samples` (to 8-bit gray/RGB); `dpi` decides the resolution, `error` words
//! every failure.

use std::path::{Path, PathBuf};

mod dpi;
mod error;
mod headers;
mod pdf_codecs;
mod pdf_compose;
mod pdf_image;
mod pdf_layers;
mod pdf_page;
mod raster_image;
mod samples;
mod sniff;
pub mod text_layer;
mod tiff_file;

#[cfg(test)]
pub(crate) mod tests;

pub use error::{DecodeError, Location};

/// Bounds on untrusted scans.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Largest input file: 2 GiB.
    pub max_file_bytes: u64,
    /// Largest page raster, width × height: 150 megapixels (A3 at 600 dpi is 70 MP).
    pub max_pixels: u64,
    /// Most pages in one input: 2,000.
    pub max_pages: usize,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        Self {
            max_file_bytes: 2 << 30,
            max_pixels: 150_000_000,
            max_pages: 2000,
        }
    }
}

/// An 8-bit page raster.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Raster {
    Gray(image::GrayImage),
    Rgb(image::RgbImage),
}

impl Raster {
    pub fn width(&self) -> u32 {
        match self {
            Raster::Gray(i) => i.width(),
            Raster::Rgb(i) => i.width(),
        }
    }

    pub fn height(&self) -> u32 {
        match self {
            Raster::Gray(i) => i.height(),
            Raster::Rgb(i) => i.height(),
        }
    }
}

/// Where a page's resolution came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DpiSource {
    /// The file says (JFIF density, PNG pHYs, TIFF XResolution, PDF page size vs pixels).
    File,
    /// `--dpi`, because the file did not say.
    Override,
}

/// A decoded page: what `ocr` consumes.
#[derive(Clone, Debug)]
pub struct ScannedPage {
    pub source: PathBuf,
    /// 0-based page within `source`.
    pub page_index: usize,
    pub raster: Raster,
    /// Horizontal and vertical resolution, pixels per inch.
    pub dpi: (f32, f32),
    pub dpi_source: DpiSource,
    /// The original JPEG stream when the page is exactly one JPEG (a .jpg file, or a PDF page
    /// whose only image is DCTDecode; not JPEG-in-TIFF): `assemble` embeds these bytes unchanged.
    pub jpeg: Option<Vec<u8>>,
    /// The compressed image data (IDAT: zlib over PNG-filtered rows) when the page is a plain
    /// 8-bit Gray or RGB PNG of the raster's size: `assemble` embeds it unchanged (Flate with
    /// the PNG predictors) instead of compressing the raster again.
    pub png: Option<Vec<u8>>,
}

/// A page of an input file, found without decoding pixels.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum PageRef {
    /// A JPEG or PNG file: one page.
    Image { path: PathBuf },
    /// IFD `index` (0-based) of a TIFF's main chain.
    Tiff { path: PathBuf, index: usize },
    /// Page `index` (0-based, document order) of a PDF. `has_text`: the page's resources have
    /// a font and its content a text object; such pages are kept as they are, not decoded.
    Pdf {
        path: PathBuf,
        index: usize,
        has_text: bool,
    },
}

impl PageRef {
    pub fn path(&self) -> &Path {
        match self {
            PageRef::Image { path } | PageRef::Tiff { path, .. } | PageRef::Pdf { path, .. } => {
                path
            }
        }
    }

    /// 0-based page within [`PageRef::path`].
    pub fn index(&self) -> usize {
        match self {
            PageRef::Image { .. } => 0,
            PageRef::Tiff { index, .. } | PageRef::Pdf { index, .. } => *index,
        }
    }
}

/// The pages of `path` (JPEG, PNG, TIFF or PDF, told by its first bytes), in order, without
/// decoding pixels. Refuses empty, oversized and unknown files and more than `max_pages` pages.
pub fn list_pages(path: &Path, limits: &DecodeLimits) -> Result<Vec<PageRef>, DecodeError> {
    error::guard(&Location::file(path), || list_pages_inner(path, limits))
}

fn list_pages_inner(path: &Path, limits: &DecodeLimits) -> Result<Vec<PageRef>, DecodeError> {
    let (file, format) = sniff::open(path, limits)?;
    match format {
        sniff::Format::Jpeg | sniff::Format::Png => Ok(vec![PageRef::Image {
            path: path.to_path_buf(),
        }]),
        sniff::Format::Tiff => tiff_file::list(path, file, limits),
        sniff::Format::Pdf => pdf_page::list(path, file, limits),
    }
}

/// Decodes one page to an 8-bit raster with its resolution: the file's when it states a sane
/// one, else `dpi_override`, else [`DecodeError::NoResolution`]. Limits are checked on the
/// headers before any pixel buffer is allocated. A PDF page with text is
/// [`DecodeError::HasText`]: the caller keeps it as it is.
pub fn decode_page(
    page: &PageRef,
    dpi_override: Option<f32>,
    limits: &DecodeLimits,
) -> Result<ScannedPage, DecodeError> {
    let at = match page {
        PageRef::Image { path } => Location::file(path),
        other => Location::page(other.path(), other.index()),
    };
    error::guard(&at, || decode_page_inner(page, dpi_override, limits))
}

fn decode_page_inner(
    page: &PageRef,
    dpi_override: Option<f32>,
    limits: &DecodeLimits,
) -> Result<ScannedPage, DecodeError> {
    let (path, index) = (page.path(), page.index());
    dpi::check_override(dpi_override, &Location::file(path))?;
    let (file, format) = sniff::open(path, limits)?;
    match (format, page) {
        (_, PageRef::Pdf { has_text: true, .. }) => Err(DecodeError::HasText {
            at: Location::page(path, index),
        }),
        (sniff::Format::Jpeg, PageRef::Image { .. }) => {
            raster_image::jpeg_file(path, file, dpi_override, limits)
        }
        (sniff::Format::Png, PageRef::Image { .. }) => {
            raster_image::png_file(path, file, dpi_override, limits)
        }
        (sniff::Format::Tiff, PageRef::Tiff { .. } | PageRef::Image { .. }) => {
            tiff_file::decode_file(path, file, index, dpi_override, limits)
        }
        (sniff::Format::Pdf, PageRef::Pdf { .. }) => {
            pdf_page::decode_file(path, file, index, dpi_override, limits)
        }
        (found, _) => Err(DecodeError::corrupt(
            &Location::page(path, index),
            "page",
            format!("the file is now {found:?}, not what was listed; list its pages again"),
        )),
    }
}
