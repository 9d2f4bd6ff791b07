//! Stage `decode`: scans (JPEG, PNG, multi-page TIFF, image-only PDF pages) to page rasters,
//! bounded (file size, pixel count, page count), page by page so memory stays flat.
//!
//! Typed state: [`ScannedPage`] is what `ocr` consumes.

use std::path::PathBuf;

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
}
