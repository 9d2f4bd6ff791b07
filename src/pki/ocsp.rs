//! OCSP (RFC 6960): the request for one certificate (§4.1) and the checks a relying party makes
//! on a response (§3.2, §4.2): successful, a basic response, a SingleResponse for exactly this
//! certificate (CertID by issuer name and key hash, serial), signed by the issuing CA or by a
//! responder the CA authorised (id-kp-OCSPSigning, §4.2.2.2). Pure: bytes and certificates in,
//! a finding out; `sohoa verify --online` sends the request (`pki::fetch`).

use std::time::Duration;

use der::asn1::{Null, OctetString};
use der::{Decode, Encode};
use x509_cert::ext::pkix::ExtendedKeyUsage;
use x509_cert::Certificate;
use x509_ocsp::{
    BasicOcspResponse, CertId, CertStatus, OcspRequest, OcspResponse, OcspResponseStatus, Request,
    ResponderId, TbsRequest,
};

use super::digest::DigestAlg;
use super::names::display_name;
use super::{oids, sigalg};
use crate::time::rfc3339;

/// Largest OCSP response read (embedded or fetched).
pub const MAX_RESPONSE: usize = 1 << 20;

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OcspError {
    #[error("not an OCSP response: {0}")]
    Malformed(String),
    #[error("the responder answered {0:?}, not successful")]
    NotSuccessful(OcspResponseStatus),
    #[error("the response is not a basic OCSP response ({0})")]
    NotBasic(String),
    #[error("the response does not speak of this certificate")]
    NoMatch,
    #[error("the response's signature does not verify with {0}")]
    BadSignature(String),
    #[error("the response is signed by \"{0}\", which the certificate's issuer did not authorise (RFC 6960 §4.2.2.2)")]
    NotAuthorised(String),
    #[error("the response is larger than {MAX_RESPONSE} bytes")]
    TooLarge,
    #[error("could not encode: {0}")]
    Encoding(String),
}

/// What a response says of the certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OcspStatus {
    Good,
    Revoked {
        at: Duration,
        reason: String,
    },
    /// The responder does not know the certificate.
    Unknown,
}

/// A checked response for one certificate.
#[derive(Clone, Debug)]
pub struct OcspFinding {
    pub status: OcspStatus,
    /// Who signed the response (the CA or its delegated responder).
    pub responder: String,
    pub produced_at: Duration,
    pub this_update: Duration,
    pub next_update: Option<Duration>,
}

fn hash_of(alg: DigestAlg, data: &[u8]) -> Vec<u8> {
    alg.digest(data)
}

/// The CertID of `cert` issued by `issuer` with `alg` (RFC 6960 §4.1.1: hashes of the issuer's
/// DER name and of its public key's BIT STRING value).
pub fn cert_id(
    cert: &Certificate,
    issuer: &Certificate,
    alg: DigestAlg,
) -> Result<CertId, OcspError> {
    let enc = |e: der::Error| OcspError::Encoding(e.to_string());
    let name = issuer.tbs_certificate.subject.to_der().map_err(enc)?;
    let key = issuer
        .tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .raw_bytes();
    Ok(CertId {
        hash_algorithm: spki::AlgorithmIdentifierOwned {
            oid: alg.oid(),
            parameters: Some(Null.into()),
        },
        issuer_name_hash: OctetString::new(hash_of(alg, &name)).map_err(enc)?,
        issuer_key_hash: OctetString::new(hash_of(alg, key)).map_err(enc)?,
        serial_number: cert.tbs_certificate.serial_number.clone(),
    })
}

/// The DER OCSPRequest for `cert` (SHA-1 CertID, as every responder accepts; unsigned, no
/// nonce: responses are checked for the certificate and freshness instead, as VGCA's responders
/// pre-produce them).
pub fn request_der(cert: &Certificate, issuer: &Certificate) -> Result<Vec<u8>, OcspError> {
    let req = OcspRequest {
        tbs_request: TbsRequest {
            version: Default::default(),
            requestor_name: None,
            request_list: vec![Request {
                req_cert: cert_id(cert, issuer, DigestAlg::Sha1)?,
                single_request_extensions: None,
            }],
            request_extensions: None,
        },
        optional_signature: None,
    };
    req.to_der().map_err(|e| OcspError::Encoding(e.to_string()))
}

fn matches(id: &CertId, cert: &Certificate, issuer: &Certificate) -> bool {
    let Some(alg) = DigestAlg::from_oid(&id.hash_algorithm.oid) else {
        return false;
    };
    match cert_id(cert, issuer, alg) {
        Ok(ours) => {
            ours.issuer_name_hash == id.issuer_name_hash
                && ours.issuer_key_hash == id.issuer_key_hash
                && ours.serial_number == id.serial_number
        }
        Err(_) => false,
    }
}

fn responder_is(id: &ResponderId, c: &Certificate) -> bool {
    match id {
        ResponderId::ByName(n) => &c.tbs_certificate.subject == n,
        ResponderId::ByKey(k) => {
            let key = c
                .tbs_certificate
                .subject_public_key_info
                .subject_public_key
                .raw_bytes();
            k.as_bytes() == DigestAlg::Sha1.digest(key).as_slice()
        }
    }
}

fn signed_by(
    tbs: &[u8],
    sig_alg: &spki::AlgorithmIdentifierOwned,
    sig: &[u8],
    c: &Certificate,
) -> bool {
    sigalg::verify(
        &c.tbs_certificate.subject_public_key_info,
        sig_alg,
        None,
        tbs,
        sig,
    )
    .unwrap_or(false)
}

/// Checks a DER OCSPResponse about `cert`, whose issuer is `issuer`.
pub fn check_response(
    der: &[u8],
    cert: &Certificate,
    issuer: &Certificate,
) -> Result<OcspFinding, OcspError> {
    if der.len() > MAX_RESPONSE {
        return Err(OcspError::TooLarge);
    }
    let resp = OcspResponse::from_der(der).map_err(|e| OcspError::Malformed(e.to_string()))?;
    if resp.response_status != OcspResponseStatus::Successful {
        return Err(OcspError::NotSuccessful(resp.response_status));
    }
    let bytes = resp
        .response_bytes
        .ok_or_else(|| OcspError::NotBasic("no response bytes".into()))?;
    if bytes.response_type != oids::ID_PKIX_OCSP_BASIC {
        return Err(OcspError::NotBasic(bytes.response_type.to_string()));
    }
    let basic = BasicOcspResponse::from_der(bytes.response.as_bytes())
        .map_err(|e| OcspError::Malformed(e.to_string()))?;
    check_basic(&basic, cert, issuer)
}

/// Checks a BasicOCSPResponse (as embedded in a PDF's DSS or a signature's revocation archive).
pub fn check_basic(
    basic: &BasicOcspResponse,
    cert: &Certificate,
    issuer: &Certificate,
) -> Result<OcspFinding, OcspError> {
    let data = &basic.tbs_response_data;
    let single = data
        .responses
        .iter()
        .find(|s| matches(&s.cert_id, cert, issuer))
        .ok_or(OcspError::NoMatch)?;
    let tbs = data
        .to_der()
        .map_err(|e| OcspError::Malformed(e.to_string()))?;
    let sig = basic
        .signature
        .as_bytes()
        .ok_or_else(|| OcspError::Malformed("the signature has unused bits".into()))?;
    let produced_at = data.produced_at.0.to_unix_duration();
    // The issuing CA itself, or a responder certificate it issued for OCSP signing.
    let responder = if responder_is(&data.responder_id, issuer) {
        if !signed_by(&tbs, &basic.signature_algorithm, sig, issuer) {
            return Err(OcspError::BadSignature(display_name(
                &issuer.tbs_certificate.subject,
            )));
        }
        display_name(&issuer.tbs_certificate.subject)
    } else {
        let certs = basic.certs.as_deref().unwrap_or_default();
        let c = certs
            .iter()
            .find(|c| responder_is(&data.responder_id, c))
            .ok_or_else(|| OcspError::NotAuthorised("a responder not in the response".into()))?;
        let name = display_name(&c.tbs_certificate.subject);
        let authorised = c.tbs_certificate.issuer == issuer.tbs_certificate.subject
            && signed_by(
                &c.tbs_certificate
                    .to_der()
                    .map_err(|e| OcspError::Malformed(e.to_string()))?,
                &c.signature_algorithm,
                c.signature.as_bytes().unwrap_or_default(),
                issuer,
            )
            && matches!(
                c.tbs_certificate.get::<ExtendedKeyUsage>(),
                Ok(Some((_, eku))) if eku.0.contains(&oids::ID_KP_OCSP_SIGNING)
            );
        let v = &c.tbs_certificate.validity;
        let in_validity = v.not_before.to_unix_duration() <= produced_at
            && produced_at <= v.not_after.to_unix_duration();
        if !authorised || !in_validity {
            return Err(OcspError::NotAuthorised(name));
        }
        if !signed_by(&tbs, &basic.signature_algorithm, sig, c) {
            return Err(OcspError::BadSignature(name));
        }
        name
    };
    let status = match &single.cert_status {
        CertStatus::Good(_) => OcspStatus::Good,
        CertStatus::Revoked(info) => OcspStatus::Revoked {
            at: info.revocation_time.0.to_unix_duration(),
            reason: info
                .revocation_reason
                .map(|r| format!("{r:?}"))
                .unwrap_or_else(|| "unspecified".into()),
        },
        CertStatus::Unknown(_) => OcspStatus::Unknown,
    };
    Ok(OcspFinding {
        status,
        responder,
        produced_at,
        this_update: single.this_update.0.to_unix_duration(),
        next_update: single.next_update.map(|t| t.0.to_unix_duration()),
    })
}

impl OcspFinding {
    /// "good at 2026-11-20T01:02:03Z (OCSP, responder …)".
    pub fn describe(&self) -> String {
        format!(
            "OCSP response of \"{}\" produced {}",
            self.responder,
            rfc3339(self.produced_at)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(name: &str) -> Certificate {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("certs-test")
            .join(name);
        super::super::keys::load_certs(&p).unwrap().remove(0)
    }

    #[test]
    fn garbage_truncated_and_unsuccessful_responses_are_errors_not_panics() {
        let (leaf, issuer) = (cert("aia-good-signer.pem"), cert("sub-ca.pem"));
        assert!(matches!(
            check_response(b"not der", &leaf, &issuer),
            Err(OcspError::Malformed(_))
        ));
        // OCSPResponse { responseStatus tryLater (3) }
        assert_eq!(
            check_response(&[0x30, 0x03, 0x0a, 0x01, 0x03], &leaf, &issuer).unwrap_err(),
            OcspError::NotSuccessful(OcspResponseStatus::TryLater)
        );
        let req = request_der(&leaf, &issuer).unwrap();
        for cut in [0, 1, req.len() / 2] {
            assert!(check_response(&req[..cut], &leaf, &issuer).is_err());
        }
        assert_eq!(
            check_response(&vec![0u8; MAX_RESPONSE + 1], &leaf, &issuer).unwrap_err(),
            OcspError::TooLarge
        );
    }

    #[test]
    fn the_request_names_the_certificate_by_its_issuer_s_name_and_key() {
        let (leaf, issuer) = (cert("aia-good-signer.pem"), cert("sub-ca.pem"));
        let id = cert_id(&leaf, &issuer, DigestAlg::Sha1).unwrap();
        assert!(matches(&id, &leaf, &issuer));
        assert!(!matches(&id, &cert("aia-revoked-signer.pem"), &issuer));
        let req = OcspRequest::from_der(&request_der(&leaf, &issuer).unwrap()).unwrap();
        assert_eq!(req.tbs_request.request_list[0].req_cert, id);
    }
}
