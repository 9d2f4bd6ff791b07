//! Stage `store`, the index: what is known about every stored paper — dossier, unit, type,
//! review state, fields, owners' identity numbers, validity, the SHA-256 of the scan and of
//! the signed PDF/A, the signature, the OCR text — and the reuse events and audit log, behind
//! the [`Index`] trait. SQLite is the embedded default ([`SqliteIndex`], WAL); PostgreSQL
//! ([`PgIndex`]) is a province's shared index. Both run the same statements (`sql/`) and the
//! same versioned migrations (`schema.rs`); each driver (`sqlite/`, `postgres/`) adds its
//! connection, its write lock and its full-text search. [`open`] picks one by `[index] url`.
//!
//! Every change and its audit entry are written in one transaction: the log cannot miss a
//! change that happened, nor record one that did not.

pub mod copy;
mod location;
pub mod outbox;
mod pool;
mod postgres;
pub mod report;
mod schema;
mod sql;
mod sqlite;
#[cfg(test)]
pub(crate) mod tests;

use serde::{Deserialize, Serialize};

use crate::audit::{Action, AuditEntry};

pub use location::{IndexLocation, LocationError};
pub use outbox::{Attempt, Delivery, DeliveryState, NewEvent, Outbox};
pub use pool::IndexPool;
pub use postgres::{pg_config, pg_connect, ConnectError, PgBackend, PgIndex, PgTarget, Tls};
pub use sql::{DbError, Dialect, SqlIndex};
pub use sqlite::{SqliteBackend, SqliteIndex};

/// The review state of a paper's type and fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ReviewState {
    /// Classified with enough confidence; nobody looked.
    Auto,
    /// Below the confidence threshold: waiting for an officer.
    NeedsReview,
    /// An officer confirmed it.
    Confirmed,
    /// An officer corrected it.
    Corrected,
}

impl ReviewState {
    pub fn code(self) -> &'static str {
        match self {
            ReviewState::Auto => "auto",
            ReviewState::NeedsReview => "needs_review",
            ReviewState::Confirmed => "confirmed",
            ReviewState::Corrected => "corrected",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        Some(match s {
            "auto" => ReviewState::Auto,
            "needs_review" => ReviewState::NeedsReview,
            "confirmed" => ReviewState::Confirmed,
            "corrected" => ReviewState::Corrected,
            _ => return None,
        })
    }
}

/// The signature on a stored signed PDF (ETSI EN 319 142-1 level, signer, certificate).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignatureInfo {
    pub signer_subject: String,
    pub cert_serial: String,
    pub cert_issuer: String,
    /// RFC 3339.
    pub signed_at: String,
    /// "B-B", "B-T", "B-LT", "B-LTA" (after a renewal too), or "adbe.pkcs7" for a CMS
    /// signature that is not PAdES.
    pub level: String,
}

/// A paper to index (its blobs already stored).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NewComponent {
    pub unit_code: String,
    pub dossier_code: Option<String>,
    pub type_code: String,
    pub confidence: f32,
    pub review_state: ReviewState,
    pub pages: u32,
    /// Blank backs of its pages in the scan, left out of the PDF/A: the original has
    /// `pages + blank_pages` pages (Circular 01/2023/TT-VPCP).
    pub blank_pages: u32,
    /// SHA-256 of the scan file holding the paper's first page, and that page (1-based): a
    /// paper is indexed once per (scan, page), so a re-run after a crash stores nothing twice.
    pub source_sha256: String,
    pub source_page: u32,
    pub signed_sha256: Option<String>,
    /// The extracted fields, JSON (see `classify::fields::Field`).
    pub fields_json: String,
    /// Valid 12-digit identity numbers of the people the paper is about.
    pub owner_ids: Vec<String>,
    pub tax_codes: Vec<String>,
    /// ISO dates.
    pub issue_date: Option<String>,
    pub valid_until: Option<String>,
    pub ocr_text: String,
    /// Near-duplicate signature, JSON (see `similar`).
    pub likeness_json: Option<String>,
    /// An earlier component this one is a re-scan of.
    pub rescan_of: Option<i64>,
    pub signature: Option<SignatureInfo>,
    /// RFC 3339, from the caller's clock.
    pub created_at: String,
}

/// A paper as found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ComponentRow {
    pub id: i64,
    pub unit_code: String,
    pub dossier_code: Option<String>,
    pub type_code: String,
    pub confidence: f32,
    pub review_state: ReviewState,
    pub pages: u32,
    /// See [`NewComponent::blank_pages`].
    pub blank_pages: u32,
    pub source_sha256: String,
    pub signed_sha256: Option<String>,
    pub owner_ids: Vec<String>,
    pub issue_date: Option<String>,
    pub valid_until: Option<String>,
    pub rescan_of: Option<i64>,
    pub signature: Option<SignatureInfo>,
    pub created_at: String,
    /// Times it was reused into another dossier.
    pub reuses: u32,
    /// The page of the scan (`source_sha256`) it starts on, 1-based.
    pub source_page: u32,
    /// Full-text rank (higher is better) when found by text.
    pub rank: Option<f64>,
    /// Set when this paper is an electronic certified copy: its register entry.
    pub certified_copy: Option<CertifiedCopy>,
    /// The holder's full name as read from the paper (its first `full_name` field), for lists
    /// people read; `owner_ids` are the identity numbers.
    pub holder_name: Option<String>,
}

/// The first full name among a paper's stored fields (`NewComponent::fields_json`, as
/// `classify::fields` writes it), skipping values the reader marked invalid; `None` when
/// there is none or the JSON cannot be read.
pub fn holder_name(fields_json: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(fields_json).ok()?;
    v.as_array()?
        .iter()
        .filter(|f| f.get("kind").and_then(|k| k.as_str()) == Some("full_name"))
        .filter(|f| {
            f.get("check")
                .and_then(|c| c.get("state"))
                .and_then(|c| c.as_str())
                != Some("invalid")
        })
        .find_map(|f| f.get("value").and_then(|x| x.as_str()))
        .map(str::to_string)
}

/// A dossier as the index knows it: its unit and when it was received.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DossierRow {
    pub code: String,
    pub unit_code: String,
    /// RFC 3339.
    pub received_at: String,
}

/// A certified copy's entry in its unit's register (Decree 23/2015/NĐ-CP art. 13: số chứng
/// thực, quyển số).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CertifiedCopy {
    /// The number (số chứng thực), 1, 2, … per unit and year.
    pub number: i64,
    pub book: String,
    /// The stored paper it copies.
    pub source_id: i64,
}

/// Where a register entry stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CertificationState {
    /// Numbered; the copy is not stored yet (being made, or its run crashed: resumed).
    Reserved,
    /// The copy is stored under `copy_id`.
    Done,
}

/// One entry of the certification register.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Certification {
    pub id: i64,
    pub unit_code: String,
    pub year: i32,
    pub number: i64,
    pub book: String,
    pub source_id: i64,
    pub copy_id: Option<i64>,
    pub officer: String,
    pub state: CertificationState,
    pub reserved_at: String,
    pub done_at: Option<String>,
}

/// The certification register (what `certify` writes): numbers without gaps or duplicates,
/// even across crashes and concurrent requests.
pub trait Register {
    /// Takes the next number of `unit`'s register for `year` (in one immediate transaction,
    /// with `audit`), for a copy of paper `source_id`.
    #[allow(clippy::too_many_arguments)]
    fn reserve_certification(
        &mut self,
        unit: &str,
        year: i32,
        book: &str,
        source_id: i64,
        officer: &str,
        at: &str,
        audit: &AuditRequest,
    ) -> Result<Certification, IndexError>;

    /// Stores the copy `copy` for reservation `id` and marks it done, with `audit`, in one
    /// transaction. `None`: another run completed it first; nothing was written.
    fn complete_certification(
        &mut self,
        id: i64,
        copy: &NewComponent,
        audit: &AuditRequest,
    ) -> Result<Option<i64>, IndexError>;

    /// Reservations not completed, reserved before `before` (RFC 3339), oldest first.
    fn pending_certifications(&mut self, before: &str) -> Result<Vec<Certification>, IndexError>;

    /// The register, by unit, year and number (optionally one unit, one year).
    fn certifications(
        &mut self,
        unit: Option<&str>,
        year: Option<i32>,
    ) -> Result<Vec<Certification>, IndexError>;
}

/// What to look for; every given criterion must hold.
#[derive(Clone, Debug, Default)]
pub struct Query {
    pub person_id: Option<String>,
    pub tax_code: Option<String>,
    /// Words, matched without diacritics or case ("quyen su dung dat").
    pub text: Option<String>,
    pub dossier_code: Option<String>,
    pub type_code: Option<String>,
    /// Only papers still valid on this ISO date (no expiry, or expiring on or after it).
    pub valid_on: Option<String>,
    pub unit_code: Option<String>,
    /// Only papers cut from the scan with this SHA-256.
    pub source_sha256: Option<String>,
    /// At most this many rows (0 = 100).
    pub limit: usize,
}

/// Where a batch of the inbox stands (the service's journal).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum JobState {
    /// Taken; its results are not all stored yet.
    Processing,
    /// Every paper stored and indexed; the files moved to `processed/`.
    Stored,
    /// Moved to `failed/` beside an explanation.
    Failed,
    /// A problem on our side (disk, database); the files stay in the inbox and are tried again.
    Retry,
    /// The service stopped while it was processing (found so at the next start).
    Interrupted,
}

impl JobState {
    pub fn code(self) -> &'static str {
        match self {
            JobState::Processing => "processing",
            JobState::Stored => "stored",
            JobState::Failed => "failed",
            JobState::Retry => "retry",
            JobState::Interrupted => "interrupted",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        Some(match s {
            "processing" => JobState::Processing,
            "stored" => JobState::Stored,
            "failed" => JobState::Failed,
            "retry" => JobState::Retry,
            "interrupted" => JobState::Interrupted,
            _ => return None,
        })
    }
}

/// One batch of the journal.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JobRow {
    /// SHA-256 over the unit, dossier and the files' SHA-256s.
    pub job_key: String,
    pub unit_code: String,
    pub dossier_code: Option<String>,
    /// The inbox path it came from (`unit/file` or `unit/dossier`).
    pub label: String,
    /// JSON: `[{"name", "sha256", "bytes"}]`.
    pub files_json: String,
    pub state: JobState,
    /// Times it was started in all (when read back; ignored when written).
    pub attempts: u32,
    pub message: Option<String>,
    pub papers: u32,
    pub first_seen: String,
    pub updated_at: String,
}

/// An officer's decision on a paper's type and fields (what [`Index::review_component`]
/// writes): the final type and fields, and what follows from them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Review {
    /// `Confirmed` (nothing changed) or `Corrected`.
    pub state: ReviewState,
    pub type_code: String,
    /// JSON of the final fields (see `classify::fields::Field`).
    pub fields_json: String,
    /// Valid identity numbers and tax codes among the final fields.
    pub owner_ids: Vec<String>,
    pub tax_codes: Vec<String>,
    pub issue_date: Option<String>,
    pub valid_until: Option<String>,
}

/// Numbers at least this long (characters) are indexed for the near-duplicate lookup: ID,
/// document and parcel numbers and ISO dates, not page numbers or short amounts.
pub const MIN_INDEXED_NUMBER: usize = 6;

/// What a near-duplicate lookup goes by: the first page's 64-bit pHash and the long numbers
/// the paper prints.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LikenessKeys {
    pub phash: Option<u64>,
    /// At least [`MIN_INDEXED_NUMBER`] characters, sorted, de-duplicated.
    pub numbers: Vec<String>,
}

impl LikenessKeys {
    /// The keys of a stored likeness signature (`NewComponent::likeness_json`, as `similar`
    /// writes it: `{"pages": [{"phash": …, "numbers": […]}, …]}`); `None` when it cannot be
    /// read (kept, just not indexed). The one place the keys' rule is written.
    pub fn from_json(json: &str) -> Option<Self> {
        let v: serde_json::Value = serde_json::from_str(json).ok()?;
        let pages = v.get("pages")?.as_array()?;
        let mut numbers: Vec<String> = pages
            .iter()
            .filter_map(|p| p.get("numbers").and_then(|n| n.as_array()))
            .flatten()
            .filter_map(|n| n.as_str())
            .filter(|n| n.chars().count() >= MIN_INDEXED_NUMBER)
            .map(String::from)
            .collect();
        numbers.sort();
        numbers.dedup();
        let phash = pages
            .first()
            .and_then(|p| p.get("phash"))
            .and_then(|h| h.as_u64());
        Some(Self { phash, numbers })
    }
}

/// Who records what, and when — the audit entry a change carries.
#[derive(Clone, Debug)]
pub struct AuditRequest {
    pub time: String,
    pub actor: String,
    pub action: Action,
    pub subject: String,
    pub details: serde_json::Value,
}

/// Why the index could not do something; messages name the database and the object.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IndexError {
    #[error("index {db}: {source}")]
    Sql { db: String, source: DbError },
    #[error("index {db}: schema version {found} is newer than this build knows ({known}); upgrade sohoa")]
    TooNew { db: String, found: i64, known: i64 },
    #[error("index {db}: no component {id}")]
    NoComponent { db: String, id: i64 },
    #[error("index {db}: {message}")]
    Invalid { db: String, message: String },
}

/// The papers: indexing them, finding them, their fields and text, which scans were taken,
/// which blobs are referenced, and the near-duplicate lookups (what `ingest` needs).
pub trait Papers {
    /// Indexes a paper and writes its audit entry, in one transaction. Creates the unit and the
    /// dossier when new. Returns the component id and the entry.
    fn add_component(
        &mut self,
        c: &NewComponent,
        audit: &AuditRequest,
    ) -> Result<(i64, AuditEntry), IndexError>;

    /// Indexes many papers, each with its audit entry, in one transaction (an import from
    /// another system, a benchmark): all or none.
    fn add_components(
        &mut self,
        items: &[(NewComponent, AuditRequest)],
    ) -> Result<Vec<i64>, IndexError>;

    /// Papers matching every criterion of `q`, best first (text rank, then newest).
    fn find(&mut self, q: &Query) -> Result<Vec<ComponentRow>, IndexError>;

    fn component(&mut self, id: i64) -> Result<Option<ComponentRow>, IndexError>;

    /// A paper's extracted fields (JSON) and OCR text: what a reviewer looks at.
    fn component_detail(&mut self, id: i64) -> Result<Option<(String, String)>, IndexError>;

    /// The dossier with this code, if any paper was ever indexed into it.
    fn dossier(&mut self, code: &str) -> Result<Option<DossierRow>, IndexError>;

    /// The paper that starts on page `page` of the scan with this SHA-256, if indexed.
    fn component_by_source(&mut self, sha256: &str, page: u32) -> Result<Option<i64>, IndexError>;

    /// `(id, likeness_json)` of the papers of a type a new scan with keys `probe` could be a
    /// re-scan of: those printing one of its long numbers (ID, document, parcel numbers,
    /// dates; most shared first) and those whose first page's pHash is near its own. Found by
    /// index, not by reading every paper; the caller compares.
    fn likeness_candidates(
        &mut self,
        type_code: &str,
        probe: &LikenessKeys,
    ) -> Result<Vec<(i64, String)>, IndexError>;

    /// Papers whose first page's 64-bit pHash is at most `max_bits` (capped at 11) from
    /// `phash`, nearest first, at most `limit` (0 = 100): `(id, distance)`.
    fn near_phash(
        &mut self,
        phash: u64,
        max_bits: u32,
        limit: usize,
    ) -> Result<Vec<(i64, u32)>, IndexError>;

    /// Whether every one of these scans (SHA-256) was ingested to the end: a run over them
    /// again has nothing to do and need not read them. `false` for none.
    fn scans_ingested(&mut self, sha256: &[String]) -> Result<bool, IndexError>;

    /// Records that these scans were ingested to the end (every paper indexed).
    fn mark_scans_ingested(&mut self, sha256: &[String], at: &str) -> Result<(), IndexError>;

    /// Every blob the index points at (scans, signed PDFs and the files renewals replaced),
    /// to check against the store.
    fn referenced_blobs(&mut self) -> Result<Vec<String>, IndexError>;

    /// `(id, signed_sha256)` of every signed paper, oldest first (what a renewal walks).
    fn signed_papers(&mut self) -> Result<Vec<(i64, String)>, IndexError>;

    /// Points paper `id` at its renewed file `new_sha256` (level `level`) if it still points at
    /// `old_sha256`, records the renewal (the old file stays referenced) and writes `audit`, in
    /// one transaction. `None`: the paper had changed meanwhile, nothing was written.
    fn renew_component(
        &mut self,
        id: i64,
        old_sha256: &str,
        new_sha256: &str,
        level: &str,
        audit: &AuditRequest,
    ) -> Result<Option<AuditEntry>, IndexError>;
}

/// The officers' decisions recorded against papers: reuse events and reviews (what the desk
/// writes).
pub trait Decisions {
    /// Attaches a stored paper to another dossier (no copy) and records the reuse event with
    /// its audit entry; `override_reason` when a rule (expiry, signature) was bypassed.
    fn record_reuse(
        &mut self,
        component: i64,
        dossier_code: &str,
        dossier_unit: Option<&str>,
        override_reason: Option<&str>,
        audit: &AuditRequest,
    ) -> Result<AuditEntry, IndexError>;

    /// Papers waiting for an officer (`needs_review`), oldest first, of these units (every
    /// unit when `units` is empty); at most `limit`.
    fn review_queue(
        &mut self,
        units: &[String],
        limit: usize,
    ) -> Result<Vec<ComponentRow>, IndexError>;

    /// Writes an officer's review (type, fields, owners, tax codes, dates, state) and its audit
    /// entry in one transaction.
    fn review_component(
        &mut self,
        id: i64,
        review: &Review,
        audit: &AuditRequest,
    ) -> Result<AuditEntry, IndexError>;

    /// `(type, OCR text)` of every paper an officer confirmed or corrected: training examples
    /// (`sohoa classify train --reviews`).
    fn reviewed_examples(&mut self) -> Result<Vec<(String, String)>, IndexError>;
}

/// The inbox service's journal of batches.
pub trait Journal {
    /// Journals that a batch is being processed (again): creates it or counts one more
    /// attempt, committed before any work starts. Returns the starts since it last finished
    /// (stored or failed), this one included: a batch that keeps killing the service is
    /// recognised by it.
    fn job_begin(&mut self, job: &JobRow) -> Result<u32, IndexError>;

    /// Journals a batch's outcome.
    fn job_finish(
        &mut self,
        job_key: &str,
        state: JobState,
        message: Option<&str>,
        papers: u32,
        at: &str,
    ) -> Result<(), IndexError>;

    /// Batches still `processing` that no node holds a lease on at `now` (seconds since the
    /// epoch) were interrupted: marks them so and returns how many.
    fn jobs_interrupted(&mut self, at: &str, now: i64) -> Result<usize, IndexError>;

    /// The journal, newest first; only batches in `state` when given; at most `limit`.
    fn jobs(&mut self, state: Option<JobState>, limit: usize) -> Result<Vec<JobRow>, IndexError>;

    /// Claims the batch `job_key` for `node` until `expires_at` (seconds since the epoch, as
    /// `now`): `true` when it is now this node's — nobody held it, its holder's lease ran
    /// out (the holder was killed or cut off), or this node held it already. Atomic across
    /// nodes (the index's write lock): two nodes never both get `true` for one live lease.
    fn claim(
        &mut self,
        job_key: &str,
        node: &str,
        now: i64,
        expires_at: i64,
        at: &str,
    ) -> Result<bool, IndexError>;

    /// Extends `node`'s leases on `job_keys` to `expires_at`, removes every lease that ran
    /// out before `now`, and returns the keys among `job_keys` the node no longer holds.
    fn renew_leases(
        &mut self,
        node: &str,
        job_keys: &[String],
        now: i64,
        expires_at: i64,
    ) -> Result<Vec<String>, IndexError>;

    /// Gives up `node`'s lease on `job_key` (the batch is done, or left for later).
    fn release(&mut self, job_key: &str, node: &str) -> Result<(), IndexError>;

    /// The leases there are, live or run out.
    fn leases(&mut self) -> Result<Vec<Lease>, IndexError>;
}

/// A node's claim on a batch of the inbox (several `sohoa serve` on one index).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Lease {
    pub job_key: String,
    /// Who holds it (`[inbox] node`, else host name and process id).
    pub node: String,
    /// Seconds since the epoch.
    pub expires_at: i64,
    /// RFC 3339.
    pub claimed_at: String,
}

/// The audit log (entries written with the changes they record, or alone).
pub trait AuditTrail {
    /// An audit entry for something that changes nothing here (a download, a verification).
    fn append_audit(&mut self, a: &AuditRequest) -> Result<AuditEntry, IndexError>;

    /// The whole audit log in stored order (check it with [`crate::audit::verify`]).
    fn audit_log(&mut self) -> Result<Vec<AuditEntry>, IndexError>;

    /// The entries about these subjects (`component 12`, …) but those of the `skip` actions,
    /// oldest first, at most `limit` (a dossier's history; found by index, not by reading the
    /// whole log).
    fn audit_about(
        &mut self,
        subjects: &[String],
        skip: &[Action],
        limit: usize,
    ) -> Result<Vec<AuditEntry>, IndexError>;
}

/// The grouped counts of the directives' report.
pub trait Counts {
    /// The grouped counts the directives' report is built from ([`report::build`]), by the
    /// calendar months of the desk's time zone (`utc_offset_minutes` from UTC: 420 in Viet
    /// Nam), not of UTC: a dossier received at 06:00 on the 1st belongs to that month.
    fn report_counts(
        &mut self,
        utc_offset_minutes: i32,
    ) -> Result<report::ReportCounts, IndexError>;
}

/// The whole index, every role (the desk's floor works with all of them).
pub trait Index: Papers + Decisions + Journal + AuditTrail + Counts + Register + Outbox {}

impl<T: Papers + Decisions + Journal + AuditTrail + Counts + Register + Outbox + ?Sized> Index
    for T
{
}

/// What the inbox service needs: the papers (through `ingest`) and the journal, not the
/// officers' decisions.
pub trait ServiceIndex: Papers + Journal + Outbox {}

impl<T: Papers + Journal + Outbox + ?Sized> ServiceIndex for T {}
