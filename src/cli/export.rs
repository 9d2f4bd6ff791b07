//! `sohoa export` (a dossier as a signed package for the one-stop systems) and `sohoa
//! verify-package` (checks one offline): parse, call the desk or the package check, print.

use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use sohoa::config::Config;
use sohoa::desk::{build, ExportRequest};
use sohoa::package::{check_package, Limits, PackageReport};
use sohoa::sign::TimestampAuthority;

use super::context::{self, Floor};
use super::verify::TrustArgs;

#[derive(Args)]
pub struct ExportArgs {
    /// The dossier code (mã hồ sơ).
    #[arg(long)]
    dossier: String,
    /// Where to write the package (a .zip; must not exist).
    #[arg(short, long)]
    output: PathBuf,
    /// The administrative procedure's code (mã thủ tục hành chính), written into the manifest.
    #[arg(long)]
    procedure: Option<String>,
    /// Also add portal.json: the dossier with the national public service portal's field names.
    #[arg(long)]
    portal: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct VerifyPackageArgs {
    /// The package (.zip) to check.
    file: PathBuf,
    #[command(flatten)]
    trust: TrustArgs,
    #[arg(long)]
    json: bool,
}

pub fn run_export(cfg: &Config, a: ExportArgs) -> anyhow::Result<ExitCode> {
    let signer = build::export_signer(cfg)?;
    let mut floor = Floor::open(cfg, true)?;
    let (tmp, commit) = context::new_output(&a.output)?;
    let req = ExportRequest {
        procedure_code: a.procedure.clone(),
        component_codes: &cfg.export.component_codes,
        signer: signer.signer.as_ref(),
        tsa: signer
            .tsa
            .as_ref()
            .map(|t| (t as &dyn TimestampAuthority, context::nonce())),
        portal: a.portal,
    };
    // the package counts (and is logged) once it is in place under its name
    let done = floor.desk().export_dossier(
        &a.dossier,
        &req,
        tmp,
        &a.output.display().to_string(),
        commit,
    )?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&done)?);
    } else {
        println!(
            "dossier {}: {} papers written to {} (manifest SHA-256 {}, signed by profile {:?})",
            done.dossier,
            done.papers,
            a.output.display(),
            done.manifest_sha256,
            signer.name
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The report in words: a line per member, then the verdict.
fn render(r: &PackageReport) -> String {
    let mut out = format!("{}\n", r.file);
    if let Some(m) = &r.manifest {
        out.push_str(&format!(
            "  dossier {} of unit {}, {} papers, exported {} by {}\n",
            m.dossier.code,
            m.dossier.unit,
            m.papers.len(),
            m.exported_at,
            m.exported_by
        ));
    }
    if let Some(s) = &r.manifest_signature {
        let who = s
            .signer
            .as_ref()
            .and_then(|c| c.common_name.clone())
            .unwrap_or_else(|| "an unknown signer".into());
        out.push_str(&format!(
            "  manifest signed by {who}: {}{}\n",
            if s.valid { "valid" } else { "NOT VALID" },
            s.timestamp
                .as_ref()
                .and_then(|t| t.time.as_deref())
                .map(|t| format!(", time-stamped {t}"))
                .unwrap_or_default()
        ));
    }
    for m in &r.members {
        let sigs = m.pdf.as_ref().map_or(String::new(), |p| {
            format!(", {} signatures", p.signatures.len())
        });
        out.push_str(&format!(
            "  {} {} ({} bytes{sigs})\n",
            if m.valid { "ok  " } else { "FAIL" },
            m.name,
            m.bytes
        ));
    }
    for p in r.all_problems() {
        out.push_str(&format!("  problem: {p}\n"));
    }
    out.push_str(if r.valid {
        "  PACKAGE VALID: the manifest's signature, every member's SHA-256 and every paper's signatures check out\n"
    } else {
        "  PACKAGE NOT VALID\n"
    });
    out
}

pub fn run_verify_package(cfg: &Config, a: VerifyPackageArgs) -> anyhow::Result<ExitCode> {
    let opts = a.trust.options(cfg, false)?;
    let name = a.file.display().to_string();
    let f = File::open(&a.file).with_context(|| format!("cannot open {name}"))?;
    let r = match check_package(&name, BufReader::new(f), &opts, &Limits::default()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("sohoa: cannot check {e}");
            if a.json {
                println!(
                    "{}",
                    serde_json::json!({"file": name, "valid": false, "error": e.to_string()})
                );
            }
            return Ok(ExitCode::from(2));
        }
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        print!("{}", render(&r));
    }
    Ok(ExitCode::from(if r.valid { 0 } else { 1 }))
}
