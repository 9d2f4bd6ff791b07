//! Fuzz target: the whole `verify` path (PDF parsing, revisions, ByteRange, CMS, timestamps,
//! chains, change analysis) on arbitrary bytes. It must never panic, whatever the input.
#![no_main]

use std::sync::OnceLock;
use std::time::SystemTime;

use libfuzzer_sys::fuzz_target;
use sohoa::pki::chain::TrustStore;
use sohoa::verify::{verify_bytes, VerifyOptions};

#[path = "common.rs"]
mod common;

fn options() -> &'static VerifyOptions {
    static OPTS: OnceLock<VerifyOptions> = OnceLock::new();
    OPTS.get_or_init(|| {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../certs-test/root-ca.pem");
        let store = TrustStore {
            anchors: sohoa::pki::keys::load_certs(std::path::Path::new(root)).unwrap_or_default(),
            ..Default::default()
        };
        // a fixed time: the same input gives the same path every run
        let now = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_796_000_000);
        VerifyOptions {
            limits: common::pdf_limits(),
            ..VerifyOptions::new(store, now)
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let _ = verify_bytes("fuzz-input.pdf", data, options());
});
