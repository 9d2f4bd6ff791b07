//! Fuzz target: stage `decode` on a JPEG scan (list the pages, decode each to a raster). It
//! must never panic nor allocate past the limits, whatever the bytes; seeds are JPEG files.
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::decode_all(data, "jpeg");
});
