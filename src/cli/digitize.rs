//! `sohoa digitize` and `sohoa eval ocr`: scans to one searchable PDF/A; OCR quality on samples.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use sohoa::config::Config;
use sohoa::digitize::{self, eval};

#[derive(Args)]
pub struct DigitizeArgs {
    /// Scans (JPEG, PNG, TIFF, image-only PDF), in page order.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// The PDF/A-2u to write (atomically).
    #[arg(short, long)]
    output: PathBuf,
    /// Tesseract language(s), e.g. vie or vie+eng (default: [digitize] lang).
    #[arg(long)]
    lang: Option<String>,
    /// Resolution for files that carry none.
    #[arg(long)]
    dpi: Option<f32>,
    /// Document title (default: the first input's name).
    #[arg(long)]
    title: Option<String>,
    /// OCR workers (default: [digitize] workers; 0 = one per core).
    #[arg(long)]
    jobs: Option<usize>,
    /// Print per-page details and the output's SHA-256 as JSON.
    #[arg(long)]
    json: bool,
    /// Read the scans in this process even when a `sohoa serve` listens on [digitize]
    /// handoff_socket.
    #[arg(long)]
    local: bool,
}

#[derive(Subcommand)]
pub enum EvalCommand {
    /// Character error rate of OCR against NAME.gt.txt beside each scan in DIR.
    Ocr {
        dir: PathBuf,
        #[arg(long)]
        lang: Option<String>,
        #[arg(long)]
        dpi: Option<f32>,
        /// Read colour pages as they are, red and blue ink included (to measure the dropout).
        #[arg(long)]
        keep_colour: bool,
        #[arg(long)]
        json: bool,
    },
    /// Every batch of DIR/labels.json ingested into a scratch store (twice), then each paper
    /// looked for: stored once, type, signature verifies, found by ID number, type and name.
    Ingest {
        dir: PathBuf,
        /// Trained model (default: [classify] model; rules alone if absent).
        #[arg(long)]
        model: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// The marks read on each page of FILES without OCR: codes, both readers as on a cover sheet
    /// (QR, Data Matrix, Code 128; patch codes), blank, red seal. What scripts/bench_codes.py
    /// sets beside zbarimg and scripts/bench_blank.py scores.
    Codes {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long)]
        dpi: Option<f32>,
        #[arg(long)]
        json: bool,
    },
    /// Splitting, type, field and cover-sheet accuracy against DIR/labels.json.
    Classify {
        dir: PathBuf,
        /// Trained model (default: [classify] model; rules alone if absent).
        #[arg(long)]
        model: Option<PathBuf>,
        #[arg(long)]
        lang: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(cfg: &Config, a: DigitizeArgs) -> anyhow::Result<ExitCode> {
    let report = match handed_off(cfg, &a)? {
        Some(r) => r,
        None => {
            // libtesseract's OpenMP single-threaded: this may re-execute sohoa, which then
            // does not try the service again
            if let Err(e) = sohoa::ocr::ensure_single_threaded_openmp_with(&[(HANDOFF_TRIED, "1")])
            {
                eprintln!("sohoa: warning: could not restart with OMP_THREAD_LIMIT=1: {e}");
            }
            let mut opts = super::context::digitize_options(cfg, a.lang.as_deref(), a.dpi, a.jobs);
            opts.title = a.title.clone();
            opts.progress = super::progress::progress();
            digitize::digitize(&a.inputs, &a.output, &opts)?
        }
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for p in &report.pages {
            println!(
                "{} p{}: rotated {}°, deskewed {:+.1}°, {} words, confidence {:.0}, {:.2} s{}",
                p.source,
                p.page,
                p.rotation,
                p.skew_degrees,
                p.words,
                p.mean_confidence,
                p.seconds,
                if p.jpeg_passthrough {
                    ", JPEG kept as is"
                } else {
                    ""
                }
            );
        }
        println!(
            "wrote {} ({} pages, {} bytes, sha256 {}) in {:.2} s",
            report.output.display(),
            report.pages.len(),
            report.bytes,
            report.sha256,
            report.seconds
        );
    }
    for w in report.pages.iter().flat_map(|p| &p.warnings) {
        eprintln!("sohoa: warning: {w}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Set in the environment of a `sohoa digitize` restarted to read the scans itself.
const HANDOFF_TRIED: &str = "SOHOA_HANDOFF_TRIED";

/// The call done by the service on [digitize] handoff_socket, when one listens there and the
/// call asks for nothing the service would do otherwise (another language or worker count).
fn handed_off(cfg: &Config, a: &DigitizeArgs) -> anyhow::Result<Option<digitize::DigitizeReport>> {
    let Some(socket) = &cfg.digitize.handoff_socket else {
        return Ok(None);
    };
    if a.local || a.lang.is_some() || a.jobs.is_some() || std::env::var_os(HANDOFF_TRIED).is_some()
    {
        return Ok(None);
    }
    let socket = cfg.resolve(socket);
    match digitize::handoff::hand_off(&socket, &a.inputs, &a.output, a.title.as_deref(), a.dpi) {
        Ok(r) => Ok(r),
        Err(e @ digitize::handoff::HandoffError::Broken { .. }) => {
            eprintln!("sohoa: warning: {e}; reading the scans here instead");
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

pub fn run_eval(cfg: &Config, e: EvalCommand) -> anyhow::Result<ExitCode> {
    let (dir, lang, dpi, keep_colour, json) = match e {
        EvalCommand::Ocr {
            dir,
            lang,
            dpi,
            keep_colour,
            json,
        } => (dir, lang, dpi, keep_colour, json),
        EvalCommand::Classify {
            dir,
            model,
            lang,
            json,
        } => return super::classify::run_eval(cfg, &dir, model.as_deref(), lang.as_deref(), json),
        EvalCommand::Ingest { dir, model, json } => {
            return super::ingest::run_eval_ingest(cfg, &dir, model.as_deref(), json)
        }
        EvalCommand::Codes { files, dpi, json } => return run_eval_codes(cfg, &files, dpi, json),
    };
    let mut opts = super::context::digitize_options(cfg, lang.as_deref(), dpi, None);
    opts.progress = super::progress::progress();
    opts.ocr.colour_dropout = !keep_colour;
    let report = eval::eval_dir(&dir, &opts)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<48} {:>5} {:>7} {:>6} {:>7} {:>7}",
        "file", "pages", "chars", "errors", "CER %", "s/page"
    );
    for f in &report.files {
        let name = std::path::Path::new(&f.file)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        println!(
            "{:<48} {:>5} {:>7} {:>6} {:>7.2} {:>7.2}",
            name,
            f.pages,
            f.reference_chars,
            f.errors,
            f.cer * 100.0,
            f.seconds / f.pages.max(1) as f64
        );
    }
    println!(
        "{:<48} {:>5} {:>7} {:>6} {:>7.2}",
        "overall",
        report.files.iter().map(|f| f.pages).sum::<usize>(),
        report.reference_chars,
        report.errors,
        report.cer * 100.0
    );
    Ok(ExitCode::SUCCESS)
}

/// `sohoa eval codes`: one line (or JSON object) per page with the codes read on it; a file
/// that cannot be decoded is reported and the others still read (exit 1 at the end).
fn run_eval_codes(
    cfg: &Config,
    files: &[PathBuf],
    dpi: Option<f32>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    use sohoa::classify::{qr, CodeRead};
    let opts = super::context::digitize_options(cfg, None, dpi, None);
    let mut pages = Vec::new();
    let mut failed = false;
    for f in files {
        let listed = match sohoa::decode::list_pages(f, &opts.limits) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("sohoa: {e}");
                failed = true;
                continue;
            }
        };
        for page in &listed {
            let started = std::time::Instant::now();
            let scanned = match sohoa::decode::decode_page(page, dpi, &opts.limits) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("sohoa: {e}");
                    failed = true;
                    continue;
                }
            };
            let marks = qr::read_marks(&scanned.raster, scanned.dpi.0, 0, true);
            let codes = marks.codes;
            let text = |c: &CodeRead| match c {
                CodeRead::Decoded { text, .. } => Some(text.clone()),
                CodeRead::Patch { bars, .. } => Some(format!("patch:{bars}")),
                _ => None,
            };
            let decoded: Vec<String> = codes.iter().filter_map(text).collect();
            let unreadable = codes.len() - decoded.len();
            let seconds = started.elapsed().as_secs_f64();
            if !json {
                println!(
                    "{} p{}: {} ({} unreadable){}{} {:.2} s",
                    f.display(),
                    page.index() + 1,
                    if decoded.is_empty() {
                        "no code".to_string()
                    } else {
                        decoded.join(" | ")
                    },
                    unreadable,
                    if marks.blank { ", blank" } else { "" },
                    if marks.seal.is_some() {
                        ", red seal"
                    } else {
                        ""
                    },
                    seconds
                );
            }
            pages.push(serde_json::json!({
                "file": f.display().to_string(),
                "page": page.index() + 1,
                "codes": decoded,
                "unreadable": unreadable,
                "blank": marks.blank,
                "seal": marks.seal.is_some(),
                "seconds": seconds,
            }));
        }
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&pages)?);
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
