//! `sohoa store`: check the blob store against the index, copy a stored paper out, renew the
//! long-term validation data.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use sohoa::config::Config;
use sohoa::desk::Which;

use super::context::{self, Floor};

#[derive(Subcommand)]
pub enum StoreCommand {
    /// Do the index and the blob store agree? Exit 1 when a paper's file is missing or damaged.
    Check {
        /// Also re-read every stored file and check its SHA-256.
        #[arg(long)]
        rehash: bool,
        #[arg(long)]
        json: bool,
    },
    /// Copy a stored paper's signed PDF out of the store (logged as a download).
    Get {
        /// Component id (from `sohoa find`).
        component: i64,
        /// Where to write it (must not exist).
        #[arg(short, long)]
        output: PathBuf,
        /// The original scan instead of the signed PDF/A.
        #[arg(long)]
        scan: bool,
    },
    /// Keep stored papers verifiable: every paper whose newest timestamp's TSA certificate
    /// expires before DATE (or that has no timestamp) gets its validation data and a new
    /// document timestamp (B-LTA); the older file is kept; each renewal is in the audit log.
    Renew(RenewArgs),
}

#[derive(clap::Args)]
pub struct RenewArgs {
    /// Renew what expires before this date (YYYY-MM-DD or RFC 3339; default: [store]
    /// renew_within_days, 365, from now).
    #[arg(long, value_parser = super::verify::parse_at)]
    before: Option<std::time::SystemTime>,
    /// TSA of the document timestamps (default: the store signer's archive_tsa_url, else
    /// its tsa_url).
    #[arg(long)]
    tsa: Option<String>,
    #[arg(long)]
    json: bool,
}

/// One renewal run of the store (`sohoa store renew`, and `sohoa serve` on its schedule):
/// papers due before `before` (default: `[store] renew_within_days` from now), document
/// timestamps from `tsa` (default: the store signer's archive TSA, else its TSA).
pub(super) fn renew_store(
    cfg: &Config,
    tsa: Option<String>,
    before: Option<std::time::SystemTime>,
    progress: sohoa::progress::Progress,
) -> anyhow::Result<sohoa::desk::RenewReport> {
    let url = match tsa {
        Some(u) => u,
        None => {
            let (_, p) = sohoa::desk::build::named_profile(
                cfg,
                cfg.store.signer.as_deref(),
                "pass --tsa URL or set [store] signer",
            )?;
            p.archive_tsa_url
                .or(p.tsa_url)
                .context("the store signer's profile names no TSA: pass --tsa URL")?
        }
    };
    let tsa = sohoa::sign::HttpTsa::new(url);
    let (store, _) = sohoa::desk::build::trust_store(cfg, &Default::default())?;
    let fetcher = sohoa::pki::fetch::HttpFetcher::default();
    let mut floor = Floor::open(cfg, false)?;
    floor.actor.name = format!("sohoa store renew ({})", floor.actor.name);
    let now = floor.clock.now();
    let within = std::time::Duration::from_secs(u64::from(cfg.store.renew_within_days) * 86_400);
    let before = before.unwrap_or(now + within);
    let work = cfg.resolve(&cfg.store.root).join("work");
    let req = sohoa::desk::RenewRequest {
        before: sohoa::pki::chain::unix(before),
        ltv: sohoa::sign::ltv::LtvRequest {
            sources: sohoa::sign::ltv::Sources {
                store: &store,
                fetcher: Some(&fetcher),
                at: sohoa::pki::chain::unix(now),
            },
            archive_tsa: Some(&tsa),
            nonce: context::nonce(),
        },
        work_dir: &work,
        progress,
    };
    Ok(floor.desk().renew(&req)?)
}

fn run_renew(cfg: &Config, a: RenewArgs) -> anyhow::Result<ExitCode> {
    let r = renew_store(cfg, a.tsa, a.before, super::progress::progress())?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        println!(
            "{} signed papers: {} renewed, {} not due, {} failed",
            r.checked,
            r.renewed.len(),
            r.not_due,
            r.failed.len()
        );
        for x in &r.renewed {
            println!(
                "renewed  #{} {} -> {} (its TSA certificate expires {})",
                x.id, x.old_sha256, x.new_sha256, x.tsa_expires
            );
        }
        for (id, why) in &r.failed {
            println!("FAILED   #{id}: {why}");
        }
    }
    Ok(if r.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

pub fn run_store(cfg: &Config, c: StoreCommand) -> anyhow::Result<ExitCode> {
    match c {
        StoreCommand::Renew(a) => run_renew(cfg, a),
        StoreCommand::Check { rehash, json } => {
            let (store, mut index, _) = context::open(cfg)?;
            let refs = index.referenced_blobs()?;
            let r = sohoa::store::check::check(
                store.as_ref(),
                &refs,
                rehash,
                &super::progress::progress(),
            )?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                println!(
                    "{} files referenced by the index, {} stored; missing {}, damaged {}{}, unreferenced {} (left by interrupted runs)",
                    r.referenced,
                    r.stored,
                    r.missing.len(),
                    r.damaged.len(),
                    if rehash { "" } else { " (not re-hashed: --rehash)" },
                    r.unreferenced.len()
                );
                for m in &r.missing {
                    println!("MISSING  {m}");
                }
                for d in &r.damaged {
                    println!("DAMAGED  {d}");
                }
            }
            Ok(if r.ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        StoreCommand::Get {
            component,
            output,
            scan,
        } => {
            let mut floor = Floor::open(cfg, false)?;
            let (tmp, commit) = super::context::new_output(&output)?;
            let which = if scan { Which::Scan } else { Which::Signed };
            // the copy counts (and is logged) once it is in place under its name
            let copied = floor.desk().copy_out(
                component,
                which,
                tmp,
                &output.display().to_string(),
                commit,
            )?;
            println!(
                "component #{component} ({}) written to {} (SHA-256 {} checked)",
                copied.type_code,
                output.display(),
                copied.sha256
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[derive(clap::Args)]
pub struct MigrateArgs {
    /// The index to copy into: postgresql://USER@HOST/DATABASE (password from PGPASSWORD or
    /// the password file), or sqlite:PATH.
    #[arg(long)]
    to: String,
    /// The object store to copy the blobs into: s3://BUCKET/PREFIX, reached with [store]
    /// endpoint, region, path_style and credentials_file; omitted: the blobs stay where they are.
    #[arg(long)]
    store: Option<String>,
    /// The report as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run_migrate(cfg: &Config, a: MigrateArgs) -> anyhow::Result<ExitCode> {
    let from_index = cfg.index_location()?;
    let to_index = sohoa::index::IndexLocation::parse(&a.to, &cfg.base_dir)
        .map_err(|e| anyhow::anyhow!("--to: {e}"))?;
    let from_store = cfg.store_location()?;
    let to_store = match &a.store {
        Some(url) => {
            let mut c = cfg.clone();
            c.store.url = Some(url.clone());
            let loc = c.store_location().context("--store")?;
            if loc == from_store {
                anyhow::bail!("--store {url}: that is where the blobs are already");
            }
            Some(loc.open()?)
        }
        None => None,
    };
    let source = from_store.open()?;
    eprintln!(
        "sohoa: copying {from_index} -> {to_index}{}",
        a.store
            .as_deref()
            .map(|s| format!(", blobs {from_store} -> {s}"))
            .unwrap_or_default()
    );
    let r = sohoa::migrate::migrate(
        source.as_ref(),
        to_store.as_deref(),
        &from_index,
        &to_index,
        &super::progress::progress(),
    )?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        println!(
            "blobs: {} ({} sent now), {} checked on the target, {} bad",
            r.blobs,
            r.blobs_copied,
            r.blobs_verified,
            r.blobs_bad.len()
        );
        println!(
            "records: {} ({} written now), {} bad",
            r.records,
            r.records_copied,
            r.records_bad.len()
        );
        for (t, c) in r.tables.iter().zip(&r.checks) {
            println!(
                "{:<20} {:>9} rows ({} copied now), target {} rows: {}",
                t.table,
                t.rows,
                t.copied,
                c.target_rows,
                if c.same { "same" } else { "DIFFERENT" }
            );
        }
        for b in &r.blobs_bad {
            println!("BAD BLOB  {b}");
        }
        for k in &r.records_bad {
            println!("BAD RECORD  {k}");
        }
        println!(
            "{}",
            if r.verified {
                "verified: every blob and row is on the target; switch [index] url (and [store] url) to it"
            } else {
                "NOT verified: see above; run it again to resume"
            }
        );
    }
    Ok(if r.verified {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
