//! `sohoa sign`: resolves the signer profile (config, then flags), loads the key, signs.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::{bail, Context};
use clap::Args;
use rand_core::RngCore;
use sohoa::config::{Config, SignerProfile, SubFilter};
use sohoa::pki::keys;
use sohoa::sign::pades::{sign_file, SignRequest};
use sohoa::sign::{HttpTsa, SoftwareRsaSigner, TimestampAuthority};

#[derive(Args)]
pub struct SignArgs {
    /// The PDF to sign.
    input: PathBuf,
    /// Where to write the signed PDF (written atomically; may equal INPUT).
    #[arg(short, long)]
    output: PathBuf,
    /// Signer profile from the configuration (default: [sign] default_signer).
    #[arg(long)]
    signer: Option<String>,
    /// PKCS#12 bundle instead of a profile.
    #[arg(long, conflicts_with_all = ["key", "cert"])]
    p12: Option<PathBuf>,
    /// Encrypted PKCS#8 PEM key instead of a profile (with --cert).
    #[arg(long, requires = "cert")]
    key: Option<PathBuf>,
    #[arg(long, requires = "key")]
    cert: Option<PathBuf>,
    /// Issuer certificates (PEM) to embed.
    #[arg(long)]
    chain: Option<PathBuf>,
    /// File whose first line is the key passphrase.
    #[arg(long)]
    passphrase_file: Option<PathBuf>,
    /// Environment variable holding the key passphrase.
    #[arg(long)]
    passphrase_env: Option<String>,
    /// RFC 3161 TSA URL (PAdES B-T); overrides the profile's.
    #[arg(long)]
    tsa: Option<String>,
    /// Do not timestamp even if the profile names a TSA.
    #[arg(long, conflicts_with = "tsa")]
    no_tsa: bool,
    /// ETSI.CAdES.detached (default) or adbe.pkcs7.detached.
    #[arg(long)]
    sub_filter: Option<String>,
    #[arg(long)]
    reason: Option<String>,
    #[arg(long)]
    location: Option<String>,
    /// Signature field name (default: the first free SignatureN).
    #[arg(long)]
    field: Option<String>,
    /// Print the outcome as JSON.
    #[arg(long)]
    json: bool,
}

fn profile(cfg: &Config, a: &SignArgs) -> anyhow::Result<SignerProfile> {
    let mut p = if a.p12.is_some() || a.key.is_some() {
        SignerProfile {
            pkcs12: a.p12.clone(),
            key: a.key.clone(),
            cert: a.cert.clone(),
            chain: a.chain.clone(),
            ..Default::default()
        }
    } else {
        let name = a
            .signer
            .clone()
            .or_else(|| cfg.sign.default_signer.clone())
            .context("no signer: pass --signer NAME, --p12 FILE or --key/--cert, or set [sign] default_signer in config.toml")?;
        named_profile(cfg, &name)?
    };
    if a.passphrase_file.is_some() {
        p.passphrase_file = a.passphrase_file.clone();
        p.passphrase_env = None;
    }
    if a.passphrase_env.is_some() {
        p.passphrase_env = a.passphrase_env.clone();
        p.passphrase_file = None;
    }
    if let Some(s) = &a.sub_filter {
        p.sub_filter = SubFilter::from_name(s).with_context(|| {
            format!("--sub-filter {s}: use ETSI.CAdES.detached or adbe.pkcs7.detached")
        })?;
    }
    if a.tsa.is_some() {
        p.tsa_url = a.tsa.clone();
    }
    if a.no_tsa {
        p.tsa_url = None;
    }
    for (slot, v) in [(&mut p.reason, &a.reason), (&mut p.location, &a.location)] {
        if v.is_some() {
            *slot = v.clone();
        }
    }
    Ok(p)
}

fn passphrase(p: &SignerProfile) -> anyhow::Result<Vec<u8>> {
    if let Some(var) = &p.passphrase_env {
        return std::env::var(var)
            .map(String::into_bytes)
            .with_context(|| format!("the passphrase variable ${var} is not set"));
    }
    if let Some(f) = &p.passphrase_file {
        return Ok(keys::read_passphrase_file(f)?);
    }
    bail!("no passphrase: set passphrase_file or passphrase_env in the profile, or pass --passphrase-file / --passphrase-env")
}

/// A profile of `config.toml` with its paths resolved against the file's folder.
fn named_profile(cfg: &Config, name: &str) -> anyhow::Result<SignerProfile> {
    let mut p = cfg
        .signers
        .get(name)
        .cloned()
        .with_context(|| format!("no signer profile [signers.{name}] in {}", cfg.origin))?;
    for f in [
        &mut p.pkcs12,
        &mut p.key,
        &mut p.cert,
        &mut p.chain,
        &mut p.passphrase_file,
    ] {
        *f = f.as_ref().map(|x| cfg.resolve(x));
    }
    Ok(p)
}

/// The loaded signer of a named profile (or [sign] default_signer), for `sohoa ingest`.
pub(super) fn load_profile(
    cfg: &Config,
    name: Option<&str>,
) -> anyhow::Result<(SoftwareRsaSigner, SignerProfile)> {
    let name = name
        .map(String::from)
        .or_else(|| cfg.sign.default_signer.clone())
        .context("no signer: set [store] signer or [sign] default_signer in config.toml")?;
    let p = named_profile(cfg, &name)?;
    Ok((load_signer(&p)?, p))
}

/// The key and certificates a profile names.
fn load_signer(p: &SignerProfile) -> anyhow::Result<SoftwareRsaSigner> {
    let pass = passphrase(p)?;
    let creds = match (&p.pkcs12, &p.key, &p.cert) {
        (Some(p12), _, _) => keys::load_pkcs12(p12, &pass)?,
        (None, Some(k), Some(c)) => keys::load_pem_credentials(k, c, p.chain.as_deref(), &pass)?,
        _ => bail!("the signer profile names no key"),
    };
    Ok(SoftwareRsaSigner::new(creds.key, creds.cert, creds.chain)?)
}

pub fn run(cfg: &Config, a: SignArgs) -> anyhow::Result<ExitCode> {
    let p = profile(cfg, &a)?;
    let signer = load_signer(&p)?;
    let tsa = p.tsa_url.as_ref().map(HttpTsa::new);
    let req = SignRequest {
        signer: &signer,
        tsa: tsa.as_ref().map(|t| t as &dyn TimestampAuthority),
        sub_filter: p.sub_filter,
        field_name: a.field.clone(),
        reason: p.reason.clone(),
        location: p.location.clone(),
        contact_info: p.contact_info.clone(),
        contents_size: cfg.sign.contents_size,
        time: SystemTime::now(),
        utc_offset_minutes: cfg.sign.utc_offset_minutes,
        nonce: rand_core::OsRng.next_u64(),
    };
    let out = sign_file(&a.input, &a.output, &req)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "signed {} -> {} ({}, field \"{}\", {}{}; sha256 {})",
            a.input.display(),
            out.output.display(),
            out.signer,
            out.field_name,
            out.sub_filter,
            if out.timestamped { ", timestamped" } else { "" },
            out.sha256
        );
    }
    Ok(ExitCode::SUCCESS)
}
