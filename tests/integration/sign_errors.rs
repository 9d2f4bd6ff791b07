//! Bad signing inputs give a clear error naming the input, and leave no output file behind.

use std::process::Command;

use crate::helpers::*;

fn sign_fails(args: &[&str], out: &std::path::Path, expect: &str) {
    let o = sohoa(args);
    assert!(!o.status.success(), "should fail: {args:?}");
    assert!(
        text(&o).contains(expect),
        "expected {expect:?} in: {}",
        text(&o)
    );
    assert!(!out.exists(), "no output file may be left behind");
    let leftovers: Vec<_> = std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains(".sohoa-sign-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn wrong_passphrase_is_a_clear_error() {
    let d = tmp();
    let input = d.path().join("in.pdf");
    let out = d.path().join("out.pdf");
    let pass = d.path().join("pass.txt");
    simple_pdf(&input, 1);
    std::fs::write(&pass, "not-the-passphrase").unwrap();
    let p12 = certs("official-signer.p12");
    sign_fails(
        &[
            "sign",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--p12",
            p12.to_str().unwrap(),
            "--passphrase-file",
            pass.to_str().unwrap(),
        ],
        &out,
        "wrong passphrase",
    );
}

#[test]
fn certificate_not_matching_the_key_is_refused() {
    let d = tmp();
    let input = d.path().join("in.pdf");
    let out = d.path().join("out.pdf");
    simple_pdf(&input, 1);
    sign_fails(
        &[
            "sign",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--key",
            certs("official-signer.key.pem").to_str().unwrap(),
            "--cert",
            certs("org-signer.pem").to_str().unwrap(),
            "--passphrase-file",
            passphrase_file().to_str().unwrap(),
        ],
        &out,
        "does not match",
    );
}

#[test]
fn encrypted_pdf_is_refused() {
    let d = tmp();
    let plain = d.path().join("plain.pdf");
    let input = d.path().join("enc.pdf");
    let out = d.path().join("out.pdf");
    simple_pdf(&plain, 1);
    let o = Command::new("qpdf")
        .args(["--encrypt", "user", "owner", "256", "--"])
        .arg(&plain)
        .arg(&input)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    sign_fails(
        &["sign", input.to_str().unwrap(), "-o", out.to_str().unwrap()],
        &out,
        "encrypted",
    );
}

#[test]
fn broken_and_empty_pdfs_are_refused_naming_the_file() {
    let d = tmp();
    let out = d.path().join("out.pdf");
    let empty = d.path().join("empty.pdf");
    std::fs::write(&empty, b"").unwrap();
    sign_fails(
        &["sign", empty.to_str().unwrap(), "-o", out.to_str().unwrap()],
        &out,
        "empty.pdf",
    );
    let truncated = d.path().join("truncated.pdf");
    let full = d.path().join("full.pdf");
    simple_pdf(&full, 2);
    let bytes = read(&full);
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    sign_fails(
        &[
            "sign",
            truncated.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
        &out,
        "truncated.pdf",
    );
    let missing = d.path().join("missing.pdf");
    sign_fails(
        &[
            "sign",
            missing.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
        &out,
        "missing.pdf",
    );
}

#[test]
fn signing_in_place_replaces_the_file_atomically() {
    let d = tmp();
    let input = d.path().join("in.pdf");
    simple_pdf(&input, 1);
    let before = read(&input);
    sign_ok(&input, &input, &[]);
    let after = read(&input);
    assert!(after.starts_with(&before) && after.len() > before.len());
    let (code, _) = verify_json(&input, &[]);
    assert_eq!(code, 0);
}
