//! Untrusted input: verify never panics on mutated signed PDFs (the same path the cargo-fuzz
//! target drives), and always answers with a report or a "could not check" error.

use std::time::SystemTime;

use sohoa::pki::chain::TrustStore;
use sohoa::verify::{verify_file, VerifyOptions};

use crate::helpers::*;

/// xorshift64*: deterministic, so a failure reproduces.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One mutation of `m`, of kind `i % 5`: bit flips, truncation, inserted junk, mangled
/// digits, a removed stretch.
fn mutate(rng: &mut Rng, m: &mut Vec<u8>, i: usize) {
    if m.is_empty() {
        return;
    }
    match i % 5 {
        0 => {
            for _ in 0..1 + rng.below(8) {
                let at = rng.below(m.len());
                m[at] ^= 1 << rng.below(8);
            }
        }
        1 => m.truncate(rng.below(m.len())),
        2 => {
            let at = rng.below(m.len());
            let junk: Vec<u8> = (0..rng.below(64)).map(|_| rng.next() as u8).collect();
            m.splice(at..at, junk);
        }
        3 => {
            // Mangle digits: offsets, lengths, ByteRange numbers.
            for _ in 0..4 {
                let at = rng.below(m.len());
                if m[at].is_ascii_digit() {
                    m[at] = b'0' + rng.below(10) as u8;
                }
            }
        }
        _ => {
            let a = rng.below(m.len());
            let b = rng.below(m.len());
            let (a, b) = (a.min(b), a.max(b));
            m.drain(a..b.min(a + 512));
        }
    }
}

#[test]
fn verify_survives_two_thousand_mutations_of_a_signed_pdf() {
    let d = tmp();
    let input = d.path().join("in.pdf");
    let signed = d.path().join("signed.pdf");
    simple_pdf(&input, 2);
    sign_ok(&input, &signed, &[]);
    let original = read(&signed);
    let opts = VerifyOptions::new(
        TrustStore {
            anchors: sohoa::pki::keys::load_certs(&certs("root-ca.pem")).unwrap(),
            ..Default::default()
        },
        SystemTime::now(),
    );
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let target = d.path().join("m.pdf");
    let (mut ok, mut err, mut valid) = (0, 0, 0);
    for i in 0..2000 {
        let mut m = original.clone();
        mutate(&mut rng, &mut m, i);
        std::fs::write(&target, &m).unwrap();
        match verify_file(&target, &opts) {
            Ok(r) => {
                ok += 1;
                if r.valid {
                    valid += 1;
                }
            }
            Err(_) => err += 1,
        }
    }
    // Most mutations must be caught; a few land in bytes nobody reads (e.g. padding zeros).
    assert_eq!(ok + err, 2000);
    assert!(valid < 400, "{valid} of 2000 mutated files judged valid");
    println!("mutations: {ok} reports ({valid} still valid), {err} could-not-check");
}

/// The parsers of signature containers and revocation data, fed mutations of real blobs: a
/// DER CMS (sohoa's, with a timestamp), a BER CMS (OpenSSL's streaming encoder) and an OCSP
/// response (OpenSSL's responder). Each answers Ok or a clear error, never a panic.
#[test]
fn cms_ber_and_ocsp_parsers_survive_mutations_of_real_blobs() {
    use sohoa::pki::{ber, keys, ocsp};
    use sohoa::verify::{cms_check, revocation};
    let d = tmp();
    let tsa = TestTsa::start();
    let input = d.path().join("in.pdf");
    let signed = d.path().join("signed.pdf");
    simple_pdf(&input, 1);
    sign_ok(&input, &signed, &["--tsa", &tsa.url]);
    let (der_cms, _) = extract_signature(&read(&signed));
    let data = d.path().join("data.bin");
    std::fs::write(&data, b"sohoa robustness").unwrap();
    let ber_file = d.path().join("ber.der");
    let o = std::process::Command::new("openssl")
        .args([
            "cms", "-sign", "-binary", "-stream", "-outform", "DER", "-in",
        ])
        .arg(&data)
        .arg("-signer")
        .arg(certs("official-signer.pem"))
        .arg("-inkey")
        .arg(certs("official-signer.key.pem"))
        .arg("-passin")
        .arg(format!("file:{}", passphrase_file().display()))
        .arg("-out")
        .arg(&ber_file)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let ber_cms = read(&ber_file);
    assert_eq!(&ber_cms[..2], &[0x30, 0x80]);
    let q = d.path().join("q.der");
    let r = d.path().join("r.der");
    let o = std::process::Command::new("openssl")
        .args(["ocsp", "-no_nonce", "-issuer"])
        .arg(certs("sub-ca.pem"))
        .arg("-cert")
        .arg(certs("aia-revoked-signer.pem"))
        .arg("-reqout")
        .arg(&q)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert!(ocsp_reply(&q, &r).unwrap().status.success());
    let ocsp_der = read(&r);
    let leaf = keys::load_certs(&certs("aia-revoked-signer.pem"))
        .unwrap()
        .remove(0);
    let issuer = keys::load_certs(&certs("sub-ca.pem")).unwrap().remove(0);
    // The originals parse.
    assert!(cms_check::parse_signed_data(&der_cms).is_ok());
    assert!(cms_check::parse_signed_data(&ber_cms).is_ok_and(|p| p.ber));
    assert!(ocsp::check_response(&ocsp_der, &leaf, &issuer).is_ok());
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let (mut parsed, mut refused) = (0, 0);
    for i in 0..3000 {
        let mut m = match i % 3 {
            0 => der_cms.clone(),
            1 => ber_cms.clone(),
            _ => ocsp_der.clone(),
        };
        mutate(&mut rng, &mut m, i / 3);
        let _ = ber::to_der(&m);
        match cms_check::parse_signed_data(&m) {
            Ok(p) => {
                parsed += 1;
                if let Some(si) = p.signed_data.signer_infos.0.iter().next() {
                    let _ = revocation::from_signer(&p.signed_data, si, &mut Vec::new());
                    let _ = cms_check::check_signer(&p, &[], |alg| {
                        Ok::<_, std::convert::Infallible>(alg.digest(b"x"))
                    });
                }
            }
            Err(_) => refused += 1,
        }
        let _ = ocsp::check_response(&m, &leaf, &issuer);
    }
    println!("container mutations: {parsed} parsed, {refused} refused");
    assert!(refused > 500, "mutations must mostly be refused: {refused}");
}
