//! `sohoa find` (stored papers by person, tax code, words, dossier, type, or like a new scan)
//! and `sohoa reuse`: the desk's find and reuse at the command line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use sohoa::config::Config;
use sohoa::desk::{DeskError, FindRequest};
use sohoa::index::Query;

use super::context::{self, Floor};

#[derive(Args)]
pub struct FindArgs {
    /// 12-digit personal identification number.
    #[arg(long)]
    person: Option<String>,
    #[arg(long)]
    tax_code: Option<String>,
    /// Words, with or without diacritics.
    #[arg(long)]
    text: Option<String>,
    #[arg(long)]
    dossier: Option<String>,
    /// Document type code (see doc-types.toml).
    #[arg(long = "type")]
    type_code: Option<String>,
    /// Only papers still valid on this date (YYYY-MM-DD).
    #[arg(long)]
    valid_on: Option<String>,
    /// Only papers received by this unit (its code).
    #[arg(long)]
    unit: Option<String>,
    /// A new scan: is this paper already on file? (perceptual hashes + text + the numbers)
    #[arg(long, value_name = "SCAN")]
    like: Option<PathBuf>,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct ReuseArgs {
    /// Component id (from `sohoa find`).
    component: i64,
    /// The new dossier it is reused in.
    #[arg(long)]
    dossier: String,
    /// Reuse even if expired or no longer verifying; the reason is logged.
    #[arg(long)]
    override_reason: Option<String>,
}

fn run_like(cfg: &Config, scan: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let classifier = sohoa::desk::build::classifier(cfg, None)?;
    let (_, mut index, _) = context::open(cfg)?;
    let opts = super::context::digitize_options(cfg, None, None, None);
    let mut out = Vec::new();
    for (c, sig) in sohoa::ingest::scan_signatures(&[scan.to_path_buf()], &opts, &classifier)? {
        let first = &c.pages[0];
        let Some(sig) = sig else {
            println!(
                "{} p{}: carries its own text; no image to compare",
                first.source, first.page
            );
            continue;
        };
        let ranking = sohoa::ingest::likeness_ranking(index.as_mut(), &c.type_code, &sig)?;
        if !json {
            let best = ranking.first();
            match best {
                Some((id, l)) if l.verdict == sohoa::similar::Verdict::Same => println!(
                    "{} p{} ({}): already on file as #{id} (score {:.2}: image {:.1} bits, text {:.2}, numbers {:.2})",
                    first.source, first.page, c.type_code, l.score, l.image_distance, l.text_jaccard, l.numbers_agree
                ),
                Some((id, l)) if l.verdict == sohoa::similar::Verdict::Unsure => println!(
                    "{} p{} ({}): perhaps #{id} (score {:.2}; some numbers differ or were misread): check by eye",
                    first.source, first.page, c.type_code, l.score
                ),
                _ => println!(
                    "{} p{} ({}): not on file",
                    first.source, first.page, c.type_code
                ),
            }
        }
        out.push(serde_json::json!({
            "pages": c.pages,
            "type": c.type_code,
            "matches": ranking.iter().take(5).map(|(id, l)| serde_json::json!({"component": id, "likeness": l})).collect::<Vec<_>>(),
        }));
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_find(cfg: &Config, a: FindArgs) -> anyhow::Result<ExitCode> {
    if let Some(scan) = &a.like {
        return run_like(cfg, scan, a.json);
    }
    let mut floor = Floor::open(cfg, true)?;
    let found = match floor.desk().find(&FindRequest {
        query: Query {
            person_id: a.person.clone(),
            tax_code: a.tax_code.clone(),
            text: a.text.clone(),
            dossier_code: a.dossier.clone(),
            type_code: a.type_code.clone(),
            valid_on: a.valid_on.clone(),
            unit_code: a.unit.clone(),
            ..Query::default()
        },
        with_badges: true,
    }) {
        Err(e @ DeskError::NothingToFind) => {
            return Err(anyhow::Error::new(e)
                .context("--person, --tax-code, --text, --dossier, --type or --like SCAN"))
        }
        other => other?,
    };
    if a.json {
        let out: Vec<_> = found
            .iter()
            .map(|f| serde_json::json!({"component": f.component, "signature_verifies": f.signature_verifies, "signature": f.signature}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    for f in &found {
        let r = &f.component;
        println!(
            "#{:<5} {:<22} {:<26} issued {:<10} valid until {:<10} signed by {} — {}",
            r.id,
            r.type_code,
            r.dossier_code.as_deref().unwrap_or("-"),
            r.issue_date.as_deref().unwrap_or("?"),
            r.valid_until.as_deref().unwrap_or("-"),
            r.signature
                .as_ref()
                .map_or("(unsigned)", |s| s.signer_subject.as_str()),
            f.signature.as_ref().map_or("", |b| b.words())
        );
    }
    if found.is_empty() {
        println!("nothing found");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_reuse(cfg: &Config, a: ReuseArgs) -> anyhow::Result<ExitCode> {
    sohoa::classify::dossier_code::parse(&a.dossier).context("--dossier")?;
    let mut floor = Floor::open(cfg, true)?;
    let r = floor
        .desk()
        .reuse(a.component, &a.dossier, a.override_reason.as_deref())?;
    println!(
        "component #{} ({}) reused in dossier {} (audit entry {})",
        r.component.id, r.component.type_code, a.dossier, r.entry.seq
    );
    Ok(ExitCode::SUCCESS)
}
