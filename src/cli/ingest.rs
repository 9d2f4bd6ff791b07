//! `sohoa ingest` (scans → stored, signed, indexed papers) and `sohoa eval ingest` (the same
//! on labelled samples into a scratch store, measured).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use sohoa::config::Config;
use sohoa::desk::build;
use sohoa::index::SqliteIndex;
use sohoa::ingest::ingest;
use sohoa::store::{BlobId, LocalStore};
use sohoa::verify::{self, VerifyOptions};

use super::context;

/// How `[store] signer` or `[sign] default_signer` names the signer of ingested papers.
const SIGNER_HINT: &str = "set [store] signer";

#[derive(Args)]
pub struct IngestArgs {
    /// Scans of one batch, or folders of scans (each folder one batch), in page order.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// The receiving unit (default: [store] unit).
    #[arg(long)]
    unit: Option<String>,
    /// The dossier code (the operator's folder); wins over cover sheets.
    #[arg(long)]
    dossier: Option<String>,
    #[arg(long)]
    json: bool,
}

/// The scans of a folder, by name.
fn scans_in(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.extension().is_some_and(|e| {
                    matches!(
                        e.to_string_lossy().to_lowercase().as_str(),
                        "jpg" | "jpeg" | "png" | "tif" | "tiff" | "pdf"
                    )
                })
        })
        .collect();
    v.sort();
    Ok(v)
}

pub fn run_ingest(cfg: &Config, a: IngestArgs) -> anyhow::Result<ExitCode> {
    if let Some(code) = &a.dossier {
        sohoa::classify::dossier_code::parse(code).context("--dossier")?;
    }
    let classifier = sohoa::desk::build::classifier(cfg, None)?;
    let signer = build::ingest_signers(cfg, SIGNER_HINT)?;
    let clock = context::clock(cfg);
    let (store, mut index, root) = context::open(cfg)?;
    // what runs killed more than an hour ago left behind
    let stale = std::time::Duration::from_secs(3600);
    store.sweep_temporaries(clock.now(), stale)?;
    sohoa::ingest::sweep_work_dir(&root.join("work"), clock.now(), stale)?;
    let mut batches: Vec<Vec<PathBuf>> = Vec::new();
    let mut files = Vec::new();
    for i in &a.inputs {
        if i.is_dir() {
            batches.push(scans_in(i)?);
        } else {
            files.push(i.clone());
        }
    }
    if !files.is_empty() {
        batches.insert(0, files);
    }
    let mut all = Vec::new();
    let unit = a.unit.clone().unwrap_or_else(|| cfg.store.unit.clone());
    batches.retain(|b| !b.is_empty());
    // one batch: its pages then its papers; several: the batches, each one's step as a note
    let bar = super::progress::progress();
    let many = batches.len() > 1;
    if many {
        bar.begin("batches", batches.len() as u64);
    }
    for batch in batches {
        let mut opts = context::ingest_options(cfg, &signer, &clock, &unit, &a.dossier, &root);
        opts.digitize.progress = if many { bar.nested() } else { bar.clone() };
        let report = ingest(&batch, &opts, &classifier, store.as_ref(), index.as_mut())?;
        if many {
            bar.step(&format!("{} papers", report.papers.len()));
        }
        if !a.json {
            for p in &report.papers {
                println!(
                    "#{:<5} {:<22} {:<26} {:<36} {}{}",
                    p.component_id,
                    p.type_code,
                    p.dossier_code.as_deref().unwrap_or("(no dossier)"),
                    p.pages,
                    p.owner_ids.join(","),
                    if p.already_stored {
                        "  (already stored)"
                    } else if p.needs_review {
                        "  NEEDS REVIEW"
                    } else {
                        ""
                    }
                );
            }
            for p in report.papers.iter().filter(|p| !p.blank_pages.is_empty()) {
                println!(
                    "#{:<5} blank backs {} (not stored, counted)",
                    p.component_id,
                    p.blank_pages.join(", ")
                );
            }
            for s in &report.separator_pages {
                println!("separator sheet: {s} (not stored)");
            }
        }
        for w in &report.warnings {
            eprintln!("sohoa: warning: {w}");
        }
        all.push(report);
    }
    bar.end();
    if a.json {
        println!("{}", serde_json::to_string_pretty(&all)?);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_eval_ingest(
    cfg: &Config,
    dir: &Path,
    model: Option<&Path>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let labels_path = dir.join("labels.json");
    let labels: sohoa::classify::eval::Labels = serde_json::from_str(
        &std::fs::read_to_string(&labels_path)
            .with_context(|| format!("reading {}", labels_path.display()))?,
    )
    .with_context(|| format!("{}: not a labels file", labels_path.display()))?;
    let classifier = sohoa::desk::build::classifier(cfg, model)?;
    let signer = build::ingest_signers(cfg, SIGNER_HINT)?;
    let clock = context::clock(cfg);
    // a scratch store and index, removed afterwards
    let scratch = tempfile::Builder::new()
        .prefix("sohoa-eval-ingest-")
        .tempdir()?;
    let store = LocalStore::open(scratch.path())?;
    let mut index = SqliteIndex::open(&scratch.path().join("index.sqlite"))?;
    let mut opts =
        context::ingest_options(cfg, &signer, &clock, &cfg.store.unit, &None, scratch.path());
    let bar = super::progress::progress();
    opts.digitize.progress = bar.nested();
    let vopts = VerifyOptions {
        now: clock.now(),
        ..context::stored_paper_policy(cfg)?
    };
    let mut verifies = |sha: &str| {
        sha.parse::<BlobId>().ok().is_some_and(|id| {
            verify::verify_file(&store.blob_path(&id), &vopts).is_ok_and(|r| r.valid)
        })
    };
    let ev = sohoa::ingest::eval::evaluate(
        dir,
        &labels,
        &opts,
        &classifier,
        &store,
        &mut index,
        sohoa::ingest::eval::EvalHooks {
            verifies: &mut verifies,
            progress: &bar,
        },
    )?;
    if json {
        println!("{}", serde_json::to_string_pretty(&ev)?);
    } else {
        let line = |name: &str, c: &sohoa::ingest::eval::Count| {
            println!("{name:<44} {:>4} / {:<4}", c.found, c.total);
        };
        println!(
            "{} files, {} pages ingested twice in {:.0} s",
            ev.files, ev.pages, ev.seconds
        );
        line("papers stored (first page, page count)", &ev.stored);
        line("  with the labelled type", &ev.right_type);
        line("  signed file verifies", &ev.verifies);
        line("found by each owner's ID number", &ev.by_person);
        line("found by type", &ev.by_type);
        line("found by a name printed on it", &ev.by_text);
        println!("extra papers stored (wrong splits)            {}", ev.extra);
        println!(
            "second run stored nothing                     {}",
            if ev.second_run_stored_nothing {
                "yes"
            } else {
                "NO"
            }
        );
        for m in &ev.misses {
            println!("MISS {m}");
        }
    }
    let all = ev.stored.all()
        && ev.right_type.all()
        && ev.verifies.all()
        && ev.by_person.all()
        && ev.by_type.all()
        && ev.by_text.all()
        && ev.extra == 0
        && ev.second_run_stored_nothing;
    Ok(if all {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
