//! `sohoa verify`: builds the trust store from config and flags, verifies, prints, exits 0/1/2.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::SystemTime;

use clap::Args;
use sohoa::config::Config;
use sohoa::pdf::Limits;
use sohoa::pki::chain::TrustStore;
use sohoa::pki::keys;
use sohoa::verify::{self, VerifyOptions};

#[derive(Args)]
pub struct VerifyArgs {
    /// PDFs to verify.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Trust anchor (PEM/DER); replaces the configured anchors when given.
    #[arg(long)]
    trust: Vec<PathBuf>,
    /// Extra intermediate certificates (a file, or a folder of .pem/.crt/.cer/.der files).
    #[arg(long)]
    intermediate: Vec<PathBuf>,
    /// CRL to check revocation against (added to the configured ones).
    #[arg(long)]
    crl: Vec<PathBuf>,
    /// One JSON object per file (a JSON array when several files).
    #[arg(long)]
    json: bool,
}

pub fn trust_store(cfg: &Config, a: &VerifyArgs) -> anyhow::Result<TrustStore> {
    let mut store = TrustStore::default();
    let anchors: Vec<PathBuf> = if a.trust.is_empty() {
        cfg.trust.anchors.iter().map(|p| cfg.resolve(p)).collect()
    } else {
        a.trust.clone()
    };
    for p in anchors {
        store.anchors.extend(keys::load_certs(&p)?);
    }
    for p in cfg
        .trust
        .intermediates
        .iter()
        .map(|p| cfg.resolve(p))
        .chain(a.intermediate.iter().cloned())
    {
        store.intermediates.extend(keys::load_certs_from(&p)?);
    }
    for p in cfg
        .trust
        .crls
        .iter()
        .map(|p| cfg.resolve(p))
        .chain(a.crl.iter().cloned())
    {
        store.crls.push(keys::load_crl(&p)?);
    }
    Ok(store)
}

/// The trust store of `[trust]` alone (for checking stored papers).
pub(super) fn config_trust(cfg: &Config) -> anyhow::Result<TrustStore> {
    trust_store(
        cfg,
        &VerifyArgs {
            files: Vec::new(),
            trust: Vec::new(),
            intermediate: Vec::new(),
            crl: Vec::new(),
            json: false,
        },
    )
}

pub fn run(cfg: &Config, a: VerifyArgs) -> anyhow::Result<ExitCode> {
    let opts = VerifyOptions {
        store: trust_store(cfg, &a)?,
        now: SystemTime::now(),
        limits: Limits::default(),
    };
    let mut worst = 0u8;
    let mut reports = Vec::new();
    for f in &a.files {
        match verify::verify_file(f, &opts) {
            Ok(r) => {
                if !r.valid {
                    worst = worst.max(1);
                }
                if !a.json {
                    println!("{}", verify::human::render(&r));
                }
                reports.push(serde_json::to_value(&r)?);
            }
            Err(e) => {
                worst = 2;
                eprintln!("sohoa: cannot check {e}");
                reports.push(serde_json::json!({"file": f.display().to_string(), "valid": false, "error": e.to_string()}));
            }
        }
    }
    if a.json {
        let out = if reports.len() == 1 {
            reports.remove(0)
        } else {
            serde_json::Value::Array(reports)
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
    }
    Ok(ExitCode::from(worst))
}
