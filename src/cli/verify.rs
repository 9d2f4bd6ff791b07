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
    /// PAdES long-term validation: every signature needs a proven time and revocation data in
    /// the file (B-LT/B-LTA), as pyHanko's `--ltv-profile pades`.
    #[arg(long)]
    ltv: bool,
    /// One JSON object per file (a JSON array when several files).
    #[arg(long)]
    json: bool,
}

/// `2040-01-01` or `2040-01-01T08:30:00Z` (UTC; an offset `+07:00` is applied).
fn parse_at(s: &str) -> Result<SystemTime, String> {
    sohoa::pki::names::parse_rfc3339(s)
        .map(|d| std::time::UNIX_EPOCH + d)
        .ok_or_else(|| format!("{s:?} is not a date (YYYY-MM-DD) or an RFC 3339 time"))
}

pub fn trust_store(cfg: &Config, a: &VerifyArgs) -> anyhow::Result<TrustStore> {
    let mut store = TrustStore::default();
    let vgca_dir = match &a.trust_vgca {
        Some(Some(dir)) => Some(dir.clone()),
        Some(None) => Some(
            cfg.trust
                .vgca_dir
                .as_ref()
                .map(|p| cfg.resolve(p))
                .unwrap_or_else(|| cfg.resolve(std::path::Path::new("trust/vgca"))),
        ),
        None => cfg.trust.vgca_dir.as_ref().map(|p| cfg.resolve(p)),
    };
    if let Some(dir) = vgca_dir {
        let loaded = sohoa::pki::vgca::load_dir(&dir)?;
        for r in &loaded.refused {
            eprintln!("sohoa: {r}");
        }
        if loaded.store.anchors.is_empty() {
            anyhow::bail!(
                "{}: no pinned VGCA root certificate found; download them from ca.gov.vn (see trust/vgca/README.md)",
                dir.display()
            );
        }
        store.anchors.extend(loaded.store.anchors);
        store.intermediates.extend(loaded.store.intermediates);
    }
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
            trust_vgca: None,
            at: None,
            online: false,
            require_revocation: false,
            ltv: false,
        },
    )
}

/// Verification options from `[trust]` alone (stored papers: offline, the configured policy).
pub(super) fn config_options(cfg: &Config, now: SystemTime) -> anyhow::Result<VerifyOptions> {
    Ok(VerifyOptions {
        require_revocation: cfg.trust.require_revocation,
        ltv: cfg.trust.ltv,
        ..VerifyOptions::new(config_trust(cfg)?, now)
    })
}

pub fn run(cfg: &Config, a: VerifyArgs) -> anyhow::Result<ExitCode> {
    let online: Option<std::sync::Arc<dyn sohoa::verify::online::RevocationFetcher>> = (a.online
        || cfg.trust.online)
        .then(|| std::sync::Arc::new(sohoa::verify::online::HttpFetcher::default()) as _);
    let opts = VerifyOptions {
        store: trust_store(cfg, &a)?,
        now: a.at.unwrap_or_else(SystemTime::now),
        limits: Limits::default(),
        require_revocation: a.require_revocation || cfg.trust.require_revocation,
        online,
        ltv: a.ltv || cfg.trust.ltv,
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
