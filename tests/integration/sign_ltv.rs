//! PAdES B-LT and B-LTA made by sohoa (`sohoa sign --level`, `sohoa ltv add`): validated by
//! pyHanko with the OCSP responder and the TSAs stopped, and by sohoa after the signer's
//! certificate has expired; the same files without their DSS do not hold.

use std::path::Path;

use crate::helpers::*;
use crate::verify_interop::trust_config;

/// `sohoa --config CFG ARGS…`, asserted to succeed.
fn run_ok(cfg: &Path, args: &[&str]) -> String {
    let mut all = vec!["--config", cfg.to_str().unwrap()];
    all.extend_from_slice(args);
    let o = sohoa(&all);
    assert!(o.status.success(), "sohoa {args:?}: {}", text(&o));
    text(&o)
}

fn sign_at(cfg: &Path, input: &Path, out: &Path, level: &str, tsa: &str, archive: &str) {
    run_ok(
        cfg,
        &[
            "sign",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--p12",
            certs("aia-good-signer.p12").to_str().unwrap(),
            "--passphrase-file",
            passphrase_file().to_str().unwrap(),
            "--tsa",
            tsa,
            "--archive-tsa",
            archive,
            "--level",
            level,
        ],
    );
}

/// pyHanko's long-term validation (`pyhanko sign adesverify`: ETSI EN 319 102-1, revocation
/// data required for every certificate; pyhanko-cli 0.6 has it in place of the old
/// `validate --ltv-profile`) with nothing it could ask still running: (passed, output).
/// Not at a later date: ETSI validates the newest timestamp with revocation data current
/// then, which only a later renewal (`store renew`) or a live responder provides.
fn pyhanko_ltv(file: &Path) -> (bool, String) {
    let o = std::process::Command::new(venv_bin("pyhanko"))
        .args(["sign", "adesverify", "--pretty-print", "--trust"])
        .arg(certs("root-ca.pem"))
        .arg("--trust-replace")
        .arg(file)
        .output()
        .unwrap();
    (o.status.success(), text(&o))
}

/// A copy of `file` with a revision that drops the catalog's /DSS.
fn without_dss(file: &Path, out: &Path) {
    append_revision(file, out, |pdf, w, _| {
        let root = pdf.trailer().get(b"Root").and_then(|o| o.as_ref()).unwrap();
        let mut cat = pdf.catalog().unwrap();
        assert!(cat.remove(b"DSS").is_some(), "no DSS in {}", file.display());
        w.add(root, &sohoa::pdf::Object::Dict(cat));
    });
}

#[test]
fn sohoa_b_lt_and_b_lta_validate_offline_in_pyhanko_and_outlive_the_signer_certificate() {
    let _port = ocsp_port();
    let d = tmp();
    // The root's CRL covers the sub-CA and both TSAs, the sub-CA's the OCSP responder; the
    // signer's status comes from the OCSP responder its AIA names.
    let cfg = trust_config(d.path(), &["sub-ca.crl", "root-ca.crl"]);
    let input = d.path().join("in.pdf");
    simple_pdf(&input, 1);
    let (blt, blta, bt, upgraded) = (
        d.path().join("b-lt.pdf"),
        d.path().join("b-lta.pdf"),
        d.path().join("b-t.pdf"),
        d.path().join("b-t-upgraded.pdf"),
    );
    {
        let _ocsp = ocsp_responder();
        let tsa = TestTsa::start();
        let archive = TestTsa::start_as("archive-tsa");
        sign_at(&cfg, &input, &blt, "B-LT", &tsa.url, &archive.url);
        sign_at(&cfg, &input, &blta, "B-LTA", &tsa.url, &archive.url);
        sign_at(&cfg, &input, &bt, "B-T", &tsa.url, &archive.url);
        let out = run_ok(
            &cfg,
            &[
                "ltv",
                "add",
                bt.to_str().unwrap(),
                "-o",
                upgraded.to_str().unwrap(),
                "--tsa",
                &archive.url,
                "--json",
            ],
        );
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["level"], "B-LTA", "{v:#}");
        assert!(v["dss_items"].as_u64().unwrap() >= 4, "{v:#}");
    }
    // Everything that could be asked is stopped now.
    for f in [&blt, &blta, &upgraded] {
        let (ok, out) = pyhanko_ltv(f);
        assert!(ok, "{}: pyHanko: {out}", f.display());
    }
    // sohoa: today, and in 2047 (signer and first TSA expired at the end of 2046; the archive
    // TSA is valid to mid-2048).
    let level = |r: &serde_json::Value| r["signatures"][0]["pades"]["level"].clone();
    let (code, r) = verify_json(
        &blt,
        &["--ltv", "--trust", certs("root-ca.pem").to_str().unwrap()],
    );
    assert_eq!((code, level(&r)), (0, "B-LT".into()), "{r:#}");
    for f in [&blta, &upgraded] {
        let trust = certs("root-ca.pem");
        let (code, r) = verify_json(f, &["--ltv", "--trust", trust.to_str().unwrap()]);
        assert_eq!((code, level(&r)), (0, "B-LTA".into()), "{r:#}");
        let (code, r) = verify_json(
            f,
            &[
                "--ltv",
                "--at",
                "2047-06-01",
                "--trust",
                trust.to_str().unwrap(),
            ],
        );
        assert_eq!(code, 0, "{}: {r:#}", f.display());
        assert_eq!(
            r["signatures"][0]["certificate_valid_at_time"], true,
            "{r:#}"
        );
        // Without its DSS, the same file proves nothing once the responders are gone.
        let stripped = d.path().join("stripped.pdf");
        without_dss(f, &stripped);
        let (ok, out) = pyhanko_ltv(&stripped);
        assert!(
            !ok,
            "pyHanko accepted a B-LTA without its DSS offline: {out}"
        );
        let (code, r) = verify_json(
            &stripped,
            &[
                "--ltv",
                "--at",
                "2047-06-01",
                "--trust",
                trust.to_str().unwrap(),
            ],
        );
        assert_eq!(code, 1, "{r:#}");
    }
}

#[test]
fn b_lt_is_refused_when_revocation_data_is_missing_or_says_revoked_and_no_file_is_left() {
    let _port = ocsp_port();
    let d = tmp();
    let input = d.path().join("in.pdf");
    simple_pdf(&input, 1);
    let tsa = TestTsa::start();
    let sign = |cfg: &Path, p12: &str, out: &Path, tsa: &[&str], level: &str| {
        let (input, out, p12, pass) = (
            input.to_str().unwrap(),
            out.to_str().unwrap(),
            certs(p12),
            passphrase_file(),
        );
        let mut args = vec!["--config", cfg.to_str().unwrap(), "sign", input, "-o", out];
        args.extend(["--p12", p12.to_str().unwrap()]);
        args.extend(["--passphrase-file", pass.to_str().unwrap()]);
        args.extend_from_slice(tsa);
        args.extend(["--level", level]);
        let o = sohoa(&args);
        (o.status.code(), text(&o))
    };
    let with_tsa = ["--tsa", tsa.url.as_str()];
    // No CRLs configured and the OCSP responder down: nothing can speak for the signer.
    let bare = trust_config(d.path(), &[]);
    let out = d.path().join("missing.pdf");
    let (code, msg) = sign(&bare, "aia-good-signer.p12", &out, &with_tsa, "B-LT");
    assert_eq!(code, Some(2), "{msg}");
    assert!(
        msg.contains("cannot make B-LT") && msg.contains("Hoàng Văn Còn Hiệu Lực"),
        "{msg}"
    );
    assert!(
        !out.exists(),
        "a B-T file was left where B-LT was asked for"
    );
    // The responder says revoked: refused, whatever the CRLs say.
    let _ocsp = ocsp_responder();
    let cfg = d.path().join("crls");
    std::fs::create_dir_all(&cfg).unwrap();
    let cfg = trust_config(&cfg, &["sub-ca.crl", "root-ca.crl"]);
    let out = d.path().join("revoked.pdf");
    let (code, msg) = sign(&cfg, "aia-revoked-signer.p12", &out, &with_tsa, "B-LT");
    assert_eq!(code, Some(2), "{msg}");
    assert!(
        msg.contains("refusing B-LT") && msg.contains("revoked"),
        "{msg}"
    );
    assert!(!out.exists());
    // B-LT without a TSA is refused before anything is signed.
    let (code, msg) = sign(&cfg, "aia-good-signer.p12", &out, &[], "B-LTA");
    assert_eq!(code, Some(2), "{msg}");
    assert!(msg.contains("needs a TSA"), "{msg}");
    let left: Vec<_> = std::fs::read_dir(d.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".sohoa-"))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

#[test]
fn b_lt_fetches_the_crl_at_the_signers_distribution_point_and_validates_without_it() {
    let _port = ocsp_port();
    let d = tmp();
    // Only the root's CRL is configured: the signer's status must come from its CDP.
    let cfg = trust_config(d.path(), &["root-ca.crl"]);
    let input = d.path().join("in.pdf");
    simple_pdf(&input, 1);
    let tsa = TestTsa::start();
    let out = d.path().join("cdp-b-lt.pdf");
    let sign = || {
        sohoa(&[
            "--config",
            cfg.to_str().unwrap(),
            "sign",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--p12",
            certs("cdp-signer.p12").to_str().unwrap(),
            "--passphrase-file",
            passphrase_file().to_str().unwrap(),
            "--tsa",
            &tsa.url,
            "--level",
            "B-LT",
        ])
    };
    // The distribution point down: refused, naming the signer.
    let o = sign();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("Vũ Thị Xê Rê Lờ"), "{}", text(&o));
    {
        let _cdp = crl_server();
        let o = sign();
        assert!(o.status.success(), "{}", text(&o));
    }
    // Everything stopped: the file holds the CRL it fetched.
    let (code, r) = verify_json(
        &out,
        &["--ltv", "--trust", certs("root-ca.pem").to_str().unwrap()],
    );
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["signatures"][0]["revocation"]["source"], "dss", "{r:#}");
    assert_eq!(r["signatures"][0]["revocation"]["method"], "CRL", "{r:#}");
    let (ok, msg) = pyhanko_ltv(&out);
    assert!(ok, "pyHanko: {msg}");
}
