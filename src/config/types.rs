//! The configuration's shape, as written in `config.toml` (see the commented file at the root).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

/// The whole configuration file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub sign: SignConfig,
    /// Signer profiles by name.
    #[serde(default)]
    pub signers: BTreeMap<String, SignerProfile>,
    #[serde(default)]
    pub trust: TrustConfig,
    #[serde(default)]
    pub digitize: DigitizeConfig,
    #[serde(default)]
    pub classify: ClassifyConfig,
    #[serde(default)]
    pub store: StoreConfig,
    #[serde(default)]
    pub index: IndexConfig,
    #[serde(default)]
    pub certify: CertifyConfig,
    #[serde(default)]
    pub inbox: InboxConfig,
    #[serde(default)]
    pub http: HttpConfig,
    #[serde(default)]
    pub report: ReportConfig,
    #[serde(default)]
    pub export: ExportConfig,
    #[serde(default)]
    pub audit: AuditConfig,
    #[serde(default)]
    pub log: LogConfig,
    /// `[[webhooks]]`: receivers of the inbox's events.
    #[serde(default)]
    pub webhooks: Vec<WebhookConfig>,
    /// People who use the HTTP API and the web pages, by login name.
    #[serde(default)]
    pub users: BTreeMap<String, UserConfig>,
    #[serde(skip)]
    pub base_dir: PathBuf,
    #[serde(skip)]
    pub origin: String,
}

/// `[sign]`: defaults for every signature.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignConfig {
    /// Profile used when `--signer` is not given.
    pub default_signer: Option<String>,
    /// Bytes reserved for the DER CMS in /Contents (written as twice as many hex digits).
    #[serde(default = "default_contents_size")]
    pub contents_size: usize,
    /// Offset of local time from UTC, minutes, for /M (Vietnam: +420).
    #[serde(default = "default_utc_offset")]
    pub utc_offset_minutes: i32,
}

fn default_contents_size() -> usize {
    24 * 1024
}

fn default_utc_offset() -> i32 {
    7 * 60
}

impl Default for SignConfig {
    fn default() -> Self {
        Self {
            default_signer: None,
            contents_size: default_contents_size(),
            utc_offset_minutes: default_utc_offset(),
        }
    }
}

/// `[signers.NAME]`: which key, which chain, which SubFilter, which TSA.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignerProfile {
    pub description: Option<String>,
    /// A PKCS#12 bundle (key, certificate and chain), as offices receive them.
    pub pkcs12: Option<PathBuf>,
    /// Or: an encrypted PKCS#8 PEM key, its certificate, and the issuer chain.
    pub key: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub chain: Option<PathBuf>,
    /// Where the passphrase is: a file (first line) or an environment variable.
    pub passphrase_file: Option<PathBuf>,
    pub passphrase_env: Option<String>,
    /// Or: a PKCS#11 token (USB token, HSM): the module (shared library) that drives it.
    pub pkcs11_module: Option<PathBuf>,
    /// The token, by label or by serial number (neither: the only token present).
    pub token_label: Option<String>,
    pub token_serial: Option<String>,
    /// The private key, by CKA_ID (hex) or by CKA_LABEL (neither: the token's only key).
    pub key_id: Option<String>,
    pub key_label: Option<String>,
    /// Where the token's user PIN is: an environment variable, or a file only the service user
    /// may read (first line). Neither: asked on the terminal. Never in this file in clear.
    pub pin_env: Option<String>,
    pub pin_file: Option<PathBuf>,
    #[serde(default)]
    pub sub_filter: crate::sign::SubFilter,
    /// RFC 3161 time-stamping authority; absent = PAdES B-B, present = B-T.
    pub tsa_url: Option<String>,
    /// PAdES level: "B-B", "B-T", "B-LT" or "B-LTA" (default: B-T with a tsa_url, else B-B).
    /// B-LT adds the validation data (DSS); B-LTA a document timestamp over it.
    pub level: Option<crate::sign::Level>,
    /// TSA of B-LTA's document timestamps (default: tsa_url).
    pub archive_tsa_url: Option<String>,
    pub reason: Option<String>,
    pub location: Option<String>,
    pub contact_info: Option<String>,
    /// The visible stamp of this profile's signatures (absent: the layout of the role the
    /// profile signs in, see [`StampConfig`]).
    pub stamp: Option<StampConfig>,
}

/// `[signers.NAME.stamp]`: how the signature shows on the page. Every key is optional; what
/// is not given comes from `layout` (or the role the profile signs in: the digitizer in
/// ingest, the agency after it, the certifier in certify).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StampConfig {
    /// false: invisible signatures (a widget without appearance, Rect all zero).
    pub visible: Option<bool>,
    /// "digitizer", "agency" or "certifier": the regulation layouts.
    pub layout: Option<crate::sign::appearance::StampRole>,
    /// "top-left", "top-right", "bottom-left", "bottom-right".
    pub position: Option<crate::sign::appearance::Corner>,
    /// "first" or "last".
    pub page: Option<crate::sign::appearance::StampPage>,
    /// The lines, with {name} {org} {time} {date} {reason} {location} (and {number} {book}
    /// of a certification).
    pub lines: Option<Vec<String>>,
    /// A TrueType font with Vietnamese letters (default: Liberation Serif).
    pub font: Option<PathBuf>,
    /// Points.
    pub size: Option<f64>,
    /// "#RRGGBB".
    pub color: Option<String>,
    /// From the page edges, millimetres.
    pub margin_mm: Option<f64>,
    pub border: Option<bool>,
    /// The agency's seal: a PNG (transparency kept), drawn at the stamp's left.
    pub seal: Option<PathBuf>,
}

/// `[certify]`: electronic certified copies (chứng thực bản sao điện tử từ bản chính).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CertifyConfig {
    /// The certifying officer's profile (personal signature, layout "certifier").
    pub officer_signer: Option<String>,
    /// The agency's profile, signing after the officer (layout "agency").
    pub agency_signer: Option<String>,
    /// The register book's name, {year} filled in (one book, one sequence per unit and year).
    pub book: String,
}

impl Default for CertifyConfig {
    fn default() -> Self {
        Self {
            officer_signer: None,
            agency_signer: None,
            book: "{year}/SCT/BS".into(),
        }
    }
}

/// `[trust]`: what verification trusts.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustConfig {
    /// Trust anchors (PEM or DER files, one or more certificates each).
    #[serde(default)]
    pub anchors: Vec<PathBuf>,
    /// Extra intermediate certificates (real PDFs often embed only the leaf).
    #[serde(default)]
    pub intermediates: Vec<PathBuf>,
    /// Certificate revocation lists (PEM or DER).
    #[serde(default)]
    pub crls: Vec<PathBuf>,
    /// Also trust the VGCA (Ban Cơ yếu Chính phủ) certificates in this folder, as downloaded
    /// from ca.gov.vn: only those whose SHA-256 sohoa pins (`sohoa::pki::vgca::PINS`).
    #[serde(default)]
    pub vgca_dir: Option<PathBuf>,
    /// A signature whose signer's revocation status is unknown is not valid.
    #[serde(default)]
    pub require_revocation: bool,
    /// Fetch OCSP responses (AIA) or CRLs (distribution points) when neither the file nor the
    /// configuration has revocation data for a signer.
    #[serde(default)]
    pub online: bool,
    /// PAdES long-term validation profile: each signature needs a proven signing time and
    /// revocation data carried in the file (B-LT or B-LTA), as pyHanko's `--ltv-profile pades`.
    #[serde(default)]
    pub ltv: bool,
}

/// `[digitize]`: OCR and the limits on untrusted scans.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DigitizeConfig {
    /// Tesseract language(s): `vie`, or `vie+eng` for papers with English.
    pub lang: String,
    /// Folder of `*.traineddata` (default: Tesseract's own).
    pub tessdata: Option<PathBuf>,
    /// Pages below this effective resolution are refused (the rules ask for 200 dpi).
    pub min_dpi: f32,
    /// OCR workers, one Tesseract each; 0 = one per core.
    pub workers: usize,
    /// Largest page raster accepted (width × height), against decompression bombs.
    pub max_pixels: u64,
    /// Most pages in one input file.
    pub max_pages: usize,
    /// Local socket where `sohoa serve` takes `sohoa digitize` calls (read with its warm
    /// engines) and where `sohoa digitize` looks for it; `None`: every call runs on its own.
    pub handoff_socket: Option<PathBuf>,
}

impl Default for DigitizeConfig {
    fn default() -> Self {
        Self {
            lang: "vie".into(),
            tessdata: None,
            min_dpi: 150.0,
            workers: 0,
            max_pixels: 150_000_000,
            max_pages: 2000,
            handoff_socket: None,
        }
    }
}

/// `[classify]`: document types and the trained model.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClassifyConfig {
    /// Document-types file (default: the built-in `doc-types.toml`).
    pub types: Option<PathBuf>,
    /// Model written by `sohoa classify train` (default: rules only).
    pub model: Option<PathBuf>,
}

/// `[index]`: where the index lives.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IndexConfig {
    /// `sqlite:PATH` or `postgresql://…` (password from `PGPASSWORD` or the password file,
    /// not written here); omitted: `index.sqlite` in `[store] root`.
    pub url: Option<String>,
}

/// `[store]`: where signed papers, their scans and the index live.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// Folder of the content-addressed blobs (`blobs/`, `tmp/`) and `index.sqlite`; with an
    /// object store, of the temporary copies of blobs on their way in and out.
    pub root: PathBuf,
    /// `file:PATH` or `s3://BUCKET/PREFIX`; omitted: the folder `root`.
    pub url: Option<String>,
    /// The object store's address (`https://s3.example.vn`, `http://127.0.0.1:9000`);
    /// omitted: AWS's for `region`.
    pub endpoint: Option<String>,
    /// The object store's region (its name for signatures; MinIO and Garage take any).
    pub region: String,
    /// Path-style addresses (`endpoint/bucket/key`), as MinIO, Garage and Ceph expect;
    /// false: virtual-hosted (`bucket.endpoint/key`).
    pub path_style: bool,
    /// A file holding `access_key_id = "…"` and `secret_access_key = "…"` (readable by its
    /// owner only); omitted: `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`.
    pub credentials_file: Option<PathBuf>,
    /// The receiving unit's code when `--unit` is not given.
    pub unit: String,
    /// Signer profile used by `sohoa ingest` (default: [sign] default_signer).
    pub signer: Option<String>,
    /// The agency's profile: when set, each paper is signed by it too, after the digitizer
    /// (its stamp at the top right of page 1, Decree 30/2020).
    pub agency_signer: Option<String>,
    /// `sohoa serve` runs `store renew` this often (hours; 0: never, run it from cron).
    pub renew_every_hours: f64,
    /// What a renewal renews: papers whose newest timestamp's TSA certificate expires within
    /// this many days.
    pub renew_within_days: u32,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            root: PathBuf::from("data"),
            url: None,
            endpoint: None,
            region: "us-east-1".into(),
            path_style: true,
            credentials_file: None,
            unit: "000.00.00.H00".into(),
            signer: None,
            agency_signer: None,
            renew_every_hours: 0.0,
            renew_within_days: 365,
        }
    }
}

/// `[inbox]`: the folder `sohoa serve` watches, and where files go afterwards.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InboxConfig {
    /// Watched folder: `<unit>/<file>` or `<unit>/<dossier code>/<files>`.
    pub path: PathBuf,
    /// Files whose papers are stored, kept by SHA-256: `<unit>/<date>/<sha>-<name>`.
    pub processed: PathBuf,
    /// Files that could not be processed, each beside `<name>.error.txt`.
    pub failed: PathBuf,
    /// A file (or dossier folder) is complete when unchanged this many seconds.
    pub stable_seconds: f64,
    /// With `watch`: a file its writer was seen to close (or renamed into the inbox) is
    /// complete this many seconds after that, unless written again (at most stable_seconds).
    pub settle_seconds: f64,
    /// Look at the inbox at least this often, seconds (the only trigger with `watch = false`).
    pub poll_seconds: f64,
    /// File-system events (inotify) wake the service sooner; set false on SMB/NFS shares,
    /// which send none (polling still works there).
    pub watch: bool,
    /// Batches processed at once (0 = one per core).
    pub workers: usize,
    /// Batches waiting for a worker, at most (the inbox is read no faster than processed).
    pub queue: usize,
    /// A file larger than this (bytes) goes to failed/ unread.
    pub max_file_bytes: u64,
    /// A batch started this many times without finishing goes to failed/.
    pub max_attempts: u32,
    /// A batch that failed on our side (disk, database) is tried again after this, seconds.
    pub retry_seconds: f64,
    /// This node's name in the leases on batches when several `sohoa serve` share one index
    /// (PostgreSQL) and inbox; omitted: the host name and process id.
    pub node: Option<String>,
    /// How long a node's claim on a batch lasts without renewal (renewed every third of it):
    /// a node killed mid-batch has the batch finished by another this long after.
    pub lease_seconds: f64,
}

impl Default for InboxConfig {
    fn default() -> Self {
        Self {
            path: PathBuf::from("inbox"),
            processed: PathBuf::from("processed"),
            failed: PathBuf::from("failed"),
            stable_seconds: 5.0,
            settle_seconds: 0.5,
            poll_seconds: 2.0,
            watch: true,
            workers: 0,
            queue: 16,
            max_file_bytes: 512 * 1024 * 1024,
            max_attempts: 5,
            retry_seconds: 60.0,
            node: None,
            lease_seconds: 60.0,
        }
    }
}

/// `[http]`: the API and web pages `sohoa serve` offers.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Address to listen on; empty: no HTTP (the inbox service alone).
    pub listen: String,
    /// Largest accepted upload (a PDF to verify), bytes.
    pub max_upload_bytes: usize,
    /// A request taking longer is answered 503.
    pub timeout_seconds: f64,
    /// A web login lasts this many hours (a working day).
    pub session_hours: f64,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            listen: String::new(),
            max_upload_bytes: 64 * 1024 * 1024,
            timeout_seconds: 60.0,
            session_hours: 10.0,
        }
    }
}

/// `[users.<name>]`: one person's role, units and API token (stored hashed).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    /// operator, officer, auditor or admin.
    pub role: String,
    /// The units (codes) an operator or officer works for; auditors and admins see all.
    #[serde(default)]
    pub units: Vec<String>,
    /// SHA-256 (hex) of the user's API token (`sohoa user token NAME` makes one).
    #[serde(default)]
    pub token_sha256: Option<String>,
    /// Argon2id hash (PHC string) of the user's password for the web login (`sohoa user
    /// password NAME` makes one). A user needs a token, a password, or both.
    #[serde(default)]
    pub password_argon2: Option<String>,
}

/// `[report]`: the directives' targets drawn on the report page, per unit level (a province's
/// centre, a district, a commune: the directives set different rates for each).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportConfig {
    /// The level of units not named in `unit_levels`.
    #[serde(default)]
    pub default_level: Option<String>,
    /// Unit code → level.
    #[serde(default)]
    pub unit_levels: BTreeMap<String, String>,
    /// Level → targets.
    #[serde(default)]
    pub targets: BTreeMap<String, TargetRates>,
}

/// `[report.targets.<level>]`: target rates, percent (0 to 100); a rate left out has no
/// target line.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TargetRates {
    pub digitization_rate: Option<f64>,
    pub signing_rate: Option<f64>,
    pub reuse_rate: Option<f64>,
}

/// The kinds of event a `[[webhooks]]` receiver may ask for (the webhook module sends them;
/// its tests hold the two equal).
pub const WEBHOOK_EVENTS: &[&str] = &["paper.stored", "dossier.complete", "file.failed"];

/// `[[webhooks]]`: one receiver of `paper.stored`, `dossier.complete`, `file.failed`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// `http://host:port/path` (a TLS-terminating proxy in front for other machines).
    pub url: String,
    /// The kinds it receives (default: all).
    #[serde(default)]
    pub events: Vec<String>,
    /// The HMAC-SHA256 key: a file (its content, trailing newline ignored) or a variable.
    pub secret_file: Option<PathBuf>,
    pub secret_env: Option<String>,
    #[serde(default = "default_webhook_timeout")]
    pub timeout_seconds: f64,
    /// After this many failed attempts the delivery is a dead letter.
    #[serde(default = "default_webhook_attempts")]
    pub max_attempts: u32,
    /// The wait after the first failure; it doubles after each one, up to the maximum.
    #[serde(default = "default_webhook_backoff")]
    pub backoff_seconds: f64,
    #[serde(default = "default_webhook_max_backoff")]
    pub max_backoff_seconds: f64,
}

fn default_webhook_timeout() -> f64 {
    10.0
}

fn default_webhook_attempts() -> u32 {
    10
}

fn default_webhook_backoff() -> f64 {
    5.0
}

fn default_webhook_max_backoff() -> f64 {
    3600.0
}

/// `[log]`: what `sohoa serve` (and any command's warnings) writes to standard error.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// "auto" (human on a terminal, JSON lines otherwise: journald, ELK), "human" or "json".
    #[serde(default = "default_log_format")]
    pub format: String,
    /// A `tracing` filter: "info", "warn", "sohoa=debug,info" … (`SOHOA_LOG` overrides it).
    #[serde(default = "default_log_level")]
    pub level: String,
}

fn default_log_format() -> String {
    "auto".into()
}

fn default_log_level() -> String {
    "info".into()
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: default_log_format(),
            level: default_log_level(),
        }
    }
}

/// `[audit]`: the audit log's anchors, signed checkpoints of its head kept in the blob store.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// The profile that signs checkpoints (default: `[store] agency_signer`, else `[certify]
    /// agency_signer`, else `[sign] default_signer`).
    #[serde(default)]
    pub signer: Option<String>,
    /// `sohoa serve` writes a checkpoint this often when the log grew, and when it stops;
    /// 0: only when it stops.
    #[serde(default = "default_checkpoint_minutes")]
    pub checkpoint_every_minutes: f64,
}

fn default_checkpoint_minutes() -> f64 {
    60.0
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            signer: None,
            checkpoint_every_minutes: default_checkpoint_minutes(),
        }
    }
}

/// `[export]`: dossier packages handed to the one-stop systems (`sohoa export`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportConfig {
    /// The profile that signs each package's manifest (default: `[store] agency_signer`, else
    /// `[certify] agency_signer`, else `[sign] default_signer`).
    #[serde(default)]
    pub signer: Option<String>,
    /// sohoa's document type → the one-stop system's component code (mã thành phần hồ sơ).
    #[serde(default)]
    pub component_codes: BTreeMap<String, String>,
}
