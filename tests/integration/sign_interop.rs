//! Our signatures checked by independent validators (pyHanko, pdfsig, openssl cms, qpdf), and
//! other signers' PDFs (pyHanko's) checked by ours, with the same verdicts.

use std::process::Command;
use std::time::SystemTime;

use crate::helpers::*;

#[test]
fn cli_sign_with_default_profile_validates_in_pyhanko_pdfsig_openssl_and_qpdf() {
    let d = tmp();
    let (input, output) = (d.path().join("in.pdf"), d.path().join("out.pdf"));
    simple_pdf(&input, 2);
    sign_ok(&input, &output, &[]);

    let (code, report) = verify_json(&output, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["valid"], true);
    assert_eq!(sig_field(&report, 0, "intact"), true);
    assert_eq!(sig_field(&report, 0, "trusted"), true);
    assert_eq!(sig_field(&report, 0, "sub_filter"), "ETSI.CAdES.detached");
    assert_eq!(report["signatures"][0]["pades"]["level"], "B-B");
    assert_eq!(report["signatures"][0]["coverage"]["whole_file"], true);
    assert_eq!(
        report["signatures"][0]["signer"]["common_name"],
        "Nguyễn Thị Hường (TEST)"
    );

    let (code, out) = pyhanko_validate(&output, &certs("root-ca.pem"));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("judged VALID"), "{out}");
    assert!(
        out.contains("The signature covers the entire file"),
        "{out}"
    );

    let out = pdfsig(&output);
    assert!(out.contains("Signature is Valid"), "{out}");
    assert!(out.contains("Certificate is Trusted"), "{out}");
    assert!(out.contains("Total document signed"), "{out}");

    let (ok, out) = qpdf_check(&output);
    assert!(ok, "{out}");

    // openssl cms over the exact signed bytes.
    let (cms, signed) = extract_signature(&read(&output));
    std::fs::write(d.path().join("sig.der"), cms).unwrap();
    std::fs::write(d.path().join("signed.bin"), signed).unwrap();
    let o = Command::new("openssl")
        .args([
            "cms", "-verify", "-binary", "-inform", "DER", "-purpose", "any",
        ])
        .arg("-in")
        .arg(d.path().join("sig.der"))
        .arg("-content")
        .arg(d.path().join("signed.bin"))
        .arg("-CAfile")
        .arg(certs("root-ca.pem"))
        .args(["-out", "/dev/null"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("Verification successful"), "{}", text(&o));
}

#[test]
fn pades_attributes_are_baseline_signing_certificate_v2_and_no_signing_time() {
    let d = tmp();
    let (input, output) = (d.path().join("in.pdf"), d.path().join("out.pdf"));
    simple_pdf(&input, 1);
    let s = signer("official-signer");
    sign_lib(&input, &output, &request(&s, None, SystemTime::now()));
    let (cms, _) = extract_signature(&read(&output));
    std::fs::write(d.path().join("sig.der"), &cms).unwrap();
    let o = Command::new("openssl")
        .args(["cms", "-cmsout", "-print", "-inform", "DER", "-in"])
        .arg(d.path().join("sig.der"))
        .output()
        .unwrap();
    let printed = text(&o);
    assert!(
        printed.contains("id-smime-aa-signingCertificateV2")
            || printed.contains("1.2.840.113549.1.9.16.2.47"),
        "{printed}"
    );
    assert!(printed.contains("messageDigest"), "{printed}");
    assert!(printed.contains("contentType"), "{printed}");
    assert!(
        !printed.contains("signingTime"),
        "PAdES forbids signing-time: {printed}"
    );
    // /M is in the signature dictionary.
    assert!(find(&read(&output), b"/M (D:").is_some());
}

#[test]
fn pades_b_t_with_a_local_tsa_validates_here_and_in_pyhanko() {
    let tsa = TestTsa::start();
    let d = tmp();
    let (input, output) = (d.path().join("in.pdf"), d.path().join("out.pdf"));
    simple_pdf(&input, 1);
    sign_ok(&input, &output, &["--tsa", &tsa.url]);
    let (code, report) = verify_json(&output, &[]);
    assert_eq!(code, 0, "{report:#}");
    let sig = &report["signatures"][0];
    assert_eq!(sig["time_source"], "timestamp", "{sig:#}");
    assert_eq!(sig["pades"]["level"], "B-T");
    assert_eq!(sig["timestamp"]["valid"], true);
    assert_eq!(sig["timestamp"]["imprint_algorithm"], "SHA-256");
    assert!(sig["timestamp"]["tsa"]["common_name"]
        .as_str()
        .unwrap()
        .contains("dấu thời gian"));

    let (code, out) = pyhanko_validate(&output, &certs("root-ca.pem"));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("judged VALID"), "{out}");
    assert!(out.to_lowercase().contains("timestamp"), "{out}");
}

#[test]
fn sha1_timestamp_imprints_from_older_tsas_verify() {
    struct Sha1Tsa(sohoa::sign::HttpTsa);
    impl sohoa::sign::TimestampAuthority for Sha1Tsa {
        fn imprint_alg(&self) -> sohoa::pki::digest::DigestAlg {
            sohoa::pki::digest::DigestAlg::Sha1
        }
        fn timestamp(
            &self,
            alg: sohoa::pki::digest::DigestAlg,
            imprint: &[u8],
            nonce: u64,
        ) -> Result<Vec<u8>, sohoa::sign::tsa::TsaError> {
            self.0.timestamp(alg, imprint, nonce)
        }
    }
    let local = TestTsa::start();
    let tsa = Sha1Tsa(sohoa::sign::HttpTsa::new(local.url.clone()));
    let d = tmp();
    let (input, output) = (d.path().join("in.pdf"), d.path().join("out.pdf"));
    simple_pdf(&input, 1);
    let s = signer("official-signer");
    sign_lib(&input, &output, &request(&s, Some(&tsa), SystemTime::now()));
    let (code, report) = verify_json(&output, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        report["signatures"][0]["timestamp"]["imprint_algorithm"],
        "SHA-1"
    );
    assert_eq!(report["signatures"][0]["time_source"], "timestamp");
}

#[test]
fn second_signature_appends_a_revision_and_both_stay_valid_everywhere() {
    let d = tmp();
    let input = d.path().join("in.pdf");
    let once = d.path().join("once.pdf");
    let twice = d.path().join("twice.pdf");
    simple_pdf(&input, 3);
    sign_ok(&input, &once, &["--signer", "official"]);
    sign_ok(&once, &twice, &["--signer", "org"]);
    // The first file is a byte prefix of the second: an incremental revision.
    let (a, b) = (read(&once), read(&twice));
    assert!(b.starts_with(&a));

    let (code, report) = verify_json(&twice, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["signatures"].as_array().unwrap().len(), 2);
    let first = &report["signatures"][0];
    assert_eq!(first["coverage"]["whole_file"], false);
    assert_eq!(first["coverage"]["later_revisions"], 1);
    assert_eq!(first["modifications"]["level"], "allowed", "{first:#}");
    assert_eq!(report["signatures"][1]["sub_filter"], "adbe.pkcs7.detached");
    assert_eq!(report["signatures"][1]["coverage"]["whole_file"], true);
    assert!(report["signatures"][1]["signer"]["uids"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u == "MST:5000123456"));

    let (code, out) = pyhanko_validate(&twice, &certs("root-ca.pem"));
    assert_eq!(code, 0, "{out}");
    let out = pdfsig(&twice);
    assert_eq!(out.matches("Signature is Valid").count(), 2, "{out}");
    assert!(qpdf_check(&twice).0);
}

#[test]
fn xref_stream_input_is_signed_with_an_xref_stream_revision() {
    let d = tmp();
    let plain = d.path().join("plain.pdf");
    let input = d.path().join("objstm.pdf");
    let output = d.path().join("out.pdf");
    simple_pdf(&plain, 2);
    let o = Command::new("qpdf")
        .args(["--object-streams=generate"])
        .arg(&plain)
        .arg(&input)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert!(find(&read(&input), b"/XRef").is_some());
    sign_ok(&input, &output, &[]);
    let tail = &read(&output)[read(&input).len()..];
    assert!(
        find(tail, b"/Type /XRef").is_some(),
        "the appended section should be an xref stream"
    );
    let (code, report) = verify_json(&output, &[]);
    assert_eq!(code, 0, "{report:#}");
    let (code, out) = pyhanko_validate(&output, &certs("root-ca.pem"));
    assert_eq!(code, 0, "{out}");
    assert!(pdfsig(&output).contains("Signature is Valid"));
    assert!(qpdf_check(&output).0);
}

fn pyhanko_sign(input: &std::path::Path, output: &std::path::Path, extra: &[&str]) {
    let mut cmd = Command::new(venv_bin("pyhanko"));
    cmd.args(["sign", "addsig", "--field", "PyHankoSig"]);
    cmd.args(extra);
    cmd.args(["pkcs12", "--passfile"])
        .arg(passphrase_file())
        .arg(input)
        .arg(output)
        .arg(certs("official-signer.p12"));
    let o = cmd.output().unwrap();
    assert!(o.status.success(), "pyhanko sign: {}", text(&o));
}

#[test]
fn pyhanko_signed_pdfs_verify_with_ours_with_the_same_verdicts() {
    let tsa = TestTsa::start();
    let d = tmp();
    let input = d.path().join("in.pdf");
    simple_pdf(&input, 1);
    let cases: Vec<(&str, Vec<&str>, &str)> = vec![
        ("pkcs7", vec![], "adbe.pkcs7.detached"),
        ("pades", vec!["--use-pades"], "ETSI.CAdES.detached"),
        (
            "pades-t",
            vec!["--use-pades", "--timestamp-url", &tsa.url],
            "ETSI.CAdES.detached",
        ),
    ];
    for (name, extra, sub_filter) in cases {
        let out = d.path().join(format!("{name}.pdf"));
        pyhanko_sign(&input, &out, &extra);
        let (code, py) = pyhanko_validate(&out, &certs("root-ca.pem"));
        assert_eq!(code, 0, "{name}: pyHanko itself: {py}");
        let (code, report) = verify_json(&out, &[]);
        assert_eq!(code, 0, "{name}: {report:#}");
        let sig = &report["signatures"][0];
        assert_eq!(sig["field"], "PyHankoSig");
        assert_eq!(sig["sub_filter"], sub_filter, "{name}");
        assert_eq!(sig["intact"], true);
        assert_eq!(sig["trusted"], true);
        if name == "pades-t" {
            assert_eq!(sig["time_source"], "timestamp", "{sig:#}");
        }
        // The same file with a wrong trust root: both say untrusted.
        let (code, _) = pyhanko_validate(&out, &certs("untrusted-root.pem"));
        assert_ne!(code, 0, "{name}: pyHanko with the wrong root");
        let (code, report) = verify_json(
            &out,
            &["--trust", certs("untrusted-root.pem").to_str().unwrap()],
        );
        assert_eq!(code, 1, "{name}");
        assert_eq!(report["signatures"][0]["trusted"], false);
    }
}

#[test]
fn pyhanko_countersigns_our_signature_and_both_validate() {
    let d = tmp();
    let input = d.path().join("in.pdf");
    let ours = d.path().join("ours.pdf");
    let both = d.path().join("both.pdf");
    simple_pdf(&input, 1);
    sign_ok(&input, &ours, &[]);
    pyhanko_sign(&ours, &both, &["--use-pades"]);
    let (code, report) = verify_json(&both, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["signatures"][0]["modifications"]["level"], "allowed");
    let (code, out) = pyhanko_validate(&both, &certs("root-ca.pem"));
    assert_eq!(code, 0, "{out}");
}

#[test]
fn leaf_only_signatures_verify_with_configured_intermediates_and_not_without() {
    // Real government PDFs usually embed only the signer's certificate.
    let d = tmp();
    let (input, output) = (d.path().join("in.pdf"), d.path().join("leaf-only.pdf"));
    simple_pdf(&input, 1);
    let c = sohoa::pki::keys::load_pkcs12(&certs("org-signer.p12"), &passphrase()).unwrap();
    let s = sohoa::sign::SoftwareRsaSigner::new(c.key, c.cert, Vec::new()).unwrap();
    let mut req = request(&s, None, SystemTime::now());
    req.sub_filter = sohoa::sign::SubFilter::Pkcs7Detached;
    sign_lib(&input, &output, &req);
    let (cms, _) = extract_signature(&read(&output));
    let sd = sohoa::verify::cms_check::parse_signed_data(&cms).unwrap();
    assert_eq!(
        sohoa::verify::cms_check::embedded_certs(&sd.signed_data).len(),
        1
    );

    // The shipped config lists the sub-CA as an intermediate: trusted.
    let (code, report) = verify_json(&output, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        report["signatures"][0]["chain"].as_array().unwrap().len(),
        3
    );

    // An empty config (no intermediates): the path cannot be built.
    let empty = d.path().join("empty.toml");
    std::fs::write(
        &empty,
        "[trust]\nanchors = [\"{root}\"]\n"
            .replace("{root}", certs("root-ca.pem").to_str().unwrap()),
    )
    .unwrap();
    let o = sohoa(&[
        "--config",
        empty.to_str().unwrap(),
        "verify",
        "--json",
        output.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["signatures"][0]["trusted"], false);
    assert!(
        v["signatures"][0]["problems"]
            .to_string()
            .contains("not found"),
        "{v:#}"
    );

    // A folder of intermediates works as well as a file.
    let dir = d.path().join("cas");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(certs("sub-ca.pem"), dir.join("sub-ca.crt")).unwrap();
    let o = sohoa(&[
        "--config",
        empty.to_str().unwrap(),
        "verify",
        "--intermediate",
        dir.to_str().unwrap(),
        output.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[test]
fn hybrid_reference_file_is_signed_and_verified_by_all() {
    let d = tmp();
    let (input, output) = (d.path().join("hybrid.pdf"), d.path().join("out.pdf"));
    hybrid_pdf(&input);
    let (ok, out) = qpdf_check(&input);
    assert!(ok, "the fixture itself must be sound: {out}");
    sign_ok(&input, &output, &[]);
    let (code, report) = verify_json(&output, &[]);
    assert_eq!(code, 0, "{report:#}");
    // pyHanko refuses hybrid files unless told to relax its syntax checks.
    let (code, out) =
        pyhanko_validate_with(&output, &certs("root-ca.pem"), &["--no-strict-syntax"]);
    assert_eq!(code, 0, "{out}");
    assert!(pdfsig(&output).contains("Signature is Valid"));
    let (ok, out) = qpdf_check(&output);
    assert!(ok, "{out}");
}

#[test]
fn reported_sha256_is_the_signed_files_own_digest() {
    // Regression guard for the one-pass hashing in sign: the ByteRange digest and the file's
    // SHA-256 share a prefix; the reported value must still be the whole file's digest.
    let d = tmp();
    let input = d.path().join("in.pdf");
    simple_pdf(&input, 2);
    for signer in ["official", "org"] {
        let out = d.path().join(format!("{signer}.pdf"));
        let o = sign_ok(&input, &out, &["--signer", signer, "--json"]);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let actual = hex::encode(sohoa::pki::digest::DigestAlg::Sha256.digest(&read(&out)));
        assert_eq!(v["sha256"], actual, "{signer}");
        assert_eq!(v["output_bytes"], read(&out).len() as u64);
    }
}

#[test]
fn a_form_written_directly_in_the_catalog_is_kept_and_signed() {
    let d = tmp();
    let (input, output) = (d.path().join("in.pdf"), d.path().join("out.pdf"));
    simple_pdf_with_catalog(
        &input,
        1,
        "/AcroForm << /Fields [] /DA (/Helv 0 Tf 0 g) >> ",
    );
    sign_ok(&input, &output, &[]);
    let (code, report) = verify_json(&output, &[]);
    assert_eq!(code, 0, "{report:#}");
    let (code, out) = pyhanko_validate(&output, &certs("root-ca.pem"));
    assert_eq!(code, 0, "{out}");
    // The form's other entries survive the move into an object of its own.
    let tail = String::from_utf8_lossy(&read(&output)[read(&input).len()..]).into_owned();
    assert!(tail.contains("/DA (/Helv 0 Tf 0 g)"), "{tail}");
    assert!(tail.contains("/SigFlags 3"), "{tail}");
}
