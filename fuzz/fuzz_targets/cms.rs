//! Fuzz target: a signature's CMS blob (RFC 5652 SignedData, DER or BER as some signing tools
//! write it): the BER-to-DER conversion and the SignedData parse `verify` runs first.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = sohoa::pki::ber::to_der(data);
    let _ = sohoa::verify::cms_check::parse_signed_data(data);
});
