//! Streaming: each page's bytes reach the output before `add_page` returns, and 50 pages make
//! a valid document.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::*;

/// A file that also counts what has been written to it.
struct Counted {
    file: std::fs::File,
    written: Arc<AtomicU64>,
}

impl Write for Counted {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written.fetch_add(n as u64, Ordering::SeqCst);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

#[test]
fn fifty_pages_are_written_as_they_arrive() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fifty.pdf");
    let written = Arc::new(AtomicU64::new(0));
    let out = Counted {
        file: std::fs::File::create(&path).unwrap(),
        written: written.clone(),
    };
    let mut w = PdfAWriter::new(out, info()).unwrap();
    let (jpeg_page, _) = jpeg_scan(400, 300, 150.0);
    let mut images = 0u64;
    for i in 0..50 {
        let mut p = if i % 2 == 0 {
            recognized(
                scanned(gray_raster(600, 400), 150.0, None),
                vietnamese_words(),
            )
        } else {
            recognized(
                jpeg_page.clone(),
                vec![word(&format!("trang{i}"), [10.0, 10.0, 90.0, 30.0], 1)],
            )
        };
        p.scanned.page_index = i;
        let before = written.load(Ordering::SeqCst);
        let stats = w.add_page(&p).unwrap();
        images += stats.image_bytes;
        // Everything of this page (image, content, page object) is already out.
        let grew = written.load(Ordering::SeqCst) - before;
        assert!(
            grew > stats.image_bytes,
            "page {i}: only {grew} bytes written"
        );
        assert!(written.load(Ordering::SeqCst) > images);
    }
    w.finish().unwrap().flush().unwrap();
    let p = path.to_str().unwrap();
    let o = run("qpdf", &["--check", p]);
    assert!(o.status.success(), "{}", stdout(&o));
    let inf = stdout(&run("pdfinfo", &[p]));
    assert!(inf.contains("Pages:           50"), "{inf}");
    assert_eq!(text_lines(&path, 50), ["trang49"]);
    assert_eq!(
        text_lines(&path, 49),
        ["Nguyễn Thị Hường", "quyền sử dụng đất"]
    );
    assert_pdfa_2u(&path);
}

#[test]
fn a_raster_compressed_ahead_gives_the_same_document_as_one_compressed_when_written() {
    let write = |ahead: bool| {
        let mut out = Vec::new();
        let mut w = PdfAWriter::new(&mut out, info()).unwrap();
        for raster in [gray_raster(600, 400), gray_raster(300, 500)] {
            let p = recognized(scanned(raster, 150.0, None), vietnamese_words());
            assert!(EncodedRaster::wanted(&p.scanned));
            let encoded = ahead.then(|| EncodedRaster::encode(&p.scanned.raster).unwrap());
            w.add_page_with(&p, encoded).unwrap();
        }
        w.finish().unwrap();
        out
    };
    assert_eq!(write(true), write(false));
    // a JPEG passed through is never compressed
    let (jpeg_page, _) = jpeg_scan(400, 300, 150.0);
    assert!(!EncodedRaster::wanted(&jpeg_page));
}

#[test]
fn a_raster_compressed_for_another_page_is_not_used() {
    let mut out = Vec::new();
    let mut w = PdfAWriter::new(&mut out, info()).unwrap();
    let p = recognized(
        scanned(gray_raster(600, 400), 150.0, None),
        vietnamese_words(),
    );
    let other = EncodedRaster::encode(&gray_raster(400, 600)).unwrap();
    let stats = w.add_page_with(&p, Some(other)).unwrap();
    let own = EncodedRaster::encode(&p.scanned.raster).unwrap();
    let mut alone = Vec::new();
    let mut w2 = PdfAWriter::new(&mut alone, info()).unwrap();
    let stats2 = w2.add_page_with(&p, Some(own)).unwrap();
    assert_eq!(stats.image_sha256, stats2.image_sha256);
}
