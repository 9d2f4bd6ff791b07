//! Stage `sign`, long-term: PAdES B-LT and B-LTA (ETSI EN 319 142-1 §6.3, §5.4). After a
//! signature, B-LT appends the Document Security Store with every certificate, CRL and OCSP
//! response its validation needs; B-LTA then appends a document timestamp over the whole file
//! and a second DSS revision with that timestamp's own validation data. The same steps upgrade a
//! file signed earlier (`sohoa ltv add`) and renew a stored paper (`sohoa store renew`).

pub mod collect;
pub mod dss;

use std::path::{Path, PathBuf};

use der::Encode;
use x509_cert::Certificate;

use super::append::{self, open_for_update};
use super::pades::SignError;
use super::tsa::TimestampAuthority;
use super::update::{SigFields, SigKind};
use super::Level;
use crate::pdf::{Object, PdfFile};
use crate::pki::oids;
use crate::verify::cms_check;
pub use collect::{Gathered, Sources};
pub use dss::Material;

/// Bytes reserved for a document timestamp token (a token with its TSA chain is 5-8 KB).
pub const DOC_TIMESTAMP_SIZE: usize = 16 * 1024;

/// What the long-term revisions need.
pub struct LtvRequest<'a> {
    pub sources: Sources<'a>,
    /// B-LTA: the TSA of the document timestamp.
    pub archive_tsa: Option<&'a dyn TimestampAuthority>,
    /// Randomness: the RFC 3161 request nonce.
    pub nonce: u64,
}

/// What was appended.
#[derive(Clone, Debug, serde::Serialize)]
pub struct LtvOutcome {
    pub output: PathBuf,
    pub level: Level,
    /// Items written to the DSS (certificates, CRLs, OCSP responses not already there).
    pub dss_items: usize,
    /// The document timestamp's field, for B-LTA.
    pub doc_timestamp: Option<String>,
    pub output_bytes: u64,
    /// SHA-256 of the output file, hex.
    pub sha256: String,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LtvError {
    #[error(transparent)]
    Sign(#[from] SignError),
    #[error("{file}: {source}")]
    Pdf {
        file: String,
        source: crate::pdf::PdfError,
    },
    #[error("{file}: no signature to make long-term")]
    NoSignature { file: String },
    #[error("{file}: the signature in field \"{field}\" could not be read: {why}")]
    Unreadable {
        file: String,
        field: String,
        why: String,
    },
    #[error("{file}: cannot make {level}: {}. Add the issuers' CRLs to [trust] crls (or --crl) and their certificates to [trust] intermediates, or let sohoa reach the OCSP responders and CRL addresses the certificates name", gaps.join("; "))]
    Incomplete {
        file: String,
        level: Level,
        gaps: Vec<String>,
    },
    #[error("{file}: refusing {level}: {}", what.join("; "))]
    Revoked {
        file: String,
        level: Level,
        what: Vec<String>,
    },
    #[error("{level} needs a time-stamping authority for the document timestamp (tsa_url, or archive_tsa_url in the signer profile)")]
    NoArchiveTsa { level: Level },
    #[error("{level} is not a long-term level: use B-LT or B-LTA")]
    NotLongTerm { level: Level },
}

/// What a file's signatures and timestamps are made of.
#[derive(Debug, Default)]
pub struct FileSignatures {
    /// The certificates to validate: signers and TSAs.
    pub leaves: Vec<Certificate>,
    /// Every certificate the file carries (CMS, tokens, DSS).
    pub pool: Vec<Certificate>,
    /// Each timestamp (signature and document timestamps): its time (seconds since the
    /// epoch) and its TSA's certificate.
    pub timestamps: Vec<(std::time::Duration, Certificate)>,
    /// The revocation data the file's DSS holds already.
    pub dss: crate::pki::chain::RevocationData,
}

impl FileSignatures {
    /// The newest timestamp: the one whose TSA certificate must outlive the next renewal.
    pub fn newest_timestamp(&self) -> Option<&(std::time::Duration, Certificate)> {
        self.timestamps.iter().max_by_key(|(t, _)| *t)
    }
}

/// The TSA certificate and time of an RFC 3161 token (DER).
fn token_parts(
    der: &[u8],
) -> Result<(std::time::Duration, Vec<Certificate>, Option<Certificate>), String> {
    let (tsd, tst, _) = crate::pki::tst::tst_info(der).map_err(|e| e.to_string())?;
    let certs = cms_check::embedded_certs(&tsd);
    let tsa = tsd
        .signer_infos
        .0
        .iter()
        .find_map(|si| cms_check::find_signer_cert(&si.sid, &certs).cloned());
    Ok((tst.gen_time.to_unix_duration(), certs, tsa))
}

/// Reads the signatures and timestamps of `input`.
pub fn file_signatures(input: &Path) -> Result<FileSignatures, LtvError> {
    let file = input.display().to_string();
    let mut pdf = open_for_update(input)?;
    let pdf_err = |source| LtvError::Pdf {
        file: file.clone(),
        source,
    };
    let fields = crate::verify::fields::find_signatures(&mut pdf).map_err(pdf_err)?;
    if fields.is_empty() {
        return Err(LtvError::NoSignature { file });
    }
    let dss = crate::verify::revocation::from_dss(&mut pdf).map_err(pdf_err)?;
    let mut out = FileSignatures {
        pool: dss.certs,
        dss: dss.revocation,
        ..Default::default()
    };
    for f in &fields {
        let unreadable = |why: String| LtvError::Unreadable {
            file: file.clone(),
            field: f.name.clone(),
            why,
        };
        let contents = f
            .value
            .get(b"Contents")
            .and_then(Object::as_string)
            .ok_or_else(|| unreadable("no /Contents".into()))?;
        let parsed =
            cms_check::parse_signed_data(contents).map_err(|e| unreadable(e.to_string()))?;
        let doc_ts = f.value.name(b"Type") == Some(b"DocTimeStamp")
            || f.value.name(b"SubFilter") == Some(b"ETSI.RFC3161");
        if doc_ts {
            let (at, certs, tsa) = token_parts(&parsed.der).map_err(unreadable)?;
            if let Some(c) = tsa {
                out.leaves.push(c.clone());
                out.timestamps.push((at, c));
            }
            out.pool.extend(certs);
            continue;
        }
        let sd = &parsed.signed_data;
        let embedded = cms_check::embedded_certs(sd);
        for si in sd.signer_infos.0.iter() {
            if let Some(c) = cms_check::find_signer_cert(&si.sid, &embedded) {
                out.leaves.push(c.clone());
            }
            // The signature timestamp's TSA (RFC 3161 token in an unsigned attribute).
            if let Some(tok) = cms_check::unsigned_attr(si, &oids::ID_AA_TIME_STAMP_TOKEN) {
                let der = tok.to_der().map_err(|e| unreadable(e.to_string()))?;
                let (at, certs, tsa) = token_parts(&der).map_err(unreadable)?;
                if let Some(c) = tsa {
                    out.leaves.push(c.clone());
                    out.timestamps.push((at, c));
                }
                out.pool.extend(certs);
            }
        }
        out.pool.extend(embedded);
    }
    Ok(out)
}

/// Gathers the validation data of `input`'s signatures and appends it as a DSS revision
/// (nothing is appended when the file holds it all). Returns the items added.
fn append_dss(
    input: &Path,
    output: &Path,
    level: Level,
    src: &Sources,
) -> Result<(usize, Option<(String, u64)>), LtvError> {
    let file = input.display().to_string();
    let sigs = file_signatures(input)?;
    let g = collect::gather(&sigs.leaves, &sigs.pool, &sigs.dss, src);
    if !g.revoked.is_empty() {
        return Err(LtvError::Revoked {
            file,
            level,
            what: g.revoked,
        });
    }
    if !g.gaps.is_empty() {
        return Err(LtvError::Incomplete {
            file,
            level,
            gaps: g.gaps,
        });
    }
    let mut pdf: PdfFile<_> = open_for_update(input)?;
    let rev = dss::build(&mut pdf, &g.material).map_err(|source| LtvError::Pdf {
        file: file.clone(),
        source,
    })?;
    match rev {
        Some(r) => {
            let done = append::append_plain(input, output, pdf, &r.bytes)?;
            Ok((r.added, Some(done)))
        }
        None => Ok((0, None)),
    }
}

/// Makes `input` (already signed, normally B-T) B-LT or B-LTA as `output` (may equal `input`;
/// each revision is published atomically).
pub fn add(
    input: &Path,
    output: &Path,
    level: Level,
    req: &LtvRequest,
) -> Result<LtvOutcome, LtvError> {
    if !matches!(level, Level::BLt | Level::BLta) {
        return Err(LtvError::NotLongTerm { level });
    }
    let archive = match (level, req.archive_tsa) {
        (Level::BLta, None) => return Err(LtvError::NoArchiveTsa { level }),
        (_, a) => a,
    };
    let (mut items, mut last) = append_dss(input, output, level, &req.sources)?;
    let mut at = if last.is_some() { output } else { input };
    let mut doc_timestamp = None;
    if let (Level::BLta, Some(tsa)) = (level, archive) {
        let fields = SigFields {
            kind: SigKind::DocTimeStamp,
            field_name: None,
            signer_name: None,
            reason: None,
            location: None,
            contact_info: None,
            time: std::time::UNIX_EPOCH + req.sources.at,
            utc_offset_minutes: 0,
            contents_size: DOC_TIMESTAMP_SIZE,
            stamp: None,
            known_images: Vec::new(),
        };
        let alg = tsa.imprint_alg();
        let done = append::append_signed(at, output, &fields, alg, &mut |digest| {
            Ok(tsa.timestamp(alg, digest, req.nonce)?)
        })?;
        doc_timestamp = Some(done.field_name);
        last = Some((done.sha256, done.output_bytes));
        at = output;
        // The document timestamp's own TSA chain and revocation data.
        let (more, written) = append_dss(at, output, level, &req.sources)?;
        items += more;
        if written.is_some() {
            last = written;
        }
    }
    let (sha256, output_bytes) = match last {
        Some(l) => l,
        None => {
            // Nothing to add: the input already holds it all; the output is a copy.
            if input != output {
                std::fs::copy(input, output).map_err(super::pades::io(output))?;
            }
            let bytes = std::fs::read(output).map_err(super::pades::io(output))?;
            (
                hex::encode(crate::pki::digest::DigestAlg::Sha256.digest(&bytes)),
                bytes.len() as u64,
            )
        }
    };
    Ok(LtvOutcome {
        output: output.to_path_buf(),
        level,
        dss_items: items,
        doc_timestamp,
        output_bytes,
        sha256,
    })
}

#[cfg(test)]
mod tests;
