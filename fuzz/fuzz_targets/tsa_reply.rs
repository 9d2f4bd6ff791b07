//! Fuzz target: an RFC 3161 time-stamp reply as a TSA's HTTP answer brings it (status, token,
//! TSTInfo, imprint and nonce checks), and the token's TSTInfo as `verify` reads it.
#![no_main]

use sohoa::pki::digest::DigestAlg;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let imprint = [0x11u8; 32];
    let _ = sohoa::sign::tsa::check_reply("fuzz-tsa", data, DigestAlg::Sha256, &imprint, 7);
    let _ = sohoa::pki::tst::tst_info(data);
});
