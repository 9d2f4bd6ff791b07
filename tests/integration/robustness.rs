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
