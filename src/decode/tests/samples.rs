//! The generated sample scans of `samples/scans/` (Pillow/libtiff-written JPEG, PNG, TIFF with
//! LZW, Deflate, CCITT G4 and JPEG, image-only PDF), checked against their manifest. Skipped
//! with a note when the folder is absent.

use crate::decode::{decode_page, list_pages, DecodeLimits, DpiSource, Raster};
use std::path::Path;

#[test]
fn sample_scans_match_their_manifest() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/scans");
    let Ok(text) = std::fs::read_to_string(dir.join("manifest.json")) else {
        eprintln!(
            "note: {} has no manifest.json; sample scans not checked",
            dir.display()
        );
        return;
    };
    let manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
    let limits = DecodeLimits::default();
    let mut checked = 0;
    for f in manifest["files"].as_array().unwrap() {
        let path = dir.join(f["file"].as_str().unwrap());
        if !path.exists() {
            eprintln!("note: {} listed but missing", path.display());
            continue;
        }
        let what = format!("{} ({})", path.display(), f["compression"]);
        let pages = list_pages(&path, &limits).unwrap_or_else(|e| panic!("{what}: {e}"));
        let details = f["page_details"].as_array().unwrap();
        assert_eq!(pages.len(), details.len(), "{what}");
        for (page, want) in pages.iter().zip(details) {
            let p = decode_page(page, None, &limits).unwrap_or_else(|e| panic!("{what}: {e}"));
            let size = (p.raster.width(), p.raster.height());
            let want_size = (
                want["width"].as_u64().unwrap() as u32,
                want["height"].as_u64().unwrap() as u32,
            );
            assert_eq!(size, want_size, "{what} page {}", p.page_index);
            let dpi = f["dpi"].as_f64().unwrap() as f32;
            assert!(
                (p.dpi.0 - dpi).abs() < 0.5 && (p.dpi.1 - dpi).abs() < 0.5,
                "{what}: {:?}",
                p.dpi
            );
            assert_eq!(p.dpi_source, DpiSource::File, "{what}");
            let color = want["mode"].as_str().unwrap() == "RGB";
            assert_eq!(
                matches!(p.raster, Raster::Rgb(_)),
                color,
                "{what} page {}",
                p.page_index
            );
            let plain_jpeg = matches!(f["format"].as_str(), Some("JPEG" | "PDF"));
            assert_eq!(p.jpeg.is_some(), plain_jpeg, "{what}");
            checked += 1;
        }
    }
    eprintln!("checked {checked} sample pages");
}
