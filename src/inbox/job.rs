//! Service `inbox`, one batch (I/O): hash its files, journal it, run it through
//! [`ingest`], then move its files to `processed/` (results stored) or `failed/` (with an
//! explanation). The order is what makes a crash harmless: journal → ingest (each paper
//! stored, then indexed) → move → journal.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use super::moves::{move_into, remove_if_empty, write_error_note};
use super::plan::{Job, Refused};
use super::{InboxError, InboxPaths};
use crate::classify::Classifier;
use crate::index::{JobRow, JobState, ServiceIndex};
use crate::ingest::{ingest, IngestError, IngestOptions};
use crate::pki::digest::{sha256_stream, DigestAlg, StreamError};
use crate::store::BlobStore;
use crate::time::Clock;

/// Bounds on one batch.
#[derive(Clone, Copy, Debug)]
pub struct JobLimits {
    /// A file larger than this goes to `failed/` unread.
    pub max_file_bytes: u64,
    /// A batch that was started this many times without finishing (the service was killed
    /// or crashed while on it) goes to `failed/`.
    pub max_attempts: u32,
}

/// How long a stored batch took, for the metrics.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchTimings {
    /// From the last write of its newest file in the inbox to its papers stored.
    pub drop_to_signed: Option<Duration>,
    /// OCR of each recognised page.
    pub ocr_pages: Vec<Duration>,
    /// Signing each paper signed in this run.
    pub signing: Vec<Duration>,
}

fn seconds(s: f64) -> Duration {
    Duration::try_from_secs_f64(s).unwrap_or_default()
}

/// How a batch ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum JobOutcome {
    /// Every paper stored; the files are in `processed/`.
    Stored {
        papers: u32,
        #[serde(skip)]
        timings: BatchTimings,
    },
    /// The files are in `failed/` beside `.error.txt`.
    Failed { reason: String },
    /// A problem on our side; the files stay in the inbox for the next try.
    Retry { reason: String },
    /// Another node holds the batch (several `sohoa serve` on one index): left to it.
    Elsewhere,
}

/// How this node claims batches when several share the index (`[inbox] node`,
/// `lease_seconds`): each batch is claimed before its journal line and released after its
/// last, and the leases held are renewed by the service while the work goes on.
pub struct Leases<'a> {
    /// This node's name in the leases.
    pub node: &'a str,
    /// How long a claim lasts without renewal: a node killed mid-batch has its batch taken
    /// by another node this long after its last renewal.
    pub ttl: Duration,
    /// The keys of the batches this process holds now (renewed by the service).
    pub held: &'a std::sync::Mutex<std::collections::HashSet<String>>,
}

impl Leases<'_> {
    /// Claims `key` at the clock's time; `true` when this node holds it now.
    pub fn claim(
        &self,
        index: &mut dyn ServiceIndex,
        key: &str,
        clock: &Clock,
    ) -> Result<bool, InboxError> {
        let now = unix(clock);
        let until = now.saturating_add(self.ttl.as_secs().max(1) as i64);
        if !index.claim(key, self.node, now, until, &clock.now_rfc3339())? {
            return Ok(false);
        }
        self.held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.to_string());
        Ok(true)
    }

    /// Gives `key` up (after the batch's last journal line).
    pub fn release(&self, index: &mut dyn ServiceIndex, key: &str) -> Result<(), InboxError> {
        self.held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
        Ok(index.release(key, self.node)?)
    }
}

/// The clock's time in whole seconds since the epoch (the leases' unit).
pub fn unix(clock: &Clock) -> i64 {
    clock
        .now()
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn join(base: &Path, rel: &[String]) -> PathBuf {
    rel.iter().fold(base.to_path_buf(), |p, c| p.join(c))
}

/// SHA-256 and size of a file, reading at most `max` bytes (None when larger).
fn hash_file(path: &Path, max: u64) -> Result<Option<(String, u64)>, std::io::Error> {
    let mut f = std::fs::File::open(path)?;
    match sha256_stream(&mut f, |_, n| if n > max { Err(()) } else { Ok(()) }) {
        Ok(done) => Ok(Some(done)),
        Err(StreamError::Chunk(())) => Ok(None),
        Err(StreamError::Read { source, .. }) => Err(source),
    }
}

/// Whether an ingest error is the file's fault (unreadable, too big, not a scan: it goes to
/// `failed/`) rather than ours (disk, database, signer: it is tried again).
fn input_fault(e: &IngestError) -> bool {
    matches!(
        e,
        IngestError::Digitize(_)
            | IngestError::Decode(_)
            | IngestError::Pdf { .. }
            | IngestError::Assemble(_)
    )
}

/// What the operator should do about a failure, by its cause.
fn advice(reason: &str) -> &'static str {
    match super::metrics::failure_kind(reason) {
        "link" => "Copy the file itself (not a link to it) into the inbox.",
        "too_large" => "Split the file, or scan at 300 dpi (not more) and in fewer pages per file.",
        "resolution" => "Scan the paper again at 200 or 300 dpi.",
        "placement" => "Put the file in inbox/<unit code>/ or inbox/<unit code>/<dossier code>/.",
        "crashed_repeatedly" => "The service stopped several times while on this file: keep it aside and report it (attach this note).",
        _ => "Check that the file opens and is a scan (PDF, JPEG, PNG or TIFF); scan it again if it is damaged.",
    }
}

/// The `.error.txt` text.
fn note(label: &str, sha: Option<&str>, reason: &str, inbox_rel: &str, when: &str) -> String {
    format!(
        "sohoa could not process this file / Không xử lý được tệp này\n\n\
         File: {label}\nSHA-256: {}\nWhen: {}\n\n\
         What went wrong: {reason}\n\nWhat to do: {}\n\n\
         To try again, move the file back to the inbox ({inbox_rel}) or re-queue it on the web page (Hộp thư quét → Xử lý lại) or with `sohoa inbox requeue`.\n",
        sha.unwrap_or("-"),
        when,
        advice(reason)
    )
}

/// Moves the job's files to `failed/<unit>/[<dossier>/]` with a note each.
fn fail_files(
    paths: &InboxPaths,
    unit: &str,
    dossier: Option<&str>,
    files: &[(Vec<String>, Option<String>)],
    reason: &str,
    clock: &Clock,
) -> Result<(), InboxError> {
    let mut dir = paths.failed.join(unit);
    if let Some(d) = dossier {
        dir = dir.join(d);
    }
    for (rel, sha) in files {
        let src = join(&paths.inbox, rel);
        let name = rel.last().cloned().unwrap_or_default();
        if std::fs::symlink_metadata(&src).is_err() {
            continue; // gone meanwhile
        }
        let back = rel[..rel.len().saturating_sub(1)].join("/");
        let dst = move_into(&src, &dir, &name)?;
        write_error_note(
            &dst,
            &note(
                &rel.join("/"),
                sha.as_deref(),
                reason,
                &format!("inbox/{back}"),
                &clock.now_rfc3339(),
            ),
        )?;
    }
    if dossier.is_some() {
        if let Some(rel) = files.first().map(|f| &f.0) {
            remove_if_empty(&join(&paths.inbox, &rel[..rel.len().saturating_sub(1)]));
        }
    }
    Ok(())
}

/// Moves an entry the planner refused to `failed/`, journaled.
pub fn refuse(
    r: &Refused,
    paths: &InboxPaths,
    index: &mut dyn ServiceIndex,
    clock: &Clock,
    leases: &Leases,
) -> Result<JobOutcome, InboxError> {
    let at = clock.now_rfc3339();
    let label = r.rel.join("/");
    // another node looking at the same inbox refuses the same file: one of them does it
    let claim_key = hex::encode(DigestAlg::Sha256.digest(format!("refused\n{label}").as_bytes()));
    if !leases.claim(index, &claim_key, clock)? {
        return Ok(JobOutcome::Elsewhere);
    }
    let out = refuse_claimed(r, paths, index, clock, &label, &at);
    leases.release(index, &claim_key)?;
    out
}

fn refuse_claimed(
    r: &Refused,
    paths: &InboxPaths,
    index: &mut dyn ServiceIndex,
    clock: &Clock,
    label: &str,
    at: &str,
) -> Result<JobOutcome, InboxError> {
    let (label, at) = (label.to_string(), at.to_string());
    if std::fs::symlink_metadata(join(&paths.inbox, &r.rel)).is_err() {
        // refused meanwhile by the node that held it before us
        return Ok(JobOutcome::Elsewhere);
    }
    let key = hex::encode(DigestAlg::Sha256.digest(format!("refused\n{label}\n{at}").as_bytes()));
    index.job_begin(&JobRow {
        job_key: key.clone(),
        unit_code: r.unit.clone(),
        dossier_code: None,
        label: label.clone(),
        files_json: serde_json::json!([{"name": label}]).to_string(),
        state: JobState::Processing,
        attempts: 0,
        message: None,
        papers: 0,
        first_seen: at.clone(),
        updated_at: at.clone(),
    })?;
    index.enqueue(&[crate::webhook::event::file_failed(
        &r.unit,
        &label,
        &r.reason,
        super::metrics::failure_kind(&r.reason),
        &key,
        &at,
    )])?;
    fail_files(
        paths,
        &r.unit,
        None,
        &[(r.rel.clone(), None)],
        &r.reason,
        clock,
    )?;
    index.job_finish(
        &key,
        JobState::Failed,
        Some(&r.reason),
        0,
        &clock.now_rfc3339(),
    )?;
    Ok(JobOutcome::Failed {
        reason: r.reason.clone(),
    })
}

/// Where a stored batch's files go: `processed/<unit>/<day>/[<dossier>/]`, the day of the
/// desk's calendar (a batch stored at 00:30 in Hà Nội is filed under that day, not UTC's
/// previous one).
pub fn processed_dir(
    paths: &InboxPaths,
    unit: &str,
    dossier: Option<&str>,
    clock: &Clock,
) -> PathBuf {
    let dir = paths.processed.join(unit).join(clock.today());
    match dossier {
        Some(d) => dir.join(d),
        None => dir,
    }
}

/// Runs one batch, claimed for this node first (another node's: [`JobOutcome::Elsewhere`]).
/// `opts` gives fresh ingest options (signing time, nonce) for it.
#[allow(clippy::too_many_arguments)]
pub fn process(
    job: &Job,
    paths: &InboxPaths,
    limits: JobLimits,
    opts: &IngestOptions,
    classifier: &Classifier,
    store: &dyn BlobStore,
    index: &mut dyn ServiceIndex,
    clock: &Clock,
    leases: &Leases,
) -> Result<JobOutcome, InboxError> {
    let label = job.label();
    let mut files: Vec<(Vec<String>, Option<String>)> = Vec::new();
    let mut listed = Vec::new();
    let mut too_large = None;
    for rel in &job.files {
        let path = join(&paths.inbox, rel);
        match hash_file(&path, limits.max_file_bytes) {
            Ok(Some((sha, bytes))) => {
                listed.push(
                    serde_json::json!({"name": rel.join("/"), "sha256": sha, "bytes": bytes}),
                );
                files.push((rel.clone(), Some(sha)));
            }
            Ok(None) => {
                too_large = Some(format!(
                    "{} is too large (over the limit of {} bytes per file)",
                    rel.join("/"),
                    limits.max_file_bytes
                ));
                files.push((rel.clone(), None));
            }
            // vanished or unreadable: left for the next look
            Err(e) => {
                return Ok(JobOutcome::Retry {
                    reason: format!("{}: {e}", rel.join("/")),
                })
            }
        }
    }
    let mut key_src = format!("{}\n{}\n", job.unit, job.dossier.as_deref().unwrap_or(""));
    for (rel, sha) in &files {
        key_src.push_str(sha.as_deref().unwrap_or(&rel.join("/")));
        key_src.push('\n');
    }
    let key = hex::encode(DigestAlg::Sha256.digest(key_src.as_bytes()));
    if let Some(Some(sha)) = files.first().map(|(_, s)| s) {
        tracing::Span::current().record("sha256", sha.as_str());
    }
    if !leases.claim(index, &key, clock)? {
        return Ok(JobOutcome::Elsewhere);
    }
    // claimed: the files may have left the inbox with the node that held it before us
    if files
        .iter()
        .any(|(rel, _)| std::fs::symlink_metadata(join(&paths.inbox, rel)).is_err())
    {
        leases.release(index, &key)?;
        return Ok(JobOutcome::Elsewhere);
    }
    let claimed = Claimed {
        job,
        paths,
        limits,
        files,
        listed,
        too_large,
        key: key.clone(),
        label,
    };
    let out = claimed.run(opts, classifier, store, index, clock);
    // released whatever happened (an error too: the next look starts over)
    leases.release(index, &key)?;
    out
}

/// A batch this node holds: its files hashed, its key.
struct Claimed<'a> {
    job: &'a Job,
    paths: &'a InboxPaths,
    limits: JobLimits,
    files: Vec<(Vec<String>, Option<String>)>,
    listed: Vec<serde_json::Value>,
    too_large: Option<String>,
    key: String,
    label: String,
}

impl Claimed<'_> {
    fn run(
        self,
        opts: &IngestOptions,
        classifier: &Classifier,
        store: &dyn BlobStore,
        index: &mut dyn ServiceIndex,
        clock: &Clock,
    ) -> Result<JobOutcome, InboxError> {
        let Claimed {
            job,
            paths,
            limits,
            files,
            listed,
            too_large,
            key,
            label,
        } = self;
        let at = clock.now_rfc3339();
        let attempts = index.job_begin(&JobRow {
            job_key: key.clone(),
            unit_code: job.unit.clone(),
            dossier_code: job.dossier.clone(),
            label: label.clone(),
            files_json: serde_json::Value::Array(listed).to_string(),
            state: JobState::Processing,
            attempts: 0,
            message: None,
            papers: 0,
            first_seen: at.clone(),
            updated_at: at,
        })?;
        let fail =
            |reason: String, index: &mut dyn ServiceIndex| -> Result<JobOutcome, InboxError> {
                // announced before the files move: a crash in between re-runs it, with the same id
                index.enqueue(&[crate::webhook::event::file_failed(
                    &job.unit,
                    &label,
                    &reason,
                    super::metrics::failure_kind(&reason),
                    &key,
                    &clock.now_rfc3339(),
                )])?;
                fail_files(
                    paths,
                    &job.unit,
                    job.dossier.as_deref(),
                    &files,
                    &reason,
                    clock,
                )?;
                index.job_finish(
                    &key,
                    JobState::Failed,
                    Some(&reason),
                    0,
                    &clock.now_rfc3339(),
                )?;
                Ok(JobOutcome::Failed { reason })
            };
        if let Some(reason) = too_large {
            return fail(reason, index);
        }
        let shas: Vec<String> = files.iter().filter_map(|(_, s)| s.clone()).collect();
        let already_done = shas.len() == files.len() && index.scans_ingested(&shas)?;
        if attempts > limits.max_attempts && !already_done {
            return fail(
            format!(
                "the service stopped {} times while processing this batch (crash or power cut); it was set aside so the others can go on",
                attempts - 1
            ),
            index,
        );
        }
        let inputs: Vec<PathBuf> = files.iter().map(|(r, _)| join(&paths.inbox, r)).collect();
        // when the drop was complete: the newest last write among its files
        let dropped = inputs
            .iter()
            .filter_map(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
            .max();
        match ingest(&inputs, opts, classifier, store, index) {
            Ok(report) => {
                let papers = report.papers.len() as u32;
                // announced once stored, before the files leave the inbox (a crash in between
                // re-runs the batch, which announces the same event ids)
                index.enqueue(&crate::webhook::event::batch_stored(
                    &job.unit,
                    &label,
                    &report.papers,
                    &clock.now_rfc3339(),
                ))?;
                // results stored: now the files may leave the inbox
                let dir = processed_dir(paths, &job.unit, job.dossier.as_deref(), clock);
                for (rel, sha) in &files {
                    let src = join(&paths.inbox, rel);
                    let name = rel.last().cloned().unwrap_or_default();
                    let sha = sha.as_deref().unwrap_or("");
                    let stored_name = format!("{}-{name}", sha.get(..12).unwrap_or(sha));
                    if dir.join(&stored_name).exists() {
                        // the same bytes were kept already (a copy dropped twice)
                        std::fs::remove_file(&src).map_err(|source| InboxError::Io {
                            path: src.display().to_string(),
                            op: "cannot remove",
                            source,
                        })?;
                    } else {
                        move_into(&src, &dir, &stored_name)?;
                    }
                }
                if job.dossier.is_some() {
                    if let Some(rel) = job.files.first() {
                        remove_if_empty(&join(&paths.inbox, &rel[..rel.len().saturating_sub(1)]));
                    }
                }
                index.job_finish(&key, JobState::Stored, None, papers, &clock.now_rfc3339())?;
                let timings = BatchTimings {
                    drop_to_signed: dropped.and_then(|t| clock.now().duration_since(t).ok()),
                    ocr_pages: report.ocr_seconds.iter().copied().map(seconds).collect(),
                    signing: report
                        .papers
                        .iter()
                        .filter_map(|p| p.sign_seconds)
                        .map(seconds)
                        .collect(),
                };
                Ok(JobOutcome::Stored { papers, timings })
            }
            Err(e) if input_fault(&e) => fail(e.to_string(), index),
            Err(e) => {
                let reason = e.to_string();
                if attempts >= limits.max_attempts {
                    return fail(format!("{reason} (tried {attempts} times)"), index);
                }
                index.job_finish(
                    &key,
                    JobState::Retry,
                    Some(&reason),
                    0,
                    &clock.now_rfc3339(),
                )?;
                Ok(JobOutcome::Retry { reason })
            }
        }
    }
}

/// Moves a failed file (its path relative to `failed/`) back into the inbox, removes its
/// note, and returns where it went. Refuses paths that leave `failed/`.
pub fn requeue(paths: &InboxPaths, rel: &str) -> Result<PathBuf, InboxError> {
    let parts: Vec<&str> = rel.split('/').filter(|p| !p.is_empty()).collect();
    let bad = parts.is_empty()
        || parts.len() > 3
        || parts
            .iter()
            .any(|p| *p == ".." || *p == "." || p.contains('\\') || p.starts_with('.'))
        || rel.ends_with(".error.txt");
    let src = parts.iter().fold(paths.failed.clone(), |p, c| p.join(c));
    let is_file = std::fs::symlink_metadata(&src).is_ok_and(|m| m.is_file() || m.is_symlink());
    if bad || !is_file {
        return Err(InboxError::Io {
            path: rel.to_string(),
            op: "no such failed file",
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        });
    }
    let dir = parts[..parts.len() - 1]
        .iter()
        .fold(paths.inbox.clone(), |p, c| p.join(c));
    let name = parts[parts.len() - 1];
    let dst = move_into(&src, &dir, name)?;
    let _ = std::fs::remove_file(src.with_file_name(format!("{name}.error.txt")));
    Ok(dst)
}
