//! Certification path building and validation (RFC 5280 §6, simplified: no policy or name
//! constraints processing) and CRL revocation checks (RFC 5280 §5), at a given time.
//!
//! Pure: certificates, CRLs and the time come in; a [`ChainReport`] (data, not an error) goes out.

use std::time::Duration;

use der::Encode;
use x509_cert::crl::CertificateList;
use x509_cert::ext::pkix::{BasicConstraints, CrlReason, ExtendedKeyUsage, KeyUsage};
use x509_cert::Certificate;

use super::digest::DigestAlg;
use super::names::{display_name, CertSummary};
use super::{oids, sigalg};

/// Longest path sohoa builds (VGCA paths are leaf → sub-CA → root).
const MAX_PATH: usize = 8;

/// Trust anchors, extra intermediates and CRLs a verification may use.
#[derive(Clone, Debug, Default)]
pub struct TrustStore {
    pub anchors: Vec<Certificate>,
    pub intermediates: Vec<Certificate>,
    pub crls: Vec<CertificateList>,
}

/// What the end-entity certificate is used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Purpose {
    /// Document signing: keyUsage digitalSignature or nonRepudiation (ETSI EN 319 412-2 §4.3.2).
    DocumentSigning,
    /// Time stamping: extendedKeyUsage id-kp-timeStamping, critical (RFC 3161 §2.3).
    TimeStamping,
}

/// Where revocation data came from, in the order sohoa consults them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RevocationSource {
    /// The PDF's Document Security Store (ETSI EN 319 142-1 §5.4.2, /DSS /CRLs and /OCSPs).
    Dss,
    /// The signature's adbe-revocationInfoArchival signed attribute (1.2.840.113583.1.1.8).
    SignatureArchive,
    /// CRLs carried in the CMS SignedData (RFC 5652 §5.1 `crls`).
    Cms,
    /// CRLs configured in `[trust] crls` or given with `--crl`.
    Configured,
    /// Fetched at verification time (`--online`: OCSP from the AIA, CRL from the CDP).
    Online,
}

impl RevocationSource {
    pub fn describe(self) -> &'static str {
        match self {
            Self::Dss => "the file's DSS",
            Self::SignatureArchive => "the signature's revocation archive",
            Self::Cms => "the signature's CMS",
            Self::Configured => "a configured CRL",
            Self::Online => "fetched online",
        }
    }
}

/// Revocation data a validation may use, each item with its source.
#[derive(Clone, Debug, Default)]
pub struct RevocationData {
    pub crls: Vec<(CertificateList, RevocationSource)>,
    /// DER OCSPResponses.
    pub ocsp: Vec<(Vec<u8>, RevocationSource)>,
}

impl RevocationData {
    pub fn is_empty(&self) -> bool {
        self.crls.is_empty() && self.ocsp.is_empty()
    }
}

/// Revocation status of the signer's certificate (RFC 5280 §5.3, RFC 6960 §2.2), or of the
/// first certificate on its path found revoked. A revoked certificate is not listed among
/// [`ChainReport::problems`]: whether it invalidates a signature depends on when it was revoked
/// relative to a proven signing time, which the caller knows.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Revocation {
    /// No revocation data for the signer's certificate was found.
    NotChecked,
    /// A valid CRL or OCSP response says the certificate is good.
    Good {
        /// "CRL" or "OCSP".
        method: &'static str,
        /// The CRL's issuer or the OCSP responder.
        by: String,
        this_update: String,
        source: RevocationSource,
    },
    /// Listed on a CRL, or revoked by an OCSP response.
    Revoked {
        subject: String,
        serial: String,
        revoked_at: String,
        #[serde(skip)]
        revoked_at_unix: u64,
        reason: String,
        method: &'static str,
        source: RevocationSource,
    },
    /// Data was there but does not settle it: an OCSP "unknown", a responder that did not answer.
    Unknown { reason: String },
}

/// The verdict on one certificate path.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ChainReport {
    /// A path to a configured trust anchor exists and every signature on it verifies.
    pub trusted: bool,
    /// Every certificate on the path is within its validity period at the checked time.
    pub valid_at_time: bool,
    /// The end-entity key usage fits the purpose.
    pub key_usage_ok: bool,
    pub revocation: Revocation,
    /// Leaf first, anchor last (as far as it could be built).
    pub path: Vec<CertSummary>,
    pub problems: Vec<String>,
}

fn verify_issued_by(cert: &Certificate, issuer: &Certificate) -> bool {
    let Ok(tbs) = cert.tbs_certificate.to_der() else {
        return false;
    };
    let Some(sig) = cert.signature.as_bytes() else {
        return false;
    };
    sigalg::verify(
        &issuer.tbs_certificate.subject_public_key_info,
        &cert.signature_algorithm,
        None,
        &tbs,
        sig,
    )
    .unwrap_or(false)
}

fn same_cert(a: &Certificate, b: &Certificate) -> bool {
    a == b
}

fn within(cert: &Certificate, at: Duration) -> bool {
    let v = &cert.tbs_certificate.validity;
    v.not_before.to_unix_duration() <= at && at <= v.not_after.to_unix_duration()
}

fn is_ca(cert: &Certificate) -> bool {
    matches!(
        cert.tbs_certificate.get::<BasicConstraints>(),
        Ok(Some((_, bc))) if bc.ca
    )
}

/// Builds and checks the path of `leaf` at time `at` (seconds since the epoch), with the
/// configured CRLs only. `embedded` are certificates that came with the signature.
pub fn validate(
    leaf: &Certificate,
    embedded: &[Certificate],
    store: &TrustStore,
    at: Duration,
    purpose: Purpose,
) -> ChainReport {
    validate_with(
        leaf,
        embedded,
        store,
        at,
        purpose,
        &RevocationData::default(),
    )
}

/// [`validate`] with more revocation data (the file's, the signature's, fetched): consulted
/// before the configured CRLs.
pub fn validate_with(
    leaf: &Certificate,
    embedded: &[Certificate],
    store: &TrustStore,
    at: Duration,
    purpose: Purpose,
    extra: &RevocationData,
) -> ChainReport {
    let mut problems = Vec::new();
    let mut path: Vec<&Certificate> = vec![leaf];
    let mut trusted = false;

    if store.anchors.iter().any(|a| same_cert(a, leaf)) {
        trusted = true;
    }
    while !trusted && path.len() < MAX_PATH {
        let Some(current) = path.last().copied() else {
            break;
        };
        let issuer_name = &current.tbs_certificate.issuer;
        // Anchors first: a path that reaches a trust anchor is the one we want.
        if let Some(anchor) = store
            .anchors
            .iter()
            .find(|a| &a.tbs_certificate.subject == issuer_name && verify_issued_by(current, a))
        {
            if !same_cert(anchor, current) {
                path.push(anchor);
            }
            trusted = true;
            break;
        }
        let next = embedded.iter().chain(store.intermediates.iter()).find(|c| {
            &c.tbs_certificate.subject == issuer_name
                && !path.iter().any(|p| same_cert(p, c))
                && verify_issued_by(current, c)
        });
        match next {
            Some(c) => path.push(c),
            None => {
                let self_signed = &current.tbs_certificate.subject == issuer_name;
                problems.push(if self_signed {
                    format!(
                        "the path ends at \"{}\", which is not a configured trust anchor",
                        display_name(issuer_name)
                    )
                } else {
                    format!(
                        "issuer \"{}\" not found among the embedded certificates, the configured intermediates or trust anchors",
                        display_name(issuer_name)
                    )
                });
                break;
            }
        }
    }
    if !trusted && path.len() >= MAX_PATH {
        problems.push(format!("no trust anchor within {MAX_PATH} certificates"));
    }

    // Validity at the checked time, every certificate on the path.
    let mut valid_at_time = true;
    for c in &path {
        if !within(c, at) {
            valid_at_time = false;
            let s = CertSummary::of(c);
            problems.push(format!(
                "certificate \"{}\" is not valid at {} (valid {} to {})",
                s.common_name.unwrap_or(s.subject),
                crate::time::rfc3339(at),
                s.not_before,
                s.not_after
            ));
        }
    }
    // Issuers must be CAs.
    for c in path.iter().skip(1) {
        if !is_ca(c) {
            trusted = false;
            problems.push(format!(
                "issuer \"{}\" is not a CA certificate (basicConstraints)",
                display_name(&c.tbs_certificate.subject)
            ));
        }
        if let Ok(Some((_, ku))) = c.tbs_certificate.get::<KeyUsage>() {
            if !ku.key_cert_sign() {
                trusted = false;
                problems.push(format!(
                    "issuer \"{}\" may not sign certificates (keyUsage lacks keyCertSign)",
                    display_name(&c.tbs_certificate.subject)
                ));
            }
        }
    }

    let key_usage_ok = check_purpose(leaf, purpose, &mut problems);
    // Sources in order, by reference (a large CA's CRL is megabytes: never copied here).
    let mut crls: Vec<(&CertificateList, RevocationSource)> = extra
        .crls
        .iter()
        .map(|(c, s)| (c, *s))
        .chain(store.crls.iter().map(|c| (c, RevocationSource::Configured)))
        .collect();
    crls.sort_by_key(|(_, s)| *s);
    let mut ocsp: Vec<(&[u8], RevocationSource)> =
        extra.ocsp.iter().map(|(d, s)| (d.as_slice(), *s)).collect();
    ocsp.sort_by_key(|(_, s)| *s);
    let revocation = check_revocation(&path, &crls, &ocsp, at, &mut problems);

    ChainReport {
        trusted,
        valid_at_time,
        key_usage_ok,
        revocation,
        path: path.iter().map(|c| CertSummary::of(c)).collect(),
        problems,
    }
}

fn check_purpose(leaf: &Certificate, purpose: Purpose, problems: &mut Vec<String>) -> bool {
    match purpose {
        Purpose::DocumentSigning => match leaf.tbs_certificate.get::<KeyUsage>() {
            Ok(Some((_, ku))) if ku.digital_signature() || ku.non_repudiation() => true,
            Ok(Some(_)) => {
                problems.push(
                    "the signer certificate's keyUsage allows neither digitalSignature nor nonRepudiation"
                        .into(),
                );
                false
            }
            Ok(None) => true, // RFC 5280 §4.2.1.3: absent keyUsage means any usage
            Err(e) => {
                problems.push(format!(
                    "the signer certificate's keyUsage is malformed: {e}"
                ));
                false
            }
        },
        Purpose::TimeStamping => match leaf.tbs_certificate.get::<ExtendedKeyUsage>() {
            Ok(Some((critical, eku))) => {
                let has = eku.0.contains(&oids::ID_KP_TIME_STAMPING);
                if !has {
                    problems
                        .push("the TSA certificate's extendedKeyUsage lacks timeStamping".into());
                }
                if !critical {
                    problems.push(
                        "the TSA certificate's extendedKeyUsage is not critical (RFC 3161 §2.3)"
                            .into(),
                    );
                }
                has && critical
            }
            Ok(None) => {
                problems.push("the TSA certificate has no extendedKeyUsage timeStamping".into());
                false
            }
            Err(e) => {
                problems.push(format!(
                    "the TSA certificate's extendedKeyUsage is malformed: {e}"
                ));
                false
            }
        },
    }
}

fn crl_reason(entry: &x509_cert::crl::RevokedCert) -> String {
    use der::Decode;
    let Some(exts) = &entry.crl_entry_extensions else {
        return "unspecified".into();
    };
    exts.iter()
        .find(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_CRL_REASONS)
        .and_then(|e| CrlReason::from_der(e.extn_value.as_bytes()).ok())
        .map(|r| format!("{r:?}"))
        .unwrap_or_else(|| "unspecified".into())
}

/// The status of `cert` (issued by `issuer`) from the data, sources in order: the first
/// revocation found wins, else the first good answer, else the first inconclusive one.
fn cert_status(
    cert: &Certificate,
    issuer: &Certificate,
    crls: &[(&CertificateList, RevocationSource)],
    ocsp: &[(&[u8], RevocationSource)],
    at: Duration,
    problems: &mut Vec<String>,
) -> Revocation {
    let mut good = None;
    let mut unknown = None;
    let s = CertSummary::of(cert);
    for (der, source) in ocsp {
        match super::ocsp::check_response(der, cert, issuer) {
            Ok(f) => match f.status {
                super::ocsp::OcspStatus::Revoked { at: when, reason } => {
                    return Revocation::Revoked {
                        subject: s.subject.clone(),
                        serial: s.serial.clone(),
                        revoked_at: crate::time::rfc3339(when),
                        revoked_at_unix: when.as_secs(),
                        reason,
                        method: "OCSP",
                        source: *source,
                    }
                }
                super::ocsp::OcspStatus::Good => {
                    good.get_or_insert(Revocation::Good {
                        method: "OCSP",
                        by: f.responder.clone(),
                        this_update: crate::time::rfc3339(f.this_update),
                        source: *source,
                    });
                }
                super::ocsp::OcspStatus::Unknown => {
                    unknown.get_or_insert(Revocation::Unknown {
                        reason: format!(
                            "the OCSP responder \"{}\" does not know the certificate ({})",
                            f.responder,
                            source.describe()
                        ),
                    });
                }
            },
            Err(super::ocsp::OcspError::NoMatch) => {}
            Err(e) => problems.push(format!(
                "an OCSP response from {} was ignored: {e}",
                source.describe()
            )),
        }
    }
    for (crl, source) in crls {
        let tbs = &crl.tbs_cert_list;
        if tbs.issuer != cert.tbs_certificate.issuer {
            continue;
        }
        let Ok(tbs_der) = tbs.to_der() else { continue };
        let Some(sig) = crl.signature.as_bytes() else {
            continue;
        };
        let ok = sigalg::verify(
            &issuer.tbs_certificate.subject_public_key_info,
            &crl.signature_algorithm,
            None::<DigestAlg>,
            &tbs_der,
            sig,
        )
        .unwrap_or(false);
        if !ok {
            problems.push(format!(
                "a CRL claiming issuer \"{}\" ({}) has a bad signature; ignored",
                display_name(&tbs.issuer),
                source.describe()
            ));
            continue;
        }
        let listed = tbs
            .revoked_certificates
            .iter()
            .flatten()
            .find(|r| r.serial_number == cert.tbs_certificate.serial_number);
        if let Some(entry) = listed {
            let when = entry.revocation_date.to_unix_duration();
            return Revocation::Revoked {
                subject: s.subject,
                serial: s.serial,
                revoked_at: crate::time::rfc3339(when),
                revoked_at_unix: when.as_secs(),
                reason: crl_reason(entry),
                method: "CRL",
                source: *source,
            };
        }
        if good.is_none() {
            if let Some(next) = &tbs.next_update {
                if next.to_unix_duration() < at && *source == RevocationSource::Configured {
                    problems.push(format!(
                        "the CRL of \"{}\" was due for update at {}; a newer one may list more",
                        display_name(&tbs.issuer),
                        crate::time::rfc3339(next.to_unix_duration())
                    ));
                }
            }
            good = Some(Revocation::Good {
                method: "CRL",
                by: display_name(&tbs.issuer),
                this_update: crate::time::rfc3339(tbs.this_update.to_unix_duration()),
                source: *source,
            });
        }
    }
    good.or(unknown).unwrap_or(Revocation::NotChecked)
}

/// Each certificate on the path but the anchor, against data from its issuer. The leaf's
/// status is the answer, unless a CA above it is revoked; a CA's CRL never vouches for the
/// leaf (the CRL of an intermediate says nothing of the certificates that CA issued).
fn check_revocation(
    path: &[&Certificate],
    crls: &[(&CertificateList, RevocationSource)],
    ocsp: &[(&[u8], RevocationSource)],
    at: Duration,
    problems: &mut Vec<String>,
) -> Revocation {
    let mut leaf = Revocation::NotChecked;
    for (i, pair) in path.windows(2).enumerate() {
        let (cert, issuer) = (pair[0], pair[1]);
        let status = cert_status(cert, issuer, crls, ocsp, at, problems);
        if matches!(status, Revocation::Revoked { .. }) {
            return status;
        }
        if i == 0 {
            leaf = status;
        }
    }
    leaf
}

/// Seconds since the epoch of a `SystemTime` (times before 1970 count as 0).
pub fn unix(t: std::time::SystemTime) -> Duration {
    t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default()
}

/// The certificate that issued `cert` (its signature verifies), among `pool`, the store's
/// intermediates and its anchors.
pub fn issuer_of(
    cert: &Certificate,
    pool: &[Certificate],
    store: &TrustStore,
) -> Option<Certificate> {
    pool.iter()
        .chain(store.intermediates.iter())
        .chain(store.anchors.iter())
        .find(|c| {
            c.tbs_certificate.subject == cert.tbs_certificate.issuer && verify_issued_by(cert, c)
        })
        .cloned()
}
