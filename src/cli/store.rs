//! `sohoa ingest` (scans → stored, signed, indexed papers), `sohoa find`, `sohoa reuse` and
//! `sohoa audit verify`: the store and index at the CLI edge.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use rand_core::RngCore;
use sohoa::audit::{self, Action};
use sohoa::config::Config;
use sohoa::index::{AuditRequest, ComponentRow, Index, Query, SqliteIndex};
use sohoa::ingest::{ingest, IngestOptions};
use sohoa::pki::names::rfc3339;
use sohoa::sign::pades::SignRequest;
use sohoa::sign::{HttpTsa, TimestampAuthority};
use sohoa::store::{BlobId, BlobStore, LocalStore};
use sohoa::verify::{self, VerifyOptions};

#[derive(Args)]
pub struct IngestArgs {
    /// Scans of one batch, or folders of scans (each folder one batch), in page order.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// The receiving unit (default: [store] unit).
    #[arg(long)]
    unit: Option<String>,
    /// The dossier code (the operator's folder); wins over cover sheets.
    #[arg(long)]
    dossier: Option<String>,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct FindArgs {
    /// 12-digit personal identification number.
    #[arg(long)]
    person: Option<String>,
    #[arg(long)]
    tax_code: Option<String>,
    /// Words, with or without diacritics.
    #[arg(long)]
    text: Option<String>,
    #[arg(long)]
    dossier: Option<String>,
    /// Document type code (see doc-types.toml).
    #[arg(long = "type")]
    type_code: Option<String>,
    /// Only papers still valid on this date (YYYY-MM-DD).
    #[arg(long)]
    valid_on: Option<String>,
    /// A new scan: is this paper already on file? (perceptual hashes + text + the numbers)
    #[arg(long, value_name = "SCAN")]
    like: Option<PathBuf>,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct ReuseArgs {
    /// Component id (from `sohoa find`).
    component: i64,
    /// The new dossier it is reused in.
    #[arg(long)]
    dossier: String,
    /// Reuse even if expired or no longer verifying; the reason is logged.
    #[arg(long)]
    override_reason: Option<String>,
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Checks the hash chain of the audit log; names the first broken link.
    Verify {
        #[arg(long)]
        json: bool,
    },
}

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
}

pub(super) fn open(cfg: &Config) -> anyhow::Result<(LocalStore, SqliteIndex, PathBuf)> {
    let root = cfg.resolve(&cfg.store.root);
    let store = LocalStore::open(&root)?;
    let index = SqliteIndex::open(&root.join("index.sqlite"))?;
    Ok((store, index, root))
}

pub(super) fn actor() -> String {
    std::env::var("USER").unwrap_or_else(|_| "sohoa".into())
}

pub(super) fn now() -> String {
    rfc3339(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default(),
    )
}

/// The scans of a folder, by name.
fn scans_in(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.extension().is_some_and(|e| {
                    matches!(
                        e.to_string_lossy().to_lowercase().as_str(),
                        "jpg" | "jpeg" | "png" | "tif" | "tiff" | "pdf"
                    )
                })
        })
        .collect();
    v.sort();
    Ok(v)
}

/// What ingesting needs from the configuration, signing as `signer` now.
pub(super) fn ingest_options<'a>(
    cfg: &Config,
    signer: &'a dyn sohoa::sign::Signer,
    profile: &sohoa::config::SignerProfile,
    tsa: Option<&'a HttpTsa>,
    unit: &str,
    dossier: &Option<String>,
    root: &Path,
) -> IngestOptions<'a> {
    IngestOptions {
        digitize: super::digitize::options(cfg, None, None, None),
        unit_code: unit.to_string(),
        folder_dossier: dossier.clone(),
        sign: SignRequest {
            signer,
            tsa: tsa.map(|t| t as &dyn TimestampAuthority),
            sub_filter: profile.sub_filter,
            field_name: None,
            reason: profile.reason.clone(),
            location: profile.location.clone(),
            contact_info: profile.contact_info.clone(),
            contents_size: cfg.sign.contents_size,
            time: SystemTime::now(),
            utc_offset_minutes: cfg.sign.utc_offset_minutes,
            nonce: rand_core::OsRng.next_u64(),
        },
        actor: actor(),
        work_dir: root.join("work"),
    }
}

pub fn run_ingest(cfg: &Config, a: IngestArgs) -> anyhow::Result<ExitCode> {
    if let Some(code) = &a.dossier {
        sohoa::classify::dossier_code::parse(code).context("--dossier")?;
    }
    let classifier = super::classify::classifier(cfg, None)?;
    let (signer, profile) = super::sign::load_profile(cfg, cfg.store.signer.as_deref())?;
    let tsa = profile.tsa_url.as_ref().map(HttpTsa::new);
    let (store, mut index, root) = open(cfg)?;
    // what runs killed more than an hour ago left behind
    let stale = std::time::Duration::from_secs(3600);
    store.sweep_temporaries(stale)?;
    sohoa::ingest::sweep_work_dir(&root.join("work"), stale)?;
    let mut batches: Vec<Vec<PathBuf>> = Vec::new();
    let mut files = Vec::new();
    for i in &a.inputs {
        if i.is_dir() {
            batches.push(scans_in(i)?);
        } else {
            files.push(i.clone());
        }
    }
    if !files.is_empty() {
        batches.insert(0, files);
    }
    let mut all = Vec::new();
    let unit = a.unit.clone().unwrap_or_else(|| cfg.store.unit.clone());
    for batch in batches.into_iter().filter(|b| !b.is_empty()) {
        let opts = ingest_options(
            cfg,
            &signer,
            &profile,
            tsa.as_ref(),
            &unit,
            &a.dossier,
            &root,
        );
        let report = ingest(&batch, &opts, &classifier, &store, &mut index)?;
        if !a.json {
            for p in &report.papers {
                println!(
                    "#{:<5} {:<22} {:<26} {:<36} {}{}",
                    p.component_id,
                    p.type_code,
                    p.dossier_code.as_deref().unwrap_or("(no dossier)"),
                    p.pages,
                    p.owner_ids.join(","),
                    if p.already_stored {
                        "  (already stored)"
                    } else if p.needs_review {
                        "  NEEDS REVIEW"
                    } else {
                        ""
                    }
                );
            }
        }
        for w in &report.warnings {
            eprintln!("sohoa: warning: {w}");
        }
        all.push(report);
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&all)?);
    }
    Ok(ExitCode::SUCCESS)
}

fn run_like(cfg: &Config, scan: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let classifier = super::classify::classifier(cfg, None)?;
    let (_, mut index, _) = open(cfg)?;
    let opts = super::digitize::options(cfg, None, None, None);
    let mut out = Vec::new();
    for (c, sig) in sohoa::ingest::scan_signatures(&[scan.to_path_buf()], &opts, &classifier)? {
        let first = &c.pages[0];
        let Some(sig) = sig else {
            println!(
                "{} p{}: carries its own text; no image to compare",
                first.source, first.page
            );
            continue;
        };
        let ranking = sohoa::ingest::likeness_ranking(&mut index, &c.type_code, &sig)?;
        if !json {
            let best = ranking.first();
            match best {
                Some((id, l)) if l.verdict == sohoa::similar::Verdict::Same => println!(
                    "{} p{} ({}): already on file as #{id} (score {:.2}: image {:.1} bits, text {:.2}, numbers {:.2})",
                    first.source, first.page, c.type_code, l.score, l.image_distance, l.text_jaccard, l.numbers_agree
                ),
                Some((id, l)) if l.verdict == sohoa::similar::Verdict::Unsure => println!(
                    "{} p{} ({}): perhaps #{id} (score {:.2}; some numbers differ or were misread): check by eye",
                    first.source, first.page, c.type_code, l.score
                ),
                _ => println!(
                    "{} p{} ({}): not on file",
                    first.source, first.page, c.type_code
                ),
            }
        }
        out.push(serde_json::json!({
            "pages": c.pages,
            "type": c.type_code,
            "matches": ranking.iter().take(5).map(|(id, l)| serde_json::json!({"component": id, "likeness": l})).collect::<Vec<_>>(),
        }));
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_find(cfg: &Config, a: FindArgs) -> anyhow::Result<ExitCode> {
    if let Some(scan) = &a.like {
        return run_like(cfg, scan, a.json);
    }
    if a.person.is_none()
        && a.tax_code.is_none()
        && a.text.is_none()
        && a.dossier.is_none()
        && a.type_code.is_none()
    {
        bail!("say what to find: --person, --tax-code, --text, --dossier, --type or --like SCAN");
    }
    let (store, mut index, _) = open(cfg)?;
    let rows = index.find(&Query {
        person_id: a.person.clone(),
        tax_code: a.tax_code.clone(),
        text: a.text.clone(),
        dossier_code: a.dossier.clone(),
        type_code: a.type_code.clone(),
        valid_on: a.valid_on.clone(),
        unit_code: None,
        source_sha256: None,
        limit: 0,
    })?;
    let vopts = super::verify::config_options(cfg, SystemTime::now())?;
    let mut out = Vec::new();
    for r in &rows {
        let verifies = stored_signature_verifies(&store, r, &vopts);
        out.push(serde_json::json!({"component": r, "signature_verifies": verifies}));
        if !a.json {
            println!(
                "#{:<5} {:<22} {:<26} issued {:<10} valid until {:<10} signed by {} — {}",
                r.id,
                r.type_code,
                r.dossier_code.as_deref().unwrap_or("-"),
                r.issue_date.as_deref().unwrap_or("?"),
                r.valid_until.as_deref().unwrap_or("-"),
                r.signature
                    .as_ref()
                    .map_or("(unsigned)", |s| s.signer_subject.as_str()),
                match verifies {
                    Some(true) => "signature verifies",
                    Some(false) => "SIGNATURE DOES NOT VERIFY",
                    None => "signed file missing",
                }
            );
        }
    }
    index.append_audit(&AuditRequest {
        time: now(),
        actor: actor(),
        action: Action::Verify,
        subject: "find".into(),
        details: serde_json::json!({"results": rows.iter().map(|r| r.id).collect::<Vec<_>>()}),
    })?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else if rows.is_empty() {
        println!("nothing found");
    }
    Ok(ExitCode::SUCCESS)
}

fn stored_signature_verifies(
    store: &LocalStore,
    r: &ComponentRow,
    opts: &VerifyOptions,
) -> Option<bool> {
    let id: BlobId = r.signed_sha256.as_deref()?.parse().ok()?;
    if !store.exists(&id).ok()? {
        return None;
    }
    let report = verify::verify_file(&store.blob_path(&id), opts).ok()?;
    Some(report.valid)
}

pub fn run_reuse(cfg: &Config, a: ReuseArgs) -> anyhow::Result<ExitCode> {
    sohoa::classify::dossier_code::parse(&a.dossier).context("--dossier")?;
    let (store, mut index, _) = open(cfg)?;
    let c = index
        .component(a.component)?
        .with_context(|| format!("no stored component #{}", a.component))?;
    let vopts = super::verify::config_options(cfg, SystemTime::now())?;
    let today = now()[..10].to_string();
    let problems =
        sohoa::index::reuse::problems(&c, &today, stored_signature_verifies(&store, &c, &vopts));
    let e = sohoa::index::reuse::reuse(
        &mut index,
        &c,
        &a.dossier,
        &problems,
        a.override_reason.as_deref(),
        &actor(),
        &now(),
    )?;
    println!(
        "component #{} ({}) reused in dossier {} (audit entry {})",
        c.id, c.type_code, a.dossier, e.seq
    );
    Ok(ExitCode::SUCCESS)
}

pub fn run_audit(cfg: &Config, c: AuditCommand) -> anyhow::Result<ExitCode> {
    let AuditCommand::Verify { json } = c;
    let (_, mut index, _) = open(cfg)?;
    let log = index.audit_log()?;
    let r = audit::verify(&log);
    if json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        match &r.first_break {
            None => println!(
                "audit log intact: {} entries, head {}",
                r.entries,
                r.head.as_deref().unwrap_or("-")
            ),
            Some(b) => println!("AUDIT LOG BROKEN: {b}"),
        }
    }
    Ok(if r.intact() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

pub fn run_store(cfg: &Config, c: StoreCommand) -> anyhow::Result<ExitCode> {
    let (store, mut index, _) = open(cfg)?;
    match c {
        StoreCommand::Check { rehash, json } => {
            let refs = index.referenced_blobs()?;
            let r = sohoa::store::check::check(&store, &refs, rehash)?;
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
            let c = index
                .component(component)?
                .with_context(|| format!("no stored component #{component}"))?;
            let sha = if scan {
                Some(c.source_sha256.clone())
            } else {
                c.signed_sha256.clone()
            };
            let id: BlobId = sha
                .with_context(|| format!("component #{component} has no signed file"))?
                .parse()?;
            let mut src = store.open(&id)?;
            let parent = output
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let mut tmp = tempfile::NamedTempFile::new_in(parent)
                .with_context(|| format!("cannot write in {}", parent.display()))?;
            let mut hasher = sohoa::pki::digest::DigestAlg::Sha256.hasher();
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = std::io::Read::read(&mut src, &mut buf)?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
                std::io::Write::write_all(&mut tmp, &buf[..n])?;
            }
            if hex::encode(hasher.finalize()) != id.as_str() {
                bail!("stored file {id} of component #{component} is damaged (its SHA-256 no longer matches); nothing written");
            }
            tmp.as_file().sync_all()?;
            tmp.persist_noclobber(&output)
                .map_err(|e| e.error)
                .with_context(|| format!("cannot create {}", output.display()))?;
            index.append_audit(&AuditRequest {
                time: now(),
                actor: actor(),
                action: Action::Download,
                subject: format!("component {component}"),
                details: serde_json::json!({"sha256": id.as_str(), "scan": scan, "to": output.display().to_string()}),
            })?;
            println!(
                "component #{component} ({}) written to {} (SHA-256 {id} checked)",
                c.type_code,
                output.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub fn run_eval_ingest(
    cfg: &Config,
    dir: &Path,
    model: Option<&Path>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let labels_path = dir.join("labels.json");
    let labels: sohoa::classify::eval::Labels = serde_json::from_str(
        &std::fs::read_to_string(&labels_path)
            .with_context(|| format!("reading {}", labels_path.display()))?,
    )
    .with_context(|| format!("{}: not a labels file", labels_path.display()))?;
    let classifier = super::classify::classifier(cfg, model)?;
    let (signer, profile) = super::sign::load_profile(cfg, cfg.store.signer.as_deref())?;
    let tsa = profile.tsa_url.as_ref().map(HttpTsa::new);
    // a scratch store and index, removed afterwards
    let scratch = tempfile::Builder::new()
        .prefix("sohoa-eval-ingest-")
        .tempdir()?;
    let store = LocalStore::open(scratch.path())?;
    let mut index = SqliteIndex::open(&scratch.path().join("index.sqlite"))?;
    let opts = ingest_options(
        cfg,
        &signer,
        &profile,
        tsa.as_ref(),
        &cfg.store.unit,
        &None,
        scratch.path(),
    );
    let vopts = super::verify::config_options(cfg, SystemTime::now())?;
    let mut verifies = |sha: &str| {
        sha.parse::<BlobId>().ok().is_some_and(|id| {
            verify::verify_file(&store.blob_path(&id), &vopts).is_ok_and(|r| r.valid)
        })
    };
    let ev = sohoa::ingest::eval::evaluate(
        dir,
        &labels,
        &opts,
        &classifier,
        &store,
        &mut index,
        &mut verifies,
    )?;
    if json {
        println!("{}", serde_json::to_string_pretty(&ev)?);
    } else {
        let line = |name: &str, c: &sohoa::ingest::eval::Count| {
            println!("{name:<44} {:>4} / {:<4}", c.found, c.total);
        };
        println!(
            "{} files, {} pages ingested twice in {:.0} s",
            ev.files, ev.pages, ev.seconds
        );
        line("papers stored (first page, page count)", &ev.stored);
        line("  with the labelled type", &ev.right_type);
        line("  signed file verifies", &ev.verifies);
        line("found by each owner's ID number", &ev.by_person);
        line("found by type", &ev.by_type);
        line("found by a name printed on it", &ev.by_text);
        println!("extra papers stored (wrong splits)            {}", ev.extra);
        println!(
            "second run stored nothing                     {}",
            if ev.second_run_stored_nothing {
                "yes"
            } else {
                "NO"
            }
        );
        for m in &ev.misses {
            println!("MISS {m}");
        }
    }
    let all = ev.stored.all()
        && ev.right_type.all()
        && ev.verifies.all()
        && ev.by_person.all()
        && ev.by_type.all()
        && ev.by_text.all()
        && ev.extra == 0
        && ev.second_run_stored_nothing;
    Ok(if all {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

#[derive(Args)]
pub struct ReportArgs {
    /// Only this unit.
    #[arg(long)]
    unit: Option<String>,
    /// Only this month (YYYY-MM).
    #[arg(long)]
    month: Option<String>,
    /// CSV instead of a table.
    #[arg(long)]
    csv: bool,
    #[arg(long)]
    json: bool,
}

/// `sohoa report`: the directives' indicators per unit and month.
pub fn run_report(cfg: &Config, a: ReportArgs) -> anyhow::Result<ExitCode> {
    let (_, mut index, _) = open(cfg)?;
    let rows = sohoa::index::report::build(
        &index.report_counts(cfg.sign.utc_offset_minutes)?,
        a.unit.as_deref(),
        a.month.as_deref(),
    );
    if a.csv {
        print!("{}", sohoa::index::report::csv(&rows));
    } else if a.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        let pct = |r: Option<f64>| r.map_or("-".to_string(), |v| format!("{:.1}%", v * 100.0));
        println!(
            "{:<14} {:<7} {:>9} {:>9} {:>7} {:>7} {:>8} {:>10} {:>8} {:>8}",
            "unit",
            "month",
            "dossiers",
            "digitized",
            "papers",
            "signed",
            "reusing",
            "digit.rate",
            "sign.rate",
            "reuse"
        );
        for r in &rows {
            println!(
                "{:<14} {:<7} {:>9} {:>9} {:>7} {:>7} {:>8} {:>10} {:>8} {:>8}",
                r.unit,
                r.month,
                r.dossiers_received,
                r.dossiers_digitized,
                r.components_digitized,
                r.components_signed,
                r.dossiers_reusing,
                pct(r.digitization_rate),
                pct(r.signing_rate),
                pct(r.reuse_rate)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
