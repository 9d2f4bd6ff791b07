//! `sohoa review`: the review queue at the command line — list the papers the classifier was
//! unsure of, confirm one, or correct its type and fields (logged; reviewed papers train the
//! classifier through `sohoa classify train --reviews`).

use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use sohoa::classify::fields::Field;
use sohoa::config::Config;
use sohoa::desk::review::{FieldInput, ReviewRequest};

use super::context::Floor;

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
    let mut floor = Floor::open(cfg, false)?;
    let mut desk = floor.desk();
    let types = sohoa::desk::build::doc_types(cfg)?;
    let (id, type_code, set, remove) = match c {
        ReviewCommand::List { unit, limit, json } => {
            let out = desk.review_queue(unit.as_deref(), limit)?;
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
    let c = desk.component(id)?;
    let current: Vec<Field> =
        serde_json::from_value(desk.fields_of(id)?).context("the stored fields")?;
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
    let (r, e) = desk.review(id, &req, &types)?;
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
