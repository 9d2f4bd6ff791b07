//! The verification report as an auditor reads it (plain text; `--json` gives the data).

use std::fmt::Write;

use super::report::{FileReport, ModificationLevel, SignatureKind, TimeSource};
use crate::pki::chain::Revocation;

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "NO"
    }
}

/// Renders one file's report.
pub fn render(r: &FileReport) -> String {
    let mut s = String::new();
    let verdict = if r.valid {
        "VALID — HỢP LỆ"
    } else {
        "NOT VALID — KHÔNG HỢP LỆ"
    };
    let _ = writeln!(s, "{}: {verdict}", r.file);
    let _ = writeln!(
        s,
        "  {} bytes, {} revision(s), {} signature(s)",
        r.bytes,
        r.revisions,
        r.signatures.len()
    );
    for p in &r.problems {
        let _ = writeln!(s, "  problem: {p}");
    }
    for w in &r.warnings {
        let _ = writeln!(s, "  note: {w}");
    }
    for (i, sig) in r.signatures.iter().enumerate() {
        let kind = match sig.kind {
            SignatureKind::DocumentTimestamp => "document timestamp",
            _ => "signature",
        };
        let _ = writeln!(
            s,
            "\n  [{}] {kind} \"{}\": {}",
            i + 1,
            sig.field,
            if sig.valid { "valid" } else { "NOT VALID" }
        );
        if let Some(signer) = &sig.signer {
            let _ = writeln!(s, "      signer:        {}", signer.subject);
            let _ = writeln!(
                s,
                "      certificate:   serial {}, issued by {}",
                signer.serial, signer.issuer
            );
            let _ = writeln!(
                s,
                "                     valid {} to {}",
                signer.not_before, signer.not_after
            );
        }
        let _ = writeln!(
            s,
            "      format:        {}{}{}",
            sig.sub_filter,
            sig.digest_algorithm
                .as_ref()
                .map(|d| format!(", {d}"))
                .unwrap_or_default(),
            sig.pades
                .as_ref()
                .and_then(|p| p.level)
                .map(|l| format!(", PAdES {l}"))
                .unwrap_or_default()
        );
        if let Some(a) = &sig.signature_algorithm {
            let ber = if sig.ber_encoded {
                " (BER-encoded CMS)"
            } else {
                ""
            };
            let _ = writeln!(s, "      algorithm:     {a}{ber}");
        }
        if let Some(t) = &sig.claimed_time {
            let _ = writeln!(s, "      claimed time:  {t}");
        }
        let source = match sig.time_source {
            TimeSource::Timestamp => "proven by timestamp",
            TimeSource::DocumentTimestamp => "proven by a later document timestamp",
            TimeSource::Claimed => "claimed by the signer, unproven",
            _ => "verification time",
        };
        let _ = writeln!(s, "      checked at:    {} ({source})", sig.checked_at);
        let _ = writeln!(s, "      intact:        {}", yes(sig.intact));
        let _ = writeln!(s, "      signature:     {}", yes(sig.signature_valid));
        let _ = writeln!(s, "      trusted:       {}", yes(sig.trusted));
        if sig.chain.len() > 1 {
            let path: Vec<_> = sig
                .chain
                .iter()
                .map(|c| c.common_name.clone().unwrap_or_else(|| c.subject.clone()))
                .collect();
            let _ = writeln!(s, "      chain:         {}", path.join(" → "));
        }
        let _ = writeln!(
            s,
            "      cert valid:    {}",
            yes(sig.certificate_valid_at_time)
        );
        let _ = writeln!(s, "      key usage ok:  {}", yes(sig.key_usage_ok));
        let rev = match &sig.revocation {
            Revocation::NotChecked => {
                "not checked (no CRL or OCSP response for the signer)".to_string()
            }
            Revocation::Good {
                method,
                by,
                this_update,
                source,
                ..
            } => format!(
                "good ({method} of {by}, {this_update}, from {})",
                source.describe()
            ),
            Revocation::Revoked {
                revoked_at,
                reason,
                method,
                source,
                ..
            } => format!(
                "REVOKED at {revoked_at} ({reason}; {method} from {})",
                source.describe()
            ),
            Revocation::Unknown { reason } => format!("UNKNOWN: {reason}"),
        };
        let _ = writeln!(s, "      revocation:    {rev}");
        if let Some(ts) = &sig.timestamp {
            let _ = writeln!(
                s,
                "      timestamp:     {} by {}{} — {}",
                ts.time.as_deref().unwrap_or("?"),
                ts.tsa
                    .as_ref()
                    .and_then(|t| t.common_name.clone())
                    .unwrap_or_else(|| "unknown TSA".into()),
                ts.signature_algorithm
                    .as_ref()
                    .map(|a| format!(", {a}"))
                    .unwrap_or_default(),
                if ts.valid { "valid" } else { "NOT VALID" }
            );
        }
        let cov = &sig.coverage;
        let coverage = if cov.whole_file {
            "the whole file".to_string()
        } else {
            format!(
                "{} of {} bytes (revision {}; {} later revision(s))",
                cov.signed_bytes,
                cov.file_bytes,
                cov.revision.map_or("?".into(), |r| r.to_string()),
                cov.later_revisions
            )
        };
        let _ = writeln!(s, "      covers:        {coverage}");
        let m = match sig.modifications.level {
            ModificationLevel::None => "none",
            ModificationLevel::Allowed => "allowed only",
            _ => "DISALLOWED",
        };
        let _ = writeln!(s, "      changes after: {m}");
        for c in &sig.modifications.changes {
            let _ = writeln!(
                s,
                "        {} {} (object {}; rule {})",
                if c.allowed { "·" } else { "✗" },
                c.what,
                c.object,
                c.rule
            );
        }
        let ap = &sig.appearance;
        let shows = match (ap.visible, ap.page, ap.rect, &ap.text) {
            (false, ..) => "nothing (an invisible signature)".to_string(),
            (true, page, rect, text) => format!(
                "a stamp on page {} at [{}]{}",
                page.map_or("?".into(), |p| p.to_string()),
                rect.map(|r| r.map(|v| format!("{v:.0}")).join(" "))
                    .unwrap_or_default(),
                text.as_deref()
                    .map(|t| format!(": \"{t}\""))
                    .unwrap_or_else(|| " (no text)".into())
            ),
        };
        let _ = writeln!(s, "      shows:         {shows}");
        if let Some(r) = &sig.reason {
            let _ = writeln!(s, "      reason:        {r}");
        }
        for p in &sig.problems {
            let _ = writeln!(s, "      problem: {p}");
        }
        for w in &sig.warnings {
            let _ = writeln!(s, "      note: {w}");
        }
    }
    s
}
