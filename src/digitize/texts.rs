//! Pipeline `digitize`, recognition only: decode → ocr (plus the QR codes of cover sheets) for
//! a set of scans, pages in parallel, returning the recognised text of each page in order —
//! what `classify` consumes — without writing a PDF.

use std::path::PathBuf;

use crate::classify::{qr, PageText};
use crate::ocr;

use super::{keeps_text, list_inputs, order, page_label, recognize_page, report_of};
use super::{DigitizeError, DigitizeOptions, PageReport};

/// Recognises every page of `inputs`, in order. Pages of a PDF that already carry text are
/// returned without lines and with a warning (their text layer is not read yet).
pub fn recognize_texts(
    inputs: &[PathBuf],
    opts: &DigitizeOptions,
) -> Result<(Vec<PageText>, Vec<PageReport>), DigitizeError> {
    let pages = list_inputs(inputs, &opts.limits)?;
    let workers = if opts.workers == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        opts.workers
    };
    let mut texts = Vec::with_capacity(pages.len());
    let mut reports = Vec::with_capacity(pages.len());
    let jobs: Vec<(usize, crate::decode::PageRef)> = pages.iter().cloned().enumerate().collect();
    order::run_ordered(
        jobs,
        workers,
        workers * 2,
        || ocr::Engine::new(&opts.ocr).map_err(DigitizeError::from),
        |engine, (i, page)| {
            if keeps_text(&page) {
                return Ok((i, None));
            }
            let (r, seconds) = recognize_page(engine, &page, opts)?;
            let (source, page_no) = page_label(&page);
            let name = display_name(&source);
            let mut text = PageText::from_recognized(&name, page_no, &r);
            text.codes = qr::read_codes(&r.scanned.raster, r.scanned.dpi.0, r.rotation);
            let mut report = report_of(&page, &r, seconds, false);
            report.source = name;
            Ok((i, Some((text, report))))
        },
        |result: Result<_, DigitizeError>| {
            let (i, done) = result?;
            match done {
                Some((text, report)) => {
                    texts.push(text);
                    reports.push(report);
                }
                None => {
                    let (source, page_no) = page_label(&pages[i]);
                    let name = display_name(&source);
                    let warning = format!(
                        "{name} page {page_no}: carries its own text, which classification does not read yet; classified from no text"
                    );
                    texts.push(PageText {
                        source: name.clone(),
                        source_page: page_no,
                        width: 1,
                        height: 1,
                        lines: Vec::new(),
                        codes: Vec::new(),
                        mean_confidence: 0.0,
                        rotation: 0,
                    });
                    reports.push(PageReport {
                        source: name,
                        page: page_no,
                        rotation: 0,
                        skew_degrees: 0.0,
                        mean_confidence: 0.0,
                        characters: 0,
                        words: 0,
                        dpi: 0.0,
                        jpeg_passthrough: false,
                        kept_as_is: true,
                        seconds: 0.0,
                        warnings: vec![warning],
                    });
                }
            }
            Ok(())
        },
    )?;
    Ok((texts, reports))
}

/// The file name without its directories (what officers see).
fn display_name(path: &str) -> String {
    std::path::Path::new(path)
        .file_name()
        .map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned())
}
