//! `sohoa sign`: resolves the signer profile (config, then flags), loads the key, signs.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use sohoa::config::{Config, SignerProfile};
use sohoa::desk::build;
use sohoa::sign::appearance::StampRole;
use sohoa::sign::pades::{sign_file, SignRequest};
use sohoa::sign::{Level, SubFilter, TimestampAuthority};

/// `--level B-LT`: a PAdES level.
pub(super) fn parse_level(s: &str) -> Result<Level, String> {
    Level::from_name(s).ok_or_else(|| format!("{s:?}: use B-B, B-T, B-LT or B-LTA"))
}

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
    /// PAdES level: B-B, B-T, B-LT (adds the validation data) or B-LTA (and a document
    /// timestamp); overrides the profile's.
    #[arg(long, value_parser = parse_level)]
    level: Option<Level>,
    /// TSA of B-LTA's document timestamp (default: the signature's TSA).
    #[arg(long)]
    archive_tsa: Option<String>,
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
    /// A visible signature laid out as this role's rule says: digitizer (top left of page 1),
    /// agency (top right) or certifier (bottom right of the last page); the profile's [stamp]
    /// table overrides the layout. Default: invisible, unless the profile's [stamp] table says
    /// visible = true (ingest and certify sign visibly unless it says false).
    #[arg(long, value_parser = parse_role)]
    stamp: Option<StampRole>,
    /// An invisible signature, whatever the profile says.
    #[arg(long, conflicts_with = "stamp")]
    invisible: bool,
    /// Print the outcome as JSON.
    #[arg(long)]
    json: bool,
}

fn parse_role(s: &str) -> Result<StampRole, String> {
    match s {
        "digitizer" => Ok(StampRole::Digitizer),
        "agency" => Ok(StampRole::Agency),
        "certifier" => Ok(StampRole::Certifier),
        _ => Err(format!("{s:?}: use digitizer, agency or certifier")),
    }
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
        build::named_profile(
            cfg,
            a.signer.as_deref(),
            "pass --signer NAME, --p12 FILE or --key/--cert",
        )?
        .1
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
        p.level = p.level.filter(|l| !l.timestamped());
    }
    if a.level.is_some() {
        p.level = a.level;
    }
    if a.archive_tsa.is_some() {
        p.archive_tsa_url = a.archive_tsa.clone();
    }
    for (slot, v) in [(&mut p.reason, &a.reason), (&mut p.location, &a.location)] {
        if v.is_some() {
            *slot = v.clone();
        }
    }
    Ok(p)
}

pub fn run(cfg: &Config, a: SignArgs) -> anyhow::Result<ExitCode> {
    let name = a
        .signer
        .clone()
        .unwrap_or_else(|| "given on the command line".into());
    let s = build::signer(cfg, &name, profile(cfg, &a)?)?;
    let now = super::context::clock(cfg).now();
    let p = &s.profile;
    let stamp = match (a.invisible, a.stamp, &p.stamp) {
        (true, _, _) => None,
        (false, Some(role), _) => build::stamp(cfg, &name, p, role)?,
        (false, None, Some(st)) if st.visible == Some(true) => {
            build::stamp(cfg, &name, p, StampRole::Digitizer)?
        }
        (false, None, _) => None,
    };
    let req = SignRequest {
        signer: s.signer.as_ref(),
        tsa: s.tsa.as_ref().map(|t| t as &dyn TimestampAuthority),
        sub_filter: p.sub_filter,
        field_name: a.field.clone(),
        reason: p.reason.clone(),
        location: p.location.clone(),
        contact_info: p.contact_info.clone(),
        contents_size: cfg.sign.contents_size,
        time: now,
        utc_offset_minutes: cfg.sign.utc_offset_minutes,
        nonce: super::context::nonce(),
        ltv: s.ltv_request(now, super::context::nonce()),
        stamp,
    };
    let out = sign_file(&a.input, &a.output, &req)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "signed {} -> {} ({}, field \"{}\", {}, {}; sha256 {})",
            a.input.display(),
            out.output.display(),
            out.signer,
            out.field_name,
            out.sub_filter,
            out.level,
            out.sha256
        );
        if let Some(ap) = &out.appearance {
            println!(
                "stamp on page {} at [{:.0} {:.0} {:.0} {:.0}]{}",
                ap.page,
                ap.rect[0],
                ap.rect[1],
                ap.rect[2],
                ap.rect[3],
                ap.moved
                    .as_deref()
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
