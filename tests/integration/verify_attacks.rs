//! Negative cases, each asserting the verdict: tampering inside the signed ranges, changes
//! appended after signing (shadow / incremental-saving attacks), untrusted, expired, revoked and
//! non-signing certificates, truncated /Contents, and every ByteRange anomaly. The attack files
//! are built here from our own signed outputs.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sohoa::pdf::{Dict, Limits, ObjRef, Object, PdfFile, PrevInfo};

use crate::helpers::*;

fn problems(report: &serde_json::Value, i: usize) -> String {
    report["signatures"][i]["problems"].to_string()
}

#[test]
fn our_validator_accepts_the_untouched_sample() {
    let d = tmp();
    let signed = signed_sample(d.path());
    let (code, report) = verify_json(&signed, &[]);
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn one_flipped_byte_inside_the_signed_range_breaks_integrity() {
    let d = tmp();
    let signed = signed_sample(d.path());
    let mut bytes = read(&signed);
    let at = find(&bytes, b"Ho so so 1").unwrap();
    bytes[at] = b'X';
    let bad = d.path().join("flipped.pdf");
    std::fs::write(&bad, bytes).unwrap();
    let (code, report) = verify_json(&bad, &[]);
    assert_eq!(code, 1);
    assert_eq!(report["valid"], false);
    assert_eq!(sig_field(&report, 0, "intact"), false);
    assert!(
        problems(&report, 0).contains("digest does not match"),
        "{report:#}"
    );
}

#[test]
fn a_page_added_after_signing_is_disallowed_though_pdfsig_calls_it_valid() {
    let d = tmp();
    let signed = signed_sample(d.path());
    let bad = d.path().join("newpage.pdf");
    append_revision(&signed, &bad, |pdf, w, next| {
        let cat = pdf.catalog().unwrap();
        let pages_ref = cat.get(b"Pages").and_then(Object::as_ref).unwrap();
        let mut pages = pdf.get(pages_ref).unwrap().as_dict().unwrap().clone();
        let content = ObjRef::new(next, 0);
        let page = ObjRef::new(next + 1, 0);
        w.add_stream(
            content,
            &Dict::new(),
            b"BT /F1 30 Tf 72 700 Td (KHONG HOP LE) Tj ET",
        );
        let mut pd = Dict::new();
        pd.set(b"Type", Object::name("Page"));
        pd.set(b"Parent", Object::Ref(pages_ref));
        pd.set(
            b"MediaBox",
            Object::Array(vec![
                Object::Int(0),
                Object::Int(0),
                Object::Int(595),
                Object::Int(842),
            ]),
        );
        pd.set(b"Contents", Object::Ref(content));
        w.add(page, &Object::Dict(pd));
        let mut kids = pages
            .get(b"Kids")
            .and_then(Object::as_array)
            .unwrap()
            .to_vec();
        kids.push(Object::Ref(page));
        pages.set(b"Kids", Object::Array(kids));
        pages.set(b"Count", Object::Int(3));
        w.add(pages_ref, &Object::Dict(pages));
    });
    assert!(
        pdfsig(&bad).contains("Signature is Valid"),
        "pdfsig's verdict changed?"
    );
    let (code, report) = verify_json(&bad, &[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        sig_field(&report, 0, "intact"),
        true,
        "the signed bytes are untouched"
    );
    assert_eq!(
        report["signatures"][0]["modifications"]["level"],
        "disallowed"
    );
    assert_eq!(report["signatures"][0]["coverage"]["whole_file"], false);
}

#[test]
fn a_changed_content_stream_after_signing_is_disallowed() {
    let d = tmp();
    let signed = signed_sample(d.path());
    let bad = d.path().join("content.pdf");
    append_revision(&signed, &bad, |pdf, w, _| {
        let page = pdf.pages().unwrap()[0];
        let pd = pdf.get(page).unwrap();
        let content = pd
            .as_dict()
            .unwrap()
            .get(b"Contents")
            .and_then(Object::as_ref)
            .unwrap();
        w.add_stream(
            content,
            &Dict::new(),
            b"BT /F1 18 Tf 72 750 Td (Ho so GIA MAO) Tj ET",
        );
    });
    let (code, report) = verify_json(&bad, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        report["signatures"][0]["modifications"]["level"],
        "disallowed"
    );
    assert!(
        problems(&report, 0).contains("changed after signing"),
        "{report:#}"
    );
}

#[test]
fn an_overlay_annotation_added_after_signing_is_disallowed() {
    let d = tmp();
    let signed = signed_sample(d.path());
    let bad = d.path().join("overlay.pdf");
    append_revision(&signed, &bad, |pdf, w, next| {
        let page = pdf.pages().unwrap()[0];
        let mut pd = pdf.get(page).unwrap().as_dict().unwrap().clone();
        let annot = ObjRef::new(next, 0);
        let mut ad = Dict::new();
        ad.set(b"Type", Object::name("Annot"));
        ad.set(b"Subtype", Object::name("FreeText"));
        ad.set(
            b"Rect",
            Object::Array(vec![
                Object::Int(0),
                Object::Int(700),
                Object::Int(595),
                Object::Int(842),
            ]),
        );
        ad.set(b"Contents", Object::String(b"Overlay".to_vec()));
        w.add(annot, &Object::Dict(ad));
        let mut annots = match pd.get(b"Annots").map(|a| pdf.resolve(a).unwrap()) {
            Some(Object::Array(a)) => a,
            _ => vec![],
        };
        annots.push(Object::Ref(annot));
        pd.set(b"Annots", Object::Array(annots));
        w.add(page, &Object::Dict(pd));
    });
    assert!(pdfsig(&bad).contains("Signature is Valid"));
    let (code, report) = verify_json(&bad, &[]);
    assert_eq!(code, 1);
    assert!(
        problems(&report, 0).contains("/FreeText annotation was added"),
        "{report:#}"
    );
}

#[test]
fn a_hidden_object_filled_in_after_signing_is_disallowed() {
    // Shadow "hide" variant: the signed page refers to an object that does not exist yet;
    // a later revision supplies it.
    let d = tmp();
    let input = d.path().join("in.pdf");
    let prepared = d.path().join("prepared.pdf");
    let signed = d.path().join("signed.pdf");
    simple_pdf(&input, 1);
    append_revision(&input, &prepared, |pdf, w, next| {
        let page = pdf.pages().unwrap()[0];
        let mut pd = pdf.get(page).unwrap().as_dict().unwrap().clone();
        pd.set(
            b"Annots",
            Object::Array(vec![Object::Ref(ObjRef::new(next + 50, 0))]),
        );
        w.add(page, &Object::Dict(pd));
    });
    sign_ok(&prepared, &signed, &[]);
    let (code, _) = verify_json(&signed, &[]);
    assert_eq!(code, 0);
    let size = PrevInfo::from_file(
        &mut PdfFile::open(
            BufReader::new(File::open(&prepared).unwrap()),
            Limits::default(),
        )
        .unwrap(),
    )
    .unwrap()
    .size;
    let bad = d.path().join("hidden.pdf");
    append_revision(&signed, &bad, |_, w, _| {
        let mut ad = Dict::new();
        ad.set(b"Type", Object::name("Annot"));
        ad.set(b"Subtype", Object::name("Stamp"));
        ad.set(
            b"Rect",
            Object::Array(vec![
                Object::Int(0),
                Object::Int(0),
                Object::Int(595),
                Object::Int(842),
            ]),
        );
        w.add(ObjRef::new(size + 50, 0), &Object::Dict(ad));
    });
    let (code, report) = verify_json(&bad, &[]);
    assert_eq!(code, 1, "{report:#}");
    assert!(problems(&report, 0).contains("dangling"), "{report:#}");
}

#[test]
fn wrong_trust_root_is_untrusted() {
    let d = tmp();
    let signed = signed_sample(d.path());
    let (code, report) = verify_json(
        &signed,
        &["--trust", certs("untrusted-root.pem").to_str().unwrap()],
    );
    assert_eq!(code, 1);
    assert_eq!(sig_field(&report, 0, "intact"), true);
    assert_eq!(sig_field(&report, 0, "signature_valid"), true);
    assert_eq!(sig_field(&report, 0, "trusted"), false);
}

#[test]
fn signer_from_an_untrusted_root_is_untrusted() {
    let d = tmp();
    let input = d.path().join("in.pdf");
    let out = d.path().join("out.pdf");
    simple_pdf(&input, 1);
    let s = signer("untrusted-signer");
    sign_lib(&input, &out, &request(&s, None, SystemTime::now()));
    let (code, report) = verify_json(&out, &[]);
    assert_eq!(code, 1);
    assert_eq!(sig_field(&report, 0, "trusted"), false);
    assert_eq!(sig_field(&report, 0, "intact"), true);
}

#[test]
fn expired_certificate_is_refused_by_sign_and_invalid_in_verify() {
    let d = tmp();
    let input = d.path().join("in.pdf");
    let out = d.path().join("out.pdf");
    simple_pdf(&input, 1);
    let o = sign_cli_p12(&input, &out, "expired-signer");
    assert!(!o.status.success());
    assert!(text(&o).contains("expired"), "{}", text(&o));
    assert!(!out.exists(), "no output after a refused signature");
    // Signed now (after expiry), bypassing sign's own check: not valid at the signing time.
    let s = signer("expired-signer");
    sohoa::sign::pades::sign_file_unchecked(&input, &out, &request(&s, None, SystemTime::now()))
        .unwrap();
    let (code, report) = verify_json(&out, &[]);
    assert_eq!(code, 1);
    assert_eq!(sig_field(&report, 0, "certificate_valid_at_time"), false);
    assert!(
        problems(&report, 0).contains("is not valid at"),
        "{report:#}"
    );
    // Signed while it was valid (mid-2020), no timestamp: valid at the claimed time, which is
    // reported as unproven.
    let then = UNIX_EPOCH + Duration::from_secs(1_593_561_600);
    sign_lib(&input, &out, &request(&s, None, then));
    let (code, report) = verify_json(&out, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["signatures"][0]["time_source"], "claimed");
    assert_eq!(
        report["signatures"][0]["checked_at"],
        "2020-07-01T00:00:00Z"
    );
    assert!(report["signatures"][0]["warnings"]
        .to_string()
        .contains("not proven"));
}

#[test]
fn revoked_certificate_is_reported_revoked() {
    let d = tmp();
    let input = d.path().join("in.pdf");
    let out = d.path().join("out.pdf");
    simple_pdf(&input, 1);
    let s = signer("revoked-signer");
    sign_lib(&input, &out, &request(&s, None, SystemTime::now()));
    let (code, report) = verify_json(&out, &[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["signatures"][0]["revocation"]["status"], "revoked");
    assert_eq!(
        report["signatures"][0]["revocation"]["reason"],
        "KeyCompromise"
    );
}

#[test]
fn certificate_without_signing_key_usage_is_refused_and_invalid() {
    let d = tmp();
    let input = d.path().join("in.pdf");
    let out = d.path().join("out.pdf");
    simple_pdf(&input, 1);
    let o = sign_cli_p12(&input, &out, "nosign-signer");
    assert!(!o.status.success());
    assert!(text(&o).contains("may not sign"), "{}", text(&o));
    assert!(!out.exists());
    let s = signer("nosign-signer");
    sohoa::sign::pades::sign_file_unchecked(&input, &out, &request(&s, None, SystemTime::now()))
        .unwrap();
    let (code, report) = verify_json(&out, &[]);
    assert_eq!(code, 1);
    assert_eq!(sig_field(&report, 0, "key_usage_ok"), false);
}

#[test]
fn truncated_contents_is_not_a_valid_signature() {
    let d = tmp();
    let signed = signed_sample(d.path());
    let mut bytes = read(&signed);
    let start = find(&bytes, b"/Contents <").unwrap() + 11;
    // Keep the first 200 hex digits of the CMS, zero the rest.
    for b in &mut bytes[start + 200..] {
        if *b == b'>' {
            break;
        }
        *b = b'0';
    }
    let bad = d.path().join("truncated.pdf");
    std::fs::write(&bad, bytes).unwrap();
    let (code, report) = verify_json(&bad, &[]);
    assert_eq!(code, 1);
    assert!(
        problems(&report, 0).contains("not a usable CMS"),
        "{report:#}"
    );
}

/// Rewrites the ByteRange of the (only) signature in place, same width.
fn with_byte_range(signed: &Path, out: &Path, f: impl FnOnce([i64; 4]) -> [i64; 4]) {
    let mut bytes = read(signed);
    let at = find(&bytes, b"/ByteRange [").unwrap() + 11;
    let end = at + bytes[at..].iter().position(|&b| b == b']').unwrap() + 1;
    let nums: Vec<i64> = String::from_utf8_lossy(&bytes[at + 1..end - 1])
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    let new = f([nums[0], nums[1], nums[2], nums[3]]);
    let s = format!("[{} {} {} {}", new[0], new[1], new[2], new[3]);
    let padded = format!("{s:<width$}]", width = end - at - 1);
    bytes[at..end].copy_from_slice(padded.as_bytes());
    std::fs::write(out, bytes).unwrap();
}

#[test]
fn byte_range_anomalies_are_each_rejected() {
    let d = tmp();
    let signed = signed_sample(d.path());
    let len = read(&signed).len() as i64;
    type Edit = Box<dyn Fn([i64; 4]) -> [i64; 4]>;
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "not-from-zero",
            Box::new(|[a, b, c, d]| [a + 1, b - 1, c, d]),
            "not at 0",
        ),
        (
            "gap-too-large",
            Box::new(|[a, b, c, d]| [a, b - 5, c, d]),
            "not exactly the /Contents",
        ),
        (
            "overlap",
            Box::new(|[a, _b, c, d]| [a, c + 10, c, d]),
            "overlap",
        ),
        (
            "short-of-eof",
            Box::new(|[a, b, c, d]| [a, b, c, d - 7]),
            "not the end of a revision",
        ),
        (
            "past-eof",
            Box::new(move |[a, b, c, _]| [a, b, c, len]),
            "past the end of the file",
        ),
    ];
    for (name, f, expect) in cases {
        let bad = d.path().join(format!("{name}.pdf"));
        with_byte_range(&signed, &bad, f);
        let (code, report) = verify_json(&bad, &[]);
        assert_eq!(code, 1, "{name}: {report:#}");
        assert_eq!(report["signatures"][0]["byte_range"]["ok"], false, "{name}");
        assert!(problems(&report, 0).contains(expect), "{name}: {report:#}");
    }
}

#[test]
fn data_appended_without_a_revision_is_reported() {
    let d = tmp();
    let signed = signed_sample(d.path());
    let mut bytes = read(&signed);
    bytes.extend_from_slice(b"\n1000 0 obj (smuggled) endobj\n");
    let bad = d.path().join("trailing.pdf");
    std::fs::write(&bad, bytes).unwrap();
    let (code, report) = verify_json(&bad, &[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["signatures"][0]["coverage"]["whole_file"], false);
}

#[test]
fn not_a_pdf_cannot_be_checked_exit_2() {
    let d = tmp();
    let junk = d.path().join("junk.pdf");
    std::fs::write(&junk, b"GIF89a not a pdf at all").unwrap();
    let o = sohoa(&["verify", junk.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("junk.pdf"),
        "the error names the file: {}",
        text(&o)
    );
}

#[test]
fn an_unsigned_pdf_is_not_valid() {
    let d = tmp();
    let input = d.path().join("in.pdf");
    simple_pdf(&input, 1);
    let (code, report) = verify_json(&input, &[]);
    assert_eq!(code, 1);
    assert!(report["problems"].to_string().contains("no signatures"));
}
