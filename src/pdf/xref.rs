//! Cross-reference sections (ISO 32000-1 §7.5.4 tables, §7.5.5 trailer, §7.5.8 xref
//! streams, §7.5.8.4 hybrid files) and the `/Prev` chain of incremental updates (§7.5.6).

use super::error::PdfError;
use super::limits::Limits;
use super::object::Dict;
use super::parser::Parser;
use super::source::{eol_len, read_uint, skip_ws, Source};
use super::xref_stream::read_xref_stream;
use std::collections::HashSet;
use std::io::{Read, Seek};

/// Where an object lives (ISO 32000-1 §7.5.4 Table 18, §7.5.8.3 Table 18).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XrefEntry {
    /// A free (deleted or never used) object number: reads as null.
    Free,
    /// An uncompressed object at a byte offset.
    InUse { offset: u64, gen: u16 },
    /// Object number `index`-th in the object stream `stream` (§7.5.7).
    Compressed { stream: u32, index: u32 },
}

/// The syntax of one cross-reference section.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XrefKind {
    /// `xref` table + `trailer` (§7.5.4).
    Table,
    /// Cross-reference stream (§7.5.8).
    Stream,
    /// Table whose trailer has `/XRefStm` (§7.5.8.4).
    Hybrid,
    /// Rebuilt by scanning the file for objects: the cross-references were unusable.
    Repaired,
}

/// One parsed section.
#[derive(Clone, Debug)]
pub(crate) struct Section {
    pub offset: u64,
    pub kind: XrefKind,
    pub trailer: Dict,
    pub entries: Vec<(u32, XrefEntry)>,
    /// Just after the trailer dict (table) or `endobj` (stream).
    pub body_end: u64,
}

/// Most sections followed along a `/Prev` chain.
const MAX_SECTIONS: usize = 100_000;
/// How far before the end `startxref` is searched for.
pub(crate) const STARTXREF_TAIL: u64 = 1024;

/// The offset after the last `startxref` in the final 1024 bytes (§7.5.5).
pub(crate) fn find_startxref<R: Read + Seek>(src: &mut Source<R>) -> Result<u64, PdfError> {
    let from = src.len().saturating_sub(STARTXREF_TAIL);
    let tail = src.read_upto(from, STARTXREF_TAIL as usize)?;
    let at = tail
        .windows(9)
        .rposition(|w| w == b"startxref")
        .ok_or(PdfError::NoStartxref(STARTXREF_TAIL))?;
    let p = skip_ws(&tail, at + 9);
    let (off, _) = read_uint(&tail, p).ok_or_else(|| {
        PdfError::syntax(from + p as u64, "startxref is not followed by an offset")
    })?;
    if off >= src.len() {
        return Err(PdfError::Xref {
            offset: off,
            msg: format!("startxref points past the end ({} bytes)", src.len()),
        });
    }
    Ok(off)
}

/// Follows `/Prev` from `start`: sections newest first. An offset seen twice is an error.
pub(crate) fn read_chain<R: Read + Seek>(
    src: &mut Source<R>,
    start: u64,
    limits: &Limits,
) -> Result<Vec<Section>, PdfError> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut next = Some(start);
    while let Some(off) = next {
        if !seen.insert(off) {
            return Err(PdfError::XrefLoop(off));
        }
        if out.len() >= MAX_SECTIONS {
            return Err(PdfError::Xref {
                offset: off,
                msg: "too many sections in the /Prev chain".into(),
            });
        }
        let sec = read_section(src, off, limits)?;
        next =
            match sec.trailer.get(b"Prev") {
                None => None,
                Some(p) => Some(p.as_int().and_then(|p| u64::try_from(p).ok()).ok_or_else(
                    || PdfError::Xref {
                        offset: off,
                        msg: "/Prev is not a non-negative integer".into(),
                    },
                )?),
            };
        out.push(sec);
    }
    Ok(out)
}

/// One section at `offset`: a table (with its `/XRefStm` merged in) or an xref stream.
pub(crate) fn read_section<R: Read + Seek>(
    src: &mut Source<R>,
    offset: u64,
    limits: &Limits,
) -> Result<Section, PdfError> {
    let head = src.read_upto(offset, 64)?;
    let p = skip_ws(&head, 0);
    if !head.get(p..).is_some_and(|h| h.starts_with(b"xref")) {
        return read_xref_stream(src, offset, limits);
    }
    let window = usize::try_from(u64::from(limits.max_objects).saturating_mul(21))
        .unwrap_or(usize::MAX)
        .clamp(1 << 16, 256 << 20);
    let mut sec = src.with_window(offset, window, |buf, partial| {
        read_table(buf, offset, partial, limits)
    })?;
    if let Some(x) = sec.trailer.get(b"XRefStm") {
        let xoff = x
            .as_int()
            .and_then(|v| u64::try_from(v).ok())
            .ok_or_else(|| PdfError::Xref {
                offset,
                msg: "/XRefStm is not an offset".into(),
            })?;
        let stm = read_xref_stream(src, xoff, limits)?;
        let known: HashSet<u32> = sec.entries.iter().map(|(n, _)| *n).collect();
        let extra = stm.entries.into_iter().filter(|(n, _)| !known.contains(n));
        sec.entries.extend(extra);
        sec.kind = XrefKind::Hybrid;
    }
    Ok(sec)
}

/// Byte cursor over a window holding a table (truncation-aware).
struct Cur<'a> {
    buf: &'a [u8],
    p: usize,
    base: u64,
    partial: bool,
}

impl Cur<'_> {
    fn err(&self, msg: &str) -> PdfError {
        if self.p >= self.buf.len() && self.partial {
            return PdfError::Truncated {
                offset: self.base + self.buf.len() as u64,
            };
        }
        PdfError::Xref {
            offset: self.base + self.p as u64,
            msg: msg.into(),
        }
    }

    fn ws(&mut self) {
        self.p = skip_ws(self.buf, self.p);
    }

    fn uint(&mut self, what: &str) -> Result<u64, PdfError> {
        self.ws();
        match read_uint(self.buf, self.p) {
            Some((_, q)) if q >= self.buf.len() && self.partial => {
                self.p = q;
                Err(self.err(what))
            }
            Some((v, q)) => {
                self.p = q;
                Ok(v)
            }
            None => Err(self.err(what)),
        }
    }

    fn rest(&self) -> &[u8] {
        self.buf.get(self.p..).unwrap_or_default()
    }
}

/// Parses `xref` subsections and the `trailer` dictionary from a window at `base`.
fn read_table(buf: &[u8], base: u64, partial: bool, limits: &Limits) -> Result<Section, PdfError> {
    let mut c = Cur {
        buf,
        p: skip_ws(buf, 0) + 4,
        base,
        partial,
    };
    let mut entries = Vec::new();
    loop {
        c.ws();
        if c.rest().starts_with(b"trailer") {
            c.p += 7;
            break;
        }
        if c.partial && b"trailer".starts_with(c.rest()) {
            c.p = c.buf.len();
            return Err(c.err("truncated"));
        }
        let start = c.uint("expected a subsection header or 'trailer'")?;
        let count = c.uint("expected the subsection's entry count")?;
        let end = start.saturating_add(count);
        if end > u64::from(limits.max_objects) {
            return Err(PdfError::TooManyObjects {
                num: end,
                limit: limits.max_objects,
            });
        }
        let mut first = start;
        for i in 0..count {
            let offset = c.uint("bad entry offset")?;
            let gen = c.uint("bad entry generation")?;
            c.ws();
            let kind = c.rest().first().copied();
            if kind.is_none() {
                return Err(c.err("missing entry type"));
            }
            c.p += 1;
            // Common writer bug: "1 n" subsection whose first entry is object 0's.
            if i == 0 && start == 1 && kind == Some(b'f') && offset == 0 && gen == 65535 {
                first = 0;
            }
            let num = u32::try_from(first + i).unwrap_or(u32::MAX);
            let entry = match kind {
                Some(b'n') if offset > 0 => XrefEntry::InUse {
                    offset,
                    gen: u16::try_from(gen).unwrap_or(u16::MAX),
                },
                Some(b'n' | b'f') => XrefEntry::Free,
                _ => return Err(c.err("entry type is neither 'n' nor 'f'")),
            };
            entries.push((num, entry));
        }
    }
    let mut parser = Parser::new(c.rest(), base + c.p as u64, partial, limits.max_depth);
    let trailer = match parser.parse_object()? {
        super::object::Object::Dict(d) => d,
        _ => return Err(c.err("trailer is not a dictionary")),
    };
    Ok(Section {
        offset: base,
        kind: XrefKind::Table,
        trailer,
        entries,
        body_end: parser.lex.offset(),
    })
}

/// Where the revision closed by the section ends: after `startxref N %%EOF` and one EOL;
/// after the number when `%%EOF` is missing; `body_end` when there is no `startxref`.
pub(crate) fn section_end<R: Read + Seek>(
    src: &mut Source<R>,
    body_end: u64,
) -> Result<u64, PdfError> {
    // Writers may pad with white space (qpdf's linearized files: kilobytes of it).
    let mut at = body_end;
    for _ in 0..64 {
        let buf = src.read_upto(at, 4096)?;
        let p = skip_ws(&buf, 0);
        at += p as u64;
        if p < buf.len() || buf.is_empty() {
            break;
        }
    }
    let buf = src.read_upto(at, 1024)?;
    let mut p = 0;
    // Tolerate comments between the section and `startxref`.
    while buf.get(p) == Some(&b'%') && !buf.get(p..).is_some_and(|b| b.starts_with(b"%%EOF")) {
        while buf.get(p).is_some_and(|b| *b != b'\r' && *b != b'\n') {
            p += 1;
        }
        p = skip_ws(&buf, p);
    }
    if !buf.get(p..).is_some_and(|b| b.starts_with(b"startxref")) {
        return Ok(body_end);
    }
    let Some((_, mut p)) = read_uint(&buf, skip_ws(&buf, p + 9)) else {
        return Ok(at + p as u64 + 9);
    };
    let q = skip_ws(&buf, p);
    if buf.get(q..).is_some_and(|b| b.starts_with(b"%%EOF")) {
        p = q + 5;
        p += eol_len(&buf, p);
    }
    Ok(at + p as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn table(text: &[u8]) -> Result<Section, PdfError> {
        read_table(text, 0, false, &Limits::default())
    }

    #[test]
    fn sloppy_tables() {
        let t = b"xref\n0 3\n0000000000 65535 f\r\n0000000017 00000 n \n0000000081 00001 n\n\
                  5 1\n0000000200 00000 n\r\ntrailer\n<< /Size 6 /Root 1 0 R >>\nstartxref";
        let s = table(t).unwrap();
        assert_eq!(s.entries.len(), 4);
        assert_eq!(s.entries[0], (0, XrefEntry::Free));
        assert_eq!(s.entries[2], (2, XrefEntry::InUse { offset: 81, gen: 1 }));
        assert_eq!(
            s.entries[3],
            (
                5,
                XrefEntry::InUse {
                    offset: 200,
                    gen: 0
                }
            )
        );
        assert_eq!(s.trailer.int(b"Size"), Some(6));
        assert_eq!(&t[s.body_end as usize..], b"\nstartxref");
        // "1 n" quirk: first entry is object 0.
        let s = table(b"xref\n1 2\n0000000000 65535 f\n0000000010 00000 n\ntrailer<<>>").unwrap();
        assert_eq!(s.entries[1], (1, XrefEntry::InUse { offset: 10, gen: 0 }));
    }

    #[test]
    fn bad_tables() {
        assert!(table(b"xref\n0 2\n0000000000 65535 f\ntrailer<<>>").is_err());
        assert!(table(b"xref\n0 1\n0000000000 65535 x\ntrailer<<>>").is_err());
        assert!(table(b"xref\n0 99999999999\n").is_err());
        assert!(table(b"xref\n0 1\n0000000000 65535 f\ntrailer [1]").is_err());
        let e = read_table(b"xref\n0 1\n00000", 0, true, &Limits::default()).unwrap_err();
        assert!(e.is_truncated());
    }

    #[test]
    fn revision_end() {
        let cases: [(&[u8], u64); 6] = [
            (b"\nstartxref\n9\n%%EOF\r\nmore", 20),
            (b"\nstartxref\n9\n%%EOF", 18),
            (b"\r\nstartxref\r\n9\r\n%%EOF\rx", 22),
            (b"\nstartxref\n9\n", 12),
            (b"\n1 0 obj", 0),
            (b"\n% c\nstartxref 9 %%EOF\n", 23),
        ];
        for (text, end) in cases {
            let mut src = Source::new(Cursor::new(text.to_vec()), None).unwrap();
            assert_eq!(section_end(&mut src, 0).unwrap(), end, "{text:?}");
        }
        let mut padded = vec![b' '; 9000];
        padded.extend_from_slice(b"startxref\n216\n%%EOF\n");
        let len = padded.len() as u64;
        let mut src = Source::new(Cursor::new(padded), None).unwrap();
        assert_eq!(section_end(&mut src, 0).unwrap(), len);
    }

    #[test]
    fn startxref_search() {
        let mut f = vec![b' '; 3000];
        f.extend_from_slice(b"startxref\n12\n%%EOF\n");
        let mut src = Source::new(Cursor::new(f.clone()), None).unwrap();
        assert_eq!(find_startxref(&mut src).unwrap(), 12);
        f.extend(vec![b' '; 1100]);
        let mut src = Source::new(Cursor::new(f), None).unwrap();
        let e = find_startxref(&mut src).unwrap_err();
        assert_eq!(e.to_string(), "no startxref found in the last 1024 bytes");
    }
}
