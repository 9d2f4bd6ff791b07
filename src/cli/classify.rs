//! `sohoa classify` (split, classify and read the papers of scanned batches), `sohoa classify
//! train` (the model) and `sohoa eval classify` (quality against labelled samples).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use sohoa::classify::eval::{ClassifyEval, Labels};
use sohoa::classify::{self, load, model::Model, Batch, CodeSource};
use sohoa::config::Config;
use sohoa::desk::build::{classifier, doc_types};
use sohoa::digitize;

use super::context::digitize_options as options;

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ClassifyArgs {
    #[command(subcommand)]
    command: Option<ClassifyCommand>,
    /// Scans of one batch (JPEG, PNG, TIFF, image-only PDF), in page order.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// The dossier code of the folder the scans came from; wins over cover sheets.
    #[arg(long)]
    dossier: Option<String>,
    /// Trained model (default: [classify] model; rules alone if absent).
    #[arg(long)]
    model: Option<PathBuf>,
    #[arg(long)]
    lang: Option<String>,
    #[arg(long)]
    dpi: Option<f32>,
    #[arg(long)]
    jobs: Option<usize>,
    /// Print the dossiers, papers, fields and warnings as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
pub enum ClassifyCommand {
    /// Trains the model on labelled texts: DIR/labels.tsv (PATH<TAB>TYPE) or DIR/<type>/*.txt,
    /// and with --reviews the papers officers confirmed or corrected.
    Train {
        /// Labelled examples (optional with --reviews).
        #[arg(required_unless_present = "reviews")]
        dir: Option<PathBuf>,
        /// Also learn from every paper an officer confirmed or corrected (the index's review
        /// queue): its final type and its OCR text.
        #[arg(long)]
        reviews: bool,
        /// Where to write the model (default: [classify] model).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

pub fn run(cfg: &Config, a: ClassifyArgs) -> anyhow::Result<ExitCode> {
    if let Some(ClassifyCommand::Train {
        dir,
        reviews,
        output,
    }) = a.command
    {
        return train(cfg, dir.as_deref(), reviews, output);
    }
    if let Some(code) = &a.dossier {
        classify::dossier_code::parse(code).context("--dossier")?;
    }
    let c = classifier(cfg, a.model.as_deref())?;
    let mut opts = options(cfg, a.lang.as_deref(), a.dpi, a.jobs);
    opts.progress = super::progress::progress();
    let (pages, reports) = digitize::recognize_texts(&a.inputs, &opts)?;
    let batch = c.classify(&pages, a.dossier.as_deref());
    if a.json {
        println!("{}", serde_json::to_string_pretty(&batch)?);
    } else {
        print_batch(&batch, c.has_model());
    }
    for w in reports.iter().flat_map(|p| &p.warnings) {
        eprintln!("sohoa: warning: {w}");
    }
    for d in &batch.dossiers {
        for w in d
            .warnings
            .iter()
            .chain(d.components.iter().flat_map(|c| &c.warnings))
        {
            eprintln!("sohoa: warning: {w}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_batch(batch: &Batch, model: bool) {
    for d in &batch.dossiers {
        let code = d.code.as_deref().unwrap_or("(unknown)");
        let from = match d.code_source {
            CodeSource::CoverSheet => "from the cover sheet",
            CodeSource::Folder => "from the folder",
            _ => "no cover sheet read",
        };
        println!("dossier {code} ({from})");
        for c in &d.components {
            let range = c.pages_label();
            println!(
                "  {range}: {} ({}) {:.0}%{}",
                c.type_code,
                c.type_name,
                c.confidence * 100.0,
                if c.needs_review { ", NEEDS REVIEW" } else { "" }
            );
            for f in &c.fields {
                let state = match &f.check {
                    classify::fields::Check::Valid => String::new(),
                    classify::fields::Check::Invalid { reason } => format!("  INVALID: {reason}"),
                    #[allow(unreachable_patterns)]
                    _ => String::new(),
                };
                println!("      {:<14} {}{state}", f.kind.code(), f.value);
            }
            if let Some(v) = &c.valid_until {
                println!("      {:<14} {v}", "valid until");
            }
            if !c.blank_pages.is_empty() {
                let backs: Vec<String> = c
                    .blank_pages
                    .iter()
                    .map(|p| format!("{} p{}", p.source, p.page))
                    .collect();
                println!(
                    "      {:<14} {} (not stored)",
                    "blank backs",
                    backs.join(", ")
                );
            }
        }
    }
    for p in &batch.separator_pages {
        println!("separator sheet: {} p{} (not stored)", p.source, p.page);
    }
    for p in &batch.blank_pages {
        println!("blank page: {} p{} (not stored)", p.source, p.page);
    }
    if !model {
        println!("(rules only: no trained model; see `sohoa classify train`)");
    }
}

fn train(
    cfg: &Config,
    dir: Option<&Path>,
    reviews: bool,
    output: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let out = output
        .or_else(|| cfg.classify.model.as_ref().map(|p| cfg.resolve(p)))
        .context("give -o FILE or set [classify] model")?;
    let known = doc_types(cfg)?;
    let mut examples = match dir {
        Some(d) => load::examples(d)?,
        None => Vec::new(),
    };
    let from_files = examples.len();
    for (code, _) in &examples {
        if known.get(code).is_none() {
            anyhow::bail!(
                "{}: examples for type {code:?}, which is not a configured document type",
                dir.map(|d| d.display().to_string()).unwrap_or_default()
            );
        }
    }
    if reviews {
        let (_, mut index, _) = super::context::open(cfg)?;
        // a type since removed from the configuration cannot be learnt: left out, said so
        let (known_reviews, gone): (Vec<_>, Vec<_>) = index
            .reviewed_examples()?
            .into_iter()
            .partition(|(code, _)| known.get(code).is_some());
        if !gone.is_empty() {
            eprintln!(
                "sohoa: warning: {} reviewed papers are of types no longer configured; left out",
                gone.len()
            );
        }
        examples.extend(known_reviews);
    }
    println!(
        "{} labelled examples{}",
        from_files,
        if reviews {
            format!(" + {} reviewed papers", examples.len() - from_files)
        } else {
            String::new()
        }
    );
    let model = Model::train(&examples, 0.5)?;
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let tmp = out.with_extension("json.tmp");
    std::fs::write(&tmp, model.to_json()).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &out).with_context(|| format!("writing {}", out.display()))?;
    println!(
        "trained on {} examples of {} types; wrote {}",
        examples.len(),
        model.classes.len(),
        out.display()
    );
    for (c, n) in model.classes.iter().zip(&model.examples) {
        println!("  {c:<24} {n}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `sohoa eval classify DIR`: every file of DIR/labels.json, classified alone.
pub fn run_eval(
    cfg: &Config,
    dir: &Path,
    model: Option<&Path>,
    lang: Option<&str>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let labels_path = dir.join("labels.json");
    let labels: Labels = serde_json::from_str(
        &std::fs::read_to_string(&labels_path)
            .with_context(|| format!("reading {}", labels_path.display()))?,
    )
    .with_context(|| format!("{}: not a labels file", labels_path.display()))?;
    let c = classifier(cfg, model)?;
    let mut opts = options(cfg, lang, None, None);
    let bar = super::progress::progress();
    opts.progress = bar.nested();
    let mut ev = ClassifyEval::default();
    bar.begin("files classified", labels.files.len() as u64);
    for f in &labels.files {
        let rel = Path::new(&f.file);
        if rel.is_absolute() || rel.components().any(|c| c.as_os_str() == "..") {
            anyhow::bail!(
                "{}: file {:?} must stay inside {}",
                labels_path.display(),
                f.file,
                dir.display()
            );
        }
        let (pages, _) = digitize::recognize_texts(&[dir.join(rel)], &opts)?;
        let batch = c.classify(&pages, None);
        ev.add_file(f, &batch);
        bar.step(&f.file);
    }
    bar.end();
    if json {
        println!("{}", serde_json::to_string_pretty(&ev)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<24} {:>4} {:>4} {:>4} {:>9} {:>7} {:>6}",
        "type", "tp", "fp", "fn", "precision", "recall", "F1"
    );
    for (t, s) in &ev.per_type {
        println!(
            "{t:<24} {:>4} {:>4} {:>4} {:>9.3} {:>7.3} {:>6.3}",
            s.tp, s.fp, s.fn_, s.precision, s.recall, s.f1
        );
    }
    println!(
        "macro-F1                 {:.3}  (target >= 0.95)",
        ev.macro_f1
    );
    println!(
        "ID numbers               {}/{} = {:.3}  (target >= 0.98), {} extra",
        ev.ids_correct,
        ev.ids_total,
        ev.id_accuracy(),
        ev.ids_extra
    );
    println!(
        "fields                   {}/{} = {:.3}, {} extra",
        ev.fields_correct,
        ev.fields_total,
        ev.field_accuracy(),
        ev.fields_extra
    );
    println!(
        "split: papers exact      {}/{} = {:.3}; page roles {}/{}",
        ev.components_exact,
        ev.components,
        ev.split_accuracy(),
        ev.page_roles_correct,
        ev.pages
    );
    println!(
        "cover sheets read        {}/{}; damaged QR reported {}/{}; papers in a wrong dossier {}",
        ev.covers_read,
        ev.covers_readable,
        ev.covers_damaged_reported,
        ev.covers_damaged,
        ev.wrong_dossier
    );
    println!(
        "model: {}",
        if c.has_model() {
            "rules + trained model"
        } else {
            "rules only"
        }
    );
    for m in &ev.mistakes {
        println!("  mistake: {m}");
    }
    Ok(ExitCode::SUCCESS)
}
