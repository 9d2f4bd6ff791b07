//! RFC 3161 time-stamp client: a request over HTTP (RFC 3161 §3.4, `application/timestamp-query`)
//! and the checks a requester must make on the reply (status, imprint, nonce).

use std::io::Read;
use std::time::Duration;

use der::asn1::{Int, OctetString};
use der::{Decode, Encode};
use x509_tsp::{MessageImprint, TimeStampReq, TimeStampResp, TspVersion};

use crate::pki::digest::DigestAlg;

/// Largest reply read from a TSA.
const MAX_REPLY: u64 = 1 << 20;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TsaError {
    #[error("{url}: the TSA could not be reached: {reason}")]
    Http { url: String, reason: String },
    #[error("{url}: the TSA refused the request (PKIStatus {status}{text})")]
    Refused {
        url: String,
        status: u32,
        text: String,
    },
    #[error("{url}: malformed reply: {reason}")]
    Malformed { url: String, reason: String },
    #[error("{url}: the reply does not answer our request: {reason}")]
    Mismatch { url: String, reason: String },
    #[error("could not encode the request: {0}")]
    Encoding(#[from] der::Error),
}

/// A source of RFC 3161 time-stamp tokens.
pub trait TimestampAuthority {
    /// The digest used for the message imprint (some TSAs, VGCA's older ones among them, only
    /// take SHA-1 imprints).
    fn imprint_alg(&self) -> DigestAlg {
        DigestAlg::Sha256
    }
    /// A TimeStampToken (DER ContentInfo) over `imprint`, a digest made with `alg`.
    fn timestamp(&self, alg: DigestAlg, imprint: &[u8], nonce: u64) -> Result<Vec<u8>, TsaError>;
}

/// A TSA reached over HTTP POST.
#[derive(Clone, Debug)]
pub struct HttpTsa {
    pub url: String,
    pub timeout: Duration,
    pub imprint_alg: DigestAlg,
}

impl HttpTsa {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            timeout: Duration::from_secs(20),
            imprint_alg: DigestAlg::Sha256,
        }
    }
}

/// The DER TimeStampReq (RFC 3161 §2.4.1), certReq true so the TSA certificate comes along.
pub fn request_der(alg: DigestAlg, imprint: &[u8], nonce: u64) -> Result<Vec<u8>, der::Error> {
    let req = TimeStampReq {
        version: TspVersion::V1,
        message_imprint: MessageImprint {
            hash_algorithm: spki::AlgorithmIdentifier {
                oid: alg.oid(),
                parameters: Some(der::asn1::Null.into()),
            },
            hashed_message: OctetString::new(imprint)?,
        },
        req_policy: None,
        nonce: Some(nonce_int(nonce)?),
        cert_req: true,
        extensions: None,
    };
    req.to_der()
}

/// The nonce as a DER INTEGER (minimal, positive), encoded by `der` itself.
fn nonce_int(nonce: u64) -> Result<Int, der::Error> {
    Int::from_der(&nonce.to_der()?)
}

/// Checks a reply against the request and returns the token's DER.
pub fn check_reply(
    url: &str,
    reply: &[u8],
    alg: DigestAlg,
    imprint: &[u8],
    nonce: u64,
) -> Result<Vec<u8>, TsaError> {
    let malformed = |reason: String| TsaError::Malformed {
        url: url.to_string(),
        reason,
    };
    let resp = TimeStampResp::from_der(reply).map_err(|e| malformed(e.to_string()))?;
    let status = resp.status.status as u32;
    // PKIStatus granted (0) or grantedWithMods (1).
    if status > 1 {
        let text = resp
            .status
            .status_string
            .as_ref()
            .map(|s| format!(": {s:?}"))
            .unwrap_or_default();
        return Err(TsaError::Refused {
            url: url.to_string(),
            status,
            text,
        });
    }
    let token = resp
        .time_stamp_token
        .ok_or_else(|| malformed("status granted but no token".into()))?;
    let token_der = token.to_der()?;
    let (_, tst, _) =
        crate::pki::tst::tst_info(&token_der).map_err(|e| malformed(e.to_string()))?;
    let mismatch = |reason: &str| TsaError::Mismatch {
        url: url.to_string(),
        reason: reason.to_string(),
    };
    if DigestAlg::from_oid(&tst.message_imprint.hash_algorithm.oid) != Some(alg)
        || tst.message_imprint.hashed_message.as_bytes() != imprint
    {
        return Err(mismatch("the message imprint differs"));
    }
    let want = nonce_int(nonce)?;
    if tst.nonce.as_ref() != Some(&want) {
        return Err(mismatch("the nonce differs"));
    }
    Ok(token_der)
}

impl TimestampAuthority for HttpTsa {
    fn imprint_alg(&self) -> DigestAlg {
        self.imprint_alg
    }

    fn timestamp(&self, alg: DigestAlg, imprint: &[u8], nonce: u64) -> Result<Vec<u8>, TsaError> {
        let body = request_der(alg, imprint, nonce)?;
        let http = |reason: String| TsaError::Http {
            url: self.url.clone(),
            reason,
        };
        let agent = ureq::AgentBuilder::new().timeout(self.timeout).build();
        let resp = agent
            .post(&self.url)
            .set("Content-Type", "application/timestamp-query")
            .send_bytes(&body)
            .map_err(|e| http(e.to_string()))?;
        let mut reply = Vec::new();
        resp.into_reader()
            .take(MAX_REPLY + 1)
            .read_to_end(&mut reply)
            .map_err(|e| http(e.to_string()))?;
        if reply.len() as u64 > MAX_REPLY {
            return Err(http(format!("reply larger than {MAX_REPLY} bytes")));
        }
        check_reply(&self.url, &reply, alg, imprint, nonce)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: nonces whose top bit is clear were sent with a leading 0x00, which OpenSSL's
    /// TSA rejects as "illegal padding".
    #[test]
    fn nonce_is_a_minimal_der_integer_whatever_its_top_bit() {
        for nonce in [0u64, 1, 0x7f, 0x80, 0x5eed_1234_5678_9abc, u64::MAX] {
            let int = nonce_int(nonce).unwrap();
            let bytes = int.as_bytes();
            assert!(!bytes.is_empty());
            if bytes.len() > 1 {
                // DER: no redundant leading 0x00 (unless the next byte has its top bit set).
                assert!(
                    !(bytes[0] == 0 && bytes[1] & 0x80 == 0),
                    "{nonce:#x}: {bytes:02x?}"
                );
            }
            assert!(bytes[0] & 0x80 == 0, "{nonce:#x} must stay positive");
        }
    }
}
