//! Stage `decode`, PDF pages: list the pages (and which already carry text), and decode a page
//! whose content draws only images: one plain image is the scan, its resolution taken from the
//! pixel size against the `/MediaBox` (ISO 32000-1 §7.7.3.3); several (MRC layers, tiles,
//! masks) are painted together by `pdf_compose`.

use super::dpi::{self, Unit};
use super::error::{DecodeError, Location};
use super::{pdf_compose, pdf_image, pdf_layers};
use super::{DecodeLimits, PageRef, ScannedPage};
use crate::pdf::content::scan::{scan, Content};
use crate::pdf::{Dict, ObjRef, Object, PdfError, PdfFile};
use std::fs::File;
use std::io::{Read, Seek};
use std::path::Path;

type Pdf = PdfFile<File>;

/// Deepest `/Parent` chain followed for inherited attributes (§7.7.3.4).
const MAX_INHERIT: usize = 64;

pub(super) fn pdf_err(at: &Location) -> impl Fn(PdfError) -> DecodeError + '_ {
    move |source| DecodeError::Pdf {
        at: at.clone(),
        source,
    }
}

/// Opens the PDF under the decode limits; refuses encrypted files.
fn open(path: &Path, file: File, limits: &DecodeLimits) -> Result<(Pdf, Vec<ObjRef>), DecodeError> {
    let at = Location::file(path);
    let pl = crate::pdf::Limits {
        max_file_size: limits.max_file_bytes,
        max_decoded_stream: limits.max_pixels.saturating_mul(8).max(256 << 20),
        ..crate::pdf::Limits::default()
    };
    let mut pdf = PdfFile::open(file, pl).map_err(pdf_err(&at))?;
    if pdf.is_encrypted() {
        return Err(DecodeError::Encrypted { at });
    }
    let pages = pdf.pages().map_err(pdf_err(&at))?;
    if pages.len() > limits.max_pages {
        return Err(DecodeError::TooManyPages {
            at,
            limit: limits.max_pages,
        });
    }
    Ok((pdf, pages))
}

/// A page's own and inherited entries.
pub(super) struct PageInfo {
    pub(super) resources: Dict,
    pub(super) media_box: Option<Vec<f64>>,
    pub(super) crop_box: Option<Vec<f64>>,
    /// `/Rotate`, degrees clockwise (0 when absent).
    pub(super) rotate: i64,
    pub(super) contents: Option<Object>,
}

pub(super) fn page_info<R: Read + Seek>(
    pdf: &mut PdfFile<R>,
    page: ObjRef,
) -> Result<PageInfo, PdfError> {
    let mut d = pdf.get(page)?.as_dict().cloned().unwrap_or_default();
    let contents = d.get(b"Contents").cloned();
    let (mut resources, mut media_box, mut crop_box, mut rotate) = (None, None, None, None);
    for _ in 0..MAX_INHERIT {
        if resources.is_none() {
            if let Some(r) = d.get(b"Resources") {
                resources = pdf.get_dict(r)?;
            }
        }
        for (key, slot) in [
            (&b"MediaBox"[..], &mut media_box),
            (b"CropBox", &mut crop_box),
        ] {
            if slot.is_none() {
                if let Some(m) = d.get(key) {
                    let m = pdf.resolve(m)?;
                    *slot = m
                        .as_array()
                        .map(|a| a.iter().filter_map(Object::as_number).collect());
                }
            }
        }
        if rotate.is_none() {
            if let Some(r) = d.get(b"Rotate") {
                rotate = pdf.resolve(r)?.as_int();
            }
        }
        let parent = match d.get(b"Parent") {
            Some(p)
                if resources.is_none()
                    || media_box.is_none()
                    || crop_box.is_none()
                    || rotate.is_none() =>
            {
                p.clone()
            }
            _ => break,
        };
        d = match pdf.get_dict(&parent)? {
            Some(p) => p,
            None => break,
        };
    }
    Ok(PageInfo {
        resources: resources.unwrap_or_default(),
        media_box,
        crop_box,
        rotate: rotate.unwrap_or(0),
        contents,
    })
}

/// The page's content streams, decoded and joined (§7.8.2).
pub(super) fn content_bytes<R: Read + Seek>(
    pdf: &mut PdfFile<R>,
    contents: Option<&Object>,
) -> Result<Vec<u8>, PdfError> {
    let parts = match contents.map(|c| pdf.resolve(c)).transpose()? {
        Some(Object::Array(a)) => a,
        Some(s @ Object::Stream(_)) => vec![s],
        _ => return Ok(Vec::new()),
    };
    let mut out = Vec::new();
    for p in parts.iter().take(4096) {
        if let Object::Stream(s) = pdf.resolve(p)? {
            out.extend(pdf.stream_decoded(&s)?);
            out.push(b'\n');
        }
    }
    Ok(out)
}

fn has_fonts(pdf: &mut Pdf, resources: &Dict) -> bool {
    match resources.get(b"Font") {
        Some(f) => pdf
            .get_dict(f)
            .ok()
            .flatten()
            .is_some_and(|d| !d.is_empty()),
        None => false,
    }
}

/// Whether the page shows text with fonts: cheap, content read only when fonts are present.
fn page_has_text(pdf: &mut Pdf, page: ObjRef) -> Result<bool, PdfError> {
    let info = page_info(pdf, page)?;
    if !has_fonts(pdf, &info.resources) {
        return Ok(false);
    }
    Ok(scan(&content_bytes(pdf, info.contents.as_ref())?).text)
}

/// The pages of a PDF; a page whose dictionary cannot be read is listed without text, its
/// decode will report the problem.
pub(crate) fn list(
    path: &Path,
    file: File,
    limits: &DecodeLimits,
) -> Result<Vec<PageRef>, DecodeError> {
    let (mut pdf, pages) = open(path, file, limits)?;
    Ok(pages
        .into_iter()
        .enumerate()
        .map(|(index, r)| PageRef::Pdf {
            path: path.to_path_buf(),
            index,
            has_text: page_has_text(&mut pdf, r).unwrap_or(false),
        })
        .collect())
}

const MIXED: &str = "it carries text or vector content";

fn check_only_draws(c: &Content, at: &Location) -> Result<(), DecodeError> {
    if c.text || c.painting {
        return Err(DecodeError::not_image_only(at, MIXED));
    }
    if c.inline_image {
        return Err(DecodeError::not_image_only(at, "it draws an inline image"));
    }
    Ok(())
}

/// Whether an image is painted through a mask, so it cannot stand for the page alone (a lone
/// stencil `/ImageMask` can: its painted samples decode black on white).
fn has_mask(d: &Dict) -> bool {
    d.get(b"SMask").is_some() || matches!(d.get(b"Mask"), Some(Object::Ref(_) | Object::Stream(_)))
}

/// Resolution from the pixel size against the page size in points; an image drawn turned by a
/// quarter (its aspect matching the page only when swapped) is measured the other way round.
fn page_dpi(media_box: Option<&[f64]>, width: u32, height: u32) -> Option<(f64, f64)> {
    let [x0, y0, x1, y1] = media_box?.get(..4)? else {
        return None;
    };
    let (wp, hp) = ((x1 - x0).abs(), (y1 - y0).abs());
    if !(wp > 0.0 && hp > 0.0) {
        return None;
    }
    let (w, h) = (f64::from(width), f64::from(height));
    let (dx, dy) = (w * 72.0 / wp, h * 72.0 / hp);
    let (sx, sy) = (w * 72.0 / hp, h * 72.0 / wp);
    let off = |a: f64, b: f64| (a / b).ln().abs();
    let (x, y) = if off(dx, dy) > 0.02 && off(sx, sy) < off(dx, dy) {
        (sx, sy)
    } else {
        (dx, dy)
    };
    dpi::to_dpi(x, y, Unit::Inch)
}

/// Page `index` of a PDF as a [`ScannedPage`].
pub(crate) fn decode_file(
    path: &Path,
    file: File,
    index: usize,
    dpi_override: Option<f32>,
    limits: &DecodeLimits,
) -> Result<ScannedPage, DecodeError> {
    let (mut pdf, pages) = open(path, file, limits)?;
    let at = Location::page(path, index);
    let e = pdf_err(&at);
    let page = *pages.get(index).ok_or(DecodeError::NoSuchPage {
        at: at.clone(),
        count: pages.len(),
    })?;
    let info = page_info(&mut pdf, page).map_err(&e)?;
    let content = scan(&content_bytes(&mut pdf, info.contents.as_ref()).map_err(&e)?);
    if content.text && has_fonts(&mut pdf, &info.resources) {
        return Err(DecodeError::HasText { at: at.clone() });
    }
    check_only_draws(&content, &at)?;
    let bytes = content_bytes(&mut pdf, info.contents.as_ref()).map_err(&e)?;
    let layers = pdf_layers::placements(&mut pdf, &bytes, &info.resources, &at)?;
    let (raster, jpeg, from_file) = match layers.as_slice() {
        [] => return Err(DecodeError::not_image_only(&at, "it draws no image")),
        // One plain image: the scan itself, measured against the page (its JPEG kept).
        [one] if !has_mask(&one.stream.dict) => {
            let img = pdf_image::decode(&mut pdf, &one.stream, &one.resources, &at, limits)?;
            let from_file = page_dpi(
                info.media_box.as_deref(),
                img.raster.width(),
                img.raster.height(),
            );
            (img.raster, img.jpeg, from_file)
        }
        // Layers, tiles, masks: painted together onto the page box.
        _ => {
            let page_box = info
                .crop_box
                .as_deref()
                .or(info.media_box.as_deref())
                .and_then(|b| <[f64; 4]>::try_from(b.get(..4)?).ok())
                .ok_or_else(|| {
                    DecodeError::corrupt(&at, "PDF", "a page of several images without a /MediaBox")
                })?;
            let (raster, dpi) = pdf_compose::compose(&mut pdf, &layers, page_box, &at, limits)?;
            (raster, None, Some(dpi))
        }
    };
    let (dpi, dpi_source) = dpi::resolve(from_file, dpi_override, &at)?;
    Ok(ScannedPage {
        source: path.to_path_buf(),
        page_index: index,
        raster,
        dpi,
        dpi_source,
        jpeg,
        png: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dpi_from_media_box() {
        let a4 = [0.0, 0.0, 595.0, 842.0];
        let d = page_dpi(Some(&a4), 1653, 2339).unwrap();
        assert!(
            (d.0 - 200.0).abs() < 0.1 && (d.1 - 200.0).abs() < 0.1,
            "{d:?}"
        );
        // Landscape pixels on a portrait page: measured swapped.
        let d = page_dpi(Some(&a4), 2339, 1653).unwrap();
        assert!((d.0 - 200.0).abs() < 0.1, "{d:?}");
        assert_eq!(page_dpi(Some(&[0.0, 0.0, 0.0, 842.0]), 10, 10), None);
        assert_eq!(page_dpi(Some(&[0.0, 0.0, 595.0]), 10, 10), None);
        assert_eq!(page_dpi(None, 10, 10), None);
        assert_eq!(
            page_dpi(Some(&[0.0, 0.0, 1.0, 1.0]), 100_000, 100_000),
            None
        );
    }
}
