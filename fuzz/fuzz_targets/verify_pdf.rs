//! Fuzz target: the whole `verify` path (PDF parsing, revisions, ByteRange, CMS, timestamps,
//! chains, change analysis) on arbitrary bytes. It must never panic, whatever the input.
#![no_main]

use std::sync::OnceLock;
use std::time::SystemTime;

use libfuzzer_sys::fuzz_target;
use sohoa::pdf::Limits;
use sohoa::pki::chain::TrustStore;
use sohoa::verify::{verify_bytes, VerifyOptions};

fn options() -> &'static VerifyOptions {
    static OPTS: OnceLock<VerifyOptions> = OnceLock::new();
    OPTS.get_or_init(|| {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../certs-test/root-ca.pem");
        VerifyOptions {
            store: TrustStore {
                anchors: sohoa::pki::keys::load_certs(std::path::Path::new(root)).unwrap_or_default(),
                ..Default::default()
            },
            now: SystemTime::now(),
            // Small limits keep each run fast; the bounds themselves are under test too.
            limits: Limits {
                max_file_size: 8 << 20,
                max_objects: 100_000,
                max_decoded_stream: 4 << 20,
                max_depth: 64,
            },
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let _ = verify_bytes("fuzz-input.pdf", data, options());
});
