//! Incremental updates (ISO 32000-1 §7.5.6): new or changed objects appended after the
//! original bytes, then a cross-reference section (table §7.5.4 or stream §7.5.8) whose
//! `/Prev` points at the previous one, then `startxref` and `%%EOF`.

use super::error::PdfError;
use super::object::{Dict, ObjRef, Object};
use super::reader::PdfFile;
use super::writer::{write_dict, write_indirect, write_stream};
use super::xref::XrefKind;
use std::collections::BTreeMap;
use std::io::{Read, Seek};

/// What the new section must carry over from the previous one (trailer keys of
/// ISO 32000-1 §7.5.5 Table 15, `/Prev` of §7.5.6).
#[derive(Clone, Debug, PartialEq)]
pub struct PrevInfo {
    /// Offset of the previous cross-reference section (its `startxref`), for `/Prev`.
    pub prev_offset: u64,
    /// Previous `/Size` (one more than the highest object number in use).
    pub size: u32,
    pub root: Option<Object>,
    pub info: Option<Object>,
    pub id: Option<Object>,
    pub encrypt: Option<Object>,
    /// The previous section was an xref stream: write one too (a table otherwise).
    pub xref_stream: bool,
    /// The original bytes end with an EOL; when false, `finish` starts with one.
    pub base_ends_with_eol: bool,
}

impl PrevInfo {
    /// Reads what is needed from an opened file (refused for a repaired file: its
    /// cross-references cannot be chained with `/Prev`).
    pub fn from_file<R: Read + Seek>(f: &mut PdfFile<R>) -> Result<Self, PdfError> {
        let Some((prev_offset, kind)) = f.startxref().filter(|_| !f.repaired()) else {
            return Err(PdfError::Structure(
                "cannot append an incremental update to a repaired file".into(),
            ));
        };
        let xref_stream = kind == XrefKind::Stream;
        let t = f.trailer();
        let declared = t
            .int(b"Size")
            .and_then(|s| u32::try_from(s).ok())
            .unwrap_or(0);
        let highest = f
            .entries()
            .keys()
            .next_back()
            .map_or(0, |n| n.saturating_add(1));
        let mut info = Self {
            prev_offset,
            size: declared.max(highest),
            root: t.get(b"Root").cloned(),
            info: t.get(b"Info").cloned(),
            id: t.get(b"ID").cloned(),
            encrypt: t.get(b"Encrypt").cloned(),
            xref_stream,
            base_ends_with_eol: true,
        };
        let mut last = [0u8; 1];
        if let Some(at) = f.len().checked_sub(1) {
            f.read_at(at, &mut last)?;
            info.base_ends_with_eol = matches!(last[0], b'\n' | b'\r');
        }
        Ok(info)
    }

    fn trailer_entries(&self, d: &mut Dict, size: u32) {
        d.set(b"Size", Object::Int(i64::from(size)));
        for (k, v) in [
            (&b"Root"[..], &self.root),
            (b"Info", &self.info),
            (b"ID", &self.id),
            (b"Encrypt", &self.encrypt),
        ] {
            if let Some(v) = v {
                d.set(k, v.clone());
            }
        }
        d.set(b"Prev", Object::Int(self.prev_offset as i64));
    }
}

/// Collects new or changed objects, then writes them with a new cross-reference section
/// (an incremental update, ISO 32000-1 §7.5.6).
#[derive(Clone, Debug, Default)]
pub struct IncrementalWriter {
    objects: BTreeMap<u32, (ObjRef, Vec<u8>)>,
}

impl IncrementalWriter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) object `r`. Object 0 is ignored.
    pub fn add(&mut self, r: ObjRef, o: &Object) {
        let mut v = Vec::new();
        write_indirect(&mut v, r, o);
        self.add_raw(r, v);
    }

    /// Adds (or replaces) a stream object; `/Length` is set.
    pub fn add_stream(&mut self, r: ObjRef, dict: &Dict, data: &[u8]) {
        let mut v = Vec::new();
        write_stream(&mut v, r, dict, data);
        self.add_raw(r, v);
    }

    /// Adds an already serialized `n g obj ... endobj` for `r`.
    pub fn add_raw(&mut self, r: ObjRef, bytes: Vec<u8>) {
        if r.num != 0 {
            self.objects.insert(r.num, (r, bytes));
        }
    }

    pub fn len(&self) -> usize {
        self.objects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// The bytes to append to a file of `base_len` bytes.
    pub fn finish(self, base_len: u64, prev: &PrevInfo) -> Vec<u8> {
        self.finish_with_offsets(base_len, prev).0
    }

    /// Like [`finish`](Self::finish), also returning each object's absolute offset.
    pub fn finish_with_offsets(
        self,
        base_len: u64,
        prev: &PrevInfo,
    ) -> (Vec<u8>, Vec<(ObjRef, u64)>) {
        let mut out = Vec::new();
        if !prev.base_ends_with_eol {
            out.push(b'\n');
        }
        let mut placed = Vec::with_capacity(self.objects.len());
        for (r, bytes) in self.objects.into_values() {
            placed.push((r, base_len + out.len() as u64));
            out.extend_from_slice(&bytes);
            if !bytes.ends_with(b"\n") {
                out.push(b'\n');
            }
        }
        let highest = placed.last().map_or(0, |(r, _)| r.num.saturating_add(1));
        let xref_at = base_len + out.len() as u64;
        if prev.xref_stream {
            let xnum = prev.size.max(highest);
            let mut rows = placed.clone();
            rows.push((ObjRef::new(xnum, 0), xref_at));
            xref_stream(&mut out, &rows, xnum, prev);
        } else {
            out.extend_from_slice(b"xref\n");
            for group in groups(&placed) {
                let first = group.first().map_or(0, |(r, _)| r.num);
                out.extend_from_slice(format!("{first} {}\n", group.len()).as_bytes());
                for (r, off) in group {
                    out.extend_from_slice(format!("{off:010} {:05} n\r\n", r.gen).as_bytes());
                }
            }
            let mut t = Dict::new();
            prev.trailer_entries(&mut t, prev.size.max(highest));
            out.extend_from_slice(b"trailer\n");
            write_dict(&mut out, &t);
            out.push(b'\n');
        }
        out.extend_from_slice(format!("startxref\n{xref_at}\n%%EOF\n").as_bytes());
        (out, placed)
    }
}

/// Runs of consecutive object numbers (`placed` is sorted by number).
fn groups(placed: &[(ObjRef, u64)]) -> Vec<&[(ObjRef, u64)]> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=placed.len() {
        let split = match (placed.get(i - 1), placed.get(i)) {
            (Some((a, _)), Some((b, _))) => b.num != a.num.saturating_add(1),
            _ => true,
        };
        if split {
            if let Some(g) = placed.get(start..i) {
                out.push(g);
            }
            start = i;
        }
    }
    out
}

/// An uncompressed xref stream `/W [1 w 2]` listing `rows` (which include itself).
fn xref_stream(out: &mut Vec<u8>, rows: &[(ObjRef, u64)], xnum: u32, prev: &PrevInfo) {
    let max_off = rows.iter().map(|(_, o)| *o).max().unwrap_or(0);
    let w = (8 - (max_off.leading_zeros() / 8) as usize).max(4);
    let mut data = Vec::with_capacity(rows.len() * (w + 3));
    let mut index = Vec::new();
    for group in groups(rows) {
        let first = group.first().map_or(0, |(r, _)| r.num);
        index.extend([
            Object::Int(i64::from(first)),
            Object::Int(group.len() as i64),
        ]);
        for (r, off) in group {
            data.push(1);
            data.extend_from_slice(off.to_be_bytes().get(8 - w..).unwrap_or_default());
            data.extend_from_slice(&r.gen.to_be_bytes());
        }
    }
    let mut d = Dict::new();
    d.set(b"Type", Object::name("XRef"));
    prev.trailer_entries(&mut d, xnum.saturating_add(1));
    let widths = [1, w as i64, 2].map(Object::Int).to_vec();
    d.set(b"W", Object::Array(widths));
    d.set(b"Index", Object::Array(index));
    write_stream(out, ObjRef::new(xnum, 0), &d, &data);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouping() {
        let p = |n| (ObjRef::new(n, 0), 0u64);
        let placed = [p(1), p(2), p(3), p(7), p(9), p(10)];
        let g: Vec<usize> = groups(&placed).iter().map(|g| g.len()).collect();
        assert_eq!(g, vec![3, 1, 2]);
        assert!(groups(&[]).is_empty());
    }
}
