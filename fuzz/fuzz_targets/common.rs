//! Shared by the fuzz targets (included with `#[path]`): small bounds so each run is fast (the
//! bounds themselves are under test too), and the scratch file the file-based decoders read.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::OnceLock;

use sohoa::decode::DecodeLimits;
use sohoa::pdf::Limits;

pub fn pdf_limits() -> Limits {
    Limits {
        max_file_size: 8 << 20,
        max_objects: 100_000,
        max_decoded_stream: 4 << 20,
        max_depth: 64,
    }
}

pub fn decode_limits() -> DecodeLimits {
    DecodeLimits {
        max_file_bytes: 8 << 20,
        max_pixels: 4_000_000,
        max_pages: 16,
    }
}

/// One scratch file per fuzzing process (the decoders read files), on tmpfs when there is one.
pub fn scratch(ext: &str) -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let base = if std::path::Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        let d = base.join(format!("sohoa-fuzz-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&d);
        d
    });
    dir.join(format!("input.{ext}"))
}

/// Lists and decodes every page of `data` written as a file (the format is told by its first
/// bytes, whatever the extension).
pub fn decode_all(data: &[u8], ext: &str) {
    let path = scratch(ext);
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let limits = decode_limits();
    if let Ok(pages) = sohoa::decode::list_pages(&path, &limits) {
        for p in pages.iter().take(4) {
            let _ = sohoa::decode::decode_page(p, Some(300.0), &limits);
        }
    }
}
