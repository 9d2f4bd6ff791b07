//! Edge `cli`: argument parsing and exit codes; `anyhow` lives here and nowhere else.

mod audit;
mod certify;
mod classify;
mod context;
mod digitize;
mod export;
mod find;
mod ingest;
mod log;
mod ltv;
mod progress;
mod report;
mod review;
mod serve;
mod sheet;
mod sign;
pub(super) mod store;
mod token;
mod verify;
mod webhooks;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use sohoa::config::Config;

#[derive(Parser)]
#[command(
    name = "sohoa",
    version,
    about = "Digitize, sign, store and reuse administrative dossiers (Vietnam one-stop desks)"
)]
struct Cli {
    /// Configuration file (default: $SOHOA_CONFIG, else ./config.toml when present).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The audit log: check its chain against its signed checkpoints; anchor its head now.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Electronic certified copies of stored papers (numbered in the unit's register, signed by the certifying officer and the agency); the register.
    Certify(certify::CertifyArgs),
    /// Split scanned batches into dossiers and papers, classify them, read their ID numbers (`classify train`: the model).
    Classify(Box<classify::ClassifyArgs>),
    /// Scans (JPEG, PNG, TIFF, image-only PDF) to one searchable PDF/A-2u with Vietnamese OCR.
    Digitize(Box<digitize::DigitizeArgs>),
    /// A dossier as one package for the one-stop systems: its signed PDFs, a manifest and the agency's signature of it.
    Export(export::ExportArgs),
    /// Quality measurements on labelled samples.
    #[command(subcommand)]
    Eval(digitize::EvalCommand),
    /// Find stored papers by person, tax code, text, dossier, type; says if each still verifies.
    Find(find::FindArgs),
    /// The service's inbox: its journal, re-queue a failed file.
    #[command(subcommand)]
    Inbox(serve::InboxCommand),
    /// Long-term signatures: `ltv add` makes a signed PDF B-LT or B-LTA.
    #[command(subcommand)]
    Ltv(ltv::LtvCommand),
    /// Scans → classified, signed PDF/A papers stored by SHA-256 and indexed (one batch per call or folder).
    Ingest(Box<ingest::IngestArgs>),
    /// Move this desk's index (and blobs) into a shared one: PostgreSQL, an object store. Resumable; checks every blob and row on the target. Exit 0: verified.
    Migrate(store::MigrateArgs),
    /// The directives' indicators per unit and month: digitization, signing and reuse rates.
    Report(report::ReportArgs),
    /// Attach a stored paper to a new dossier instead of asking for it again.
    Reuse(find::ReuseArgs),
    /// The review queue: papers the classifier was unsure of; confirm or correct them.
    #[command(subcommand)]
    Review(review::ReviewCommand),
    /// The blob store: check it against the index, copy a stored paper out.
    #[command(subcommand)]
    Store(store::StoreCommand),
    /// The service: watch the inbox, ingest each complete batch, move it to processed/ or failed/.
    Serve(serve::ServeArgs),
    /// PKCS#11 tokens: `token list` shows tokens, certificates and keys (no secrets).
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// People of the HTTP API: make a token.
    #[command(subcommand)]
    User(serve::UserCommand),
    /// Sheets to print for the scanner's tray: a dossier's cover sheet, the separator between papers.
    #[command(subcommand)]
    Sheet(sheet::SheetCommand),
    /// Sign a PDF (PAdES B-B, B-T with a TSA, B-LT, B-LTA), appending incremental revisions.
    Sign(Box<sign::SignArgs>),
    /// Check a dossier package offline: the manifest's signature, every member's SHA-256, every paper's signatures. Exit 0: valid; 1: not; 2: could not check.
    VerifyPackage(export::VerifyPackageArgs),
    /// Webhook deliveries of the inbox's events: list them (the dead letters), send one again.
    #[command(subcommand)]
    Webhooks(webhooks::WebhooksCommand),
    /// Verify every signature of one or more PDFs. Exit 0: all valid; 1: something is not; 2: could not check.
    Verify(verify::VerifyArgs),
}

/// The configuration in force: explicit, from the environment, ./config.toml, or empty.
fn load_config(explicit: Option<&Path>) -> anyhow::Result<Config> {
    let path = explicit
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("SOHOA_CONFIG").map(PathBuf::from))
        .or_else(|| Some(PathBuf::from("config.toml")).filter(|p| p.exists()));
    match path {
        Some(p) => Ok(Config::load(&p)?),
        None => Ok(Config::default()),
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // (`digitize` restarts itself only when it reads the scans here, not when it hands them
    // to a running service)
    if matches!(
        cli.command,
        Command::Eval(_)
            | Command::Classify(_)
            | Command::Ingest(_)
            | Command::Find(_)
            | Command::Serve(_)
    ) {
        // libtesseract's OpenMP must be single-threaded (we run one engine per core instead);
        // the variable only takes effect at process start, so this may re-execute sohoa.
        if let Err(e) = sohoa::ocr::ensure_single_threaded_openmp() {
            eprintln!("sohoa: warning: could not restart with OMP_THREAD_LIMIT=1: {e}");
        }
    }
    let service = matches!(cli.command, Command::Serve(_));
    let result = load_config(cli.config.as_deref()).and_then(|cfg| {
        log::init(&cfg.log, service);
        run(cfg, cli.command)
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("sohoa: error: {}", message(&e));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes, each once: typed errors often quote their source already
/// ("{file}: {source}"), and anyhow's `{:#}` would print it a second time.
fn message(e: &anyhow::Error) -> String {
    let mut msg = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !msg.contains(&c) {
            msg.push_str(": ");
            msg.push_str(&c);
        }
    }
    msg
}

/// The command, with the configuration in force.
fn run(cfg: Config, command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Audit(c) => audit::run(&cfg, c),
        Command::Certify(a) => certify::run(&cfg, a),
        Command::Classify(a) => classify::run(&cfg, *a),
        Command::Find(a) => find::run_find(&cfg, a),
        Command::Ingest(a) => ingest::run_ingest(&cfg, *a),
        Command::Ltv(c) => ltv::run(&cfg, c),
        Command::Migrate(a) => store::run_migrate(&cfg, a),
        Command::Reuse(a) => find::run_reuse(&cfg, a),
        Command::Review(c) => review::run(&cfg, c),
        Command::Report(a) => report::run_report(&cfg, a),
        Command::Digitize(a) => digitize::run(&cfg, *a),
        Command::Eval(e) => digitize::run_eval(&cfg, e),
        Command::Sheet(c) => sheet::run(c),
        Command::Sign(a) => sign::run(&cfg, *a),
        Command::Store(c) => store::run_store(&cfg, c),
        Command::Serve(a) => serve::run(&cfg, a),
        Command::Inbox(c) => serve::run_inbox(&cfg, c),
        Command::Token(c) => token::run(&cfg, c),
        Command::User(c) => serve::run_user(c),
        Command::Verify(a) => verify::run(&cfg, a),
        Command::Export(a) => export::run_export(&cfg, a),
        Command::VerifyPackage(a) => export::run_verify_package(&cfg, a),
        Command::Webhooks(c) => webhooks::run(&cfg, c),
    }
}
