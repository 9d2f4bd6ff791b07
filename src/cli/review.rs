//! `sohoa review`: the review queue at the command line — list the papers the classifier was
//! unsure of, confirm one, or correct its type and fields (logged; reviewed papers train the
//! classifier through `sohoa classify train --reviews`).

use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use sohoa::classify::fields::Field;
use sohoa::config::Config;
use sohoa::index::review::{FieldInput, ReviewRequest};
use sohoa::index::Index;

use super::store::{actor, now, open};

#[derive(Subcommand)]
pub enum ReviewCommand {
    /// Papers waiting for review, oldest first, with their fields.
    List {
        /// Only this unit's papers.
        #[arg(long)]
        unit: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// The type and fields are right as read.
    Confirm { component: i64 },
    /// Correct a paper's type or fields; what is not named stays as read.
    Correct {
        component: i64,
        /// The right document type code (see doc-types.toml).
        #[arg(long = "type")]
        type_code: Option<String>,
        /// Set a field, replacing every value of its kind: `--set person_id=001203004567`.
        #[arg(long = "set", value_name = "KIND=VALUE")]
        set: Vec<String>,
        /// Remove every value of a field kind: `--remove doc_number`.
        #[arg(long = "remove", value_name = "KIND")]
        remove: Vec<String>,
    },
}

pub fn run(cfg: &Config, c: ReviewCommand) -> anyhow::Result<ExitCode> {
    let (_, mut index, _) = open(cfg)?;
    let types = super::classify::doc_types(cfg)?;
    let (id, type_code, set, remove) = match c {
        ReviewCommand::List { unit, limit, json } => {
            let units: Vec<String> = unit.into_iter().collect();
            let rows = index.review_queue(&units, limit)?;
            let mut out = Vec::new();
            for r in rows {
                let fields: Vec<Field> = index
                    .component_detail(r.id)?
                    .and_then(|(f, _)| serde_json::from_str(&f).ok())
                    .unwrap_or_default();
                out.push((r, fields));
            }
            if json {
                let v: Vec<_> = out
                    .iter()
                    .map(|(r, f)| serde_json::json!({"component": r, "fields": f}))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
                return Ok(ExitCode::SUCCESS);
            }
            if out.is_empty() {
                println!("nothing waits for review");
            }
            for (r, fields) in &out {
                println!(
                    "#{:<6} {} {:<22} {:>3.0}%  {} page {}  dossier {}",
                    r.id,
                    r.unit_code,
                    r.type_code,
                    r.confidence * 100.0,
                    &r.source_sha256[..12.min(r.source_sha256.len())],
                    r.source_page,
                    r.dossier_code.as_deref().unwrap_or("-")
                );
                for f in fields {
                    println!("          {:<14} {}", f.kind.code(), f.value);
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
        ReviewCommand::Confirm { component } => (component, None, Vec::new(), Vec::new()),
        ReviewCommand::Correct {
            component,
            type_code,
            set,
            remove,
        } => (component, type_code, set, remove),
    };
    let c = index
        .component(id)?
        .with_context(|| format!("no stored component #{id}"))?;
    let current: Vec<Field> = index
        .component_detail(id)?
        .and_then(|(f, _)| serde_json::from_str(&f).ok())
        .unwrap_or_default();
    let mut sets = Vec::new();
    for s in &set {
        let (k, v) = s
            .split_once('=')
            .with_context(|| format!("--set {s:?}: write KIND=VALUE"))?;
        sets.push((k.trim().to_string(), v.to_string()));
    }
    let replaced =
        |kind: &str| remove.iter().any(|r| r == kind) || sets.iter().any(|(k, _)| k == kind);
    let mut fields: Vec<FieldInput> = current
        .iter()
        .filter(|f| !replaced(f.kind.code()))
        .map(|f| FieldInput {
            kind: f.kind.code().to_string(),
            value: f.value.clone(),
        })
        .collect();
    fields.extend(
        sets.into_iter()
            .map(|(kind, value)| FieldInput { kind, value }),
    );
    let req = ReviewRequest {
        type_code: type_code.unwrap_or_else(|| c.type_code.clone()),
        fields,
    };
    let (r, e) = sohoa::index::review::review(&mut index, &c, &req, &types, &actor(), &now())?;
    println!(
        "component #{id}: {} as {} (owners {}; valid until {}; audit entry {})",
        r.state.code(),
        r.type_code,
        if r.owner_ids.is_empty() {
            "-".to_string()
        } else {
            r.owner_ids.join(", ")
        },
        r.valid_until.as_deref().unwrap_or("-"),
        e.seq
    );
    Ok(ExitCode::SUCCESS)
}
