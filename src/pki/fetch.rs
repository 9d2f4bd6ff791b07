//! Revocation data fetched over HTTP: by verification only when asked (`sohoa verify --online`,
//! `[trust] online = true`), and by long-term signing (B-LT) for its DSS: OCSP from the
//! certificate's Authority Information Access (RFC 5280 §4.2.2.1, RFC 6960 Appendix A.1: HTTP
//! POST of `application/ocsp-request`), else the CRL at its distribution point (RFC 5280 §4.2.1.13). The fetching is behind
//! [`RevocationFetcher`] so the checks stay pure and tests can count what was asked.

use std::io::Read;
use std::time::Duration;

use der::Decode;
use x509_cert::crl::CertificateList;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{AuthorityInfoAccessSyntax, CrlDistributionPoints};
use x509_cert::Certificate;

use crate::pki::chain::{RevocationData, RevocationSource};
use crate::pki::{ocsp, oids};

/// Largest CRL fetched.
const MAX_CRL: usize = 32 << 20;

/// Why fetching failed (its words go into the report).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The server could not be reached, or answered with an error status.
    #[error("{0}")]
    Http(String),
    #[error("reading the answer: {0}")]
    Read(#[from] std::io::Error),
    #[error("the answer is larger than {limit} bytes")]
    TooLarge { limit: usize },
}

/// Where revocation data is fetched from.
pub trait RevocationFetcher: Send + Sync + std::fmt::Debug {
    fn post(
        &self,
        url: &str,
        content_type: &str,
        body: &[u8],
        limit: usize,
    ) -> Result<Vec<u8>, FetchError>;
    fn get(&self, url: &str, limit: usize) -> Result<Vec<u8>, FetchError>;
}

/// Plain HTTP (VGCA publishes OCSP and CRLs over http://; no TLS stack is compiled in).
#[derive(Clone, Debug)]
pub struct HttpFetcher {
    pub timeout: Duration,
}

impl Default for HttpFetcher {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(15),
        }
    }
}

fn read_limited(resp: ureq::Response, limit: usize) -> Result<Vec<u8>, FetchError> {
    let mut out = Vec::new();
    resp.into_reader()
        .take(limit as u64 + 1)
        .read_to_end(&mut out)?;
    if out.len() > limit {
        return Err(FetchError::TooLarge { limit });
    }
    Ok(out)
}

impl HttpFetcher {
    fn agent(&self) -> ureq::Agent {
        ureq::AgentBuilder::new().timeout(self.timeout).build()
    }
}

impl RevocationFetcher for HttpFetcher {
    fn post(
        &self,
        url: &str,
        content_type: &str,
        body: &[u8],
        limit: usize,
    ) -> Result<Vec<u8>, FetchError> {
        let resp = self
            .agent()
            .post(url)
            .set("Content-Type", content_type)
            .send_bytes(body)
            .map_err(|e| FetchError::Http(e.to_string()))?;
        read_limited(resp, limit)
    }

    fn get(&self, url: &str, limit: usize) -> Result<Vec<u8>, FetchError> {
        let resp = self
            .agent()
            .get(url)
            .call()
            .map_err(|e| FetchError::Http(e.to_string()))?;
        read_limited(resp, limit)
    }
}

fn uri(g: &GeneralName) -> Option<String> {
    match g {
        GeneralName::UniformResourceIdentifier(u) => Some(u.as_str().to_string()),
        _ => None,
    }
}

/// The OCSP responder URLs of a certificate's AIA extension.
pub fn ocsp_urls(cert: &Certificate) -> Vec<String> {
    match cert.tbs_certificate.get::<AuthorityInfoAccessSyntax>() {
        Ok(Some((_, aia))) => aia
            .0
            .iter()
            .filter(|a| a.access_method == oids::ID_AD_OCSP)
            .filter_map(|a| uri(&a.access_location))
            .collect(),
        _ => Vec::new(),
    }
}

/// The CRL URLs of a certificate's distribution points.
pub fn crl_urls(cert: &Certificate) -> Vec<String> {
    match cert.tbs_certificate.get::<CrlDistributionPoints>() {
        Ok(Some((_, dps))) => dps
            .0
            .iter()
            .filter_map(|dp| match &dp.distribution_point {
                Some(DistributionPointName::FullName(names)) => Some(names.iter()),
                _ => None,
            })
            .flatten()
            .filter_map(uri)
            .collect(),
        _ => Vec::new(),
    }
}

/// What fetching found for `cert` (issued by `issuer`): the data, and each failure in words.
pub fn fetch_for(
    cert: &Certificate,
    issuer: &Certificate,
    fetcher: &dyn RevocationFetcher,
) -> (RevocationData, Vec<String>) {
    let mut data = RevocationData::default();
    let mut failures = Vec::new();
    let http = |u: &String| u.starts_with("http://");
    for url in ocsp_urls(cert).iter().filter(|u| http(u)) {
        let req = match ocsp::request_der(cert, issuer) {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("the OCSP request could not be made: {e}"));
                break;
            }
        };
        match fetcher.post(url, "application/ocsp-request", &req, ocsp::MAX_RESPONSE) {
            Ok(resp) => {
                data.ocsp.push((resp, RevocationSource::Online));
                return (data, failures);
            }
            Err(e) => failures.push(format!("the OCSP responder at {url} did not answer: {e}")),
        }
    }
    for url in crl_urls(cert).iter().filter(|u| http(u)) {
        match fetcher.get(url, MAX_CRL) {
            Ok(bytes) => match CertificateList::from_der(&bytes) {
                Ok(crl) => {
                    data.crls.push((crl, RevocationSource::Online));
                    return (data, failures);
                }
                Err(e) => failures.push(format!("the CRL at {url} is not a DER CRL: {e}")),
            },
            Err(e) => failures.push(format!("the CRL at {url} could not be fetched: {e}")),
        }
    }
    if failures.is_empty() {
        failures.push("the certificate names no http:// OCSP responder or CRL".into());
    }
    (data, failures)
}
