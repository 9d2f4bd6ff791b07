//! Fuzz target: a PDF's text layer (stage `decode`, pages that already carry text): the PDF
//! reader, content streams, fonts and their ToUnicode maps, on arbitrary bytes.
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(mut pdf) = sohoa::pdf::PdfFile::open(std::io::Cursor::new(data), common::pdf_limits())
    else {
        return;
    };
    let pages = pdf.pages().map(|p| p.len()).unwrap_or(0).min(4);
    for i in 0..pages {
        let _ = sohoa::decode::text_layer::read_text_layer(&mut pdf, i, "fuzz-input.pdf");
    }
});
