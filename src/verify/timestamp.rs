//! RFC 3161 time-stamp token checks (§2.4.2 TSTInfo, §2.3 TSA certificate), for signature
//! timestamps (PAdES B-T) and document timestamps (SubFilter ETSI.RFC3161).

use std::time::Duration;

use super::cms_check::{self, ParsedCms};
use crate::pki::chain::{self, Purpose, TrustStore};
use crate::pki::digest::DigestAlg;
use crate::pki::names::CertSummary;
use crate::time::rfc3339;

/// The verdict on one time-stamp token.
#[derive(Clone, Debug, serde::Serialize)]
pub struct TimestampReport {
    /// genTime, RFC 3339 UTC.
    pub time: Option<String>,
    #[serde(skip)]
    pub time_unix: Option<Duration>,
    pub tsa: Option<CertSummary>,
    /// The TSA certificate's notAfter.
    #[serde(skip)]
    pub tsa_not_after: Option<Duration>,
    /// The TSA certificate and the certificates the token carries (for long-term checks).
    #[serde(skip)]
    pub tsa_cert: Option<x509_cert::Certificate>,
    #[serde(skip)]
    pub embedded: Vec<x509_cert::Certificate>,
    pub imprint_algorithm: Option<String>,
    /// The TSA's signature algorithm with its key ("ECDSA P-384 with SHA-384").
    pub signature_algorithm: Option<String>,
    /// The token's CMS was BER-encoded.
    pub ber_encoded: bool,
    /// Weak algorithms the token uses (SHA-1 imprint or signature), as findings.
    pub weak_algorithms: Vec<String>,
    /// The message imprint equals the digest of what the token claims to cover.
    pub imprint_ok: bool,
    /// The token's own CMS signature and message digest verify.
    pub signature_valid: bool,
    /// The TSA certificate chains to a trust anchor, is valid at genTime and has the
    /// critical timeStamping extended key usage.
    pub trusted: bool,
    pub valid: bool,
    pub problems: Vec<String>,
}

impl TimestampReport {
    fn failed(problem: String) -> Self {
        Self {
            time: None,
            time_unix: None,
            tsa: None,
            tsa_not_after: None,
            tsa_cert: None,
            embedded: Vec::new(),
            imprint_algorithm: None,
            signature_algorithm: None,
            ber_encoded: false,
            weak_algorithms: Vec::new(),
            imprint_ok: false,
            signature_valid: false,
            trusted: false,
            valid: false,
            problems: vec![problem],
        }
    }
}

/// Checks `token` (DER ContentInfo). `covered(alg)` is the digest, with `alg`, of the data the
/// timestamp should cover (a signature value, or the PDF byte ranges).
pub fn check_token<E: std::fmt::Display>(
    token: &[u8],
    store: &TrustStore,
    mut covered: impl FnMut(DigestAlg) -> Result<Vec<u8>, E>,
) -> Result<TimestampReport, E> {
    let parsed: ParsedCms = match cms_check::parse_signed_data(token) {
        Ok(p) => p,
        Err(e) => return Ok(TimestampReport::failed(format!("time-stamp token: {e}"))),
    };
    let (tst, tst_der) = match crate::pki::tst::tst_info(&parsed.der) {
        Ok((_, tst, raw)) => (tst, raw),
        Err(e) => return Ok(TimestampReport::failed(format!("time-stamp token: {e}"))),
    };
    let mut problems = Vec::new();
    let gen_time = tst.gen_time.to_unix_duration();

    let imprint_alg = DigestAlg::from_oid(&tst.message_imprint.hash_algorithm.oid);
    let imprint_ok = match imprint_alg {
        Some(alg) => covered(alg)? == tst.message_imprint.hashed_message.as_bytes(),
        None => {
            problems.push(format!(
                "time-stamp imprint algorithm {} is not supported",
                tst.message_imprint.hash_algorithm.oid
            ));
            false
        }
    };
    if imprint_ok {
        // fine
    } else if imprint_alg.is_some() {
        problems.push("the time-stamp imprint does not match what it should cover".into());
    }

    // The token's own signature: message digest over the TSTInfo DER (the eContent octets).
    let extra: Vec<_> = store
        .intermediates
        .iter()
        .chain(store.anchors.iter())
        .cloned()
        .collect();
    let check = cms_check::check_signer(&parsed, &extra, |alg| {
        Ok::<_, std::convert::Infallible>(alg.digest(&tst_der))
    });
    let check = match check {
        Ok(c) => c,
        Err(never) => match never {},
    };
    problems.extend(
        check
            .problems
            .iter()
            .map(|p| format!("time-stamp token: {p}")),
    );
    let signature_valid = check.intact && check.signature_valid && check.content_type_ok;

    let (trusted, tsa) = match &check.signer_cert {
        Some(cert) => {
            let embedded = cms_check::embedded_certs(&parsed.signed_data);
            let report = chain::validate(cert, &embedded, store, gen_time, Purpose::TimeStamping);
            problems.extend(report.problems.iter().map(|p| format!("TSA: {p}")));
            let revoked = matches!(report.revocation, chain::Revocation::Revoked { .. });
            if let chain::Revocation::Revoked { revoked_at, .. } = &report.revocation {
                problems.push(format!("TSA: the certificate was revoked at {revoked_at}"));
            }
            (
                report.trusted && report.valid_at_time && report.key_usage_ok && !revoked,
                Some(CertSummary::of(cert)),
            )
        }
        None => (false, None),
    };

    Ok(TimestampReport {
        time: Some(rfc3339(gen_time)),
        time_unix: Some(gen_time),
        tsa,
        tsa_not_after: check
            .signer_cert
            .as_ref()
            .map(|c| c.tbs_certificate.validity.not_after.to_unix_duration()),
        tsa_cert: check.signer_cert.clone(),
        embedded: cms_check::embedded_certs(&parsed.signed_data),
        imprint_algorithm: imprint_alg.map(|a| a.name().to_string()),
        signature_algorithm: check.signature_algorithm.clone(),
        ber_encoded: parsed.ber,
        weak_algorithms: check
            .weakness
            .iter()
            .cloned()
            .chain(
                (imprint_alg == Some(DigestAlg::Sha1))
                    .then(|| "a SHA-1 message imprint".to_string()),
            )
            .collect(),
        imprint_ok,
        signature_valid,
        trusted,
        valid: imprint_ok && signature_valid && trusted,
        problems,
    })
}
