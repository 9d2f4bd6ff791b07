//! Pipeline `digitize`, recognition only: decode → ocr (plus the QR codes of cover sheets) for
//! a set of scans, pages in parallel, returning the recognised text of each page in order —
//! what `classify` consumes — without writing a PDF.

use std::path::PathBuf;

use crate::classify::{qr, PageLine, PageText, PageWord};
use crate::decode::text_layer::{read_text_layer, TextLayer};
use crate::decode::{PageRef, Raster, ScannedPage};

use super::{keeps_text, list_inputs, order, page_label, page_name, recognize_page, report_of};
use super::{DigitizeError, DigitizeOptions, PageReport, PdfSources};

/// Recognises every page of `inputs`, in order. Pages of a PDF that already carry text are not
/// OCRed: their text layer is read (each source opened once); when it cannot be, the page is
/// returned without lines and a warning says why.
pub fn recognize_texts(
    inputs: &[PathBuf],
    opts: &DigitizeOptions,
) -> Result<(Vec<PageText>, Vec<PageReport>), DigitizeError> {
    let r = recognize_pages(inputs, opts, 0)?;
    Ok((r.texts, r.reports))
}

/// The geometry and words of an OCRed page, without its pixels: enough to assemble the page
/// again later from a fresh decode of the same scan, without recognising it twice.
#[derive(Clone, Debug)]
pub struct PageOcr {
    pub rotation: u16,
    pub skew_degrees: f32,
    pub width: u32,
    pub height: u32,
    pub words: Vec<crate::ocr::Word>,
    pub text: String,
    pub mean_confidence: f32,
}

/// Every page of a batch, recognised: what `classify` reads, what `assemble` needs again.
#[derive(Debug)]
pub struct Recognized {
    pub pages: Vec<PageRef>,
    pub texts: Vec<PageText>,
    /// `None` for a PDF page that carries its own text (copied, not OCRed).
    pub ocr: Vec<Option<PageOcr>>,
    /// The decoded pages, kept (in page order) while their pixels fit the budget given to
    /// [`recognize_pages`]: `assemble` takes them instead of decoding the scans a second time.
    /// `None` past the budget and for pages kept as they are.
    pub decoded: Vec<Option<ScannedPage>>,
    pub reports: Vec<PageReport>,
}

/// `page` decoded: the copy `kept` from the OCR ([`Recognized::decoded`], handed over once),
/// else decoded again.
pub fn take_decoded(
    kept: &mut Option<ScannedPage>,
    page: &PageRef,
    dpi_override: Option<f32>,
    limits: &crate::decode::DecodeLimits,
) -> Result<ScannedPage, crate::decode::DecodeError> {
    match kept.take() {
        Some(page) => Ok(page),
        None => crate::decode::decode_page(page, dpi_override, limits),
    }
}

/// The bytes a decoded page takes in memory: its pixels and the compressed data kept for
/// passthrough.
fn page_bytes(page: &ScannedPage) -> usize {
    let (w, h) = (page.raster.width() as usize, page.raster.height() as usize);
    let channels = match page.raster {
        Raster::Gray(_) => 1,
        _ => 3,
    };
    let kept = page.jpeg.as_ref().map_or(0, Vec::len) + page.png.as_ref().map_or(0, Vec::len);
    w.saturating_mul(h)
        .saturating_mul(channels)
        .saturating_add(kept)
}

/// [`recognize_texts`], keeping what is needed to assemble the pages afterwards: the words and
/// geometry of every page, and the decoded pages themselves up to `keep_pixel_bytes` (pixels
/// and the compressed data kept for passthrough; the rest are decoded again when assembled,
/// so memory stays bounded for long batches).
pub fn recognize_pages(
    inputs: &[PathBuf],
    opts: &DigitizeOptions,
    keep_pixel_bytes: usize,
) -> Result<Recognized, DigitizeError> {
    let pages = list_inputs(inputs, &opts.limits)?;
    let workers = super::workers(opts);
    let board = super::board_for(&pages, workers);
    let mut texts = Vec::with_capacity(pages.len());
    let mut reports = Vec::with_capacity(pages.len());
    let mut ocrs = Vec::with_capacity(pages.len());
    let mut decoded = Vec::with_capacity(pages.len());
    let mut kept_bytes = 0usize;
    let mut sources = PdfSources::default();
    let jobs: Vec<(usize, PageRef)> = pages.iter().cloned().enumerate().collect();
    opts.progress.begin("pages", pages.len() as u64);
    order::run_ordered(
        jobs,
        workers,
        workers * 2,
        || super::worker_engine(opts, &board),
        |engine, (i, page)| {
            if keeps_text(&page) {
                return Ok((i, None));
            }
            let (r, seconds) = recognize_page(engine, &page, opts)?;
            let (source, page_no) = page_label(&page);
            let name = display_name(&source);
            let mut text = PageText::from_recognized(&name, page_no, &r);
            let thorough = qr::cover_plausible(&text.lines);
            let marks = qr::read_marks(&r.scanned.raster, r.scanned.dpi.0, r.rotation, thorough);
            (text.codes, text.blank) = (marks.codes, marks.blank);
            (text.colour, text.seal) = (marks.colour, marks.seal);
            let mut report = report_of(&page, &r, seconds, false);
            report.source = name;
            let geometry = PageOcr {
                rotation: r.rotation,
                skew_degrees: r.skew_degrees,
                width: r.width,
                height: r.height,
                words: r.words,
                text: r.text,
                mean_confidence: r.mean_confidence,
            };
            Ok((i, Some((text, report, geometry, r.scanned))))
        },
        |engine| super::worker_done(engine, &board),
        |result: Result<_, DigitizeError>| {
            let (i, done) = result?;
            opts.progress.step(&page_name(&pages[i]));
            match done {
                Some((text, report, geometry, scanned)) => {
                    texts.push(text);
                    reports.push(report);
                    ocrs.push(Some(geometry));
                    let bytes = page_bytes(&scanned);
                    if kept_bytes.saturating_add(bytes) <= keep_pixel_bytes {
                        kept_bytes += bytes;
                        decoded.push(Some(scanned));
                    } else {
                        decoded.push(None);
                    }
                }
                None => {
                    let page = &pages[i];
                    let (source, page_no) = page_label(page);
                    let name = display_name(&source);
                    let (lines, width, height, read, warning) = match layer_of(
                        &mut sources,
                        page,
                        &name,
                    ) {
                        Ok(layer) => {
                            let (lines, w, h) = layer_lines(&layer);
                            let warning = format!(
                                    "{name} page {page_no}: carries its own text, read from its text layer (not OCRed)"
                                );
                            (lines, w, h, true, warning)
                        }
                        Err(why) => (
                            Vec::new(),
                            1,
                            1,
                            false,
                            format!(
                                "{why}; its text layer could not be read, classified from no text"
                            ),
                        ),
                    };
                    let words: usize = lines.iter().map(|l| l.words.len()).sum();
                    let characters = lines
                        .iter()
                        .map(|l| l.text.chars().filter(|c| !c.is_whitespace()).count())
                        .sum();
                    texts.push(PageText {
                        source: name.clone(),
                        source_page: page_no,
                        width,
                        height,
                        lines,
                        codes: Vec::new(),
                        mean_confidence: if read { 100.0 } else { 0.0 },
                        rotation: 0,
                        blank: false,
                        colour: false,
                        seal: None,
                    });
                    reports.push(PageReport {
                        source: name,
                        page: page_no,
                        rotation: 0,
                        skew_degrees: 0.0,
                        mean_confidence: if read { 100.0 } else { 0.0 },
                        characters,
                        words,
                        dpi: if read { LAYER_DPI } else { 0.0 },
                        jpeg_passthrough: false,
                        kept_as_is: true,
                        seconds: 0.0,
                        warnings: vec![warning],
                    });
                    ocrs.push(None);
                    decoded.push(None);
                }
            }
            Ok(())
        },
    )?;
    opts.progress.end();
    Ok(Recognized {
        pages,
        texts,
        ocr: ocrs,
        decoded,
        reports,
    })
}

/// The file name without its directories (what officers see).
fn display_name(path: &str) -> String {
    std::path::Path::new(path)
        .file_name()
        .map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned())
}

/// A PDF source of kept pages, opened once.
/// The text layer is given the pixel geometry of a 150 dpi scan.
const LAYER_DPI: f32 = 150.0;

/// Why a kept page's text layer could not be read; the message names the file and page.
#[derive(Debug, thiserror::Error)]
enum LayerError {
    #[error("{label} page {page}: the file could not be opened as a PDF ({source})")]
    Open {
        label: String,
        page: usize,
        source: super::DigitizeError,
    },
    #[error(transparent)]
    Read(#[from] crate::decode::DecodeError),
}

/// Reads the text layer of a kept page (its file opened once per run).
fn layer_of(
    sources: &mut PdfSources,
    page: &PageRef,
    label: &str,
) -> Result<TextLayer, LayerError> {
    let pdf = sources
        .get(page.path(), label)
        .map_err(|source| LayerError::Open {
            label: label.to_string(),
            page: page.index() + 1,
            source,
        })?;
    Ok(read_text_layer(pdf, page.index(), label)?)
}

/// A text layer as classification lines, points scaled to pixels at [`LAYER_DPI`]; returns them
/// with the page size in pixels.
fn layer_lines(layer: &TextLayer) -> (Vec<PageLine>, u32, u32) {
    let k = LAYER_DPI / 72.0;
    let px = |v: f32| (v * k).round().clamp(1.0, u32::MAX as f32) as u32;
    let lines = layer
        .lines
        .iter()
        .map(|line| {
            PageLine::from_words(
                line.iter()
                    .map(|w| PageWord {
                        text: w.text.clone(),
                        bbox: w.bbox.map(|v| v * k),
                    })
                    .collect(),
            )
        })
        .filter(|l| !l.words.is_empty())
        .collect();
    (lines, px(layer.width), px(layer.height))
}
