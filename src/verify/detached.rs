//! Edge `verify`, a detached CMS signature over bytes that are not a PDF (RFC 5652 §5 SignedData
//! without eContent; CAdES-B/-T, ETSI EN 319 122-1): a dossier package's manifest, an audit
//! checkpoint. The same checks as a PDF signature's CMS — message digest, signature, the
//! signing-certificate binding, the signature timestamp (RFC 3161), the certificate path and
//! revocation at the proven time — as data: `valid` is the bottom line.

use serde::Serialize;

use super::cms_check;
use super::timestamp::{self, TimestampReport};
use super::VerifyOptions;
use crate::pki::chain::{self, Purpose, Revocation};
use crate::pki::ess::EssBinding;
use crate::pki::names::CertSummary;
use crate::pki::oids;

/// What the check of a detached signature found.
#[derive(Clone, Debug, Serialize)]
pub struct DetachedReport {
    /// The content's digest equals the signed message digest.
    pub intact: bool,
    /// The signature over the signed attributes verifies with the signer's key.
    pub signature_valid: bool,
    /// The signer's certificate chains to a configured trust anchor.
    pub trusted: bool,
    pub signer: Option<CertSummary>,
    pub chain: Vec<CertSummary>,
    pub signature_algorithm: Option<String>,
    pub timestamp: Option<TimestampReport>,
    /// The time the certificates were checked at (RFC 3339): the timestamp's, else now.
    pub checked_at: String,
    pub revocation: Revocation,
    pub valid: bool,
    pub problems: Vec<String>,
    pub warnings: Vec<String>,
}

/// Checks `cms` (DER or BER ContentInfo of a detached SignedData) over `content`. Never an
/// error: whatever is wrong with the input is a problem in the report.
pub fn verify_detached(cms: &[u8], content: &[u8], opts: &VerifyOptions) -> DetachedReport {
    let now = opts
        .now
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let mut r = DetachedReport {
        intact: false,
        signature_valid: false,
        trusted: false,
        signer: None,
        chain: Vec::new(),
        signature_algorithm: None,
        timestamp: None,
        checked_at: crate::time::rfc3339(now),
        revocation: Revocation::NotChecked,
        valid: false,
        problems: Vec::new(),
        warnings: Vec::new(),
    };
    let parsed = match cms_check::parse_signed_data(cms) {
        Ok(p) => p,
        Err(e) => {
            r.problems.push(format!("not a usable CMS signature: {e}"));
            return r;
        }
    };
    if parsed.trailing_garbage {
        r.problems
            .push("bytes follow the CMS signature that are not part of it".into());
    }
    if parsed.signed_data.encap_content_info.econtent.is_some() {
        r.problems
            .push("the CMS encapsulates content: a detached signature was expected".into());
    }
    let check = match cms_check::check_signer(&parsed, &opts.store.intermediates, |alg| {
        Ok::<_, std::convert::Infallible>(alg.digest(content))
    }) {
        Ok(c) => c,
        Err(never) => match never {},
    };
    r.intact = check.intact;
    r.signature_valid = check.signature_valid;
    r.signature_algorithm = check.signature_algorithm.clone();
    r.problems.extend(check.problems.iter().cloned());
    if !check.intact {
        r.problems
            .push("the signed content was changed: its digest does not match the signature".into());
    }
    if let Some(w) = &check.weakness {
        r.warnings.push(format!("weak algorithm: {w}"));
    }
    if check.ess == EssBinding::Absent {
        r.warnings
            .push("no signingCertificateV2 attribute binds the signer's certificate".into());
    }

    // CAdES-T: a signature timestamp proves when the signature existed.
    let mut at = now;
    let token = parsed
        .signed_data
        .signer_infos
        .0
        .iter()
        .next()
        .and_then(|si| cms_check::unsigned_attr(si, &oids::ID_AA_TIME_STAMP_TOKEN))
        .and_then(|a| der::Encode::to_der(a).ok());
    if let Some(token) = token {
        let sig = check.signature_value.clone();
        let ts = match timestamp::check_token(&token, &opts.store, |alg| {
            Ok::<_, std::convert::Infallible>(alg.digest(&sig))
        }) {
            Ok(t) => t,
            Err(never) => match never {},
        };
        match (ts.valid, ts.time_unix) {
            (true, Some(t)) => {
                at = t;
                r.checked_at = crate::time::rfc3339(t);
            }
            _ => r.problems.extend(ts.problems.iter().cloned()),
        }
        r.timestamp = Some(ts);
    }

    if let Some(cert) = &check.signer_cert {
        r.signer = Some(CertSummary::of(cert));
        let pool = cms_check::embedded_certs(&parsed.signed_data);
        let c = chain::validate_with(
            cert,
            &pool,
            &opts.store,
            at,
            Purpose::DocumentSigning,
            &Default::default(),
        );
        r.trusted = c.trusted;
        r.chain = c.path;
        r.problems.extend(c.problems);
        if !c.trusted
            && !r
                .problems
                .iter()
                .any(|p| p.contains("trust anchor") || p.contains("issuer"))
        {
            r.problems
                .push("the signer certificate does not chain to a trusted root".into());
        }
        if let Revocation::Revoked {
            revoked_at, reason, ..
        } = &c.revocation
        {
            r.problems.push(format!(
                "the signer certificate was revoked at {revoked_at} ({reason})"
            ));
        }
        if opts.require_revocation && !matches!(c.revocation, Revocation::Good { .. }) {
            r.problems
                .push("the signer certificate's revocation status is not known".into());
        }
        r.revocation = c.revocation;
    }
    r.valid = r.problems.is_empty() && r.intact && r.signature_valid && r.trusted;
    r
}
