//! PAdES signing of a PDF file (ETSI EN 319 142-1 §5, ISO 32000-1 §12.8): appends one
//! incremental revision with a signature field, streams the ByteRange digest while copying the
//! input, embeds the CMS, and publishes the output atomically (no partial file on error).

use std::fs::File;
use std::io::{BufReader, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::cms::{self, CmsError, CmsProfile};
use super::signer::Signer;
use super::tsa::TimestampAuthority;
use super::update::{self, Placeholder, UpdateError};
use super::SubFilter;
use crate::pdf::{Limits, PdfError, PdfFile};
use crate::pki::chain::unix;
use crate::pki::digest::DigestAlg;
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
}

/// What was written.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SignOutcome {
    pub output: PathBuf,
    pub field_name: String,
    pub signer: String,
    pub sub_filter: &'static str,
    pub timestamped: bool,
    pub cms_bytes: usize,
    pub output_bytes: u64,
    /// SHA-256 of the signed file, hex.
    pub sha256: String,
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
    #[error("the signature needs {needed} bytes but {reserved} are reserved; raise [sign] contents_size")]
    ContentsTooSmall { needed: usize, reserved: usize },
    #[error("{file}: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
}

fn io(file: &Path) -> impl Fn(std::io::Error) -> SignError + '_ {
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
    check_signer_certificate(req.signer, req.time)?;
    sign_file_unchecked(input, output, req)
}

/// [`sign_file`] without the certificate checks: for building negative test fixtures (a
/// signature by an expired or non-signing certificate) and nothing else.
pub fn sign_file_unchecked(
    input: &Path,
    output: &Path,
    req: &SignRequest,
) -> Result<SignOutcome, SignError> {
    let file_name = input.display().to_string();
    let pdf_err = |source| SignError::Pdf {
        file: file_name.clone(),
        source,
    };

    // 1. Read the structure we need from the newest revision (lazily: no stream is loaded).
    let src = File::open(input).map_err(io(input))?;
    let mut pdf = PdfFile::open(BufReader::new(src), Limits::default()).map_err(pdf_err)?;
    if pdf.is_encrypted() {
        return Err(SignError::Encrypted { file: file_name });
    }
    if pdf.repaired() {
        return Err(SignError::Damaged { file: file_name });
    }
    let input_len = pdf.len();

    // 2. Build the appended revision with placeholders.
    let fields = update::SigFields {
        sub_filter: req.sub_filter,
        field_name: req.field_name.clone(),
        signer_name: crate::pki::names::find_attr(
            &req.signer.certificate().tbs_certificate.subject,
            &CN,
        ),
        reason: req.reason.clone(),
        location: req.location.clone(),
        contact_info: req.contact_info.clone(),
        time: req.time,
        utc_offset_minutes: req.utc_offset_minutes,
        contents_size: req.contents_size,
    };
    let built = update::build(&mut pdf, &fields).map_err(|source| SignError::Update {
        file: file_name.clone(),
        source,
    })?;
    let mut appended = built.bytes;
    let Placeholder {
        byte_range_at,
        byte_range_len,
        contents_at,
        contents_len,
    } = built.placeholder;

    // 3. Fix the ByteRange now: every offset is known before a byte is written.
    let base = input_len;
    let contents_start = base + contents_at as u64;
    let contents_end = contents_start + contents_len as u64;
    let total = base + appended.len() as u64;
    let ranges = [0, contents_start, contents_end, total - contents_end];
    update::patch_byte_range(&mut appended, byte_range_at, byte_range_len, ranges).map_err(
        |source| SignError::Update {
            file: file_name.clone(),
            source,
        },
    )?;

    // 4. Copy the input to a temporary file beside the output, digesting as we go.
    let out_dir = output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".sohoa-sign-")
        .suffix(".pdf.tmp")
        .tempfile_in(out_dir)
        .map_err(io(out_dir))?;
    let digest_alg = req.signer.digest_alg();
    // One pass: `hasher` digests everything up to /Contents. The ByteRange digest and the file's
    // own SHA-256 (for the store) share that prefix; when the signature digest is SHA-256 too
    // (the usual case) the prefix state is cloned instead of hashing the file twice.
    let mut hasher = digest_alg.hasher();
    let mut file_sha = (digest_alg != DigestAlg::Sha256).then(|| DigestAlg::Sha256.hasher());
    let mut src = pdf.into_inner();
    src.rewind().map_err(io(input))?;
    let mut buf = vec![0u8; 1 << 16];
    let mut copied = 0u64;
    while copied < input_len {
        let want = buf.len().min((input_len - copied) as usize);
        let n = src.read(&mut buf[..want]).map_err(io(input))?;
        if n == 0 {
            return Err(io(input)(std::io::ErrorKind::UnexpectedEof.into()));
        }
        hasher.update(&buf[..n]);
        if let Some(f) = file_sha.as_mut() {
            f.update(&buf[..n]);
        }
        tmp.write_all(&buf[..n]).map_err(io(output))?;
        copied += n as u64;
    }
    hasher.update(&appended[..contents_at]);
    let mut file_sha = match file_sha {
        Some(mut f) => {
            f.update(&appended[..contents_at]);
            f
        }
        None => hasher.clone(),
    };
    hasher.update(&appended[contents_at + contents_len..]);
    let document_digest = hasher.finalize();

    // 5. The CMS (with its timestamp), into the reserved hole.
    let profile = match req.sub_filter {
        SubFilter::CadesDetached => CmsProfile::Cades,
        _ => CmsProfile::Pkcs7,
    };
    let cms_der = cms::build_signed_data(
        req.signer,
        &document_digest,
        profile,
        req.tsa.map(|t| (t, req.nonce)),
    )?;
    let hex_room = contents_len - 2;
    if cms_der.len() * 2 > hex_room {
        return Err(SignError::ContentsTooSmall {
            needed: cms_der.len(),
            reserved: hex_room / 2,
        });
    }
    let hex = hex::encode_upper(&cms_der);
    appended[contents_at + 1..contents_at + 1 + hex.len()].copy_from_slice(hex.as_bytes());

    tmp.write_all(&appended).map_err(io(output))?;
    tmp.as_file().sync_all().map_err(io(output))?;

    file_sha.update(&appended[contents_at..]);
    let sha256 = hex::encode(file_sha.finalize());
    tmp.persist(output).map_err(|e| io(output)(e.error))?;

    Ok(SignOutcome {
        output: output.to_path_buf(),
        field_name: built.field_name,
        signer: display_name(&req.signer.certificate().tbs_certificate.subject),
        sub_filter: req.sub_filter.pdf_name(),
        timestamped: req.tsa.is_some(),
        cms_bytes: cms_der.len(),
        output_bytes: total,
        sha256,
    })
}
