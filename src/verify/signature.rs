//! One signature's verdict: ByteRange, CMS, timestamp, chain, coverage and changes after
//! signing, gathered into a [`SignatureReport`].

use std::io::{Read, Seek, SeekFrom};
use std::time::Duration;

use super::fields::SigField;
use super::ltv::{long_term_checks, FileContext};
use super::report::*;
use super::revocation;
use super::{byterange, changes, cms_check, online, report, timestamp, VerifyError, VerifyOptions};
use crate::pdf::text::decode_text;
use crate::pdf::{Object, PdfFile, XrefEntry};
use crate::pki::chain::{self, Purpose, Revocation, RevocationSource};
use crate::pki::digest::DigestAlg;
use crate::pki::ess::EssBinding;
use crate::pki::names::CertSummary;
use crate::pki::oids;
use crate::time::rfc3339;

/// Largest /Contents gap read (a CMS with chain, timestamp and revocation data fits easily).
const MAX_GAP: u64 = 4 << 20;

/// Digest of the byte ranges, streamed from the file.
fn digest_ranges<R: Read + Seek>(
    src: &mut R,
    ranges: &[(u64, u64)],
    alg: DigestAlg,
) -> std::io::Result<Vec<u8>> {
    let mut h = alg.hasher();
    let mut buf = vec![0u8; 1 << 16];
    for &(start, len) in ranges {
        src.seek(SeekFrom::Start(start))?;
        let mut left = len;
        while left > 0 {
            let want = buf.len().min(left as usize);
            let n = src.read(&mut buf[..want])?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            h.update(&buf[..n]);
            left -= n as u64;
        }
    }
    Ok(h.finalize())
}

pub(super) fn read_exact_at<R: Read + Seek>(
    src: &mut R,
    at: u64,
    len: u64,
) -> std::io::Result<Vec<u8>> {
    src.seek(SeekFrom::Start(at))?;
    let mut v = vec![0u8; len as usize];
    src.read_exact(&mut v)?;
    Ok(v)
}

/// Changes that could not be analysed count as disallowed: nothing vouches for them.
fn unanalysable(what: String) -> Modifications {
    Modifications {
        level: ModificationLevel::Disallowed,
        changes: vec![Change {
            object: "-".into(),
            what,
            allowed: false,
            rule: "changes.unreadable",
        }],
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn verify_one<R: Read + Seek>(
    name: &str,
    open: &impl Fn() -> std::io::Result<R>,
    new: &mut PdfFile<R>,
    raw: &mut R,
    f: &SigField,
    ends: &[u64],
    docmdp: Option<i64>,
    file: &FileContext,
    opts: &VerifyOptions,
) -> Result<SignatureReport, VerifyError> {
    let io = |source| VerifyError::Io {
        file: name.to_string(),
        source,
    };
    let v = &f.value;
    let sub_filter = v
        .name(b"SubFilter")
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .unwrap_or_default();
    let kind = if v.name(b"Type") == Some(b"DocTimeStamp") || sub_filter == "ETSI.RFC3161" {
        SignatureKind::DocumentTimestamp
    } else {
        SignatureKind::Signature
    };
    let text = |k: &[u8]| v.get(k).and_then(Object::as_string).map(decode_text);
    let mut problems = Vec::new();
    let mut warnings = Vec::new();

    // Byte ranges and the gap.
    let br: Vec<i64> = v
        .get(b"ByteRange")
        .and_then(Object::as_array)
        .map(|a| a.iter().filter_map(Object::as_int).collect())
        .unwrap_or_default();
    let parsed = byterange::ranges(&br);
    let file_len = new.len();
    let gap = match parsed {
        Some((a, b, c, _)) if c >= a + b && c - (a + b) <= MAX_GAP && c <= file_len => {
            read_exact_at(raw, a + b, c - (a + b)).ok()
        }
        _ => None,
    };
    let sig_object_offset = f.value_ref.and_then(|r| match new.entries().get(&r.num) {
        Some(XrefEntry::InUse { offset, .. }) => Some(*offset),
        _ => None,
    });
    let byte_range = byterange::check(&byterange::RangeFacts {
        byte_range: &br,
        file_len,
        revision_ends: ends,
        gap: gap.as_deref(),
        sig_object_offset,
    });
    problems.extend(byte_range.problems.iter().cloned());
    let (ranges, signed_end) = match parsed {
        Some((a, b, c, d)) if c.saturating_add(d) <= file_len && c >= a + b => {
            (vec![(a, b), (c, d)], c + d)
        }
        _ => (Vec::new(), 0),
    };
    let contents: Vec<u8> = gap
        .as_deref()
        .and_then(byterange::decode_hex_gap)
        .or_else(|| {
            v.get(b"Contents")
                .and_then(Object::as_string)
                .map(<[u8]>::to_vec)
        })
        .unwrap_or_default();
    if let (Some(dict_contents), Some(gap_contents)) = (
        v.get(b"Contents").and_then(Object::as_string),
        gap.as_deref().and_then(byterange::decode_hex_gap),
    ) {
        if dict_contents != gap_contents.as_slice() {
            problems.push(
                "/Contents in the dictionary differs from the bytes in the unsigned gap".into(),
            );
        }
    }

    // Coverage.
    let revisions: Vec<u64> = new.revisions().iter().map(|r| r.end).collect();
    let rev_index = revisions.iter().position(|&e| {
        e == signed_end || (e > signed_end && e - signed_end <= 2 && ends.contains(&signed_end))
    });
    let coverage = Coverage {
        whole_file: signed_end == file_len,
        revision: rev_index.map(|i| i + 1),
        later_revisions: rev_index.map_or(0, |i| revisions.len() - i - 1),
        signed_bytes: signed_end,
        file_bytes: file_len,
    };

    if signed_end > 0 && signed_end < file_len && coverage.later_revisions == 0 {
        problems.push(format!(
            "{} bytes follow the signed revision without forming a new revision: data smuggled past the signature",
            file_len - signed_end
        ));
    }

    // Digest of the ranges, per algorithm, streamed.
    let mut digest_cache: Vec<(DigestAlg, Vec<u8>)> = Vec::new();
    let mut digest_of = |alg: DigestAlg| -> Result<Vec<u8>, VerifyError> {
        if let Some((_, d)) = digest_cache.iter().find(|(a, _)| *a == alg) {
            return Ok(d.clone());
        }
        let d = digest_ranges(raw, &ranges, alg).map_err(io)?;
        digest_cache.push((alg, d.clone()));
        Ok(d)
    };

    let now = chain::unix(opts.now);
    let mut report = SignatureReport {
        field: f.name.clone(),
        kind,
        sub_filter: sub_filter.clone(),
        signer: None,
        digest_algorithm: None,
        signature_algorithm: None,
        ber_encoded: false,
        intact: false,
        signature_valid: false,
        trusted: false,
        chain: Vec::new(),
        claimed_time: text(b"M"),
        checked_at: rfc3339(now),
        time_source: TimeSource::VerificationTime,
        certificate_valid_at_time: false,
        key_usage_ok: false,
        revocation: Revocation::NotChecked,
        timestamp: None,
        pades: None,
        byte_range,
        coverage,
        modifications: Modifications {
            level: ModificationLevel::None,
            changes: Vec::new(),
        },
        reason: text(b"Reason"),
        location: text(b"Location"),
        appearance: Default::default(),
        valid: false,
        problems: Vec::new(),
        warnings: Vec::new(),
    };

    if contents.is_empty() {
        problems.push("the signature has no /Contents".into());
    } else if kind == SignatureKind::DocumentTimestamp {
        let ts = timestamp::check_token(&contents, &opts.store, &mut digest_of)?;
        report.intact = ts.imprint_ok;
        report.signature_valid = ts.signature_valid;
        report.trusted = ts.trusted;
        report.signer = ts.tsa.clone();
        report.certificate_valid_at_time = ts.trusted;
        report.key_usage_ok = ts.trusted;
        report.time_source = TimeSource::Timestamp;
        if let Some(t) = &ts.time {
            report.checked_at = t.clone();
        }
        problems.extend(ts.problems.iter().cloned());
        report.timestamp = Some(ts);
    } else {
        check_cms_signature(
            &mut report,
            &contents,
            &sub_filter,
            (file, signed_end),
            opts,
            now,
            &mut problems,
            &mut warnings,
            &mut digest_of,
        )?;
    }

    // Modifications after the signed revision.
    if signed_end > 0 && signed_end < file_len {
        let prefix = open().map_err(io)?;
        match PdfFile::open_prefix(prefix, signed_end, opts.limits) {
            Ok(mut old) => match changes::analyse(&mut old, new, docmdp) {
                Ok(m) => report.modifications = m,
                Err(e) => {
                    report.modifications = unanalysable(format!(
                        "the changes after signing could not be analysed: {e}"
                    ))
                }
            },
            Err(e) => {
                report.modifications = unanalysable(format!(
                    "the signed revision cannot be read on its own: {e}"
                ))
            }
        }
    }
    if report.modifications.level == ModificationLevel::Disallowed {
        for c in report.modifications.changes.iter().filter(|c| !c.allowed) {
            problems.push(format!("after signing: {} (object {})", c.what, c.object));
        }
    }

    report.valid = problems.is_empty()
        && report.intact
        && report.signature_valid
        && report.trusted
        && report.certificate_valid_at_time
        && report.key_usage_ok
        && report.byte_range.ok
        && report.modifications.level != ModificationLevel::Disallowed;
    if !report.valid && problems.is_empty() {
        problems.push("the signature could not be confirmed".into());
    }
    report.problems = problems;
    report.warnings = warnings;
    Ok(report)
}

#[allow(clippy::too_many_arguments)]
fn check_cms_signature(
    report: &mut SignatureReport,
    contents: &[u8],
    sub_filter: &str,
    (file, signed_end): (&FileContext, u64),
    opts: &VerifyOptions,
    now: Duration,
    problems: &mut Vec<String>,
    warnings: &mut Vec<String>,
    digest_of: &mut impl FnMut(DigestAlg) -> Result<Vec<u8>, VerifyError>,
) -> Result<(), VerifyError> {
    let parsed = match cms_check::parse_signed_data(contents) {
        Ok(p) => p,
        Err(e) => {
            problems.push(format!("the signature value is not a usable CMS: {e}"));
            return Ok(());
        }
    };
    if parsed.trailing_garbage {
        warnings.push("non-zero bytes follow the CMS inside /Contents".into());
    }
    let embedded = cms_check::embedded_certs(&parsed.signed_data);
    let extra = opts.store.intermediates.to_vec();
    let econtent = parsed.signed_data.encap_content_info.econtent.clone();
    let check = if sub_filter == "adbe.pkcs7.sha1" {
        // The eContent is the SHA-1 of the ranges; the CMS signs the eContent.
        let inner = econtent
            .as_ref()
            .and_then(|e| e.decode_as::<der::asn1::OctetString>().ok())
            .map(|o| o.as_bytes().to_vec())
            .unwrap_or_default();
        let ranges_sha1 = digest_of(DigestAlg::Sha1)?;
        if inner != ranges_sha1 {
            problems
                .push("the SHA-1 digest inside the signature does not match the document".into());
        }
        let mut c = cms_check::check_signer(&parsed, &extra, |alg| {
            Ok::<_, VerifyError>(alg.digest(&inner))
        })?;
        c.intact = c.intact && inner == ranges_sha1;
        c
    } else {
        if econtent.is_some() {
            problems.push("the CMS is not detached: it encapsulates content".into());
        }
        cms_check::check_signer(&parsed, &extra, &mut *digest_of)?
    };
    report.intact = check.intact;
    report.signature_valid = check.signature_valid;
    report.digest_algorithm = check.digest_alg.map(|a| a.name().to_string());
    report.signature_algorithm = check.signature_algorithm.clone();
    report.ber_encoded = parsed.ber;
    if parsed.ber {
        warnings.push(
            "the CMS is BER-encoded (indefinite lengths); it was checked through its DER form"
                .into(),
        );
    }
    if let Some(w) = &check.weakness {
        warnings.push(format!("weak algorithm: the signature uses {w}"));
    }
    problems.extend(check.problems.iter().cloned());
    if !check.intact {
        problems.push(
            "the document was changed inside the signed byte ranges: the digest does not match"
                .into(),
        );
    }

    // Signature timestamp (PAdES B-T).
    let signer_info = parsed.signed_data.signer_infos.0.iter().next();
    let token = signer_info
        .and_then(|si| cms_check::unsigned_attr(si, &oids::ID_AA_TIME_STAMP_TOKEN))
        .and_then(|a| der::Encode::to_der(a).ok());
    let sig_value = check.signature_value.clone();
    if let Some(token) = token {
        let ts = timestamp::check_token(&token, &opts.store, |alg| {
            Ok::<_, VerifyError>(alg.digest(&sig_value))
        })?;
        if ts.valid {
            if let Some(t) = ts.time_unix {
                report.time_source = TimeSource::Timestamp;
                report.checked_at = rfc3339(t);
            }
        } else {
            problems.extend(ts.problems.iter().cloned());
        }
        report.timestamp = Some(ts);
    }
    // Validity time: a valid timestamp (proven); else the time the signer claims (unproven,
    // reported as such; Adobe Reader checks at the claimed time too); else now.
    let claimed = report
        .claimed_time
        .as_deref()
        .and_then(crate::pdf::text::parse_date)
        .map(Duration::from_secs)
        .or(check.signing_time_attr);
    // No valid signature timestamp: the earliest valid document timestamp over this revision.
    let later_poe = file
        .poe
        .iter()
        .filter(|p| p.signed_end > signed_end)
        .min_by_key(|p| p.time);
    if report.time_source != TimeSource::Timestamp {
        if let Some(p) = later_poe {
            report.time_source = TimeSource::DocumentTimestamp;
            report.checked_at = rfc3339(p.time);
        }
    }
    let at = match (&report.timestamp, report.time_source, claimed) {
        (Some(ts), TimeSource::Timestamp, _) => ts.time_unix.unwrap_or(now),
        (_, TimeSource::DocumentTimestamp, _) => later_poe.map_or(now, |p| p.time),
        (_, _, Some(c)) => {
            report.time_source = TimeSource::Claimed;
            report.checked_at = rfc3339(c);
            warnings.push(format!(
                "the signing time {} is claimed by the signer and not proven (no valid timestamp)",
                rfc3339(c)
            ));
            c
        }
        _ => now,
    };
    if claimed.is_some_and(|c| c > now + Duration::from_secs(300)) {
        problems.push("the claimed signing time is in the future".into());
    }

    if let Some(cert) = &check.signer_cert {
        report.signer = Some(CertSummary::of(cert));
        let mut pool = embedded.clone();
        pool.extend(file.data.certs.iter().cloned());
        let mut rev = file.data.revocation.clone();
        if let Some(si) = signer_info {
            let own = revocation::from_signer(&parsed.signed_data, si, warnings);
            rev.crls.extend(own.crls);
            rev.ocsp.extend(own.ocsp);
        }
        let mut chain_report =
            chain::validate_with(cert, &pool, &opts.store, at, Purpose::DocumentSigning, &rev);
        let settled =
            |r: &Revocation| matches!(r, Revocation::Good { .. } | Revocation::Revoked { .. });
        if let (Some(fetcher), false) = (&opts.online, settled(&chain_report.revocation)) {
            let issuer = chain::issuer_of(cert, &pool, &opts.store);
            let failures = match &issuer {
                Some(issuer) => {
                    let (data, failures) = online::fetch_for(cert, issuer, fetcher.as_ref());
                    if !data.is_empty() {
                        rev.crls.extend(data.crls);
                        rev.ocsp.extend(data.ocsp);
                        chain_report = chain::validate_with(
                            cert,
                            &pool,
                            &opts.store,
                            at,
                            Purpose::DocumentSigning,
                            &rev,
                        );
                    }
                    failures
                }
                None => vec![
                    "the issuer's certificate is not known, so its OCSP responder cannot be asked"
                        .into(),
                ],
            };
            if !settled(&chain_report.revocation) {
                chain_report.revocation = Revocation::Unknown {
                    reason: failures.join("; "),
                };
            }
        }
        report.trusted = chain_report.trusted;
        report.certificate_valid_at_time = chain_report.valid_at_time;
        report.key_usage_ok = chain_report.key_usage_ok;
        report.chain = chain_report.path.clone();
        let chain_problems = chain_report.problems.clone();
        if let Revocation::Revoked {
            revoked_at,
            revoked_at_unix,
            reason,
            ..
        } = &chain_report.revocation
        {
            // Revoked after a proven signing time, and not for key compromise: the signature
            // was made while the certificate was good (ETSI EN 319 102-1 §5.6.2.4, simplified).
            let after_proven = report.time_source == TimeSource::Timestamp
                && *revoked_at_unix > at.as_secs()
                && reason != "KeyCompromise";
            let what = format!("the signer certificate was revoked at {revoked_at} ({reason})");
            if after_proven {
                warnings.push(format!("{what}, after the proven signing time"));
            } else {
                problems.push(what);
            }
        }
        problems.extend(chain_problems);
        long_term_checks(
            report,
            &chain_report.revocation,
            cert,
            file,
            signed_end,
            opts,
            problems,
            warnings,
        );
        report.revocation = chain_report.revocation;
        if !report.trusted
            && !problems
                .iter()
                .any(|p| p.contains("trust anchor") || p.contains("issuer"))
        {
            problems.push("the signer certificate does not chain to a trusted root".into());
        }
    }

    if sub_filter == "ETSI.CAdES.detached" {
        let signing_time_attribute = check.signing_time_attr.is_some();
        let proven = matches!(
            report.time_source,
            TimeSource::Timestamp | TimeSource::DocumentTimestamp
        );
        let in_file = matches!(
            &report.revocation,
            Revocation::Good {
                source: RevocationSource::Dss,
                ..
            }
        );
        let archived = file
            .poe
            .iter()
            .any(|p| p.signed_end > signed_end && p.covers_dss);
        let level = match (&check.ess, signing_time_attribute) {
            (EssBinding::V2Matches, false) => Some(match (proven, in_file, archived) {
                (false, _, _) => "B-B",
                (true, false, _) => "B-T",
                (true, true, false) => "B-LT",
                (true, true, true) => "B-LTA",
            }),
            _ => None,
        };
        if check.ess == EssBinding::Absent {
            warnings
                .push("not PAdES baseline: the signingCertificateV2 attribute is missing".into());
        }
        if signing_time_attribute {
            warnings.push("not PAdES baseline: the CMS carries a signing-time attribute".into());
        }
        report.pades = Some(report::PadesCheck {
            level,
            signing_certificate: check.ess.clone(),
            signing_time_attribute,
        });
    }
    if matches!(check.ess, EssBinding::Malformed) {
        problems.push("the signing-certificate attribute is malformed".into());
    }
    Ok(())
}
