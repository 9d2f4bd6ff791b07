//! `sohoa verify`: builds the trust store from config and flags, verifies, prints, exits 0/1/2.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::SystemTime;

use clap::Args;
use sohoa::config::Config;
use sohoa::desk::build;
use sohoa::verify::{self, VerifyOptions};

#[derive(Args)]
pub struct VerifyArgs {
    /// PDFs to verify.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    #[command(flatten)]
    trust: TrustArgs,
    /// PAdES long-term validation: every signature needs a proven time and revocation data in
    /// the file (B-LT/B-LTA), as pyHanko's `--ltv-profile pades`.
    #[arg(long)]
    ltv: bool,
    /// One JSON object per file (a JSON array when several files).
    #[arg(long)]
    json: bool,
}

/// What a check trusts and when it checks: shared by `verify` and `verify-package`.
#[derive(Args)]
pub(super) struct TrustArgs {
    /// Trust anchor (PEM/DER); replaces the configured anchors when given.
    #[arg(long)]
    trust: Vec<PathBuf>,
    /// Extra intermediate certificates (a file, or a folder of .pem/.crt/.cer/.der files).
    #[arg(long)]
    intermediate: Vec<PathBuf>,
    /// CRL to check revocation against (added to the configured ones).
    #[arg(long)]
    crl: Vec<PathBuf>,
    /// Also trust the VGCA (Ban Cơ yếu Chính phủ) roots, sub-CAs and TSAs in DIR (`--trust-vgca=DIR`; default
    /// `[trust] vgca_dir`, else `trust/vgca`): only certificates whose SHA-256 sohoa pins.
    #[arg(long, value_name = "DIR", num_args = 0..=1, require_equals = true)]
    trust_vgca: Option<Option<PathBuf>>,
    /// Validate as of this time (RFC 3339 or YYYY-MM-DD, UTC) instead of now.
    #[arg(long, value_parser = parse_at)]
    at: Option<SystemTime>,
    /// Fetch OCSP responses or CRLs the file and configuration lack (from the certificate).
    #[arg(long)]
    online: bool,
    /// Unknown revocation status makes a signature invalid.
    #[arg(long)]
    require_revocation: bool,
}

impl TrustArgs {
    /// The verification options of `[trust]` with these flags over them (notes printed).
    pub(super) fn options(&self, cfg: &Config, ltv: bool) -> anyhow::Result<VerifyOptions> {
        let online: Option<std::sync::Arc<dyn sohoa::verify::online::RevocationFetcher>> =
            (self.online || cfg.trust.online)
                .then(|| std::sync::Arc::new(sohoa::verify::online::HttpFetcher::default()) as _);
        let (store, notes) = build::trust_store(
            cfg,
            &build::TrustExtras {
                anchors: self.trust.clone(),
                intermediates: self.intermediate.clone(),
                crls: self.crl.clone(),
                vgca: self.trust_vgca.clone(),
            },
        )?;
        for n in notes {
            eprintln!("sohoa: {n}");
        }
        let policy = build::verify_policy(cfg, store, online);
        Ok(VerifyOptions {
            now: self.at.unwrap_or_else(|| super::context::clock(cfg).now()),
            require_revocation: self.require_revocation || policy.require_revocation,
            ltv: ltv || policy.ltv,
            ..policy
        })
    }
}

/// `2040-01-01` or `2040-01-01T08:30:00Z` (UTC; an offset `+07:00` is applied).
pub(super) fn parse_at(s: &str) -> Result<SystemTime, String> {
    sohoa::time::parse_rfc3339(s)
        .map(|d| std::time::UNIX_EPOCH + d)
        .ok_or_else(|| format!("{s:?} is not a date (YYYY-MM-DD) or an RFC 3339 time"))
}

pub fn run(cfg: &Config, a: VerifyArgs) -> anyhow::Result<ExitCode> {
    let opts = a.trust.options(cfg, a.ltv)?;
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
