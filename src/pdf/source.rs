//! Bounded random access to the underlying `Read + Seek`: reads never go at or past the
//! logical end (the file length, or the `end` of a prefix open), and only small windows are
//! held in memory.

use super::error::PdfError;
use super::lexer::is_whitespace;
use std::io::{Read, Seek, SeekFrom};

/// Size of the first window read to parse an object; grown ×4 while parsing truncates.
pub(crate) const FIRST_WINDOW: usize = 4096;
/// Chunk size when scanning forward.
const SCAN_CHUNK: usize = 64 * 1024;

pub(crate) struct Source<R> {
    inner: R,
    len: u64,
}

impl<R: Read + Seek> Source<R> {
    /// `end`: logical end (prefix open); the file length when `None` or larger.
    pub(crate) fn new(mut inner: R, end: Option<u64>) -> Result<Self, PdfError> {
        let file_len = inner.seek(SeekFrom::End(0))?;
        let len = end.map_or(file_len, |e| e.min(file_len));
        Ok(Self { inner, len })
    }

    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    pub(crate) fn into_inner(self) -> R {
        self.inner
    }

    /// Fills `buf` from `offset`; an error if that would cross the logical end.
    pub(crate) fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), PdfError> {
        let n = buf.len() as u64;
        match offset.checked_add(n) {
            Some(end) if end <= self.len => {}
            _ => {
                return Err(PdfError::OutOfRange {
                    offset,
                    len: n,
                    end: self.len,
                })
            }
        }
        self.inner.seek(SeekFrom::Start(offset))?;
        self.inner.read_exact(buf)?;
        Ok(())
    }

    /// Up to `max` bytes from `offset` (fewer near the end; empty at or past it).
    pub(crate) fn read_upto(&mut self, offset: u64, max: usize) -> Result<Vec<u8>, PdfError> {
        let avail = self.len.saturating_sub(offset);
        let n = usize::try_from(avail).unwrap_or(usize::MAX).min(max);
        if n == 0 {
            return Ok(Vec::new());
        }
        let mut buf = vec![0u8; n];
        self.read_at(offset, &mut buf)?;
        Ok(buf)
    }

    /// Runs `f` on a window starting at `offset`, growing it while `f` reports truncation
    /// and the data continues, up to `max_window` bytes. `f` gets `(window, partial)`.
    pub(crate) fn with_window<T>(
        &mut self,
        offset: u64,
        max_window: usize,
        mut f: impl FnMut(&[u8], bool) -> Result<T, PdfError>,
    ) -> Result<T, PdfError> {
        let mut size = FIRST_WINDOW.min(max_window.max(1));
        loop {
            let buf = self.read_upto(offset, size)?;
            let partial = offset.saturating_add(buf.len() as u64) < self.len;
            match f(&buf, partial) {
                Err(e) if e.is_truncated() && partial && size < max_window => {
                    size = size.saturating_mul(4).min(max_window);
                }
                r => return r,
            }
        }
    }

    /// First occurrence of `needle` in `[from, to)`, scanning in chunks.
    pub(crate) fn find(
        &mut self,
        from: u64,
        to: u64,
        needle: &[u8],
    ) -> Result<Option<u64>, PdfError> {
        let to = to.min(self.len);
        let overlap = needle.len().saturating_sub(1) as u64;
        let mut at = from;
        while at < to {
            let want = usize::try_from(to - at)
                .unwrap_or(usize::MAX)
                .min(SCAN_CHUNK);
            let chunk = self.read_upto(at, want)?;
            if chunk.len() < needle.len() {
                break;
            }
            if let Some(i) = chunk.windows(needle.len()).position(|w| w == needle) {
                return Ok(Some(at + i as u64));
            }
            let step = (chunk.len() as u64).saturating_sub(overlap).max(1);
            if at + chunk.len() as u64 >= to {
                break;
            }
            at += step;
        }
        Ok(None)
    }
}

/// Byte helpers over a window (for the `startxref ... %%EOF` tail).
pub(crate) fn skip_ws(buf: &[u8], mut p: usize) -> usize {
    while buf.get(p).copied().is_some_and(is_whitespace) {
        p += 1;
    }
    p
}

/// Decimal digits at `p`: `(value, end)`; `None` when there is no digit or it overflows.
pub(crate) fn read_uint(buf: &[u8], p: usize) -> Option<(u64, usize)> {
    let mut v: u64 = 0;
    let mut q = p;
    while let Some(d @ b'0'..=b'9') = buf.get(q).copied() {
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
        q += 1;
    }
    (q > p).then_some((v, q))
}

/// Length of the EOL at `p` (`\r\n` → 2, `\n` or `\r` → 1, else 0).
pub(crate) fn eol_len(buf: &[u8], p: usize) -> usize {
    match (buf.get(p), buf.get(p + 1)) {
        (Some(b'\r'), Some(b'\n')) => 2,
        (Some(b'\r' | b'\n'), _) => 1,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn bounded_reads_and_find() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut marked = data.clone();
        marked.splice(150_000..150_009, b"endstream".iter().copied());
        let mut s = Source::new(Cursor::new(marked), Some(160_000)).unwrap();
        assert_eq!(s.len(), 160_000);
        assert_eq!(s.find(0, u64::MAX, b"endstream").unwrap(), Some(150_000));
        assert_eq!(s.find(150_001, u64::MAX, b"endstream").unwrap(), None);
        assert!(s.read_at(159_999, &mut [0u8; 2]).is_err());
        assert!(s.read_at(u64::MAX, &mut [0u8; 2]).is_err());
        assert_eq!(s.read_upto(159_990, 100).unwrap().len(), 10);
        assert!(s.read_upto(170_000, 100).unwrap().is_empty());
        // Needle straddling a chunk boundary.
        let mut d2 = vec![b'x'; SCAN_CHUNK * 2];
        d2.splice(SCAN_CHUNK - 3..SCAN_CHUNK + 6, b"endstream".iter().copied());
        let mut s = Source::new(Cursor::new(d2), None).unwrap();
        assert_eq!(
            s.find(0, u64::MAX, b"endstream").unwrap(),
            Some(SCAN_CHUNK as u64 - 3)
        );
    }

    #[test]
    fn helpers() {
        assert_eq!(read_uint(b"  123x", 2), Some((123, 5)));
        assert_eq!(read_uint(b"x", 0), None);
        assert_eq!(read_uint(b"99999999999999999999999", 0), None);
        assert_eq!(skip_ws(b" \r\n\0a", 0), 4);
        assert_eq!(eol_len(b"\r\nx", 0), 2);
        assert_eq!(eol_len(b"\rx", 0), 1);
        assert_eq!(eol_len(b"x", 0), 0);
    }
}
