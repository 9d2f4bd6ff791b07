//! `sohoa ltv add`: makes an already signed PDF long-term (PAdES B-T → B-LT or B-LTA), as
//! pyHanko's `ltvfix` and `ltaupdate` do.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use sohoa::config::Config;
use sohoa::desk::build;
use sohoa::pki::fetch::HttpFetcher;
use sohoa::sign::ltv::{self, LtvRequest, Sources};
use sohoa::sign::{HttpTsa, Level, TimestampAuthority};

#[derive(Subcommand)]
pub enum LtvCommand {
    /// Add the validation data (B-LT) and a document timestamp (B-LTA) to a signed PDF.
    Add(AddArgs),
}

#[derive(Args)]
pub struct AddArgs {
    /// The signed PDF.
    input: PathBuf,
    /// Where to write the result (may equal INPUT).
    #[arg(short, long)]
    output: PathBuf,
    /// B-LT or B-LTA (default).
    #[arg(long, default_value = "B-LTA", value_parser = super::sign::parse_level)]
    level: Level,
    /// TSA of the document timestamp (default: the signer profile's archive_tsa_url, else its
    /// tsa_url).
    #[arg(long)]
    tsa: Option<String>,
    /// Signer profile whose TSA to use (default: [sign] default_signer).
    #[arg(long)]
    signer: Option<String>,
    /// Trust anchors that end the certificate paths (replace [trust] anchors when given).
    #[arg(long)]
    trust: Vec<PathBuf>,
    /// CRLs to use when a certificate names no OCSP responder or distribution point.
    #[arg(long)]
    crl: Vec<PathBuf>,
    /// Do not ask OCSP responders or CRL distribution points: configured CRLs only.
    #[arg(long)]
    offline: bool,
    /// Print the outcome as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(cfg: &Config, c: LtvCommand) -> anyhow::Result<ExitCode> {
    let LtvCommand::Add(a) = c;
    let (store, _) = build::trust_store(
        cfg,
        &build::TrustExtras {
            anchors: a.trust.clone(),
            crls: a.crl.clone(),
            ..Default::default()
        },
    )?;
    let url = match &a.tsa {
        Some(u) => Some(u.clone()),
        None if a.level == Level::BLta => {
            let (_, p) =
                build::named_profile(cfg, a.signer.as_deref(), "pass --tsa URL or --signer NAME")?;
            p.archive_tsa_url.or(p.tsa_url)
        }
        None => None,
    };
    let tsa = url.map(HttpTsa::new);
    let fetcher = HttpFetcher::default();
    let now = super::context::clock(cfg).now();
    let req = LtvRequest {
        sources: Sources {
            store: &store,
            fetcher: (!a.offline).then_some(&fetcher as _),
            at: sohoa::pki::chain::unix(now),
        },
        archive_tsa: tsa.as_ref().map(|t| t as &dyn TimestampAuthority),
        nonce: super::context::nonce(),
    };
    let out = ltv::add(&a.input, &a.output, a.level, &req)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "{} -> {} ({}, {} item(s) added to the DSS{}; sha256 {})",
            a.input.display(),
            out.output.display(),
            out.level,
            out.dss_items,
            out.doc_timestamp
                .as_ref()
                .map(|f| format!(", document timestamp \"{f}\""))
                .unwrap_or_default(),
            out.sha256
        );
    }
    Ok(ExitCode::SUCCESS)
}
