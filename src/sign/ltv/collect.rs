//! Stage `sign`, long-term: gathers what a validator needs years from now for the
//! certificates of a file's signatures and timestamps (ETSI EN 319 142-1 §5.4, B-LT): each
//! path up to its trust anchor, and for every certificate on it but the anchor an OCSP
//! response (RFC 6960, from its AIA) or a CRL (RFC 5280, from its distribution point, else the
//! configured ones), with the OCSP responders' own certificates and CRLs. No I/O but through
//! the [`RevocationFetcher`] it is given.

use std::collections::HashSet;
use std::time::Duration;

use der::{Decode, Encode};
use x509_cert::crl::CertificateList;
use x509_cert::Certificate;
use x509_ocsp::{BasicOcspResponse, OcspResponse};

use super::dss::Material;
use crate::pki::chain::{self, RevocationData, TrustStore};
use crate::pki::fetch::{self, RevocationFetcher};
use crate::pki::names::display_name;
use crate::pki::ocsp::{self, OcspStatus};
use crate::pki::oids;

/// id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1): the responder's certificate needs no check.
const ID_PKIX_OCSP_NOCHECK: der::oid::ObjectIdentifier =
    der::oid::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.5");
/// Longest path followed.
const MAX_PATH: usize = 8;

/// Where validation data comes from.
pub struct Sources<'a> {
    /// Anchors end each path; intermediates and configured CRLs are used as found.
    pub store: &'a TrustStore,
    /// OCSP responders and CRL distribution points (none: configured CRLs only).
    pub fetcher: Option<&'a dyn RevocationFetcher>,
    /// Now: CRLs and OCSP responses must be current.
    pub at: Duration,
}

/// What was gathered, and for which certificate nothing was found.
#[derive(Debug, Default)]
pub struct Gathered {
    pub material: Material,
    /// One line per certificate without revocation data (or whose issuer is unknown).
    pub gaps: Vec<String>,
    /// Certificates found revoked (their subject and what said so).
    pub revoked: Vec<String>,
}

fn name(c: &Certificate) -> String {
    display_name(&c.tbs_certificate.subject)
}

fn der_of(c: &Certificate) -> Vec<u8> {
    c.to_der().unwrap_or_default()
}

fn has_nocheck(c: &Certificate) -> bool {
    c.tbs_certificate
        .extensions
        .iter()
        .flatten()
        .any(|e| e.extn_id == ID_PKIX_OCSP_NOCHECK)
}

/// The certificates a DER OCSPResponse carries (its responder's, usually).
fn responder_certs(resp: &[u8]) -> Vec<Certificate> {
    let Ok(r) = OcspResponse::from_der(resp) else {
        return Vec::new();
    };
    let Some(bytes) = r.response_bytes else {
        return Vec::new();
    };
    if bytes.response_type != oids::ID_PKIX_OCSP_BASIC {
        return Vec::new();
    }
    BasicOcspResponse::from_der(bytes.response.as_bytes())
        .ok()
        .and_then(|b| b.certs)
        .unwrap_or_default()
}

/// Is `crl` current at `at` and issued for `cert`'s issuer? Revoked: the entry's words.
fn crl_status(
    crl: &CertificateList,
    cert: &Certificate,
    at: Duration,
) -> Option<Result<(), String>> {
    let tbs = &crl.tbs_cert_list;
    if tbs.issuer != cert.tbs_certificate.issuer {
        return None;
    }
    if tbs.next_update.is_some_and(|n| n.to_unix_duration() < at) {
        return None;
    }
    let serial = &cert.tbs_certificate.serial_number;
    match tbs
        .revoked_certificates
        .iter()
        .flatten()
        .find(|r| &r.serial_number == serial)
    {
        Some(_) => Some(Err(format!("{} is listed on its issuer's CRL", name(cert)))),
        None => Some(Ok(())),
    }
}

struct Walk<'a> {
    src: &'a Sources<'a>,
    /// What the file's DSS holds already (a renewal need not find it again).
    existing: &'a RevocationData,
    pool: Vec<Certificate>,
    out: Gathered,
    done: HashSet<Vec<u8>>,
}

impl Walk<'_> {
    fn add_cert(&mut self, c: &Certificate) {
        Material::push_unique(&mut self.out.material.certs, der_of(c));
    }

    /// Revocation data for `cert`: what its AIA's OCSP responder or its distribution point
    /// give (OCSP only when `ocsp`), else a configured CRL. `Ok(false)`: none found.
    fn revinfo(
        &mut self,
        cert: &Certificate,
        issuer: &Certificate,
        ocsp: bool,
    ) -> Result<bool, ()> {
        let mut crls: Vec<CertificateList> = Vec::new();
        if let Some(f) = self.src.fetcher {
            let (data, _) = fetch::fetch_for(cert, issuer, f);
            for (resp, _) in data.ocsp.into_iter().filter(|_| ocsp) {
                match ocsp::check_response(&resp, cert, issuer).map(|f| f.status) {
                    Ok(OcspStatus::Good) => {
                        for r in responder_certs(&resp) {
                            self.responder(&r);
                        }
                        Material::push_unique(&mut self.out.material.ocsps, resp);
                        return Ok(true);
                    }
                    Ok(OcspStatus::Revoked { reason, .. }) => {
                        self.out.revoked.push(format!(
                            "{} is revoked ({reason}), says its OCSP responder",
                            name(cert)
                        ));
                        return Err(());
                    }
                    _ => {}
                }
            }
            crls.extend(data.crls.into_iter().map(|(c, _)| c));
        }
        crls.extend(self.src.store.crls.iter().cloned());
        for crl in crls {
            match crl_status(&crl, cert, self.src.at) {
                Some(Ok(())) => {
                    let der = crl.to_der().unwrap_or_default();
                    Material::push_unique(&mut self.out.material.crls, der);
                    return Ok(true);
                }
                Some(Err(why)) => {
                    self.out.revoked.push(why);
                    return Err(());
                }
                None => {}
            }
        }
        Ok(false)
    }

    /// A delegated OCSP responder's certificate, and its CRL unless it carries ocsp-nocheck.
    fn responder(&mut self, r: &Certificate) {
        self.add_cert(r);
        if has_nocheck(r) || !self.done.insert(der_of(r)) || self.is_anchor(r) {
            return;
        }
        match chain::issuer_of(r, &self.pool, self.src.store) {
            Some(issuer) => {
                if let Ok(false) = self.revinfo(r, &issuer, false) {
                    self.out.gaps.push(format!(
                        "no CRL for the OCSP responder {} (and no ocsp-nocheck extension)",
                        name(r)
                    ));
                }
            }
            None => self.out.gaps.push(format!(
                "the issuer of the OCSP responder {} is not known",
                name(r)
            )),
        }
    }

    /// Whether the file's DSS already speaks for `cert`: a CRL of its issuer, or an OCSP
    /// response about it that says good.
    fn covered(&self, cert: &Certificate, issuer: &Certificate) -> bool {
        self.existing
            .crls
            .iter()
            .any(|(crl, _)| crl.tbs_cert_list.issuer == cert.tbs_certificate.issuer)
            || self.existing.ocsp.iter().any(|(resp, _)| {
                matches!(
                    ocsp::check_response(resp, cert, issuer).map(|f| f.status),
                    Ok(OcspStatus::Good)
                )
            })
    }

    fn is_anchor(&self, c: &Certificate) -> bool {
        self.src.store.anchors.iter().any(|a| a == c)
    }

    /// The path of `leaf` and each certificate's revocation data.
    fn path(&mut self, leaf: &Certificate) {
        let mut cur = leaf.clone();
        for _ in 0..MAX_PATH {
            self.add_cert(&cur);
            if self.is_anchor(&cur) {
                return;
            }
            let Some(issuer) = chain::issuer_of(&cur, &self.pool, self.src.store) else {
                self.out
                    .gaps
                    .push(format!("the issuer of {} is not known", name(&cur)));
                return;
            };
            // What the DSS already speaks for is not asked again (the document timestamp's own
            // pass, a renewal years later when the signer's responder is long gone).
            if self.done.insert(der_of(&cur)) && !self.covered(&cur, &issuer) {
                if let Ok(false) = self.revinfo(&cur, &issuer, true) {
                    self.out.gaps.push(format!(
                        "no OCSP response or current CRL for {}",
                        name(&cur)
                    ));
                }
            }
            if cur == issuer {
                return;
            }
            cur = issuer;
        }
    }
}

/// Gathers the paths and revocation data of `leaves` (signers and TSAs); `pool` holds the
/// certificates the file carries, `existing` the revocation data its DSS holds (a certificate
/// it covers is not looked up again: a renewal years later need not reach the signer's
/// long-gone responder).
pub fn gather(
    leaves: &[Certificate],
    pool: &[Certificate],
    existing: &RevocationData,
    src: &Sources,
) -> Gathered {
    let mut w = Walk {
        src,
        existing,
        pool: pool.to_vec(),
        out: Gathered::default(),
        done: HashSet::new(),
    };
    for leaf in leaves {
        w.path(leaf);
    }
    w.out
}
