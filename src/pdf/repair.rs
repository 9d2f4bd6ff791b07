//! Rebuilding the cross-reference of a damaged file (broken `startxref`, `/Prev` chain or
//! offsets) by scanning it in chunks for `N G obj` headers and `trailer` dictionaries, the
//! structure of ISO 32000-1 §7.5 being reconstructed as viewers do.

use super::error::PdfError;
use super::fetch::MAX_OBJECT_WINDOW;
use super::lexer::{is_regular, is_whitespace};
use super::limits::Limits;
use super::object::{Dict, ObjRef, Object};
use super::parser::Parser;
use super::reader::{PdfFile, Revision};
use super::source::Source;
use super::xref::{XrefEntry, XrefKind};
use std::collections::BTreeMap;
use std::io::{Read, Seek};

const CHUNK: usize = 1 << 20;
/// Context kept before each chunk so that a header split across chunks is still seen.
const BACK: usize = 32;
/// Look-ahead after each chunk for the delimiter after a keyword.
const AHEAD: usize = 16;

/// What a scan found.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    /// Object number → (offset of its header, generation); later offsets win.
    pub objects: BTreeMap<u32, (u64, u16)>,
    /// Offsets just after each `trailer` keyword.
    pub trailers: Vec<u64>,
}

/// `N G` before the `obj` keyword at `i`: `(num, gen, header start)`.
fn header_before(buf: &[u8], i: usize) -> Option<(u32, u16, usize)> {
    let prev = |j: usize| j.checked_sub(1).and_then(|k| buf.get(k)).copied();
    let run = |mut j: usize, f: fn(u8) -> bool| {
        while prev(j).is_some_and(f) {
            j -= 1;
        }
        j
    };
    let digit = |b: u8| b.is_ascii_digit();
    let g_end = run(i, is_whitespace);
    let g_start = run(g_end, digit);
    let n_end = run(g_start, is_whitespace);
    let n_start = run(n_end, digit);
    let ok = g_end < i && g_start < g_end && g_end - g_start <= 5 && n_end < g_start;
    if !ok
        || n_start == n_end
        || n_end - n_start > 10
        || prev(n_start).is_some_and(|b| !is_whitespace(b))
    {
        return None;
    }
    let num = std::str::from_utf8(buf.get(n_start..n_end)?)
        .ok()?
        .parse()
        .ok()?;
    let gen = std::str::from_utf8(buf.get(g_start..g_end)?)
        .ok()?
        .parse()
        .ok()?;
    Some((num, gen, n_start))
}

/// Scans `[0, len)` chunk by chunk.
pub(crate) fn scan<R: Read + Seek>(src: &mut Source<R>, limits: &Limits) -> Result<Scan, PdfError> {
    let mut out = Scan::default();
    let len = src.len();
    let mut s = 0u64;
    while s < len {
        let back = s.min(BACK as u64) as usize;
        let from = s - back as u64;
        let buf = src.read_upto(from, back + CHUNK + AHEAD)?;
        let at_eof = from + buf.len() as u64 >= len;
        let hi = (back + CHUNK).min(buf.len());
        for i in back..hi {
            let rest = buf.get(i..).unwrap_or_default();
            let delimited = |k: usize| match buf.get(i + k) {
                None => at_eof,
                Some(&b) => !is_regular(b),
            };
            if rest.starts_with(b"obj") && delimited(3) {
                if let Some((num, gen, start)) = header_before(&buf, i) {
                    if num < limits.max_objects {
                        out.objects.insert(num, (from + start as u64, gen));
                    }
                }
            } else if rest.starts_with(b"trailer") && delimited(7) {
                out.trailers.push(from + i as u64 + 7);
            }
        }
        s = s.saturating_add(CHUNK as u64);
    }
    Ok(out)
}

impl<R: Read + Seek> PdfFile<R> {
    fn dict_at(&mut self, offset: u64) -> Result<Dict, PdfError> {
        let depth = self.limits.max_depth;
        let o = self
            .src
            .with_window(offset, MAX_OBJECT_WINDOW, |buf, partial| {
                Parser::new(buf, offset, partial, depth).parse_object()
            })?;
        match o {
            Object::Dict(d) => Ok(d),
            _ => Err(PdfError::syntax(offset, "not a dictionary")),
        }
    }

    /// Rebuilds the cross-reference by scanning: every object found, objects of object
    /// streams, and the last trailer (or xref-stream dictionary) with `/Root`, else a
    /// trailer made for the last `/Type /Catalog` object. On error `self` is left empty.
    pub(super) fn rebuild(&mut self) -> Result<(), PdfError> {
        let limits = self.limits;
        let scan = scan(&mut self.src, &limits)?;
        if scan.objects.is_empty() {
            return Err(PdfError::Unrepairable("no 'N G obj' header found".into()));
        }
        let f = self;
        f.entries.clear();
        f.objstms = Default::default();
        f.repaired = true;
        f.newest = None;
        for (&num, &(offset, gen)) in &scan.objects {
            f.entries.insert(num, XrefEntry::InUse { offset, gen });
        }
        let mut best: Option<(u64, Dict)> = None;
        let keep = |best: &mut Option<(u64, Dict)>, off: u64, d: Dict| {
            if best.as_ref().is_none_or(|(o, _)| off > *o) {
                *best = Some((off, d));
            }
        };
        for &t in &scan.trailers {
            if let Ok(d) = f.dict_at(t) {
                if d.contains(b"Root") {
                    keep(&mut best, t, d);
                }
            }
        }
        let mut catalog: Option<(u64, ObjRef)> = None;
        let mut compressed = Vec::new();
        for (&num, &(off, gen)) in &scan.objects {
            let r = ObjRef::new(num, gen);
            let Ok(obj) = f.get(r) else { continue };
            let Some(d) = obj.as_dict() else { continue };
            match d.name(b"Type") {
                Some(b"ObjStm") => {
                    if let Ok(stm) = f.objstm(num) {
                        for (i, (n, _)) in stm.offsets.iter().enumerate() {
                            compressed.push((*n, num, i as u32));
                        }
                    }
                }
                Some(b"XRef") if d.contains(b"Root") => keep(&mut best, off, d.clone()),
                Some(b"Catalog") if catalog.is_none_or(|(o, _)| off > o) => {
                    catalog = Some((off, r));
                }
                _ => {}
            }
        }
        for (n, stream, index) in compressed {
            if n < limits.max_objects {
                f.entries
                    .entry(n)
                    .or_insert(XrefEntry::Compressed { stream, index });
            }
        }
        f.trailer = match (best, catalog) {
            (Some((_, d)), _) => d,
            (None, Some((_, root))) => {
                let size = f
                    .entries
                    .keys()
                    .next_back()
                    .map_or(1, |n| i64::from(*n) + 1);
                let mut d = Dict::new();
                d.set(b"Size", Object::Int(size));
                d.set(b"Root", Object::Ref(root));
                d
            }
            (None, None) => {
                return Err(PdfError::Unrepairable(
                    "no trailer and no catalog found".into(),
                ))
            }
        };
        f.revisions = vec![Revision {
            xref_offset: 0,
            end: f.len(),
            kind: XrefKind::Repaired,
            trailer: f.trailer.clone(),
        }];
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn headers_are_found_across_chunks() {
        let mut file = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n".to_vec();
        file.resize(CHUNK - 4, b' ');
        file.extend_from_slice(
            b"\n12 3 obj\n(x)\nendobj x5 0 obj /7 0 obj\ntrailer\n<<>>\n9 0 obj",
        );
        let mut src = Source::new(Cursor::new(file.clone()), None).unwrap();
        let s = scan(&mut src, &Limits::default()).unwrap();
        let found: Vec<_> = s.objects.iter().map(|(n, (o, g))| (*n, *o, *g)).collect();
        assert_eq!(found[0], (1, 9, 0));
        assert_eq!(found[1], (9, file.len() as u64 - 7, 0));
        assert_eq!(found[2], (12, CHUNK as u64 - 3, 3));
        assert_eq!(found.len(), 3);
        assert_eq!(s.trailers.len(), 1);
    }

    #[test]
    fn header_shapes() {
        assert_eq!(header_before(b"12 0 obj", 5), Some((12, 0, 0)));
        assert_eq!(header_before(b"\n12\r\n0 obj", 7), Some((12, 0, 1)));
        assert_eq!(header_before(b"12 0obj", 4), None);
        assert_eq!(header_before(b"a12 0 obj", 6), None);
        assert_eq!(header_before(b"12 123456 obj", 10), None);
        assert_eq!(header_before(b"99999999999 0 obj", 14), None);
        assert_eq!(header_before(b" 0 obj", 3), None);
    }
}
