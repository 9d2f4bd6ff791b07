//! Tests of the decode stage through its public API, on fixtures built in the tests.

pub(crate) mod fixtures;
mod images;
mod pdf;
mod samples;
mod tiffs;

use super::{DecodeError, DecodeLimits, PageRef, Raster, ScannedPage};

pub(crate) fn gray(p: &ScannedPage) -> &image::GrayImage {
    match &p.raster {
        Raster::Gray(g) => g,
        other => panic!("expected a gray raster, got {other:?}"),
    }
}

pub(crate) fn rgb(p: &ScannedPage) -> &image::RgbImage {
    match &p.raster {
        Raster::Rgb(g) => g,
        other => panic!("expected an RGB raster, got {other:?}"),
    }
}

/// Decodes every page of `path` with the default limits.
pub(crate) fn decode_all(
    path: &std::path::Path,
    dpi: Option<f32>,
) -> Vec<Result<ScannedPage, DecodeError>> {
    let limits = DecodeLimits::default();
    let pages = super::list_pages(path, &limits).unwrap();
    pages
        .iter()
        .map(|p| super::decode_page(p, dpi, &limits))
        .collect()
}

pub(crate) fn image_ref(path: &std::path::Path) -> PageRef {
    PageRef::Image {
        path: path.to_path_buf(),
    }
}
