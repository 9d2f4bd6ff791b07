//! Edge `verify`: checks every signature of a PDF — ours or anyone's — and returns a verdict as
//! data ([`FileReport`]). An `Err` means "could not check" (not a PDF, unreadable), never
//! "invalid": an invalid signature is a report whose `valid` is false.

pub mod appearance;
pub mod byterange;
pub mod changes;
pub mod cms_check;
pub mod detached;
pub(crate) mod fields;
pub mod human;
mod ltv;
/// Revocation fetching lives in `pki::fetch` (signing uses it for B-LT too); re-exported here.
pub use crate::pki::fetch as online;
pub mod report;
pub mod revocation;
mod signature;
pub mod timestamp;

use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use crate::pdf::{Limits, PdfError, PdfFile};
use crate::pki::chain::TrustStore;
pub use report::*;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    #[error("{file}: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}: not a readable PDF: {source}")]
    Pdf { file: String, source: PdfError },
    #[error("{file}: the PDF is encrypted; its signatures cannot be checked without the password")]
    Encrypted { file: String },
}

/// What a verification trusts, and when it happens.
#[derive(Clone, Debug)]
pub struct VerifyOptions {
    pub store: TrustStore,
    /// The verification time (validity when no timestamp proves the signing time).
    pub now: SystemTime,
    pub limits: Limits,
    /// Unknown revocation status fails the signature (`[trust] require_revocation`).
    pub require_revocation: bool,
    /// Where to fetch revocation data the file and configuration lack (`--online`).
    pub online: Option<Arc<dyn online::RevocationFetcher>>,
    /// PAdES long-term validation profile (`--ltv`): proven time and revocation data in the file.
    pub ltv: bool,
}

impl VerifyOptions {
    /// Offline, revocation soft-fail, default limits.
    pub fn new(store: TrustStore, now: SystemTime) -> Self {
        Self {
            store,
            now,
            limits: Limits::default(),
            require_revocation: false,
            online: None,
            ltv: false,
        }
    }
}

/// Revision ends, each also without its trailing EOL (signers differ on that).
fn revision_ends<R: Read + Seek>(pdf: &PdfFile<R>, src: &mut R) -> Vec<u64> {
    let mut ends = Vec::new();
    for r in pdf.revisions() {
        ends.push(r.end);
        let mut e = r.end;
        for _ in 0..2 {
            if e == 0 {
                break;
            }
            match signature::read_exact_at(src, e - 1, 1) {
                Ok(b) if b[0] == b'\n' || b[0] == b'\r' => {
                    e -= 1;
                    ends.push(e);
                }
                _ => break,
            }
        }
    }
    ends.sort_unstable();
    ends.dedup();
    ends
}

/// Objects scanned at most for signature dictionaries no field points to.
const MAX_ORPHAN_SCAN: usize = 200_000;

/// Signature dictionaries (ISO 32000-1 §12.8.1: /ByteRange and /Contents) that no signature
/// field uses: a file cut or copied out of a signed document keeps them, though they no longer
/// sign anything here. Said in words; they make nothing valid.
fn orphan_signatures<R: Read + Seek>(
    pdf: &mut PdfFile<R>,
    file_len: u64,
) -> Result<Vec<String>, PdfError> {
    let refs: Vec<crate::pdf::ObjRef> = pdf
        .entries()
        .iter()
        .take(MAX_ORPHAN_SCAN)
        .filter_map(|(n, e)| match e {
            crate::pdf::XrefEntry::InUse { gen, .. } => Some(crate::pdf::ObjRef::new(*n, *gen)),
            crate::pdf::XrefEntry::Compressed { .. } => Some(crate::pdf::ObjRef::new(*n, 0)),
            crate::pdf::XrefEntry::Free => None,
        })
        .collect();
    let mut out = Vec::new();
    for r in refs {
        let Ok(o) = pdf.get(r) else { continue };
        let Some(d) = o.as_dict() else { continue };
        let Some(br) = d.get(b"ByteRange").and_then(crate::pdf::Object::as_array) else {
            continue;
        };
        if !d.contains(b"Contents") {
            continue;
        }
        let n: Vec<i64> = br.iter().filter_map(crate::pdf::Object::as_int).collect();
        let end = match n[..] {
            [_, _, c, d] => c.saturating_add(d),
            _ => 0,
        };
        let beyond = if end > file_len as i64 {
            format!(
                "; its ByteRange ends at byte {end}, past the end of this {file_len}-byte file: this file was cut out of a signed document whose signature it no longer carries"
            )
        } else {
            String::new()
        };
        out.push(format!(
            "a signature dictionary (object {}) is not attached to any signature field, so it signs nothing here{beyond}",
            r.num
        ));
    }
    Ok(out)
}

/// Verifies every signature of the PDF at `path`.
pub fn verify_file(path: &Path, opts: &VerifyOptions) -> Result<FileReport, VerifyError> {
    let name = path.display().to_string();
    verify_source(&name, || File::open(path).map(BufReader::new), opts)
}

/// Verifies a PDF held in memory (an upload); `name` names it in the report and errors.
pub fn verify_bytes(
    name: &str,
    bytes: &[u8],
    opts: &VerifyOptions,
) -> Result<FileReport, VerifyError> {
    verify_source(name, || Ok(std::io::Cursor::new(bytes)), opts)
}

/// Verifies the PDF that `open` yields (called once per independent reader it needs).
pub fn verify_source<R: Read + Seek>(
    name: &str,
    open: impl Fn() -> std::io::Result<R>,
    opts: &VerifyOptions,
) -> Result<FileReport, VerifyError> {
    let file = name.to_string();
    let io = |source| VerifyError::Io {
        file: file.clone(),
        source,
    };
    let pdf_err = |source| VerifyError::Pdf {
        file: file.clone(),
        source,
    };
    let mut new = PdfFile::open(open().map_err(io)?, opts.limits).map_err(pdf_err)?;
    if new.is_encrypted() {
        return Err(VerifyError::Encrypted { file });
    }
    let mut raw = open().map_err(io)?;
    let file_len = new.len();
    let mut problems = Vec::new();
    if new.repaired() {
        problems.push(
            "the cross-reference table is damaged and was rebuilt; the file was not saved by a conforming writer"
                .to_string(),
        );
    }
    let fields = fields::find_signatures(&mut new).map_err(pdf_err)?;
    let ends = revision_ends(&new, &mut raw);

    let mut docmdp = None;
    for f in &fields {
        if let Some(p) = fields::docmdp_level(&mut new, &f.value).map_err(pdf_err)? {
            docmdp = Some(docmdp.map_or(p, |q: i64| q.min(p)));
        }
    }

    let file_data = revocation::from_dss(&mut new).map_err(pdf_err)?;
    let mut warnings = file_data.problems.clone();

    // Document timestamps first: they prove when the signatures below them existed.
    let (stamps, sigs): (Vec<_>, Vec<_>) = fields
        .into_iter()
        .partition(|f| fields::is_document_timestamp(&f.value));
    let mut ctx = ltv::FileContext {
        data: file_data,
        poe: Vec::new(),
    };
    let mut signatures = Vec::new();
    for f in stamps {
        let report = signature::verify_one(
            name, &open, &mut new, &mut raw, &f, &ends, docmdp, &ctx, opts,
        )?;
        if let Some(poe) = ltv::proof_of_existence(&report, &open, opts) {
            ctx.poe.push(poe);
        }
        signatures.push(report);
    }
    for f in sigs {
        let mut report = signature::verify_one(
            name, &open, &mut new, &mut raw, &f, &ends, docmdp, &ctx, opts,
        )?;
        // What the signature shows; a page that cannot be read for it is noted, not fatal.
        let cn = report.signer.as_ref().and_then(|s| s.common_name.clone());
        match appearance::widget(&mut new, &f.field, f.field_ref).and_then(|w| match w {
            Some((w, r)) => appearance::inspect(&mut new, &w, r, cn.as_deref()).map(Some),
            None => Ok(None),
        }) {
            Ok(Some(a)) => {
                if a.names_signer == Some(false) {
                    report.warnings.push(format!(
                        "the visible stamp on page {} reads \"{}\", which does not name the signer \"{}\" of the certificate",
                        a.page.map_or("?".into(), |p| p.to_string()),
                        a.text.as_deref().unwrap_or(""),
                        cn.as_deref().unwrap_or("")
                    ));
                }
                report.appearance = a;
            }
            Ok(None) => {}
            Err(e) => report
                .warnings
                .push(format!("the signature's appearance could not be read: {e}")),
        }
        signatures.push(report);
    }
    signatures.sort_by_key(|s| s.coverage.signed_bytes);
    if signatures.is_empty() {
        problems.push("the file has no signatures".into());
        problems.extend(orphan_signatures(&mut new, file_len).map_err(pdf_err)?);
    }
    warnings.dedup();
    let valid = !signatures.is_empty() && signatures.iter().all(|s| s.valid);
    Ok(FileReport {
        file,
        valid,
        bytes: file_len,
        revisions: new.revisions().len(),
        signatures,
        problems,
        warnings,
    })
}
