//! Signatures sohoa did not make, checked as their makers and pyHanko check them: ECDSA
//! (P-256/384/521) and RSASSA-PSS CMS from OpenSSL and from pyHanko, BER-encoded CMS from
//! OpenSSL's streaming encoder, ECDSA timestamps from `openssl ts`; revocation by OCSP from
//! OpenSSL's responder (online, and embedded in a DSS by pyHanko); and long-term validation
//! (B-LT, B-LTA) after the certificates expire, with pyHanko's AdES validation agreeing.
//!
//! Fixtures are made here, each run, from the test PKI (`scripts/gen-test-pki-extra.sh`).

use std::path::Path;
use std::process::Command;

use crate::helpers::*;

/// The signed ranges and the /Contents hex gap (start, end) of the last signature in `pdf`.
fn ranges_and_gap(pdf: &[u8]) -> (Vec<u8>, usize, usize) {
    let n = byte_range(pdf);
    let mut signed = pdf[n[0]..n[0] + n[1]].to_vec();
    signed.extend_from_slice(&pdf[n[2]..n[2] + n[3]]);
    (signed, n[0] + n[1] + 1, n[2] - 1)
}

/// Replaces the CMS of `signed` (made by sohoa, adbe.pkcs7.detached) with one OpenSSL makes
/// over the same ranges with `who`'s key (`openssl cms -sign`, detached). With `-stream` OpenSSL
/// writes BER (indefinite lengths) but encapsulates its content: the file then becomes
/// adbe.pkcs7.sha1, whose CMS encapsulates the SHA-1 of the ranges (ISO 32000-1 §12.8.3.3.1).
/// Returns the first two bytes of the new CMS.
fn openssl_resign(signed: &Path, out: &Path, who: &str, extra: &[&str]) -> [u8; 2] {
    let d = tmp();
    let mut pdf = read(signed);
    let encapsulated = extra.contains(&"-stream");
    if encapsulated {
        let at = find(&pdf, b"/adbe.pkcs7.detached").expect("SubFilter");
        pdf[at..at + 20].copy_from_slice(b"/adbe.pkcs7.sha1    ");
    }
    let (mut data, gap_start, gap_end) = ranges_and_gap(&pdf);
    if encapsulated {
        data = sohoa::pki::digest::DigestAlg::Sha1.digest(&data);
    }
    let data_file = d.path().join("data.bin");
    let cms_file = d.path().join("cms.der");
    std::fs::write(&data_file, &data).unwrap();
    let o = Command::new("openssl")
        .args(["cms", "-sign", "-binary", "-outform", "DER", "-nosmimecap"])
        .arg("-in")
        .arg(&data_file)
        .arg("-signer")
        .arg(certs(&format!("{who}.pem")))
        .arg("-inkey")
        .arg(certs(&format!("{who}.key.pem")))
        .arg("-passin")
        .arg(format!("file:{}", passphrase_file().display()))
        .arg("-out")
        .arg(&cms_file)
        .args(extra)
        .output()
        .unwrap();
    assert!(o.status.success(), "openssl cms: {}", text(&o));
    let cms = read(&cms_file);
    let hex = hex::encode_upper(&cms);
    assert!(
        hex.len() <= gap_end - gap_start,
        "the CMS does not fit the gap"
    );
    pdf[gap_start..gap_start + hex.len()].copy_from_slice(hex.as_bytes());
    for b in &mut pdf[gap_start + hex.len()..gap_end] {
        *b = b'0';
    }
    std::fs::write(out, pdf).unwrap();
    [cms[0], cms[1]]
}

#[test]
fn ecdsa_pss_and_ber_signatures_made_by_openssl_verify_and_tampering_still_shows() {
    let d = tmp();
    let input = d.path().join("in.pdf");
    let ours = d.path().join("ours.pdf");
    simple_pdf(&input, 1);
    sign_ok(&input, &ours, &["--sub-filter", "adbe.pkcs7.detached"]);
    let cases: &[(&str, &[&str], &str, bool)] = &[
        (
            "ecdsa-p256-signer",
            &["-md", "sha256"],
            "ECDSA P-256 with SHA-256",
            false,
        ),
        (
            "ecdsa-p384-signer",
            &["-md", "sha384"],
            "ECDSA P-384 with SHA-384",
            false,
        ),
        (
            "ecdsa-p521-signer",
            &["-md", "sha512"],
            "ECDSA P-521 with SHA-512",
            false,
        ),
        (
            "pss-signer",
            &[
                "-md",
                "sha256",
                "-keyopt",
                "rsa_padding_mode:pss",
                "-keyopt",
                "rsa_pss_saltlen:32",
            ],
            "RSA-2048 PSS with SHA-256 (salt 32)",
            false,
        ),
        // OpenSSL's streaming encoder: indefinite lengths throughout (BER), content encapsulated.
        (
            "ecdsa-p384-signer",
            &["-md", "sha384", "-stream"],
            "ECDSA P-384 with SHA-384",
            true,
        ),
        (
            "official-signer",
            &["-md", "sha256", "-stream"],
            "RSA-2048 PKCS#1 v1.5 with SHA-256",
            true,
        ),
    ];
    for (i, (who, extra, alg, ber)) in cases.iter().enumerate() {
        let out = d.path().join(format!("{i}-{who}.pdf"));
        let head = openssl_resign(&ours, &out, who, extra);
        assert_eq!(head == [0x30, 0x80], *ber, "{who} {extra:?}: BER as asked");
        let (code, report) = verify_json(&out, &[]);
        assert_eq!(code, 0, "{who} {extra:?}: {report:#}");
        let sig = &report["signatures"][0];
        assert_eq!(sig["signature_algorithm"], *alg, "{sig:#}");
        assert_eq!(sig["ber_encoded"], *ber);
        let sub_filter = if *ber {
            "adbe.pkcs7.sha1"
        } else {
            "adbe.pkcs7.detached"
        };
        assert_eq!(sig["sub_filter"], sub_filter);
        // pyHanko agrees (intact and trusted with the test root).
        let (code, py) = pyhanko_validate(&out, &certs("root-ca.pem"));
        assert_eq!(code, 0, "{who}: pyHanko: {py}");
        // One flipped byte inside the signed range: intact no more, whatever the algorithm.
        let mut bad = read(&out);
        let at = find(&bad, b"Ho so so 1").expect("page text");
        bad[at] ^= 0x20;
        let bad_file = d.path().join(format!("{i}-bad.pdf"));
        std::fs::write(&bad_file, bad).unwrap();
        let (code, report) = verify_json(&bad_file, &[]);
        assert_eq!(code, 1, "{who}");
        assert_eq!(report["signatures"][0]["intact"], false);
    }
}

fn pyhanko_addsig(input: &Path, output: &Path, p12: &str, extra: &[&str]) {
    let o = Command::new(venv_bin("pyhanko"))
        .args(["sign", "addsig", "--field", "PyHankoSig"])
        .args(extra)
        .args(["pkcs12", "--passfile"])
        .arg(passphrase_file())
        .arg(input)
        .arg(output)
        .arg(certs(&format!("{p12}.p12")))
        .output()
        .unwrap();
    assert!(o.status.success(), "pyhanko sign: {}", text(&o));
}

#[test]
fn ecdsa_and_pss_signatures_from_pyhanko_with_an_ecdsa_timestamp_verify() {
    let tsa = TestTsa::start_as("ecdsa-tsa");
    let d = tmp();
    let input = d.path().join("in.pdf");
    simple_pdf(&input, 1);
    let cases: &[(&str, &[&str], &str)] = &[
        ("ecdsa-p256-signer", &[], "ECDSA P-256 with SHA-256"),
        ("ecdsa-p384-signer", &[], "ECDSA P-384 with SHA-384"),
        ("pss-signer", &["--prefer-pss"], "RSA-2048 PSS with SHA-256"),
    ];
    for (who, extra, alg) in cases {
        let out = d.path().join(format!("{who}.pdf"));
        let mut args = vec!["--use-pades", "--timestamp-url", tsa.url.as_str()];
        args.extend_from_slice(extra);
        pyhanko_addsig(&input, &out, who, &args);
        let (code, report) = verify_json(&out, &[]);
        assert_eq!(code, 0, "{who}: {report:#}");
        let sig = &report["signatures"][0];
        assert!(
            sig["signature_algorithm"]
                .as_str()
                .unwrap_or_default()
                .starts_with(alg),
            "{who}: {sig:#}"
        );
        assert_eq!(sig["time_source"], "timestamp", "{sig:#}");
        assert_eq!(
            sig["timestamp"]["signature_algorithm"], "ECDSA P-384 with SHA-384",
            "{sig:#}"
        );
        assert_eq!(sig["pades"]["level"], "B-T");
    }
}

fn sign_p12(input: &Path, output: &Path, p12: &str) {
    let o = sign_cli_p12(input, output, p12);
    assert!(o.status.success(), "sign with {p12}: {}", text(&o));
}

/// A config.toml in `dir` trusting the test root and sub-CA with these CRLs of the test PKI
/// (none: only the file's own data or OCSP can settle revocation).
pub fn trust_config(dir: &Path, crls: &[&str]) -> std::path::PathBuf {
    let cfg = dir.join("config.toml");
    let crls: Vec<String> = crls.iter().map(|c| format!("{:?}", certs(c))).collect();
    std::fs::write(
        &cfg,
        format!(
            "[trust]\nanchors = [{:?}]\nintermediates = [{:?}]\ncrls = [{}]\n",
            certs("root-ca.pem"),
            certs("sub-ca.pem"),
            crls.join(", ")
        ),
    )
    .unwrap();
    cfg
}

/// `sohoa --config CFG verify --json FILE extra…` (exit code, report).
fn verify_with(cfg: &Path, file: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let mut args = vec![
        "--config",
        cfg.to_str().unwrap(),
        "verify",
        "--json",
        file.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = sohoa(&args);
    let v = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    (o.status.code().unwrap_or(-1), v)
}

#[test]
fn ocsp_from_a_local_openssl_responder_good_revoked_unknown_and_down() {
    let _port = ocsp_port();
    let d = tmp();
    // Trust without the configured CRL, so that only OCSP can settle revocation.
    let cfg = trust_config(d.path(), &[]);
    let verify_json = |f: &Path, extra: &[&str]| verify_with(&cfg, f, extra);
    let input = d.path().join("in.pdf");
    simple_pdf(&input, 1);
    let mut files = Vec::new();
    for who in ["good", "revoked", "unknown"] {
        let out = d.path().join(format!("{who}.pdf"));
        sign_p12(&input, &out, &format!("aia-{who}-signer"));
        files.push((who, out));
    }
    // Offline: no revocation data anywhere, nothing asked, valid (soft-fail) but not with
    // --require-revocation.
    let (code, report) = verify_json(&files[0].1, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        report["signatures"][0]["revocation"]["status"],
        "not_checked"
    );
    let (code, _) = verify_json(&files[0].1, &["--require-revocation"]);
    assert_eq!(code, 1);
    {
        let _responder = ocsp_responder();
        let (code, r) = verify_json(&files[0].1, &["--online", "--require-revocation"]);
        assert_eq!(code, 0, "{r:#}");
        let rev = &r["signatures"][0]["revocation"];
        assert_eq!(rev["status"], "good", "{rev:#}");
        assert_eq!(rev["method"], "OCSP");
        assert_eq!(rev["source"], "online");
        let (code, r) = verify_json(&files[1].1, &["--online"]);
        assert_eq!(code, 1, "{r:#}");
        let rev = &r["signatures"][0]["revocation"];
        assert_eq!(rev["status"], "revoked", "{rev:#}");
        assert_eq!(rev["reason"], "KeyCompromise");
        let (code, r) = verify_json(&files[2].1, &["--online"]);
        assert_eq!(code, 0, "unknown is soft-fail by default: {r:#}");
        assert_eq!(r["signatures"][0]["revocation"]["status"], "unknown");
        let (code, _) = verify_json(&files[2].1, &["--online", "--require-revocation"]);
        assert_eq!(code, 1);
    }
    // The responder is down: unknown, with the reason; failing when revocation is required.
    let (code, r) = verify_json(&files[0].1, &["--online", "--require-revocation"]);
    assert_eq!(code, 1, "{r:#}");
    let rev = &r["signatures"][0]["revocation"];
    assert_eq!(rev["status"], "unknown", "{rev:#}");
    assert!(
        rev["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("127.0.0.1:18961"),
        "{rev:#}"
    );
}

/// An OCSP response for `who` from the test responder, made offline (`openssl ocsp -reqin`).
fn ocsp_response(dir: &Path, who: &str) -> std::path::PathBuf {
    let q = dir.join(format!("{who}.ocsp-req.der"));
    let r = dir.join(format!("{who}.ocsp.der"));
    let o = Command::new("openssl")
        .args(["ocsp", "-no_nonce", "-issuer"])
        .arg(certs("sub-ca.pem"))
        .arg("-cert")
        .arg(certs(&format!("{who}.pem")))
        .arg("-reqout")
        .arg(&q)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let o = ocsp_reply(&q, &r).unwrap();
    assert!(o.status.success(), "{}", text(&o));
    r
}

/// pyHanko writes a DSS into `src` (certificates, these CRLs of the test PKI, the OCSP
/// response): B-LT.
fn pyhanko_add_dss(src: &Path, dst: &Path, ocsp: &Path, crls: &str) {
    let script = "import io, sys\n\
from asn1crypto import crl, ocsp\n\
from pyhanko.keys import load_cert_from_pemder\n\
from pyhanko.sign.validation.dss import DocumentSecurityStore\n\
src, dst, resp, certs, crl_names = sys.argv[1:6]\n\
cs = [load_cert_from_pemder(certs + n) for n in ('sub-ca.pem', 'root-ca.pem', 'tsa.pem')]\n\
crls = [crl.CertificateList.load(open(certs + n, 'rb').read()) for n in crl_names.split(',')]\n\
buf = io.BytesIO(open(src, 'rb').read())\n\
DocumentSecurityStore.add_dss(buf, None, certs=cs, crls=crls, ocsps=[ocsp.OCSPResponse.load(open(resp, 'rb').read())])\n\
open(dst, 'wb').write(buf.getvalue())\n";
    let o = Command::new(venv_bin("python"))
        .args(["-c", script])
        .arg(src)
        .arg(dst)
        .arg(ocsp)
        .arg(format!("{}/", root().join("certs-test").display()))
        .arg(crls)
        .output()
        .unwrap();
    assert!(o.status.success(), "pyHanko add_dss: {}", text(&o));
}

/// pyHanko's AdES validation (`pyhanko sign adesverify`, revocation data required): passes?
fn pyhanko_ades_valid(file: &Path) -> (bool, String) {
    let o = Command::new(venv_bin("pyhanko"))
        .args(["sign", "adesverify", "--executive-summary", "--trust"])
        .arg(certs("root-ca.pem"))
        .args(["--trust-replace", "--other-certs"])
        .arg(certs("sub-ca.pem"))
        .arg(file)
        .output()
        .unwrap();
    (o.status.success(), text(&o))
}

#[test]
fn ltv_b_lt_and_b_lta_outlive_their_certificates_and_a_stripped_dss_does_not() {
    let tsa = TestTsa::start();
    let archive = TestTsa::start_as("archive-tsa");
    let d = tmp();
    let input = d.path().join("in.pdf");
    simple_pdf(&input, 1);
    // B-T by sohoa (aia-good-signer and the test TSA: both valid to 2046-12-31).
    let bt = d.path().join("b-t.pdf");
    let o = sohoa(&[
        "sign",
        input.to_str().unwrap(),
        "-o",
        bt.to_str().unwrap(),
        "--p12",
        certs("aia-good-signer.p12").to_str().unwrap(),
        "--passphrase-file",
        passphrase_file().to_str().unwrap(),
        "--tsa",
        &tsa.url,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    // B-LT: pyHanko adds the DSS (an OCSP response for the signer, the CRLs, the chain).
    let blt = d.path().join("b-lt.pdf");
    let ocsp = ocsp_response(d.path(), "aia-good-signer");
    pyhanko_add_dss(&bt, &blt, &ocsp, "sub-ca.crl,root-ca.crl");
    // The same without the root's CRL: nothing in the file speaks of the TSA's certificate.
    let blt_no_tsa = d.path().join("b-lt-no-tsa-revocation.pdf");
    pyhanko_add_dss(&bt, &blt_no_tsa, &ocsp, "sub-ca.crl");
    // B-LTA: pyHanko adds a document timestamp from a TSA valid to 2048.
    let blta = d.path().join("b-lta.pdf");
    std::fs::copy(&blt, &blta).unwrap();
    let o = Command::new(venv_bin("pyhanko"))
        .args([
            "sign",
            "ltaupdate",
            "--timestamp-url",
            &archive.url,
            "--trust",
        ])
        .arg(certs("root-ca.pem"))
        .arg("--trust-replace")
        .arg(&blta)
        .output()
        .unwrap();
    assert!(o.status.success(), "pyhanko ltaupdate: {}", text(&o));

    let level = |r: &serde_json::Value| r["signatures"][0]["pades"]["level"].clone();
    // Today, with the LTV profile.
    let (code, r) = verify_json(&bt, &["--ltv"]);
    assert_eq!((code, level(&r)), (1, "B-T".into()), "{r:#}");
    let (code, r) = verify_json(&blt, &["--ltv"]);
    assert_eq!((code, level(&r)), (0, "B-LT".into()), "{r:#}");
    assert_eq!(r["signatures"][0]["revocation"]["source"], "dss");
    let (code, r) = verify_json(&blta, &["--ltv"]);
    assert_eq!((code, level(&r)), (0, "B-LTA".into()), "{r:#}");
    assert_eq!(r["signatures"][1]["kind"], "document_timestamp");
    let (code, r) = verify_json(&blt_no_tsa, &["--ltv"]);
    assert_eq!(code, 1, "{r:#}");
    assert!(
        r["signatures"][0]["problems"]
            .to_string()
            .contains("TSA certificate"),
        "{r:#}"
    );
    // pyHanko's AdES validation (revocation data required) says the same of all four.
    for (f, want) in [
        (&bt, false),
        (&blt, true),
        (&blta, true),
        (&blt_no_tsa, false),
    ] {
        let (ok, out) = pyhanko_ades_valid(f);
        assert_eq!(ok, want, "{}: pyHanko: {out}", f.display());
    }
    // In 2047 the signer's and the first TSA's certificates have expired: only the B-LTA file
    // still shows the signature held (its document timestamp's TSA is valid to 2048).
    let at = ["--ltv", "--at", "2047-06-01"];
    let (code, r) = verify_json(&bt, &at);
    assert_eq!(code, 1, "{r:#}");
    let (code, r) = verify_json(&blt, &at);
    assert_eq!(code, 1, "{r:#}");
    assert!(
        r["signatures"][0]["problems"].to_string().contains("B-LTA"),
        "{r:#}"
    );
    let (code, r) = verify_json(&blta, &at);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["signatures"][0]["certificate_valid_at_time"], true);
    // Without --ltv, 2047 on the B-T file: valid at the proven time, with the caveat named.
    let (code, r) = verify_json(&bt, &["--at", "2047-06-01"]);
    assert_eq!(code, 0, "{r:#}");
    assert!(
        r["signatures"][0]["warnings"]
            .to_string()
            .contains("expired"),
        "{r:#}"
    );
}

#[test]
fn a_crl_of_the_intermediate_alone_does_not_make_an_unchecked_signer_good() {
    // The root's CRL says the sub-CA is not revoked; nothing speaks of the signer itself.
    let d = tmp();
    let cfg = trust_config(d.path(), &["root-ca.crl"]);
    let signed = signed_sample(d.path());
    let (code, r) = verify_with(&cfg, &signed, &[]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(
        r["signatures"][0]["revocation"]["status"], "not_checked",
        "{r:#}"
    );
    let (code, _) = verify_with(&cfg, &signed, &["--require-revocation"]);
    assert_eq!(code, 1);
    // With the sub-CA's CRL too, the signer is checked: good.
    let (code, r) = verify_with(
        &cfg,
        &signed,
        &["--crl", certs("sub-ca.crl").to_str().unwrap()],
    );
    assert_eq!(code, 0);
    assert_eq!(r["signatures"][0]["revocation"]["status"], "good", "{r:#}");
}

#[test]
fn revocation_data_pyhanko_archives_in_the_signature_is_used_offline() {
    // pyHanko, signing adbe.pkcs7.detached with validation info, asks the signer's OCSP
    // responder and puts the answer in the adbe-revocationInfoArchival signed attribute.
    let _port = ocsp_port();
    let d = tmp();
    let cfg = trust_config(d.path(), &[]);
    let input = d.path().join("in.pdf");
    simple_pdf(&input, 1);
    let out = d.path().join("archived.pdf");
    {
        let _responder = ocsp_responder();
        let root = certs("root-ca.pem");
        let sub = certs("sub-ca.pem");
        pyhanko_addsig(
            &input,
            &out,
            "aia-good-signer",
            &[
                "--with-validation-info",
                "--trust",
                root.to_str().unwrap(),
                "--trust-replace",
                "--other-certs",
                sub.to_str().unwrap(),
            ],
        );
    }
    // The responder is gone: what the signature carries must do.
    let (code, r) = verify_with(&cfg, &out, &["--require-revocation"]);
    assert_eq!(code, 0, "{r:#}");
    let rev = &r["signatures"][0]["revocation"];
    assert_eq!(rev["status"], "good", "{rev:#}");
    assert_eq!(rev["method"], "OCSP");
    assert_eq!(rev["source"], "signature_archive", "{rev:#}");
}
