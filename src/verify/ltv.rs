//! Edge `verify`, long-term validation (ETSI EN 319 102-1 §5.6, PAdES ETSI EN 319 142-1 §6):
//! what the whole file gives each signature (its DSS, proofs of existence from document
//! timestamps) and the checks of the revocation policy and of the LTV profile.

use std::io::{Read, Seek};
use std::time::Duration;

use super::report::*;
use super::revocation::FileData;
use super::VerifyOptions;
use crate::pdf::PdfFile;
use crate::pki::chain::{self, Revocation, RevocationSource};
use crate::time::rfc3339;

/// What the whole file gives each signature's check.
pub(super) struct FileContext {
    /// The DSS: certificates and revocation data.
    pub data: FileData,
    /// Valid document timestamps, as proofs that what they cover existed at their time.
    pub poe: Vec<Poe>,
}

/// A proof of existence from a valid document timestamp (ETSI EN 319 102-1 §5.6.2.3, simplified).
#[derive(Clone, Debug)]
pub(super) struct Poe {
    /// The timestamp covers bytes up to here.
    pub signed_end: u64,
    pub time: Duration,
    /// The time-stamping certificate's notAfter: after it, only a later timestamp keeps it.
    pub tsa_not_after: Option<Duration>,
    /// The revision it covers already has a DSS (PAdES B-LTA).
    pub covers_dss: bool,
}

/// The proof a valid document timestamp gives (None for an invalid one).
pub(super) fn proof_of_existence<R: Read + Seek>(
    r: &SignatureReport,
    open: &impl Fn() -> std::io::Result<R>,
    opts: &VerifyOptions,
) -> Option<Poe> {
    let ts = r.timestamp.as_ref()?;
    if r.kind != SignatureKind::DocumentTimestamp || !r.valid {
        return None;
    }
    let signed_end = r.coverage.signed_bytes;
    let covers_dss = open()
        .ok()
        .and_then(|src| PdfFile::open_prefix(src, signed_end, opts.limits).ok())
        .and_then(|mut p| p.catalog().ok())
        .is_some_and(|c| c.contains(b"DSS"));
    Some(Poe {
        signed_end,
        time: ts.time_unix?,
        tsa_not_after: ts.tsa_not_after,
        covers_dss,
    })
}

/// Long-term validation (ETSI EN 319 102-1 §5.6, simplified): the revocation policy
/// (`require_revocation`), the PAdES LTV profile (`ltv`: a proven time and revocation data in the
/// file), and notes when the validation time is past the signer's or the TSA's certificate.
#[allow(clippy::too_many_arguments)]
pub(super) fn long_term_checks(
    report: &SignatureReport,
    revocation: &Revocation,
    cert: &x509_cert::Certificate,
    file: &FileContext,
    signed_end: u64,
    opts: &VerifyOptions,
    problems: &mut Vec<String>,
    warnings: &mut Vec<String>,
) {
    let now = chain::unix(opts.now);
    let settled = matches!(
        revocation,
        Revocation::Good { .. } | Revocation::Revoked { .. }
    );
    let proven = matches!(
        report.time_source,
        TimeSource::Timestamp | TimeSource::DocumentTimestamp
    );
    if opts.require_revocation && !settled {
        problems.push(
            "the signer certificate's revocation status is unknown, and revocation is required"
                .into(),
        );
    }
    let not_after = cert.tbs_certificate.validity.not_after.to_unix_duration();
    let from_file = matches!(
        revocation,
        Revocation::Good {
            source: RevocationSource::Dss
                | RevocationSource::SignatureArchive
                | RevocationSource::Cms,
            ..
        } | Revocation::Revoked { .. }
    );
    if opts.ltv {
        if !proven {
            problems.push(
                "long-term validation: no timestamp proves when the signature was made".into(),
            );
        }
        if !from_file {
            problems.push(
                "long-term validation: the file carries no revocation data for the signer certificate (PAdES B-LT puts it in the DSS)"
                    .into(),
            );
        }
    } else if now > not_after && !settled {
        warnings.push(format!(
            "the signer certificate expired on {}; no revocation data shows it was not revoked before (no LTV data; --ltv requires it)",
            rfc3339(not_after)
        ));
    }
    // The LTV profile needs revocation data in the file for the TSA as for the signer.
    if opts.ltv {
        if let Some(ts) = report.timestamp.as_ref().filter(|t| t.valid) {
            if let (Some(tsa), Some(at)) = (&ts.tsa_cert, ts.time_unix) {
                let mut pool = ts.embedded.clone();
                pool.extend(file.data.certs.iter().cloned());
                let r = chain::validate_with(
                    tsa,
                    &pool,
                    &opts.store,
                    at,
                    chain::Purpose::TimeStamping,
                    &file.data.revocation,
                );
                match r.revocation {
                    Revocation::Good { .. } => {}
                    Revocation::Revoked { revoked_at, .. } => problems.push(format!(
                        "long-term validation: the timestamp's TSA certificate was revoked at {revoked_at}"
                    )),
                    _ => problems.push(
                        "long-term validation: the file carries no revocation data for the timestamp's TSA certificate"
                            .into(),
                    ),
                }
            }
        }
    }
    // The signature timestamp's TSA certificate has expired since: only a later document
    // timestamp (B-LTA) still vouches for it.
    if let Some(tsa_end) = report.timestamp.as_ref().and_then(|t| t.tsa_not_after) {
        let protected = file
            .poe
            .iter()
            .any(|p| p.signed_end > signed_end && p.tsa_not_after.is_none_or(|e| e >= now));
        if now > tsa_end && !protected {
            let what = format!(
                "the timestamp's TSA certificate expired on {} and no later document timestamp (PAdES B-LTA) protects it",
                rfc3339(tsa_end)
            );
            if opts.ltv {
                problems.push(format!("long-term validation: {what}"));
            } else {
                warnings.push(what);
            }
        }
    }
}
