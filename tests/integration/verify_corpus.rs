//! Real files, each with the verdict its note in `tests/corpus/*/README.md` gives: publicly
//! posted Vietnamese government PDFs signed under VGCA (with the pinned VGCA certificates
//! trusted), pyHanko's diff-analysis fixtures (the level pyHanko's own tests assert), and attack
//! files from PDF-security research (every one NOT VALID, for the reason it was made).
//!
//! The files are fetched material and not committed: they are read from `$SOHOA_CORPUS`, else
//! `../shared/corpus` beside the project. Where they are absent each test says so and checks
//! nothing; `SOHOA_REQUIRE_CORPUS=1` makes that a failure.

use std::path::PathBuf;

use crate::helpers::*;

fn corpus(sub: &str) -> Option<PathBuf> {
    let base = std::env::var_os("SOHOA_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/corpus"));
    let dir = base.join(sub);
    if dir.is_dir() {
        return Some(dir);
    }
    let msg = format!(
        "corpus folder {} is absent: this test checked nothing (see tests/corpus/{sub}/README.md)",
        dir.display()
    );
    assert!(std::env::var_os("SOHOA_REQUIRE_CORPUS").is_none(), "{msg}");
    eprintln!("NOTE: {msg}");
    None
}

fn path_arg(p: &std::path::Path) -> String {
    p.to_str().expect("utf-8 path").to_string()
}

/// The real files, validated on 2026-12-01 (so that expiry dates do not move the verdicts).
#[test]
fn real_government_pdfs_verify_as_their_notes_say_with_the_vgca_certificates() {
    let (Some(real), Some(vgca)) = (corpus("real"), corpus("vgca")) else {
        return;
    };
    let trust = format!("--trust-vgca={}", path_arg(&vgca));
    // (file, valid, signatures, what else must hold)
    type Check = fn(&serde_json::Value) -> bool;
    let cases: &[(&str, bool, usize, Check)] = &[
        ("nghi-dinh-50-2026-6-sigs.pdf", true, 6, |r| {
            let s = &r["signatures"];
            s[0]["sub_filter"] == "ETSI.CAdES.detached"
                && s[0]["pades"]["level"] == "B-T"
                && s[0]["timestamp"]["signature_algorithm"] == "ECDSA P-384 with SHA-384"
                && (1..6).all(|i| s[i]["sub_filter"] == "adbe.pkcs7.detached")
                && s[0]["modifications"]
                    .to_string()
                    .contains("structure.attach-widgets")
                && s[5]["modifications"]["level"] == "none"
                // the Prime Minister's signature shows at the end (an image, no text); the
                // Government's seal signatures 2–5 fill in the number and date on page 1
                // (Decree 30/2020): digits only, naming nobody, so no finding
                && s[0]["appearance"]["visible"] == true
                && s[0]["appearance"]["page"] == 30
                && [(1, "50"), (2, "31"), (3, "01"), (4, "2026")].iter().all(|(i, t)| {
                    s[*i]["appearance"]["page"] == 1
                        && s[*i]["appearance"]["text"] == *t
                        && s[*i]["appearance"]["names_signer"].is_null()
                })
                && !r.to_string().contains("does not name the signer")
        }),
        ("nghi-dinh-49-2026-seal-ecdsa-tsa.pdf", true, 1, |r| {
            r["signatures"][0]["timestamp"]["signature_algorithm"] == "ECDSA P-384 with SHA-384"
        }),
        ("nghi-dinh-199-2026-portal-seal-rsa-tsa.pdf", true, 1, |r| {
            r["signatures"][0]["timestamp"]["valid"] == true
        }),
        (
            "thong-tu-51-2025-bca-portal-seal-g1-tsa.pdf",
            true,
            1,
            |r| r["signatures"][0]["time_source"] == "timestamp",
        ),
        ("luat-68-2020-cu-tru-old-ca.pdf", true, 1, |r| {
            r["signatures"][0]["warnings"]
                .to_string()
                .contains("expired")
        }),
        ("nghi-dinh-45-2020-sha1-ber.pdf", true, 1, |r| {
            let s = &r["signatures"][0];
            s["ber_encoded"] == true
                && s["digest_algorithm"] == "SHA-1"
                && s["warnings"].to_string().contains("weak algorithm")
        }),
        (
            "luat-20-2023-gddt-excerpt-broken-byterange.pdf",
            false,
            0,
            |r| {
                r["problems"]
                    .to_string()
                    .contains("not attached to any signature field")
            },
        ),
    ];
    for (file, valid, n, check) in cases {
        let f = real.join(file);
        let (code, r) = verify_json(&f, &[&trust, "--at", "2026-12-01"]);
        assert_eq!(r["valid"], *valid, "{file}: {r:#}");
        assert_eq!(code, if *valid { 0 } else { 1 }, "{file}");
        assert_eq!(r["signatures"].as_array().map_or(0, Vec::len), *n, "{file}");
        assert!(check(&r), "{file}: {r:#}");
        // Without the VGCA certificates: intact, but not trusted.
        if *n > 0 {
            let (code, r) = verify_json(&f, &["--at", "2026-12-01"]);
            assert_eq!(code, 1, "{file}");
            for s in r["signatures"].as_array().unwrap() {
                assert_eq!((&s["intact"], &s["trusted"]), (&true.into(), &false.into()));
            }
        }
    }
}

#[test]
fn pyhanko_diff_analysis_fixtures_get_the_levels_pyhanko_s_tests_assert() {
    let Some(dir) = corpus("pyhanko") else {
        return;
    };
    // pyHanko's FORM_FILLING / LTA_UPDATES are sohoa's "allowed", OTHER is "disallowed".
    let cases = [
        ("form-update-override-appearance-stream.pdf", "allowed"),
        (
            "form-update-override-appearance-stream-ap-indirect.pdf",
            "allowed",
        ),
        (
            "form-update-no-override-appearance-stream-ap-indirect.pdf",
            "allowed",
        ),
        ("form-update-original-ap-type-wrong.pdf", "allowed"),
        (
            "form-update-override-appearance-stream-sneaky.pdf",
            "disallowed",
        ),
        (
            "form-update-override-appearance-stream-ap-indirect-sneaky.pdf",
            "disallowed",
        ),
        (
            "form-update-no-override-appearance-stream-ap-indirect-sneaky.pdf",
            "disallowed",
        ),
        ("form-update-ap-indirect-sneaky-trailer.pdf", "disallowed"),
        ("minimal-two-fields-signed-twice.pdf", "allowed"),
        ("minimal-signed-twice-second-created.pdf", "allowed"),
        ("minimal-signed-twice-both-created.pdf", "allowed"),
        ("minimal-signed-twice-no-sig-type.pdf", "allowed"),
        ("separate-annots-kids-indir.pdf", "allowed"),
        ("certified-with-indirect-refs-in-dir.pdf", "none"),
        ("extensions-direct.pdf", "allowed"),
        ("extensions-indirect.pdf", "allowed"),
        ("extensions-update-direct.pdf", "allowed"),
        ("extensions-update-indirect.pdf", "allowed"),
        ("extensions-indirect-not-all-paths.pdf", "disallowed"),
    ];
    for (file, level) in cases {
        let (_, r) = verify_json(&dir.join(file), &[]);
        let s = &r["signatures"][0];
        assert_eq!(s["intact"], true, "{file}");
        assert_eq!(s["modifications"]["level"], level, "{file}: {s:#}");
    }
    for file in [
        "tail-uncovered.pdf",
        "signature-gap-too-big.pdf",
        "one-byterange.pdf",
        "weird-byterange.pdf",
    ] {
        let (code, r) = verify_json(&dir.join("coverage-anomalies").join(file), &[]);
        assert_eq!(code, 1, "{file}");
        assert_eq!(
            r["signatures"][0]["byte_range"]["ok"], false,
            "{file}: {r:#}"
        );
    }
}

#[test]
fn every_attack_file_is_not_valid_for_the_reason_it_was_made() {
    let Some(dir) = corpus("attacks") else {
        return;
    };
    // (file, the signature's changes are disallowed, its ByteRange is refused)
    let cases = [
        ("rub-hide-v1-manipulated.pdf", true, false),
        ("rub-hide-v2-text-via-form-manipulated.pdf", true, false),
        ("rub-replace-v1-overlay-manipulated.pdf", true, false),
        ("rub-hide-and-replace-v1-manipulated.pdf", true, false),
        ("rub-hide-and-replace-v2-manipulated.pdf", true, false),
        ("hide-shadow-file-signed.pdf", true, false),
        ("replace-shadow-file-signed-manipulated.pdf", true, false),
        ("hide-and-replace-shadow-file-signed-1.pdf", true, false),
        ("hide-and-replace-shadow-file-signed-2.pdf", true, false),
        ("hide-and-replace-shadow-file-signed-3.pdf", true, false),
        ("isa-3.pdf", true, true),
        ("isaValidPdf.pdf", true, false),
        ("siwa.pdf", false, true),
    ];
    for (file, disallowed, bad_range) in cases {
        let f = dir.join(file);
        let (code, r) = verify_json(&f, &[]);
        assert_eq!(code, 1, "{file}");
        let s = r["signatures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["intact"] == true)
            .unwrap_or_else(|| panic!("{file}: the attacked signature itself is intact: {r:#}"));
        if disallowed {
            assert_eq!(s["modifications"]["level"], "disallowed", "{file}: {s:#}");
        }
        if bad_range {
            assert_eq!(s["byte_range"]["ok"], false, "{file}: {s:#}");
        }
    }
    // The control: the hide attack's file as signed, before manipulation.
    let (_, r) = verify_json(&dir.join("rub-hide-v1-signed.pdf"), &[]);
    let s = &r["signatures"][0];
    assert_eq!(
        (&s["intact"], &s["modifications"]["level"]),
        (&true.into(), &"none".into())
    );
    // Genuine: iText's CAdES signature, a DSS with OCSP, and a BER document timestamp.
    let root = dir.join("itext-test-root.pem");
    let (code, r) = verify_json(
        &dir.join("ber-genuine-itext-ltvDoc.pdf"),
        &["--trust", &path_arg(&root), "--ltv"],
    );
    assert_eq!(code, 0, "{r:#}");
    let s = &r["signatures"];
    assert_eq!(s[0]["pades"]["level"], "B-LTA");
    assert_eq!(s[0]["revocation"]["source"], "dss");
    assert_eq!(s[0]["time_source"], "document_timestamp");
    assert_eq!(s[1]["kind"], "document_timestamp");
    assert_eq!(s[1]["timestamp"]["ber_encoded"], true);
}
