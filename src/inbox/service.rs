//! Service `inbox`, the loop (I/O, threads): a scanner looks at the inbox (woken by file
//! events from `notify`, or every poll interval, and in any case at every rescan interval as a
//! safety net), the [`Planner`] picks the complete batches, a bounded queue hands them to a
//! pool of workers (one per core: each runs one batch at a time through OCR, so memory stays
//! bounded whatever lands in the inbox), refused entries go straight to `failed/`.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use super::job::{process, refuse, unix, JobLimits, JobOutcome, Leases};
use super::metrics::{failure_kind, ReasonLabel, ServiceSummary};
use super::plan::{Job, Planner};
use super::walk::list;
use super::{InboxError, InboxPaths};
use crate::classify::Classifier;
use crate::index::ServiceIndex;
use crate::ingest::IngestOptions;
use crate::store::BlobStore;
use crate::time::Clock;

/// How the service runs.
#[derive(Clone, Debug)]
pub struct ServiceOptions {
    pub paths: InboxPaths,
    /// The unit of files dropped straight into the inbox.
    pub default_unit: String,
    /// A file is complete when unchanged this long.
    pub stability: Duration,
    /// With `watch`: a file its writer closed (or renamed into place) is complete this long
    /// after that, unless written again (see [`Planner::with_settle`]).
    pub settle: Duration,
    /// Look at the inbox at least this often (the only trigger in polling mode).
    pub poll: Duration,
    /// Use file-system events to look sooner (not on network shares: they send none).
    pub watch: bool,
    /// Worker threads (batches processed at once).
    pub workers: usize,
    /// Batches waiting for a worker, at most.
    pub queue: usize,
    pub limits: JobLimits,
    /// A batch that failed on our side is tried again after this long.
    pub retry_after: Duration,
    /// Stop when the inbox is empty and every batch is done (tests, `--once`).
    pub once: bool,
    /// The desk's clock: journal times, file ages, the day folder under `processed/`.
    pub clock: Clock,
    /// This node's name in the leases on batches (several nodes on one index).
    pub node: String,
    /// How long a lease lasts without renewal (renewed every third of it).
    pub lease: Duration,
}

/// What the service needs for each worker.
pub struct Deps<'a> {
    /// The classifier for the next batch (a retrained model is picked up between batches).
    pub classifier: &'a (dyn Fn() -> std::sync::Arc<Classifier> + Sync),
    pub store: &'a dyn BlobStore,
    /// A connection to the index for one thread.
    pub open_index: &'a (dyn Fn() -> Result<Box<dyn ServiceIndex>, InboxError> + Sync),
    /// Fresh ingest options for one batch (unit and dossier are set by the service).
    pub ingest_options: &'a (dyn Fn() -> IngestOptions<'a> + Sync),
    /// Called after each batch (a log line).
    pub on_outcome: &'a (dyn Fn(&Job, &JobOutcome) + Sync),
}

/// Now on the service's clock, as the planner counts (file ages against modification times).
fn since(clock: &Clock) -> Duration {
    clock
        .now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
}

/// Runs the service until `stop` is set (or, with `once`, until the inbox is empty).
pub fn run(
    opts: &ServiceOptions,
    deps: &Deps,
    summary: &ServiceSummary,
    stop: &AtomicBool,
) -> Result<(), InboxError> {
    for dir in [&opts.paths.inbox, &opts.paths.processed, &opts.paths.failed] {
        std::fs::create_dir_all(dir).map_err(|source| InboxError::Io {
            path: dir.display().to_string(),
            op: "cannot create",
            source,
        })?;
    }
    // batches cut short by the last stop are taken after the others: if one of them is what
    // stops the service, the rest still get through (and random kills do not keep hitting
    // the same files)
    let held: Mutex<HashSet<String>> = Mutex::new(HashSet::new());
    let leases = Leases {
        node: &opts.node,
        ttl: opts.lease,
        held: &held,
    };
    let interrupted: HashSet<String> = {
        let mut index = (deps.open_index)()?;
        let n = reconcile(index.as_mut(), &opts.clock)?;
        summary.interrupted_at_start.inc_by(n as u64);
        index
            .jobs(Some(crate::index::JobState::Interrupted), 10_000)?
            .into_iter()
            .map(|j| j.label)
            .collect()
    };
    let (tx, rx) = mpsc::sync_channel::<Job>(opts.queue.max(1));
    let rx = Mutex::new(rx);
    let busy: Mutex<HashSet<Vec<String>>> = Mutex::new(HashSet::new());
    let retry_at: Mutex<HashMap<Vec<String>, Instant>> = Mutex::new(HashMap::new());
    let (wake_tx, wake_rx) = mpsc::channel::<Wake>();
    let _watcher = if opts.watch {
        Some(watch(&opts.paths.inbox, wake_tx, opts.clock.clone())?)
    } else {
        None
    };
    let done = AtomicBool::new(false);
    // the leases are renewed until the last worker is done (the batches in hand when the
    // service stops are finished, and must stay this node's until then)
    let workers_done = AtomicBool::new(false);
    std::thread::scope(|s| -> Result<(), InboxError> {
        let mut workers = Vec::new();
        for _ in 0..opts.workers.max(1) {
            workers.push(
                s.spawn(|| worker(opts, deps, summary, &rx, &busy, &retry_at, &done, &leases)),
            );
        }
        let renewer = s.spawn(|| renew(opts, deps, &held, &workers_done));
        let scanned = scanner(
            opts,
            deps,
            summary,
            stop,
            tx,
            &wake_rx,
            &busy,
            &retry_at,
            &interrupted,
            &leases,
        );
        done.store(true, Ordering::SeqCst);
        let mut failed = None;
        for w in workers {
            if let Ok(Err(e)) = w.join() {
                failed.get_or_insert(e);
            }
        }
        workers_done.store(true, Ordering::SeqCst);
        let _ = renewer.join();
        match failed {
            Some(e) => Err(e),
            None => scanned,
        }
    })
}

/// Renews this process's leases every third of their length until `done`; a lease found lost
/// (this node was cut off longer than the lease) is said in the log. Leases that ran out are
/// removed on the way.
fn renew(opts: &ServiceOptions, deps: &Deps, held: &Mutex<HashSet<String>>, done: &AtomicBool) {
    let every = (opts.lease / 3).max(Duration::from_millis(200));
    let mut index: Option<Box<dyn ServiceIndex>> = None;
    let mut last = Instant::now();
    while !done.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(100));
        if last.elapsed() < every {
            continue;
        }
        last = Instant::now();
        let keys: Vec<String> = held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect();
        let now = unix(&opts.clock);
        let until = now.saturating_add(opts.lease.as_secs().max(1) as i64);
        let ix = match &mut index {
            Some(ix) => ix,
            None => match (deps.open_index)() {
                Ok(ix) => index.insert(ix),
                Err(e) => {
                    tracing::error!(error = %e, "leases: cannot reach the index to renew them");
                    continue;
                }
            },
        };
        match ix.renew_leases(&opts.node, &keys, now, until) {
            Ok(lost) => {
                for k in lost {
                    // the batch may just have finished (released between the copy and here)
                    if held.lock().unwrap_or_else(|p| p.into_inner()).contains(&k) {
                        tracing::warn!(job_key = %k, node = %opts.node, "leases: a batch in hand was taken by another node (this one was cut off past its lease)");
                    }
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "leases: renewal failed; reconnecting");
                index = None;
            }
        }
    }
}

/// At start-up, the batches the journal still shows as processing were cut short by a stop:
/// those whose scans were all ingested to the end only missed their last journal line (the
/// files moved on) and are marked stored; the rest are marked interrupted (their files are
/// still in the inbox and will be taken again). Returns how many were cut short.
fn reconcile(index: &mut dyn ServiceIndex, clock: &Clock) -> Result<usize, InboxError> {
    let at = clock.now_rfc3339();
    let now = unix(clock);
    // a batch another node holds a live lease on is that node's work, not interrupted
    let live: HashSet<String> = index
        .leases()?
        .into_iter()
        .filter(|l| l.expires_at > now)
        .map(|l| l.job_key)
        .collect();
    let open: Vec<_> = index
        .jobs(Some(crate::index::JobState::Processing), 10_000)?
        .into_iter()
        .filter(|j| !live.contains(&j.job_key))
        .collect();
    for j in &open {
        let shas: Vec<String> = serde_json::from_str::<serde_json::Value>(&j.files_json)
            .ok()
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|f| f["sha256"].as_str().map(String::from))
            .collect();
        if index.scans_ingested(&shas)? {
            index.job_finish(
                &j.job_key,
                crate::index::JobState::Stored,
                None,
                j.papers,
                &at,
            )?;
        }
    }
    index.jobs_interrupted(&at, now)?;
    Ok(open.len())
}

#[allow(clippy::too_many_arguments)]
fn scanner(
    opts: &ServiceOptions,
    deps: &Deps,
    summary: &ServiceSummary,
    stop: &AtomicBool,
    tx: SyncSender<Job>,
    wake: &Receiver<Wake>,
    busy: &Mutex<HashSet<Vec<String>>>,
    retry_at: &Mutex<HashMap<Vec<String>, Instant>>,
    interrupted: &HashSet<String>,
    leases: &Leases,
) -> Result<(), InboxError> {
    let mut planner = Planner::new(&opts.default_unit, opts.stability).with_settle(opts.settle);
    let mut index = (deps.open_index)()?;
    // file events name absolute, resolved paths; the configured inbox may be relative
    // (`--config config.toml`) or reached through a link
    let inbox_resolved =
        std::fs::canonicalize(&opts.paths.inbox).unwrap_or_else(|_| opts.paths.inbox.clone());
    while !stop.load(Ordering::SeqCst) {
        let listing = list(&opts.paths.inbox, 100_000)?;
        let plan = {
            let busy = busy.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let retry = retry_at.lock().unwrap_or_else(|e| e.into_inner());
            planner.plan(&listing, since(&opts.clock), &|rel: &[String]| {
                busy.contains(rel) || retry.get(rel).is_some_and(|t| *t > now)
            })
        };
        summary.waiting.set(plan.waiting as i64);
        for r in &plan.refused {
            let outcome = refuse(r, &opts.paths, index.as_mut(), &opts.clock, leases)?;
            if outcome == JobOutcome::Elsewhere {
                continue;
            }
            summary.failed.inc();
            summary
                .failures
                .get_or_create(&ReasonLabel {
                    reason: failure_kind(&r.reason),
                })
                .inc();
            let job = Job {
                unit: r.unit.clone(),
                dossier: None,
                files: vec![r.rel.clone()],
            };
            (deps.on_outcome)(&job, &outcome);
        }
        let mut queued = 0;
        let mut ready = plan.ready;
        ready.sort_by_key(|j| interrupted.contains(&j.label()));
        for job in ready {
            {
                let mut b = busy.lock().unwrap_or_else(|e| e.into_inner());
                for f in &job.files {
                    b.insert(f.clone());
                }
            }
            summary.in_progress.inc();
            // waits while the queue is full (the inbox is read no faster than it is
            // processed), but not past a stop: with a backlog of a thousand files a stop must
            // not wait for them all (what is not queued stays in the inbox)
            let mut job = job;
            loop {
                if stop.load(Ordering::SeqCst) {
                    summary.in_progress.dec();
                    return Ok(());
                }
                match tx.try_send(job) {
                    Ok(()) => break,
                    Err(TrySendError::Full(j)) => {
                        job = j;
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    Err(TrySendError::Disconnected(_)) => return Ok(()),
                }
            }
            queued += 1;
        }
        let idle = queued == 0
            && plan.waiting == 0
            && plan.refused.is_empty()
            && summary.in_progress.get() == 0;
        if opts.once && idle {
            let retrying = retry_at
                .lock()
                .map(|r| r.values().any(|t| *t > Instant::now()))
                .unwrap_or(false);
            if !retrying {
                return Ok(());
            }
        }
        // wait for an event, the poll interval, or the moment a file seen becomes complete;
        // with `once`, look again soon
        let mut wait = if opts.once {
            opts.poll.min(Duration::from_millis(200))
        } else {
            opts.poll
        };
        if let Some(due) = planner.next_due(since(&opts.clock)) {
            wait = wait.min(due.max(Duration::from_millis(20)));
        }
        let note = |planner: &mut Planner, w: Wake| {
            if let Wake::Closed(path, at) = w {
                let rel = path
                    .strip_prefix(&inbox_resolved)
                    .or_else(|_| path.strip_prefix(&opts.paths.inbox));
                if let Ok(rel) = rel {
                    let rel: Vec<String> = rel
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect();
                    planner.note_closed(rel, at);
                }
            }
        };
        match wake.recv_timeout(wait) {
            Ok(w) => {
                note(&mut planner, w);
                // let a burst of events settle, then drain them
                std::thread::sleep(Duration::from_millis(20));
                while let Ok(w) = wake.try_recv() {
                    note(&mut planner, w);
                }
            }
            Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => {}
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn worker(
    opts: &ServiceOptions,
    deps: &Deps,
    summary: &ServiceSummary,
    rx: &Mutex<Receiver<Job>>,
    busy: &Mutex<HashSet<Vec<String>>>,
    retry_at: &Mutex<HashMap<Vec<String>, Instant>>,
    done: &AtomicBool,
    leases: &Leases,
) -> Result<(), InboxError> {
    let mut index = (deps.open_index)()?;
    loop {
        // stopping: queued batches stay in the inbox for the next start
        if done.load(Ordering::SeqCst) {
            return Ok(());
        }
        let job = {
            let rx = rx.lock().unwrap_or_else(|e| e.into_inner());
            match rx.recv_timeout(Duration::from_millis(200)) {
                Ok(j) => j,
                Err(RecvTimeoutError::Timeout) if !done.load(Ordering::SeqCst) => continue,
                Err(_) => return Ok(()),
            }
        };
        let mut ingest_opts = (deps.ingest_options)();
        ingest_opts.unit_code = job.unit.clone();
        ingest_opts.folder_dossier = job.dossier.clone();
        let classifier = (deps.classifier)();
        // every event of this batch (its papers, its outcome) carries these fields
        let span = tracing::info_span!(
            "batch",
            file = %job.label(),
            unit = %job.unit,
            dossier = job.dossier.as_deref(),
            sha256 = tracing::field::Empty,
        );
        let _entered = span.enter();
        let outcome = process(
            &job,
            &opts.paths,
            opts.limits,
            &ingest_opts,
            &classifier,
            deps.store,
            index.as_mut(),
            &opts.clock,
            leases,
        );
        let outcome = match outcome {
            Ok(o) => o,
            // the journal or a move failed: our side; the files are still in the inbox
            Err(e) => JobOutcome::Retry {
                reason: e.to_string(),
            },
        };
        match &outcome {
            JobOutcome::Stored { papers, timings } => {
                summary.stored.inc();
                summary.papers.inc_by(u64::from(*papers));
                if let Some(d) = timings.drop_to_signed {
                    summary.drop_to_signed.observe(d.as_secs_f64());
                }
                for d in &timings.ocr_pages {
                    summary.ocr_page.observe(d.as_secs_f64());
                }
                for d in &timings.signing {
                    summary.sign.observe(d.as_secs_f64());
                }
            }
            JobOutcome::Failed { reason } => {
                summary.failed.inc();
                summary
                    .failures
                    .get_or_create(&ReasonLabel {
                        reason: failure_kind(reason),
                    })
                    .inc();
            }
            JobOutcome::Retry { .. } => {
                summary.retried.inc();
                let mut r = retry_at.lock().unwrap_or_else(|e| e.into_inner());
                for f in &job.files {
                    r.insert(f.clone(), Instant::now() + opts.retry_after);
                }
            }
            // another node's: looked at again in a while (it may be killed on it)
            JobOutcome::Elsewhere => {
                let again = (opts.lease / 4).clamp(Duration::from_millis(500), opts.retry_after);
                let mut r = retry_at.lock().unwrap_or_else(|e| e.into_inner());
                for f in &job.files {
                    r.insert(f.clone(), Instant::now() + again);
                }
            }
        }
        (deps.on_outcome)(&job, &outcome);
        {
            let mut b = busy.lock().unwrap_or_else(|e| e.into_inner());
            for f in &job.files {
                b.remove(f);
            }
        }
        summary.in_progress.dec();
    }
}

/// Why the scanner was woken.
enum Wake {
    /// Something changed under the inbox.
    Changed,
    /// A writer closed this file after writing it, or it was renamed into place, at this
    /// time since the epoch.
    Closed(std::path::PathBuf, Duration),
}

/// File-system events under `inbox` wake the scanner (it then looks at everything: an event
/// is only a hint, and the poll catches what no event announced); a close after writing and
/// a rename into place are passed on, so a finished file need not wait the whole stability
/// delay.
fn watch(
    inbox: &std::path::Path,
    wake: mpsc::Sender<Wake>,
    clock: Clock,
) -> Result<notify::RecommendedWatcher, InboxError> {
    use notify::event::{AccessKind, AccessMode, EventKind, ModifyKind, RenameMode};
    use notify::Watcher;
    let mut w = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        let at = since(&clock);
        let closed = match &res {
            Ok(e) => match e.kind {
                EventKind::Access(AccessKind::Close(AccessMode::Write))
                | EventKind::Modify(ModifyKind::Name(RenameMode::To)) => e.paths.first().cloned(),
                EventKind::Modify(ModifyKind::Name(RenameMode::Both)) => e.paths.get(1).cloned(),
                _ => None,
            },
            Err(_) => None,
        };
        let _ = wake.send(match closed {
            Some(p) => Wake::Closed(p, at),
            None => Wake::Changed,
        });
    })
    .map_err(|e| InboxError::Watch(e.to_string()))?;
    w.watch(inbox, notify::RecursiveMode::Recursive)
        .map_err(|e| InboxError::Watch(format!("{}: {e}", inbox.display())))?;
    Ok(w)
}
