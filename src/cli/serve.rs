//! `sohoa serve`: the service at the CLI edge — the configuration turned into the inbox loop's
//! options and dependencies, signals into a stop flag, outcomes into log lines.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use sohoa::audit::Reason;
use sohoa::classify::Classifier;

use anyhow::Context;
use clap::Args;
use sohoa::config::Config;
use sohoa::desk::build;
use sohoa::inbox::service::Deps;
use sohoa::inbox::{self, InboxPaths, JobLimits, JobOutcome, ServiceOptions, ServiceSummary};
use sohoa::index::{Index, ServiceIndex};
use sohoa::store::BlobStore;

#[derive(Args)]
pub struct ServeArgs {
    /// Process what is in the inbox, then stop (a batch run; also for tests).
    #[arg(long)]
    once: bool,
    /// Poll only, no file-system events (network shares send none).
    #[arg(long)]
    poll: bool,
}

/// Serves the API on `listen` in its own thread (a tokio runtime) until `stop` is set.
fn start_http(
    listen: &str,
    ctx: sohoa::api::ApiState,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<std::thread::JoinHandle<()>> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the HTTP runtime")?;
    let listener = rt
        .block_on(tokio::net::TcpListener::bind(listen))
        .with_context(|| format!("[http] listen = {listen:?}: cannot listen there"))?;
    let addr = listener.local_addr()?;
    tracing::info!(
        "sohoa serve: HTTP on http://{addr}/ (API under /api, description /api/openapi.json)"
    );
    let app = sohoa::api::router(ctx);
    Ok(std::thread::spawn(move || {
        rt.block_on(async move {
            let shutdown = async move {
                while !stop.load(Ordering::SeqCst) {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::error!("sohoa serve: HTTP stopped: {e}");
            }
        });
    }))
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The classifier of `[classify]`, reloaded when the model file changes (`sohoa classify
/// train --reviews` while the service runs): checked before each batch; a model that cannot
/// be read is reported and the one in use kept.
struct LiveClassifier<'a> {
    cfg: &'a Config,
    model: Option<PathBuf>,
    current: Mutex<(Option<SystemTime>, Arc<Classifier>)>,
}

impl<'a> LiveClassifier<'a> {
    fn new(cfg: &'a Config) -> anyhow::Result<Self> {
        let model = cfg.classify.model.as_ref().map(|p| cfg.resolve(p));
        let stamp = model.as_deref().and_then(modified);
        let c = sohoa::desk::build::classifier(cfg, None)?;
        Ok(Self {
            cfg,
            model,
            current: Mutex::new((stamp, Arc::new(c))),
        })
    }

    fn get(&self) -> Arc<Classifier> {
        let mut cur = match self.current.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let stamp = self.model.as_deref().and_then(modified);
        if stamp != cur.0 {
            match sohoa::desk::build::classifier(self.cfg, None) {
                Ok(c) => {
                    tracing::info!(
                        "sohoa serve: classification model {} reloaded",
                        self.model
                            .as_deref()
                            .map(|p| p.display().to_string())
                            .unwrap_or_default()
                    );
                    *cur = (stamp, Arc::new(c));
                }
                Err(e) => {
                    tracing::error!("sohoa serve: the new classification model was not loaded, the previous one stays in use: {e:#}");
                    cur.0 = stamp;
                }
            }
        }
        Arc::clone(&cur.1)
    }
}

fn modified(p: &std::path::Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

pub fn run(cfg: &Config, a: ServeArgs) -> anyhow::Result<ExitCode> {
    let live = LiveClassifier::new(cfg)?;
    let classifier = || live.get();
    let signer = build::ingest_signers(cfg, "set [store] signer")?;
    let clock = super::context::clock(cfg);
    let root = cfg.resolve(&cfg.store.root);
    let store: Arc<dyn BlobStore> = Arc::from(cfg.store_location()?.open()?);
    let stale = Duration::from_secs(3600);
    store.sweep_temporaries(clock.now(), stale)?;
    sohoa::ingest::sweep_work_dir(&root.join("work"), clock.now(), stale)?;
    let db = cfg.index_location()?;
    // one service per SQLite index: a second one on the same machine would take the same
    // files; several nodes need the shared index (PostgreSQL), where leases share the work
    let _only_service = match &db {
        sohoa::index::IndexLocation::Sqlite(path) => Some(service_lock(path)?),
        _ => None,
    };
    // migrations run once, here, before the workers open their connections
    db.open()?;
    let i = &cfg.inbox;
    let opts = ServiceOptions {
        paths: InboxPaths {
            inbox: cfg.resolve(&i.path),
            processed: cfg.resolve(&i.processed),
            failed: cfg.resolve(&i.failed),
        },
        default_unit: cfg.store.unit.clone(),
        stability: Duration::from_secs_f64(i.stable_seconds),
        settle: Duration::from_secs_f64(i.settle_seconds),
        poll: Duration::from_secs_f64(i.poll_seconds),
        watch: i.watch && !a.poll,
        workers: if i.workers == 0 { cores() } else { i.workers },
        queue: i.queue,
        limits: JobLimits {
            max_file_bytes: i.max_file_bytes,
            max_attempts: i.max_attempts,
        },
        retry_after: Duration::from_secs_f64(i.retry_seconds),
        once: a.once,
        clock: clock.clone(),
        node: i.node.clone().unwrap_or_else(node_name),
        lease: Duration::from_secs_f64(i.lease_seconds),
    };
    let open_index =
        || -> Result<Box<dyn ServiceIndex>, inbox::InboxError> { Ok(db.open_service()?) };
    // one OCR engine per batch (the workers already fill the cores), kept between batches
    let engines = sohoa::ocr::EnginePool::new(
        super::context::digitize_options(cfg, None, None, Some(1)).ocr,
        opts.workers,
    );
    let make_opts = || {
        let mut o = super::context::ingest_options(cfg, &signer, &clock, "", &None, &root);
        o.digitize = super::context::digitize_options(cfg, None, None, Some(1));
        o.digitize.engines = Some(Arc::clone(&engines));
        o.actor = format!("sohoa serve ({})", super::context::actor().name);
        o
    };
    // each outcome is an event inside the worker's `batch` span (file, unit, dossier)
    let log = |_job: &inbox::Job, outcome: &JobOutcome| match outcome {
        JobOutcome::Stored { papers, timings } => tracing::info!(
            papers,
            drop_to_signed_seconds = timings.drop_to_signed.map(|d| d.as_secs_f64()),
            "batch stored: {papers} paper(s)"
        ),
        JobOutcome::Failed { reason } => tracing::error!(
            reason = %reason,
            kind = sohoa::inbox::failure_kind(reason),
            "batch FAILED: moved to failed/"
        ),
        JobOutcome::Retry { reason } => {
            tracing::warn!(reason = %reason, "batch to retry: a problem on our side")
        }
        _ => {}
    };
    let deps = Deps {
        classifier: &classifier,
        store: store.as_ref(),
        open_index: &open_index,
        ingest_options: &make_opts,
        on_outcome: &log,
    };
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(sig, Arc::clone(&stop))
            .context("installing signal handlers")?;
    }
    let summary = Arc::new(ServiceSummary::default());
    let http = if cfg.http.listen.is_empty() {
        None
    } else {
        let mut salt = [0u8; 16];
        super::context::random(&mut salt);
        let dummy_hash = sohoa::api::auth::hash_password("not a password", salt)
            .map_err(|e| anyhow::anyhow!("preparing the login check: {e}"))?;
        let ctx = sohoa::api::ApiContext {
            users: sohoa::api::auth::Users::from_config(&cfg.users),
            sessions: sohoa::api::auth::Sessions::default(),
            session_ttl: Duration::from_secs_f64(cfg.http.session_hours * 3600.0),
            dummy_hash,
            index: sohoa::index::IndexPool::new(db.clone(), 8),
            store: Arc::clone(&store),
            paths: opts.paths.clone(),
            verify: super::context::stored_paper_policy(cfg)?,
            types: sohoa::desk::build::doc_types(cfg)?,
            summary: Arc::clone(&summary),
            max_upload_bytes: cfg.http.max_upload_bytes,
            timeout: Duration::from_secs_f64(cfg.http.timeout_seconds),
            clock: clock.clone(),
            random: Arc::new(super::context::random),
            certify: match cfg.certify.officer_signer {
                Some(_) => {
                    let signers = Arc::new(sohoa::desk::build::certify_signers(cfg)?);
                    resume_certifications(cfg, &signers)?;
                    Some(signers)
                }
                None => None,
            },
            export: sohoa::desk::build::export_signer(cfg)
                .map(Arc::new)
                .map_err(|e| e.to_string()),
            component_codes: cfg.export.component_codes.clone(),
            report: cfg.report.clone(),
            renderer: Arc::new(sohoa::preview::Pdftoppm::default()),
        };
        Some(start_http(
            &cfg.http.listen,
            Arc::new(ctx),
            Arc::clone(&stop),
        )?)
    };
    tracing::info!(
        "sohoa serve: watching {} ({} workers, {}); processed → {}, failed → {}",
        opts.paths.inbox.display(),
        opts.workers,
        if opts.watch {
            "file events + polling"
        } else {
            "polling"
        },
        opts.paths.processed.display(),
        opts.paths.failed.display()
    );
    let renewer = (cfg.store.renew_every_hours > 0.0).then(|| {
        let (cfg, stop) = (cfg.clone(), Arc::clone(&stop));
        let every = Duration::from_secs_f64(cfg.store.renew_every_hours * 3600.0);
        std::thread::spawn(move || on_schedule(every, &stop, || renew_once(&cfg)))
    });
    let hooks = build::webhooks(cfg)?;
    let announcer = if hooks.is_empty() {
        None
    } else {
        // the receivers' cursors are set before the first batch, so none of its events is
        // skipped as "older than the receiver"
        let mut ix = db.open()?;
        let pass = webhook_pass(ix.as_mut(), &hooks, &clock)?;
        tracing::info!(
            receivers = hooks.len(),
            pending = pass.queued,
            "webhooks: delivering"
        );
        let (stop, clock, hooks) = (Arc::clone(&stop), clock.clone(), hooks.clone());
        Some(std::thread::spawn(move || {
            let mut last_error = String::new();
            on_schedule(Duration::from_secs(1), &stop, || {
                if let Err(e) = webhook_pass(ix.as_mut(), &hooks, &clock) {
                    // said once, not every second
                    let e = format!("{e:#}");
                    if e != last_error {
                        tracing::error!(error = %e, "webhooks: a pass failed");
                        last_error = e;
                    }
                }
            })
        }))
    };
    let anchorer = (cfg.audit.checkpoint_every_minutes > 0.0).then(|| {
        let (cfg, stop) = (cfg.clone(), Arc::clone(&stop));
        let every = Duration::from_secs_f64(cfg.audit.checkpoint_every_minutes * 60.0);
        std::thread::spawn(move || on_schedule(every, &stop, || checkpoint(&cfg, Reason::Interval)))
    });
    // `sohoa digitize` calls handed over a local socket, read with the same engines
    let handoff = cfg.digitize.handoff_socket.as_ref().map(|sock| {
        let (socket, work) = (cfg.resolve(sock), root.join("work"));
        let (cfg, stop, engines) = (cfg.clone(), Arc::clone(&stop), Arc::clone(&engines));
        let max_bytes = cfg.inbox.max_file_bytes;
        std::thread::spawn(move || {
            let opts = || {
                let mut o = super::context::digitize_options(&cfg, None, None, None);
                o.engines = Some(Arc::clone(&engines));
                o
            };
            tracing::info!(socket = %socket.display(), "digitize hand-off: listening");
            if let Err(e) = sohoa::digitize::handoff::serve(&socket, &work, max_bytes, &opts, &stop)
            {
                tracing::error!(socket = %socket.display(), "digitize hand-off stopped: {e}");
            }
        })
    });
    let ran = inbox::run(&opts, &deps, &summary, &stop);
    // the inbox loop ended (a signal, or --once with the inbox empty): everything else too
    stop.store(true, Ordering::SeqCst);
    for h in [renewer, anchorer, announcer, http, handoff]
        .into_iter()
        .flatten()
    {
        let _ = h.join();
    }
    // a last pass: what the last batches announced becomes deliveries (sent now if the
    // receivers answer, else kept for the next start)
    if !hooks.is_empty() {
        if let Err(e) = db
            .open()
            .map_err(anyhow::Error::from)
            .and_then(|mut ix| webhook_pass(ix.as_mut(), &hooks, &clock))
        {
            tracing::error!(error = %format!("{e:#}"), "webhooks: the last pass failed");
        }
    }
    // the last word of the log, anchored outside the database before the process goes
    checkpoint(cfg, Reason::Shutdown);
    ran?;
    tracing::info!(
        stored = summary.stored.get(),
        papers = summary.papers.get(),
        failed = summary.failed.get(),
        retried = summary.retried.get(),
        interrupted_at_start = summary.interrupted_at_start.get(),
        "sohoa serve: stopped"
    );
    Ok(ExitCode::SUCCESS)
}

/// This machine's name and this process's id: the node's name in the leases by default.
fn node_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into());
    format!("{host}:{}", std::process::id())
}

/// Holds an exclusive lock on `<index>.serve.lock` while the service runs (released by the
/// system when the process ends, however it ends); refuses to start when another process
/// holds it.
fn service_lock(index: &std::path::Path) -> anyhow::Result<std::fs::File> {
    let path = index.with_extension("sqlite.serve.lock");
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "another sohoa serve is running on the index {} (lock {}); with a SQLite index one \
             service runs per index. Several nodes share work through a PostgreSQL index: set \
             [index] url = \"postgresql://…\" (docs/DEPLOY.md)",
            index.display(),
            path.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("locking {}", path.display()))
        }
    }
}

/// One pass of the webhook deliveries at the service's clock.
fn webhook_pass(
    ix: &mut dyn Index,
    hooks: &[sohoa::webhook::Hook],
    clock: &sohoa::time::Clock,
) -> anyhow::Result<sohoa::webhook::Pass> {
    let now = sohoa::pki::chain::unix(clock.now()).as_secs() as i64;
    let pass = sohoa::webhook::dispatch_once(
        ix,
        hooks,
        &sohoa::webhook::HttpSender,
        now,
        &clock.now_rfc3339(),
    )?;
    if pass.delivered + pass.failed + pass.dead > 0 {
        tracing::info!(
            delivered = pass.delivered,
            failed = pass.failed,
            dead = pass.dead,
            "webhooks: pass"
        );
    }
    Ok(pass)
}

/// `f` at start and then every `every`, until `stop`.
fn on_schedule(every: Duration, stop: &AtomicBool, mut f: impl FnMut()) {
    loop {
        f();
        let t = std::time::Instant::now();
        while t.elapsed() < every {
            if stop.load(Ordering::SeqCst) {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// `[store] renew_every_hours`: one renewal run, its outcome as a log line.
fn renew_once(cfg: &Config) {
    let _span = tracing::info_span!("renew").entered();
    match super::store::renew_store(cfg, None, None, Default::default()) {
        Ok(r) => {
            tracing::info!(
                checked = r.checked,
                renewed = r.renewed.len(),
                not_due = r.not_due,
                failed = r.failed.len(),
                "store renewed: {} signed papers, {} renewed, {} not due, {} failed",
                r.checked,
                r.renewed.len(),
                r.not_due,
                r.failed.len()
            );
            for (id, why) in &r.failed {
                tracing::error!(component = id, reason = %why, "paper not renewed");
            }
        }
        Err(e) => tracing::error!(error = %format!("{e:#}"), "renewal could not run"),
    }
}

/// `[audit] checkpoint_every_minutes` and shutdown: one checkpoint, its outcome as a log line
/// (a failure is loud but does not stop the service).
fn checkpoint(cfg: &Config, reason: Reason) {
    match super::audit::anchor(cfg, reason) {
        Ok(a) => tracing::info!(?reason, "{}", super::audit::say(&a)),
        Err(e) => {
            tracing::error!(?reason, error = %format!("{e:#}"), "audit checkpoint not written")
        }
    }
}

#[derive(clap::Subcommand)]
pub enum InboxCommand {
    /// The service's journal: batches stored, failed, to retry or interrupted, newest first.
    Status {
        /// Only batches in this state: processing, stored, failed, retry, interrupted.
        #[arg(long)]
        state: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Move a failed file (path under the failed folder, e.g. 000.00.10.H59/scan.jpg) back
    /// into the inbox to be tried again (logged).
    Requeue { path: String },
}

pub fn run_inbox(cfg: &Config, c: InboxCommand) -> anyhow::Result<ExitCode> {
    let root = cfg.resolve(&cfg.store.root);
    std::fs::create_dir_all(&root).with_context(|| format!("creating {}", root.display()))?;
    let mut index = cfg.index_location()?.open()?;
    match c {
        InboxCommand::Status { state, limit, json } => {
            let state = match state.as_deref() {
                Some(s) => Some(sohoa::index::JobState::from_code(s).with_context(|| {
                    format!("--state {s:?}: use processing, stored, failed, retry or interrupted")
                })?),
                None => None,
            };
            let jobs = index.jobs(state, limit)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&jobs)?);
            } else {
                for j in &jobs {
                    println!(
                        "{} {:<11} {:<50} attempts {} papers {}{}",
                        j.updated_at,
                        j.state.code(),
                        j.label,
                        j.attempts,
                        j.papers,
                        j.message
                            .as_deref()
                            .map(|m| format!("\n    {m}"))
                            .unwrap_or_default()
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        InboxCommand::Requeue { path } => {
            let paths = InboxPaths {
                inbox: cfg.resolve(&cfg.inbox.path),
                processed: cfg.resolve(&cfg.inbox.processed),
                failed: cfg.resolve(&cfg.inbox.failed),
            };
            let to = inbox::job::requeue(&paths, &path)
                .with_context(|| format!("re-queueing {path}"))?;
            index.append_audit(&sohoa::index::AuditRequest {
                time: super::context::clock(cfg).now_rfc3339(),
                actor: super::context::actor().name,
                action: sohoa::audit::Action::Requeue,
                subject: path.clone(),
                details: serde_json::json!({"to": to.display().to_string()}),
            })?;
            println!("{path} moved back to {}", to.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[derive(clap::Subcommand)]
pub enum UserCommand {
    /// A new API token for a user: prints the token (give it to them) and the [users.NAME]
    /// lines for config.toml (only the token's SHA-256 is kept there).
    Token {
        name: String,
        /// operator, officer, auditor or admin.
        #[arg(long)]
        role: String,
        /// A unit the user works for (repeat for several); operators and officers need one.
        #[arg(long = "unit")]
        units: Vec<String>,
    },
    /// A password for the web login: reads it from standard input (one line) and prints the
    /// [users.NAME] lines with its Argon2id hash (the password itself is kept nowhere).
    Password {
        name: String,
        #[arg(long)]
        role: String,
        #[arg(long = "unit")]
        units: Vec<String>,
    },
}

pub fn run_user(c: UserCommand) -> anyhow::Result<ExitCode> {
    let (name, role, units, password) = match c {
        UserCommand::Token { name, role, units } => (name, role, units, false),
        UserCommand::Password { name, role, units } => (name, role, units, true),
    };
    if sohoa::api::auth::Role::parse(&role).is_none() {
        anyhow::bail!("--role {role:?}: use operator, officer, auditor or admin");
    }
    if let Some(u) = units
        .iter()
        .find(|u| !sohoa::classify::dossier_code::is_unit_code(u))
    {
        anyhow::bail!("--unit {u:?} is not a unit code (e.g. 000.00.10.H59)");
    }
    let line = if password {
        let mut p = String::new();
        std::io::stdin()
            .read_line(&mut p)
            .context("reading the password from standard input")?;
        let p = p.trim_end_matches(['\r', '\n']);
        if p.chars().count() < 10 {
            anyhow::bail!("the password must have at least 10 characters");
        }
        let mut salt = [0u8; 16];
        super::context::random(&mut salt);
        let hash = sohoa::api::auth::hash_password(p, salt).map_err(|e| anyhow::anyhow!(e))?;
        format!("password_argon2 = \"{hash}\"")
    } else {
        let mut random = [0u8; 32];
        super::context::random(&mut random);
        let (token, hash) = sohoa::api::auth::new_token(random);
        println!("token for {name} (shown once; give it to them): {token}");
        println!();
        format!("token_sha256 = \"{hash}\"")
    };
    println!("[users.{name}]");
    println!("role = \"{role}\"");
    println!(
        "units = [{}]",
        units
            .iter()
            .map(|u| format!("\"{u}\""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!("{line}");
    Ok(ExitCode::SUCCESS)
}

/// At start: register numbers a run that died left reserved (older than
/// [`sohoa::desk::STALE_RESERVATION`]) get their copies, so the register has no gap.
fn resume_certifications(
    cfg: &Config,
    signers: &sohoa::desk::build::CertifySigners,
) -> anyhow::Result<()> {
    let mut floor = super::context::Floor::open(cfg, true)?;
    floor.actor =
        sohoa::desk::Actor::all_units(format!("sohoa serve ({})", super::context::actor().name));
    let mut req = signers.request(floor.clock.now(), &mut super::context::nonce);
    let (done, failed) = floor
        .desk()
        .resume_certifications(sohoa::desk::STALE_RESERVATION, &mut req)?;
    for c in done {
        tracing::info!(
            "sohoa serve: register number {} of {} ({}) completed: copy #{}",
            c.number,
            c.unit_code,
            c.year,
            c.copy_id
        );
    }
    for (n, e) in failed {
        tracing::error!("sohoa serve: register number {n} is still reserved: {e}");
    }
    Ok(())
}
