//! Robustness: no panic on ~2000 mutated files; bounded reading of a large file.

use super::fixtures::{classic, compressed, zlib, Builder};
use crate::pdf::{IncrementalWriter, Limits, ObjRef, Object, PdfFile, PrevInfo};
use std::io::{Cursor, Read, Seek, SeekFrom};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::testing::Rng;

const GARBAGE: [&[u8]; 14] = [
    b"obj",
    b"endobj",
    b"<<",
    b">>",
    b"[",
    b"(",
    b"stream\n",
    b"xref",
    b"trailer",
    b"0 R",
    b"99999999999",
    b"-1",
    b"/Length 2 0 R",
    b"startxref\n0\n%%EOF",
];

fn mutate(base: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut v = base.to_vec();
    for _ in 0..1 + rng.index(3) {
        let at = rng.index(v.len() + 1);
        match rng.index(7) {
            0 => {
                if let Some(b) = v.get_mut(at) {
                    *b ^= 1 << rng.index(8);
                }
            }
            1 => v.truncate(at),
            2 => {
                let junk: Vec<u8> = (0..1 + rng.index(16)).map(|_| rng.next() as u8).collect();
                v.splice(at..at, junk);
            }
            3 => {
                let g = GARBAGE[rng.index(GARBAGE.len())];
                v.splice(at..at, g.iter().copied());
            }
            4 => {
                let end = (at + rng.index(64)).min(v.len());
                v.drain(at..end);
            }
            5 => {
                // Change a digit: breaks offsets, lengths, counts.
                if let Some(b) = v.get_mut(at).filter(|b| b.is_ascii_digit()) {
                    *b = b'0' + rng.index(10) as u8;
                }
            }
            _ => {
                let end = (at + rng.index(200)).min(v.len());
                let copy = v[at..end].to_vec();
                let to = rng.index(v.len() + 1);
                v.splice(to..to, copy);
            }
        }
    }
    v
}

/// Returns (opened, repaired, pages found).
fn exercise(bytes: Vec<u8>) -> (bool, bool, bool) {
    let limits = Limits {
        max_decoded_stream: 16 << 20,
        ..Limits::default()
    };
    let Ok(mut f) = PdfFile::open(Cursor::new(bytes), limits) else {
        return (false, false, false);
    };
    let _ = f.catalog();
    let pages_ok = f.pages().is_ok_and(|p| !p.is_empty());
    let repaired = f.repaired();
    let nums: Vec<u32> = f.entries().keys().copied().take(10_000).collect();
    for n in nums {
        if let Ok(Object::Stream(s)) = f.get(ObjRef::new(n, 0)) {
            let _ = f.stream_decoded(&s);
        }
    }
    let ends: Vec<u64> = f.revisions().iter().map(|r| r.end).collect();
    let inner = f.into_inner().into_inner();
    for end in ends {
        if let Ok(mut p) = PdfFile::open_prefix(Cursor::new(inner.clone()), end, limits) {
            let _ = p.pages();
        }
    }
    (true, repaired, pages_ok)
}

fn two_revision_file() -> Vec<u8> {
    let base = compressed(false);
    let mut f = PdfFile::open(Cursor::new(base.clone()), Limits::default()).unwrap();
    let prev = PrevInfo::from_file(&mut f).unwrap();
    let mut w = IncrementalWriter::new();
    w.add(ObjRef::new(6, 0), &Object::Int(1));
    let mut out = base.clone();
    out.extend(w.finish(base.len() as u64, &prev));
    out
}

/// Deterministic by default; `PDF_FUZZ_SEED` / `PDF_FUZZ_ITERS` allow longer local runs.
#[test]
fn mutations_never_panic() {
    let bases = [
        classic(),
        compressed(false),
        compressed(true),
        two_revision_file(),
    ];
    let mut rng = Rng::new(
        std::env::var("PDF_FUZZ_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0x9E37_79B9_7F4A_7C15),
    );
    let mut stats = [0usize; 3];
    let iters: usize = std::env::var("PDF_FUZZ_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    for i in 0..iters {
        let base = &bases[i % bases.len()];
        let input = mutate(base, &mut rng);
        let copy = input.clone();
        let Ok(r) = catch_unwind(AssertUnwindSafe(|| exercise(copy))) else {
            let path = std::env::temp_dir().join(format!("sohoa-pdf-panic-{i}.pdf"));
            let _ = std::fs::write(&path, &input);
            panic!("mutation {i} panicked; input saved to {}", path.display());
        };
        for (s, hit) in stats.iter_mut().zip([r.0, r.1, r.2]) {
            *s += usize::from(hit);
        }
    }
    // The mutations must reach deep code, not just fail early.
    eprintln!(
        "opened {}, repaired {}, pages walked {} of {iters}",
        stats[0], stats[1], stats[2]
    );
    assert!(
        iters != 2000 || stats[0] > 1000 && stats[1] > 100 && stats[2] > 500,
        "{stats:?}"
    );
}

/// Counts what the reader reads.
struct Counting {
    inner: Cursor<Vec<u8>>,
    total: u64,
    largest: usize,
}

impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.total += n as u64;
        self.largest = self.largest.max(n);
        Ok(n)
    }
}

impl Seek for Counting {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

#[test]
fn big_image_streams_are_not_read() {
    const IMAGE: usize = 8 << 20;
    let mut b = Builder::new();
    b.obj(1, "<< /Type /Catalog /Pages 2 0 R >>");
    b.obj(2, "<< /Type /Pages /Kids [3 0 R 5 0 R 7 0 R] /Count 3 >>");
    let pixels: Vec<u8> = (0..IMAGE).map(|i| (i * 7 % 251) as u8).collect();
    for (page, img) in [(3, 4), (5, 6), (7, 8)] {
        let res = format!("/Resources << /XObject << /Im0 {img} 0 R >> >>");
        b.obj(page, &format!("<< /Type /Page /Parent 2 0 R {res} >>"));
        b.stream(
            img,
            "/Type /XObject /Subtype /Image /Width 4096 /Height 2048",
            &pixels,
        );
    }
    b.stream(9, "/Filter /FlateDecode", &zlib(b"q Q"));
    b.table("/Root 1 0 R");
    let len = b.buf.len();
    let src = Counting {
        inner: Cursor::new(b.buf),
        total: 0,
        largest: 0,
    };
    let mut f = PdfFile::open(src, Limits::default()).unwrap();
    let pages = f.pages().unwrap();
    assert_eq!(pages.len(), 3);
    for n in [4, 6, 8] {
        let Object::Stream(s) = f.get(ObjRef::new(n, 0)).unwrap() else {
            panic!()
        };
        assert_eq!(s.data_len, IMAGE as u64);
    }
    let c = f.into_inner();
    assert!(c.total < 256 << 10, "read {} of {len} bytes", c.total);
    assert!(c.largest <= 64 << 10, "largest read {}", c.largest);
}
