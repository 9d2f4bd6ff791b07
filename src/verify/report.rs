//! The verdict as data (after pyHanko's status objects): per signature intact, valid, trusted,
//! coverage, modifications and a bottom line; per file a bottom line over all signatures.

use serde::Serialize;

use super::timestamp::TimestampReport;
use crate::pki::chain::Revocation;
use crate::pki::ess::EssBinding;
use crate::pki::names::CertSummary;

/// One file's verdict. `valid` is the bottom line: every signature valid and trusted, no
/// disallowed change, at least one signature.
#[derive(Clone, Debug, Serialize)]
pub struct FileReport {
    pub file: String,
    pub valid: bool,
    pub bytes: u64,
    /// Revisions (xref sections) in the file.
    pub revisions: usize,
    pub signatures: Vec<SignatureReport>,
    /// File-level problems (no signatures, damaged structure, …).
    pub problems: Vec<String>,
    /// File-level notes that do not decide validity (an unreadable DSS entry, …).
    pub warnings: Vec<String>,
}

/// What the signature dictionary is (ISO 32000-2 §12.8.1, §12.8.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SignatureKind {
    Signature,
    DocumentTimestamp,
}

/// Where the time used for certificate validity came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TimeSource {
    /// A valid RFC 3161 signature timestamp: proven.
    Timestamp,
    /// A valid document timestamp of a later revision (ETSI.RFC3161): proven, later than the
    /// signing itself.
    DocumentTimestamp,
    /// The time the signer claims (/M, or the CMS signing-time attribute): not proven.
    Claimed,
    /// The verification time: no timestamp and no claimed time.
    VerificationTime,
}

/// How much of the file a signature covers.
#[derive(Clone, Debug, Serialize)]
pub struct Coverage {
    /// The signed ranges end at the end of the file.
    pub whole_file: bool,
    /// 1-based revision the signature closes, if its range ends at a revision boundary.
    pub revision: Option<usize>,
    /// Revisions appended after the signed one.
    pub later_revisions: usize,
    pub signed_bytes: u64,
    pub file_bytes: u64,
}

/// Changes made after signing (ISO 32000-2 §12.8.2.2 DocMDP; ETSI EN 319 142-1 §5.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ModificationLevel {
    /// Nothing after the signed revision.
    None,
    /// Only later signatures, document timestamps, DSS, metadata or form fill-in.
    Allowed,
    /// Page content, annotations over content, catalog or page-tree changes, …
    Disallowed,
}

/// One change found after signing.
#[derive(Clone, Debug, Serialize)]
pub struct Change {
    /// `12 0` or `trailer`.
    pub object: String,
    pub what: String,
    pub allowed: bool,
    /// The rule that judged it (`page.group-added`, `structure.attach-widgets`, …; see
    /// docs/ARCHITECTURE.md).
    pub rule: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct Modifications {
    pub level: ModificationLevel,
    pub changes: Vec<Change>,
}

/// ByteRange sanity (ISO 32000-1 §12.8.1; the "incremental saving attack" checks).
#[derive(Clone, Debug, Serialize)]
pub struct ByteRangeCheck {
    pub value: Vec<i64>,
    pub ok: bool,
    pub problems: Vec<String>,
}

/// PAdES baseline attribute checks (ETSI EN 319 142-1 §5.2.2).
#[derive(Clone, Debug, Serialize)]
pub struct PadesCheck {
    /// B-B, B-T, B-LT or B-LTA (ETSI EN 319 142-1 §6), or none when the baseline attributes are
    /// not all there.
    pub level: Option<&'static str>,
    pub signing_certificate: EssBinding,
    /// PAdES forbids the CMS signing-time attribute (the time is /M).
    pub signing_time_attribute: bool,
}

/// One signature's verdict.
#[derive(Clone, Debug, Serialize)]
pub struct SignatureReport {
    pub field: String,
    pub kind: SignatureKind,
    pub sub_filter: String,
    pub signer: Option<CertSummary>,
    pub digest_algorithm: Option<String>,
    /// The signer's signature algorithm with its key ("ECDSA P-256 with SHA-256").
    pub signature_algorithm: Option<String>,
    /// The CMS was BER (indefinite lengths), read through its DER form (RFC 5652 allows it).
    pub ber_encoded: bool,
    /// The digest over the ByteRange equals the signed message digest.
    pub intact: bool,
    /// The CMS signature over the signed attributes verifies.
    pub signature_valid: bool,
    /// The signer certificate chains to a configured trust anchor.
    pub trusted: bool,
    pub chain: Vec<CertSummary>,
    /// /M as written, claimed by the signer.
    pub claimed_time: Option<String>,
    /// The time certificate validity was checked at, and where it came from.
    pub checked_at: String,
    pub time_source: TimeSource,
    pub certificate_valid_at_time: bool,
    pub key_usage_ok: bool,
    pub revocation: Revocation,
    pub timestamp: Option<TimestampReport>,
    pub pades: Option<PadesCheck>,
    pub byte_range: ByteRangeCheck,
    pub coverage: Coverage,
    pub modifications: Modifications,
    pub reason: Option<String>,
    pub location: Option<String>,
    /// What the signature shows on the page (visible or not, where, which text).
    pub appearance: super::appearance::AppearanceReport,
    /// The bottom line for this signature.
    pub valid: bool,
    /// Everything that made `valid` false, in words an auditor can act on.
    pub problems: Vec<String>,
    /// Things worth knowing that do not make the signature invalid.
    pub warnings: Vec<String>,
}
