//! `sohoa certify`: electronic certified copies of stored papers, and the register.

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use sohoa::config::Config;
use sohoa::desk::build;
use sohoa::desk::Certified;

use super::context::{self, Floor};

#[derive(Args)]
pub struct CertifyArgs {
    /// Stored papers (component ids, from `sohoa find`) to make certified copies of.
    papers: Vec<i64>,
    /// Complete the register numbers that runs which died left reserved (older than
    /// --stale-seconds), before anything else.
    #[arg(long)]
    resume: bool,
    /// With --resume: a reservation this old is a dead run's (default 0: every one; a copy
    /// being made right now by another run is then made twice and indexed once).
    #[arg(long, default_value_t = 0)]
    stale_seconds: u64,
    /// Print the register (of --unit and --year when given) instead.
    #[arg(long)]
    register: bool,
    #[arg(long)]
    unit: Option<String>,
    #[arg(long)]
    year: Option<i32>,
    #[arg(long)]
    json: bool,
}

fn print(c: &Certified) {
    println!(
        "certified copy #{} of paper #{}: number {} of book {} ({}, {}); sha256 {}",
        c.copy_id, c.source_id, c.number, c.book, c.unit_code, c.year, c.signed_sha256
    );
    for n in &c.notes {
        println!("  note: {n}");
    }
}

pub fn run(cfg: &Config, a: CertifyArgs) -> anyhow::Result<ExitCode> {
    let mut floor = Floor::open(cfg, true)?;
    if a.register {
        let rows = floor.desk().register(a.unit.as_deref(), a.year)?;
        if a.json {
            println!("{}", serde_json::to_string_pretty(&rows)?);
        } else {
            for r in rows {
                println!(
                    "{} {} no. {:>5}  book {}  paper #{} -> copy {}  {:?}  {} {}",
                    r.unit_code,
                    r.year,
                    r.number,
                    r.book,
                    r.source_id,
                    r.copy_id.map_or("-".into(), |c| format!("#{c}")),
                    r.state,
                    r.officer,
                    r.reserved_at
                );
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    if a.papers.is_empty() && !a.resume {
        anyhow::bail!("name the papers to certify (component ids), or pass --resume or --register");
    }
    let signers = build::certify_signers(cfg)?;
    let mut req = signers.request(context::clock(cfg).now(), &mut context::nonce);
    let mut made = Vec::new();
    let mut failed: Vec<(String, String)> = Vec::new();
    if a.resume {
        let (done, bad) = floor
            .desk()
            .resume_certifications(Duration::from_secs(a.stale_seconds), &mut req)?;
        made.extend(done);
        failed.extend(
            bad.into_iter()
                .map(|(n, e)| (format!("register number {n}"), e)),
        );
    }
    for id in &a.papers {
        match floor.desk().certify(*id, &mut req) {
            Ok(c) => made.push(c),
            Err(e) => failed.push((format!("paper #{id}"), e.to_string())),
        }
    }
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "certified": made,
                "failed": failed.iter().map(|(w, e)| serde_json::json!({"what": w, "error": e})).collect::<Vec<_>>(),
            }))?
        );
    } else {
        made.iter().for_each(print);
        for (w, e) in &failed {
            eprintln!("sohoa: {w}: {e}");
        }
    }
    Ok(if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
