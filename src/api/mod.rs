//! Edge `api`: the HTTP API `sohoa serve` offers to officers, auditors and operators (axum):
//! search, download, reuse, verify an upload, the inbox journal and re-queue, the audit log,
//! metrics. Every route but `/api/health` and `/api/openapi.json` needs a token
//! (`Authorization: Bearer …`) of a role allowed to use it ([`auth`]); officers and operators
//! only reach their units' papers and files. Errors are JSON `{"error": "…"}` with a message
//! a person can act on. The index is opened per request on a blocking thread (SQLite, WAL).

pub mod auth;
mod error;
mod openapi;
mod routes;

use std::sync::Arc;

use crate::classify::types::DocTypes;
use crate::inbox::{InboxPaths, ServiceSummary};
use crate::time::Clock;
use crate::verify::VerifyOptions;

pub use routes::router;

/// What the handlers share.
pub struct ApiContext {
    pub users: auth::Users,
    /// Web logins (in memory) and wrong-password counts.
    pub sessions: auth::Sessions,
    /// How long a login lasts.
    pub session_ttl: std::time::Duration,
    /// An Argon2id hash checked when a name is unknown (same cost as a wrong password).
    pub dummy_hash: String,
    /// Connections to the index (`[index] url`).
    pub index: crate::index::IndexPool,
    pub store: Arc<dyn crate::store::BlobStore>,
    pub paths: InboxPaths,
    /// The verification policy of `[trust]` (`desk::build::stored_paper_policy`): the same
    /// as `sohoa verify` without flags.
    pub verify: VerifyOptions,
    /// The document types (what a reviewer may choose, and their validity rules).
    pub types: DocTypes,
    /// The inbox service's live counters (for `/metrics`).
    pub summary: Arc<ServiceSummary>,
    /// Largest accepted upload, bytes.
    pub max_upload_bytes: usize,
    pub timeout: std::time::Duration,
    /// The desk's clock (session expiry, audit times, "today", report months).
    pub clock: Clock,
    /// Fills a buffer with random bytes from the operating system (session tokens).
    pub random: RandomSource,
    /// Who signs certified copies (None: `[certify]` not set up; the route says so).
    pub certify: Option<Arc<crate::desk::build::CertifySigners>>,
    /// Who signs dossier packages' manifests (None: no signer could be built; the route says
    /// why), and `[export] component_codes`.
    pub export: Result<Arc<crate::desk::build::SignerSetup>, String>,
    pub component_codes: std::collections::BTreeMap<String, String>,
    /// `[report]`: the directives' targets per unit level, drawn on the report page.
    pub report: crate::config::ReportConfig,
    /// Renders the pages of the paper preview (poppler's pdftoppm).
    pub renderer: Arc<dyn crate::preview::PageRenderer>,
}

/// Where random bytes come from (the edge gives the operating system's).
pub type RandomSource = Arc<dyn Fn(&mut [u8]) + Send + Sync>;

/// The shared state of the router.
pub type ApiState = Arc<ApiContext>;
