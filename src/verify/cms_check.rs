//! CMS SignedData checks (RFC 5652 §5.4 message digest, §5.6 signature verification) shared by
//! document signatures and RFC 3161 time-stamp tokens. Pure: bytes and a digest callback in,
//! facts out.

use std::time::Duration;

use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use der::asn1::OctetString;
use der::{Any, Decode, Encode, Header, Reader, SliceReader, Tag, TagNumber};
use x509_cert::ext::pkix::SubjectKeyIdentifier;
use x509_cert::Certificate;

use crate::pki::digest::DigestAlg;
use crate::pki::ess::{self, EssBinding};
use crate::pki::{oids, sigalg};

/// A decoded SignedData and where it came from.
pub struct ParsedCms {
    pub signed_data: SignedData,
    /// The DER of the first ContentInfo in the input (trailing padding stripped; converted
    /// from BER when the input was BER).
    pub der: Vec<u8>,
    /// Bytes after the ContentInfo that are not zero padding.
    pub trailing_garbage: bool,
    /// The input was BER (indefinite lengths or chunked strings), not DER.
    pub ber: bool,
}

/// Why a signature value is not a usable CMS SignedData.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CmsError {
    #[error("not a CMS ContentInfo in DER ({der}) nor in BER ({ber})")]
    NotCms { der: String, ber: String },
    #[error("CMS content type is {0}, not signedData")]
    NotSignedData(String),
    #[error("malformed SignedData: {0}")]
    Malformed(String),
}

/// Decodes the first ContentInfo of `bytes` (PDF /Contents are zero-padded) as SignedData:
/// DER first, else BER converted to DER (RFC 5652 allows BER; §5.4 signs the DER of the
/// signed attributes, which the conversion yields).
pub fn parse_signed_data(bytes: &[u8]) -> Result<ParsedCms, CmsError> {
    let (ci, der, used, ber) = match decode_der(bytes) {
        Ok((ci, used)) => (
            ci,
            bytes.get(..used).unwrap_or_default().to_vec(),
            used,
            false,
        ),
        Err(der_err) => {
            let (der, used) = crate::pki::ber::to_der(bytes).map_err(|e| CmsError::NotCms {
                der: der_err.to_string(),
                ber: e.to_string(),
            })?;
            let (ci, _) = decode_der(&der).map_err(|e| CmsError::NotCms {
                der: der_err.to_string(),
                ber: e.to_string(),
            })?;
            (ci, der, used, true)
        }
    };
    let rest = bytes.get(used..).unwrap_or_default();
    let trailing_garbage = rest.iter().any(|&b| b != 0);
    if ci.content_type != oids::ID_SIGNED_DATA {
        return Err(CmsError::NotSignedData(ci.content_type.to_string()));
    }
    let signed_data: SignedData = ci
        .content
        .decode_as()
        .map_err(|e| CmsError::Malformed(e.to_string()))?;
    Ok(ParsedCms {
        signed_data,
        der,
        trailing_garbage,
        ber,
    })
}

fn decode_der(bytes: &[u8]) -> Result<(ContentInfo, usize), der::Error> {
    let mut reader = SliceReader::new(bytes)?;
    let ci = ContentInfo::decode(&mut reader)?;
    Ok((ci, u32::from(reader.position()) as usize))
}

/// The certificates a SignedData carries.
pub fn embedded_certs(sd: &SignedData) -> Vec<Certificate> {
    sd.certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|c| match c {
            CertificateChoices::Certificate(c) => Some(c.clone()),
            _ => None,
        })
        .collect()
}

/// The original bytes of signer info `index`'s signed attributes, re-tagged as SET OF
/// (RFC 5652 §5.4: the signature covers "the DER encoding of the SignedAttrs value" with an
/// EXPLICIT SET OF tag). Taken from the input, not re-encoded, so a signer that did not sort
/// its attributes still verifies as it signed.
fn raw_signed_attrs(cms_der: &[u8], index: usize) -> Option<Vec<u8>> {
    let mut r = SliceReader::new(cms_der).ok()?;
    Header::decode(&mut r).ok()?; // ContentInfo SEQUENCE
    Any::decode(&mut r).ok()?; // contentType
    Header::decode(&mut r).ok()?; // [0] EXPLICIT
    Header::decode(&mut r).ok()?; // SignedData SEQUENCE
    Any::decode(&mut r).ok()?; // version
    Any::decode(&mut r).ok()?; // digestAlgorithms
    Any::decode(&mut r).ok()?; // encapContentInfo
    while matches!(r.peek_tag().ok()?, Tag::ContextSpecific { .. }) {
        Any::decode(&mut r).ok()?; // [0] certificates, [1] crls
    }
    Header::decode(&mut r).ok()?; // signerInfos SET
    for _ in 0..index {
        Any::decode(&mut r).ok()?;
    }
    Header::decode(&mut r).ok()?; // SignerInfo SEQUENCE
    Any::decode(&mut r).ok()?; // version
    Any::decode(&mut r).ok()?; // sid
    Any::decode(&mut r).ok()?; // digestAlgorithm
    match r.peek_tag().ok()? {
        Tag::ContextSpecific {
            number: TagNumber::N0,
            constructed: true,
        } => {
            let attrs = Any::decode(&mut r).ok()?;
            Any::new(Tag::Set, attrs.value()).ok()?.to_der().ok()
        }
        _ => None,
    }
}

fn signed_attr<'a>(si: &'a SignerInfo, oid: &der::oid::ObjectIdentifier) -> Option<&'a Any> {
    si.signed_attrs
        .as_ref()?
        .iter()
        .find(|a| &a.oid == oid)
        .and_then(|a| a.values.iter().next())
}

/// An unsigned attribute's first value.
pub fn unsigned_attr<'a>(si: &'a SignerInfo, oid: &der::oid::ObjectIdentifier) -> Option<&'a Any> {
    si.unsigned_attrs
        .as_ref()?
        .iter()
        .find(|a| &a.oid == oid)
        .and_then(|a| a.values.iter().next())
}

pub fn find_signer_cert<'a>(
    sid: &SignerIdentifier,
    pool: &'a [Certificate],
) -> Option<&'a Certificate> {
    match sid {
        SignerIdentifier::IssuerAndSerialNumber(ias) => pool.iter().find(|c| {
            c.tbs_certificate.issuer == ias.issuer
                && c.tbs_certificate.serial_number == ias.serial_number
        }),
        SignerIdentifier::SubjectKeyIdentifier(ski) => pool.iter().find(|c| {
            matches!(c.tbs_certificate.get::<SubjectKeyIdentifier>(), Ok(Some((_, s))) if s == *ski)
        }),
    }
}

/// What the checks of one SignerInfo found.
#[derive(Clone, Debug)]
pub struct SignerCheck {
    pub signer_cert: Option<Certificate>,
    pub digest_alg: Option<DigestAlg>,
    /// The message-digest attribute (or, without signed attributes, the signature itself)
    /// matches the digest of the content.
    pub intact: bool,
    /// The signature over the signed attributes verifies with the signer's key.
    pub signature_valid: bool,
    pub has_signed_attrs: bool,
    /// signing-time attribute (RFC 5652 §11.3), if present.
    pub signing_time_attr: Option<Duration>,
    pub ess: EssBinding,
    /// The content-type attribute equals eContentType (RFC 5652 §11.1).
    pub content_type_ok: bool,
    pub signature_value: Vec<u8>,
    /// "ECDSA P-384 with SHA-384", "RSA-2048 PKCS#1 v1.5 with SHA-256", …
    pub signature_algorithm: Option<String>,
    /// Why that algorithm is weak today (SHA-1, a short RSA key), if it is.
    pub weakness: Option<String>,
    pub problems: Vec<String>,
}

/// Checks signer info 0 of `parsed`. `content_digest(alg)` returns the digest of the signed
/// content (the PDF byte ranges, or the eContent of a time-stamp token). `extra_certs` are
/// searched for the signer certificate when the CMS does not embed it.
pub fn check_signer<E: std::fmt::Display>(
    parsed: &ParsedCms,
    extra_certs: &[Certificate],
    mut content_digest: impl FnMut(DigestAlg) -> Result<Vec<u8>, E>,
) -> Result<SignerCheck, E> {
    let sd = &parsed.signed_data;
    let mut problems = Vec::new();
    let mut out = SignerCheck {
        signer_cert: None,
        digest_alg: None,
        intact: false,
        signature_valid: false,
        has_signed_attrs: false,
        signing_time_attr: None,
        ess: EssBinding::Absent,
        content_type_ok: false,
        signature_value: Vec::new(),
        signature_algorithm: None,
        weakness: None,
        problems: Vec::new(),
    };
    let Some(si) = sd.signer_infos.0.iter().next() else {
        out.problems.push("the CMS has no SignerInfo".into());
        return Ok(out);
    };
    if sd.signer_infos.0.len() > 1 {
        problems.push(format!(
            "the CMS has {} SignerInfos; only the first is checked",
            sd.signer_infos.0.len()
        ));
    }
    out.signature_value = si.signature.as_bytes().to_vec();

    let mut pool = embedded_certs(sd);
    pool.extend(extra_certs.iter().cloned());
    let cert = find_signer_cert(&si.sid, &pool).cloned();
    if cert.is_none() {
        problems.push("the signer's certificate is neither embedded nor configured".into());
    }

    let Some(alg) = DigestAlg::from_oid(&si.digest_alg.oid) else {
        problems.push(format!(
            "digest algorithm {} is not supported",
            si.digest_alg.oid
        ));
        out.problems = problems;
        out.signer_cert = cert;
        return Ok(out);
    };
    out.digest_alg = Some(alg);
    if let Some(cert) = &cert {
        let spki = &cert.tbs_certificate.subject_public_key_info;
        match sigalg::scheme(spki, &si.signature_algorithm, Some(alg)) {
            Ok(scheme) => {
                out.signature_algorithm = Some(sigalg::describe(spki, scheme));
                out.weakness = sigalg::weakness(spki, scheme).or_else(|| {
                    (alg == DigestAlg::Sha1).then(|| "SHA-1 for the message digest".to_string())
                });
            }
            Err(_) => out.signature_algorithm = Some(si.signature_algorithm.oid.to_string()),
        }
    }
    let digest = content_digest(alg)?;

    match &si.signed_attrs {
        Some(_) => {
            out.has_signed_attrs = true;
            let md = signed_attr(si, &oids::ID_MESSAGE_DIGEST)
                .and_then(|a| a.decode_as::<OctetString>().ok());
            match md {
                Some(md) => out.intact = md.as_bytes() == digest.as_slice(),
                None => problems.push("the message-digest signed attribute is missing".into()),
            }
            let ct = signed_attr(si, &oids::ID_CONTENT_TYPE)
                .and_then(|a| a.decode_as::<der::oid::ObjectIdentifier>().ok());
            out.content_type_ok = ct == Some(sd.encap_content_info.econtent_type);
            if !out.content_type_ok {
                problems.push("the content-type signed attribute is missing or wrong".into());
            }
            out.signing_time_attr = signed_attr(si, &oids::ID_SIGNING_TIME)
                .and_then(|a| a.to_der().ok())
                .and_then(|d| x509_cert::time::Time::from_der(&d).ok())
                .map(|t| t.to_unix_duration());
            if let Some(cert) = &cert {
                let v2 = signed_attr(si, &oids::ID_AA_SIGNING_CERTIFICATE_V2)
                    .and_then(|a| a.to_der().ok());
                let v1 =
                    signed_attr(si, &oids::ID_AA_SIGNING_CERTIFICATE).and_then(|a| a.to_der().ok());
                out.ess = ess::check_binding(v2.as_deref(), v1.as_deref(), cert);
                if out.ess == EssBinding::Mismatch {
                    problems.push(
                        "the signing-certificate attribute names another certificate than the one that signed"
                            .into(),
                    );
                }
            }
            let to_verify = raw_signed_attrs(&parsed.der, 0)
                .or_else(|| si.signed_attrs.as_ref().and_then(|a| a.to_der().ok()));
            if let (Some(cert), Some(msg)) = (&cert, to_verify) {
                match sigalg::verify(
                    &cert.tbs_certificate.subject_public_key_info,
                    &si.signature_algorithm,
                    Some(alg),
                    &msg,
                    si.signature.as_bytes(),
                ) {
                    Ok(ok) => out.signature_valid = ok,
                    Err(e) => problems.push(e.to_string()),
                }
            }
        }
        None => {
            // RFC 5652 §5.4: without signed attributes the signature is over the content digest.
            out.content_type_ok = true;
            if let Some(cert) = &cert {
                let spki = &cert.tbs_certificate.subject_public_key_info;
                match sigalg::scheme(spki, &si.signature_algorithm, Some(alg)).and_then(|s| {
                    sigalg::verify_prehashed(spki, s, &digest, si.signature.as_bytes())
                }) {
                    Ok(ok) => {
                        out.signature_valid = ok;
                        out.intact = ok;
                    }
                    Err(e) => problems.push(e.to_string()),
                }
            }
        }
    }
    if cert.is_some() && !out.signature_valid && problems.is_empty() {
        problems.push("the CMS signature does not verify with the signer's public key".into());
    }
    out.signer_cert = cert;
    out.problems = problems;
    Ok(out)
}
