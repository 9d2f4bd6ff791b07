//! Pipeline `digitize`: decode → ocr → assemble for a set of scans, pages in parallel (one OCR
//! engine per worker), written in order to one searchable PDF/A, atomically (temp file, fsync,
//! rename). `sohoa digitize` and the ingest pipeline call [`digitize`].

pub mod eval;
pub mod handoff;
mod order;
mod sources;
mod texts;

pub use sources::{PdfSources, SourcePdf};
pub use texts::{recognize_pages, recognize_texts, take_decoded, PageOcr, Recognized};

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use crate::assemble::{AssembleError, DocumentInfo, EncodedRaster, PdfAWriter};
use crate::decode::{self, DecodeError, DecodeLimits, PageRef, ScannedPage};
use crate::ocr::{self, OcrConfig, OcrError, RecognizedPage};
use crate::pki::digest::{sha256_stream, DigestAlg, Hasher, StreamError};

/// What digitizing needs besides the inputs.
#[derive(Clone, Debug)]
pub struct DigitizeOptions {
    pub ocr: OcrConfig,
    /// Resolution for files that carry none.
    pub dpi_override: Option<f32>,
    /// Pages below this effective resolution are refused (the rules ask for 200 dpi).
    pub min_dpi: f32,
    /// OCR workers (one Tesseract engine each); 0 = one per core.
    pub workers: usize,
    pub limits: DecodeLimits,
    pub title: Option<String>,
    /// When the PDF/A was made (its metadata), from the caller's clock.
    pub created: SystemTime,
    pub utc_offset_minutes: i32,
    /// Engines of `ocr`'s configuration kept between runs (the service); `None`: each run
    /// starts its own.
    pub engines: Option<std::sync::Arc<ocr::EnginePool>>,
    /// Where each page recognised is reported (nowhere by default).
    pub progress: crate::progress::Progress,
}

impl Default for DigitizeOptions {
    fn default() -> Self {
        Self {
            ocr: OcrConfig::default(),
            dpi_override: None,
            min_dpi: 150.0,
            workers: 0,
            limits: DecodeLimits::default(),
            title: None,
            created: SystemTime::UNIX_EPOCH,
            utc_offset_minutes: 7 * 60,
            engines: None,
            progress: crate::progress::Progress::default(),
        }
    }
}

/// Per page, what `--json` prints.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct PageReport {
    pub source: String,
    /// 1-based page within its source file.
    pub page: usize,
    pub rotation: u16,
    pub skew_degrees: f32,
    pub mean_confidence: f32,
    pub characters: usize,
    pub words: usize,
    pub dpi: f32,
    pub jpeg_passthrough: bool,
    /// A PDF page that already carried text, copied as it is (no OCR, no second text layer).
    pub kept_as_is: bool,
    pub seconds: f64,
    pub warnings: Vec<String>,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct DigitizeReport {
    pub output: PathBuf,
    pub pages: Vec<PageReport>,
    pub bytes: u64,
    pub sha256: String,
    pub seconds: f64,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DigitizeError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error(transparent)]
    Ocr(#[from] OcrError),
    #[error(transparent)]
    Assemble(#[from] AssembleError),
    #[error("{file} page {page}: {dpi:.0} dpi is below the minimum of {min:.0} dpi (the rules ask for at least 200 dpi): rescan at 200 or 300 dpi")]
    LowResolution {
        file: String,
        page: usize,
        dpi: f32,
        min: f32,
    },
    #[error("no pages in the inputs")]
    NoPages,
    #[error("{file}: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
}

/// A writer that digests what passes through.
struct HashingWriter<W: Write> {
    inner: W,
    hasher: Hasher,
    bytes: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// "scan.tif p.3": a page as progress names it.
fn page_name(p: &PageRef) -> String {
    let (source, n) = page_label(p);
    let file = Path::new(&source)
        .file_name()
        .map_or(source.clone(), |f| f.to_string_lossy().into_owned());
    format!("{file} p.{n}")
}

fn page_label(p: &PageRef) -> (String, usize) {
    match p {
        PageRef::Image { path } => (path.display().to_string(), 1),
        PageRef::Tiff { path, index } => (path.display().to_string(), index + 1),
        PageRef::Pdf { path, index, .. } => (path.display().to_string(), index + 1),
        #[allow(unreachable_patterns)]
        _ => ("?".into(), 0),
    }
}

/// Lists every page of every input, in order.
pub fn list_inputs(
    inputs: &[PathBuf],
    limits: &DecodeLimits,
) -> Result<Vec<PageRef>, DigitizeError> {
    let mut pages = Vec::new();
    for input in inputs {
        pages.extend(decode::list_pages(input, limits)?);
    }
    if pages.is_empty() {
        return Err(DigitizeError::NoPages);
    }
    Ok(pages)
}

/// Decodes and recognises one page with a worker's engine.
pub fn recognize_page(
    engine: &mut ocr::Engine,
    page: &PageRef,
    opts: &DigitizeOptions,
) -> Result<(RecognizedPage, f64), DigitizeError> {
    let started = Instant::now();
    let scanned = decoded(page, opts)?;
    let recognized = engine.recognize(scanned)?;
    Ok((recognized, started.elapsed().as_secs_f64()))
}

/// [`recognize_page`] for a page about to be written: a raster that will be compressed into
/// the PDF (not passed through) is compressed on a thread of its own meanwhile, so that the
/// last page of a call is not compressed after its recognition (see [`EncodedRaster`]).
fn recognize_page_encoding(
    engine: &mut ocr::Engine,
    page: &PageRef,
    opts: &DigitizeOptions,
) -> Result<(RecognizedPage, f64, Option<EncodedRaster>), DigitizeError> {
    let started = Instant::now();
    let scanned = decoded(page, opts)?;
    // a copy (a memcpy of a few MB), because the engine takes the page; the compression it
    // lets run beside the recognition takes 10-150 ms
    let raster = EncodedRaster::wanted(&scanned).then(|| scanned.raster.clone());
    std::thread::scope(|scope| {
        let ahead = raster.map(|r| scope.spawn(move || EncodedRaster::encode(&r)));
        let recognized = engine.recognize(scanned)?;
        // a panicked compression is done again when the page is written
        let encoded = ahead.and_then(|h| h.join().ok()).flatten();
        Ok((recognized, started.elapsed().as_secs_f64(), encoded))
    })
}

/// The page decoded, checked against the lowest resolution allowed.
fn decoded(page: &PageRef, opts: &DigitizeOptions) -> Result<ScannedPage, DigitizeError> {
    let scanned = decode::decode_page(page, opts.dpi_override, &opts.limits)?;
    let dpi = scanned.dpi.0.min(scanned.dpi.1);
    if dpi < opts.min_dpi {
        let (file, page) = page_label(page);
        return Err(DigitizeError::LowResolution {
            file,
            page,
            dpi,
            min: opts.min_dpi,
        });
    }
    Ok(scanned)
}

/// A PDF page that carries text: kept as it is.
fn keeps_text(page: &PageRef) -> bool {
    matches!(page, PageRef::Pdf { has_text: true, .. })
}

/// What a worker hands back for one page.
enum Done {
    Recognized(Box<RecognizedPage>, f64, Option<EncodedRaster>),
    Keep,
}

fn report_of(
    page: &PageRef,
    r: &RecognizedPage,
    seconds: f64,
    jpeg_passthrough: bool,
) -> PageReport {
    let (source, page_no) = page_label(page);
    let mut warnings = Vec::new();
    if r.words.is_empty() {
        warnings.push(format!(
            "{source} page {page_no}: no text was recognised (a blank page, a photo, or a very poor scan)"
        ));
    } else if r.mean_confidence < 60.0 {
        warnings.push(format!(
            "{source} page {page_no}: low recognition confidence ({:.0}); check the scan quality",
            r.mean_confidence
        ));
    }
    PageReport {
        source,
        page: page_no,
        rotation: r.rotation,
        skew_degrees: r.skew_degrees,
        mean_confidence: r.mean_confidence,
        characters: r.text.chars().filter(|c| !c.is_whitespace()).count(),
        words: r.words.len(),
        dpi: r.scanned.dpi.0,
        jpeg_passthrough,
        kept_as_is: false,
        seconds,
        warnings,
    }
}

/// Copies a PDF page that already carries text into the output, unchanged.
fn keep_page<W: Write>(
    writer: &mut PdfAWriter<W>,
    sources: &mut PdfSources,
    page: &PageRef,
) -> Result<PageReport, DigitizeError> {
    let started = Instant::now();
    let (name, page_no) = page_label(page);
    let pdf = sources.get(page.path(), &name)?;
    let stats = writer.copy_page(pdf, &name, page.index())?;
    let mut warnings: Vec<String> = stats
        .pdfa_warnings
        .iter()
        .map(|w| format!("{name} page {page_no}: {w}; the output is not PDF/A-conforming"))
        .collect();
    warnings.insert(
        0,
        format!("{name} page {page_no}: already carries text, kept as it is (not OCRed)"),
    );
    Ok(PageReport {
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
        seconds: started.elapsed().as_secs_f64(),
        warnings,
    })
}

/// SHA-256 of each input file, hex (recorded in the PDF/A metadata).
fn input_digests(inputs: &[PathBuf]) -> Result<Vec<String>, DigitizeError> {
    inputs
        .iter()
        .map(|p| {
            let io = |source| DigitizeError::Io {
                file: p.display().to_string(),
                source,
            };
            let mut f = std::fs::File::open(p).map_err(io)?;
            match sha256_stream(&mut f, |_, _| Ok::<(), std::convert::Infallible>(())) {
                Ok((sha, _)) => Ok(sha),
                Err(StreamError::Read { source, .. }) => Err(io(source)),
                Err(StreamError::Chunk(never)) => match never {},
            }
        })
        .collect()
}

/// Workers (one engine each) for a call: the set number, or 0 for one per core. A call with
/// fewer pages than workers still starts them all: they read strips of its pages (see
/// [`ocr::Board`]).
pub(crate) fn workers(opts: &DigitizeOptions) -> usize {
    match opts.workers {
        0 => cores(),
        n => n,
    }
}

/// The board on which the workers of a call of `pages` share the reading of those that are
/// recognised (not kept as they are).
pub(crate) fn board_for(pages: &[PageRef], workers: usize) -> std::sync::Arc<ocr::Board> {
    ocr::Board::new(workers, pages.iter().filter(|p| !keeps_text(p)).count())
}

/// A worker's engine, reading through `board`.
pub(crate) fn worker_engine(
    opts: &DigitizeOptions,
    board: &std::sync::Arc<ocr::Board>,
) -> Result<ocr::PooledEngine, DigitizeError> {
    let mut engine = ocr::engine_for(opts.engines.as_ref(), &opts.ocr)?;
    engine.share(Some(std::sync::Arc::clone(board)));
    Ok(engine)
}

/// A worker out of pages: reads what the others post on `board` until they are done, and
/// leaves its engine free of the board (it may go back to a pool).
pub(crate) fn worker_done(engine: Option<&mut ocr::PooledEngine>, board: &ocr::Board) {
    match engine {
        Some(engine) => {
            engine.help();
            engine.share(None);
        }
        None => board.leave(),
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Digitizes `inputs` (in order) into the PDF/A `output`.
pub fn digitize(
    inputs: &[PathBuf],
    output: &Path,
    opts: &DigitizeOptions,
) -> Result<DigitizeReport, DigitizeError> {
    let started = Instant::now();
    let pages = list_inputs(inputs, &opts.limits)?;
    let digests = input_digests(inputs)?;
    let io_out = |source| DigitizeError::Io {
        file: output.display().to_string(),
        source,
    };
    let dir = output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = tempfile::Builder::new()
        .prefix(".sohoa-digitize-")
        .suffix(".pdf.tmp")
        .tempfile_in(dir)
        .map_err(io_out)?;
    let (tmp_file, tmp_path) = tmp.into_parts();
    let title = opts.title.clone().unwrap_or_else(|| {
        inputs
            .first()
            .and_then(|p| p.file_stem())
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "sohoa".into())
    });
    // The document ID derives from the inputs (same scans → same ID, as ISO 32000 §14.4 allows).
    let mut id = [0u8; 16];
    let id_src = DigestAlg::Sha256.digest(digests.join(",").as_bytes());
    id.copy_from_slice(&id_src[..16]);
    let info = DocumentInfo {
        title,
        producer: format!("sohoa {}", env!("CARGO_PKG_VERSION")),
        created: opts.created,
        utc_offset_minutes: opts.utc_offset_minutes,
        source_sha256: digests,
        document_id: id,
    };
    let sink = HashingWriter {
        inner: BufWriter::new(tmp_file),
        hasher: DigestAlg::Sha256.hasher(),
        bytes: 0,
    };
    let mut writer = PdfAWriter::new(sink, info)?;

    let workers = workers(opts);
    let board = board_for(&pages, workers);
    let mut reports = Vec::with_capacity(pages.len());
    // Sources of kept pages, opened once each (the writer shares their fonts across pages).
    let mut sources = PdfSources::default();
    let jobs: Vec<(usize, PageRef)> = pages.iter().cloned().enumerate().collect();
    opts.progress.begin("pages", pages.len() as u64);
    order::run_ordered(
        jobs,
        workers,
        workers * 2,
        || worker_engine(opts, &board),
        |engine, (i, page)| {
            if keeps_text(&page) {
                return Ok((i, Done::Keep));
            }
            recognize_page_encoding(engine, &page, opts)
                .map(|(r, s, e)| (i, Done::Recognized(Box::new(r), s, e)))
        },
        |engine| worker_done(engine, &board),
        |result| {
            let (i, done) = result?;
            let page = &pages[i];
            opts.progress.step(&page_name(page));
            match done {
                Done::Recognized(recognized, seconds, encoded) => {
                    let stats = writer.add_page_with(&recognized, encoded)?;
                    reports.push(report_of(
                        page,
                        &recognized,
                        seconds,
                        stats.passthrough_jpeg,
                    ));
                }
                Done::Keep => reports.push(keep_page(&mut writer, &mut sources, page)?),
            }
            Ok(())
        },
    )?;
    opts.progress.end();
    let mut sink = writer.finish()?;
    sink.flush().map_err(io_out)?;
    let file = sink
        .inner
        .into_inner()
        .map_err(|e| io_out(e.into_error()))?;
    file.sync_all().map_err(io_out)?;
    let tmp = tempfile::NamedTempFile::from_parts(file, tmp_path);
    tmp.persist(output).map_err(|e| io_out(e.error))?;
    Ok(DigitizeReport {
        output: output.to_path_buf(),
        pages: reports,
        bytes: sink.bytes,
        sha256: hex::encode(sink.hasher.finalize()),
        seconds: started.elapsed().as_secs_f64(),
    })
}
