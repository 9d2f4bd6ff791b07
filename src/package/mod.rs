//! Hand-off (after `store`, beside `verify`): a dossier package — one ZIP file a one-stop system
//! receives, holding the dossier's signed PDFs, `manifest.json` (the dossier and, paper by
//! paper, type, component code, SHA-256, signers, owners, validity) and `manifest.json.p7s`, a
//! detached CMS signature of the manifest by the agency (RFC 5652, CAdES-B/-T). The receiver
//! checks it offline ([`check`]): the manifest's signature, every member's SHA-256 against the
//! manifest, every PDF's own signatures, and nothing in the package the manifest does not list.
//!
//! [`write`] builds the ZIP from readers (no I/O of its own); the desk's export feeds it.

pub mod check;
pub mod manifest;
pub mod portal;
pub mod write;

pub use check::{check_package, MemberReport, PackageReport};
pub use manifest::{DossierInfo, Manifest, PaperEntry, SignerEntry, FORMAT};
pub use write::PackageWriter;

/// The manifest's member.
pub const MANIFEST: &str = "manifest.json";
/// Its detached CMS signature (DER).
pub const MANIFEST_SIGNATURE: &str = "manifest.json.p7s";
/// Names the manifest may not give a paper.
pub const RESERVED: [&str; 2] = [MANIFEST, MANIFEST_SIGNATURE];

/// What a package may hold before a check refuses it (untrusted input: bounded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub max_members: usize,
    /// One member, uncompressed.
    pub max_member_bytes: u64,
    /// All members, uncompressed.
    pub max_total_bytes: u64,
    /// The manifest and its signature.
    pub max_manifest_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_members: 2_000,
            max_member_bytes: 512 << 20,
            max_total_bytes: 4 << 30,
            max_manifest_bytes: 8 << 20,
        }
    }
}

/// Why a package could not be made or read at all (a package that is read and found wrong is
/// a [`PackageReport`] whose `valid` is false, not an error).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PackageError {
    #[error("{file}: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}: not a readable ZIP package: {reason}")]
    NotZip { file: String, reason: String },
    #[error("{file}: {what}")]
    TooBig { file: String, what: String },
    #[error("writing the package, member {member}: {reason}")]
    Write { member: String, reason: String },
}
