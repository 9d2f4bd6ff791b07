//! PAdES signing of a PDF file (ETSI EN 319 142-1 §5, ISO 32000-1 §12.8): appends one
//! incremental revision with a signature field, streams the ByteRange digest while copying the
//! input, embeds the CMS, and publishes the output atomically (no partial file on error).

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::appearance::KnownImage;
use super::append;
use super::cms::{self, CmsError, CmsProfile};
use super::ltv::{self, LtvError, LtvRequest};
use super::signer::Signer;
use super::tsa::{TimestampAuthority, TsaError};
use super::update::{self, SigKind, UpdateError};
use super::{Level, SubFilter};
use crate::pdf::PdfError;
use crate::pki::chain::unix;
use crate::pki::names::{display_name, CN};

/// What to sign with and how.
pub struct SignRequest<'a> {
    pub signer: &'a dyn Signer,
    /// RFC 3161 TSA for PAdES B-T; `None` for B-B.
    pub tsa: Option<&'a dyn TimestampAuthority>,
    pub sub_filter: SubFilter,
    /// Signature field name; a free `SignatureN` when absent.
    pub field_name: Option<String>,
    pub reason: Option<String>,
    pub location: Option<String>,
    pub contact_info: Option<String>,
    /// Bytes reserved for the DER CMS.
    pub contents_size: usize,
    /// The clock: claimed signing time (/M) and the certificate validity check.
    pub time: SystemTime,
    pub utc_offset_minutes: i32,
    /// Randomness: the RFC 3161 request nonce.
    pub nonce: u64,
    /// PAdES B-LT (and B-LTA when it names an archive TSA): the long-term revisions appended
    /// after the signature. Needs `tsa` (B-LT builds on B-T).
    pub ltv: Option<LtvRequest<'a>>,
    /// A visible signature: the stamp's template (None: invisible).
    pub stamp: Option<super::appearance::StampTemplate>,
}

impl SignRequest<'_> {
    /// The PAdES level this request makes.
    pub fn level(&self) -> Level {
        match (&self.ltv, self.tsa.is_some()) {
            (Some(l), _) if l.archive_tsa.is_some() => Level::BLta,
            (Some(_), _) => Level::BLt,
            (None, true) => Level::BT,
            (None, false) => Level::BB,
        }
    }
}

/// What was written.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SignOutcome {
    pub output: PathBuf,
    pub field_name: String,
    pub signer: String,
    pub sub_filter: &'static str,
    pub timestamped: bool,
    /// The PAdES level made (B-B, B-T, B-LT, B-LTA).
    pub level: Level,
    pub cms_bytes: usize,
    pub output_bytes: u64,
    /// SHA-256 of the signed file, hex.
    pub sha256: String,
    /// Where a visible signature's stamp went (None: invisible).
    pub appearance: Option<super::appearance::Placed>,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    #[error("{file}: {source}")]
    Pdf { file: String, source: PdfError },
    #[error("{file}: the PDF is encrypted; sohoa signs only unencrypted PDFs (decrypt it with qpdf --decrypt first)")]
    Encrypted { file: String },
    #[error("{file}: the PDF's cross-reference table is damaged; repair it first (qpdf in.pdf out.pdf), then sign the repaired file")]
    Damaged { file: String },
    #[error("{file}: {source}")]
    Update { file: String, source: UpdateError },
    #[error("the signer certificate \"{subject}\" {why}")]
    CertificateNotUsable { subject: String, why: String },
    #[error("{0}")]
    Cms(#[from] CmsError),
    #[error("document timestamp: {0}")]
    Timestamp(#[from] TsaError),
    #[error("{0}")]
    LongTerm(Box<LtvError>),
    #[error("{0}")]
    Appearance(#[from] super::appearance::AppearanceError),
    #[error("B-LT and B-LTA build on B-T: the signer profile names no TSA (tsa_url)")]
    LongTermWithoutTsa,
    #[error("the signature needs {needed} bytes but {reserved} are reserved; raise [sign] contents_size")]
    ContentsTooSmall { needed: usize, reserved: usize },
    #[error("{file}: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
}

pub(super) fn io(file: &Path) -> impl Fn(std::io::Error) -> SignError + '_ {
    move |source| SignError::Io {
        file: file.display().to_string(),
        source,
    }
}

/// Refuses certificates that are expired, not yet valid, or not meant for signing.
fn check_signer_certificate(signer: &dyn Signer, time: SystemTime) -> Result<(), SignError> {
    use x509_cert::ext::pkix::KeyUsage;
    let cert = signer.certificate();
    let tbs = &cert.tbs_certificate;
    let subject = crate::pki::names::find_attr(&tbs.subject, &CN)
        .unwrap_or_else(|| display_name(&tbs.subject));
    let now = unix(time);
    let (nb, na) = (
        tbs.validity.not_before.to_unix_duration(),
        tbs.validity.not_after.to_unix_duration(),
    );
    let fail = |why: String| SignError::CertificateNotUsable {
        subject: subject.clone(),
        why,
    };
    if now > na {
        return Err(fail(format!("expired at {}", crate::time::rfc3339(na))));
    }
    if now < nb {
        return Err(fail(format!(
            "is not valid before {}",
            crate::time::rfc3339(nb)
        )));
    }
    match tbs.get::<KeyUsage>() {
        Ok(Some((_, ku))) if !(ku.digital_signature() || ku.non_repudiation()) => Err(fail(
            "may not sign documents (keyUsage has neither digitalSignature nor nonRepudiation)"
                .into(),
        )),
        Err(e) => Err(fail(format!("has a malformed keyUsage: {e}"))),
        _ => Ok(()),
    }
}

/// Signs `input` into `output`, refusing a certificate that is expired, not yet valid or not
/// meant for signing.
pub fn sign_file(input: &Path, output: &Path, req: &SignRequest) -> Result<SignOutcome, SignError> {
    sign_file_known(input, output, req, &[])
}

/// [`sign_file`] for a PDF whose page images this process has just written: a visible stamp is
/// placed without decoding `known` images again (the ingest pipeline, which holds the scans).
pub fn sign_file_known(
    input: &Path,
    output: &Path,
    req: &SignRequest,
    known: &[KnownImage],
) -> Result<SignOutcome, SignError> {
    check_signer_certificate(req.signer, req.time)?;
    if req.ltv.is_some() && req.tsa.is_none() {
        return Err(SignError::LongTermWithoutTsa);
    }
    let Some(l) = &req.ltv else {
        return sign_unchecked(input, output, req, known);
    };
    // Every revision into a temporary file beside the output, published once complete: a
    // failure at the long-term step leaves no B-T file where a B-LT one was asked for.
    let dir = output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = tempfile::Builder::new()
        .prefix(".sohoa-ltv-")
        .suffix(".pdf.tmp")
        .tempfile_in(dir)
        .map_err(io(dir))?
        .into_temp_path();
    let mut out = sign_unchecked(input, &tmp, req, known)?;
    let done =
        ltv::add(&tmp, &tmp, req.level(), l).map_err(|e| SignError::LongTerm(Box::new(e)))?;
    tmp.persist(output).map_err(|e| io(output)(e.error))?;
    out.output = output.to_path_buf();
    out.level = done.level;
    out.output_bytes = done.output_bytes;
    out.sha256 = done.sha256;
    Ok(out)
}

/// [`sign_file`] without the certificate checks: for building negative test fixtures (a
/// signature by an expired or non-signing certificate) and nothing else.
pub fn sign_file_unchecked(
    input: &Path,
    output: &Path,
    req: &SignRequest,
) -> Result<SignOutcome, SignError> {
    sign_unchecked(input, output, req, &[])
}

fn sign_unchecked(
    input: &Path,
    output: &Path,
    req: &SignRequest,
    known: &[KnownImage],
) -> Result<SignOutcome, SignError> {
    let subject = &req.signer.certificate().tbs_certificate.subject;
    let signer_name = crate::pki::names::find_attr(subject, &CN);
    let stamp = match &req.stamp {
        Some(t) => Some(t.fill(&stamp_values(req, signer_name.as_deref())?)?),
        None => None,
    };
    let fields = update::SigFields {
        kind: SigKind::Signature(req.sub_filter),
        field_name: req.field_name.clone(),
        signer_name,
        stamp,
        reason: req.reason.clone(),
        location: req.location.clone(),
        contact_info: req.contact_info.clone(),
        time: req.time,
        utc_offset_minutes: req.utc_offset_minutes,
        contents_size: req.contents_size,
        known_images: known.to_vec(),
    };
    // The CMS (with its timestamp) over the ByteRange digest.
    let profile = match req.sub_filter {
        SubFilter::CadesDetached => CmsProfile::Cades,
        _ => CmsProfile::Pkcs7,
    };
    let done = append::append_signed(
        input,
        output,
        &fields,
        req.signer.digest_alg(),
        &mut |digest| {
            Ok(cms::build_signed_data(
                req.signer,
                digest,
                profile,
                req.tsa.map(|t| (t, req.nonce)),
            )?)
        },
    )?;
    Ok(SignOutcome {
        output: output.to_path_buf(),
        field_name: done.field_name,
        signer: display_name(&req.signer.certificate().tbs_certificate.subject),
        sub_filter: req.sub_filter.pdf_name(),
        timestamped: req.tsa.is_some(),
        level: if req.tsa.is_some() {
            Level::BT
        } else {
            Level::BB
        },
        cms_bytes: done.contents_bytes,
        output_bytes: done.output_bytes,
        sha256: done.sha256,
        appearance: done.placed,
    })
}

/// The values a stamp's lines may name, from the signature being made.
fn stamp_values(
    req: &SignRequest,
    name: Option<&str>,
) -> Result<Vec<(&'static str, String)>, SignError> {
    use crate::pki::names::{find_attr, O};
    let subject = &req.signer.certificate().tbs_certificate.subject;
    let name = name
        .map(str::to_string)
        .unwrap_or_else(|| display_name(subject));
    let org = find_attr(subject, &O).unwrap_or_else(|| name.clone());
    let time =
        crate::time::xmp_date(req.time, req.utc_offset_minutes).map_err(|e| SignError::Update {
            file: "the stamp".into(),
            source: UpdateError::Time(e),
        })?;
    let day = crate::time::local_date(req.time, req.utc_offset_minutes);
    let date = match (day.get(0..4), day.get(5..7), day.get(8..10)) {
        (Some(y), Some(m), Some(d)) => format!("{d}/{m}/{y}"),
        _ => day.clone(),
    };
    Ok(vec![
        ("name", name),
        ("org", org),
        ("time", time),
        ("date", date),
        ("reason", req.reason.clone().unwrap_or_default()),
        ("location", req.location.clone().unwrap_or_default()),
    ])
}
