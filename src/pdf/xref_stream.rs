//! Cross-reference streams (ISO 32000-1 §7.5.8): `/W`, `/Index`, `/Size`, FlateDecode with
//! predictors; entries of type 0 (free), 1 (offset), 2 (in an object stream).

use super::error::PdfError;
use super::fetch::{read_indirect, stream_length};
use super::filters::{decode, filter_specs};
use super::limits::Limits;
use super::object::{Dict, ObjRef, Object};
use super::source::{skip_ws, Source};
use super::xref::{Section, XrefEntry, XrefKind};
use std::io::{Read, Seek};

fn err(obj: ObjRef, msg: impl Into<String>) -> PdfError {
    PdfError::XrefStream {
        obj,
        msg: msg.into(),
    }
}

/// Parses the xref stream object at `offset`.
pub(crate) fn read_xref_stream<R: Read + Seek>(
    src: &mut Source<R>,
    offset: u64,
    limits: &Limits,
) -> Result<Section, PdfError> {
    let ind = read_indirect(src, offset, limits.max_depth)?;
    let r = ind.r;
    let Object::Stream(s) = ind.obj else {
        return Err(PdfError::Xref {
            offset,
            msg: "neither 'xref' nor an xref stream".into(),
        });
    };
    if s.dict.name(b"Type") != Some(b"XRef") {
        return Err(err(r, "/Type is not /XRef"));
    }
    // `/Length` of an xref stream must be direct (§7.5.8.2); otherwise scan.
    let declared = s.dict.int(b"Length").and_then(|l| u64::try_from(l).ok());
    let len = stream_length(src, r, s.data_offset, declared, limits.max_decoded_stream)?;
    if len > limits.max_decoded_stream {
        return Err(PdfError::TooLarge {
            what: format!("xref stream {} {}", r.num, r.gen),
            limit: limits.max_decoded_stream,
        });
    }
    let mut raw = vec![0u8; usize::try_from(len).map_err(|_| err(r, "stream too long"))?];
    src.read_at(s.data_offset, &mut raw)?;
    let what = format!("xref stream {} {}", r.num, r.gen);
    let filters = filter_specs(&s.dict, &mut |o| Ok(o.clone()), &what)?;
    let data = decode(raw, &filters, limits.max_decoded_stream, &what)?;
    let entries = parse_entries(&s.dict, &data, r, limits)?;
    let body_end = after_endobj(src, s.data_offset + len)?;
    Ok(Section {
        offset,
        kind: XrefKind::Stream,
        trailer: s.dict,
        entries,
        body_end,
    })
}

/// Offset after `endstream ... endobj` following the data (or as far as found).
fn after_endobj<R: Read + Seek>(src: &mut Source<R>, data_end: u64) -> Result<u64, PdfError> {
    let buf = src.read_upto(data_end, 64)?;
    let mut p = skip_ws(&buf, 0);
    if !buf.get(p..).is_some_and(|b| b.starts_with(b"endstream")) {
        return Ok(data_end);
    }
    p = skip_ws(&buf, p + 9);
    if buf.get(p..).is_some_and(|b| b.starts_with(b"endobj")) {
        return Ok(data_end + p as u64 + 6);
    }
    Ok(data_end + p as u64)
}

fn uint(o: &Object) -> Option<u64> {
    o.as_int().and_then(|v| u64::try_from(v).ok())
}

/// Decodes the binary entry table of a decoded xref stream.
pub(crate) fn parse_entries(
    dict: &Dict,
    data: &[u8],
    r: ObjRef,
    limits: &Limits,
) -> Result<Vec<(u32, XrefEntry)>, PdfError> {
    let w: Option<Vec<usize>> = dict
        .get(b"W")
        .and_then(Object::as_array)
        .filter(|a| a.len() == 3)
        .and_then(|a| {
            a.iter()
                .map(|o| uint(o).filter(|&v| v <= 8).map(|v| v as usize))
                .collect()
        });
    let w = w.ok_or_else(|| err(r, "/W is not an array of 3 widths (0..=8)"))?;
    let (w0, w1, w2) = match w.as_slice() {
        [a, b, c] => (*a, *b, *c),
        _ => return Err(err(r, "/W is not an array of 3 widths")),
    };
    let row = w0 + w1 + w2;
    if row == 0 {
        return Err(err(r, "/W widths are all zero"));
    }
    let size = dict
        .get(b"Size")
        .and_then(uint)
        .ok_or_else(|| err(r, "/Size missing or not an integer"))?;
    if size > u64::from(limits.max_objects) {
        return Err(PdfError::TooManyObjects {
            num: size,
            limit: limits.max_objects,
        });
    }
    let index: Vec<u64> = match dict.get(b"Index") {
        None => vec![0, size],
        Some(Object::Array(a)) if a.len() % 2 == 0 => a
            .iter()
            .map(uint)
            .collect::<Option<_>>()
            .ok_or_else(|| err(r, "/Index holds a non-integer"))?,
        Some(_) => return Err(err(r, "/Index is not an array of pairs")),
    };
    let mut rows = data.chunks_exact(row);
    let mut out = Vec::new();
    for pair in index.chunks_exact(2) {
        let (start, count) = match pair {
            [s, c] => (*s, *c),
            _ => continue,
        };
        for i in 0..count {
            let Some(bytes) = rows.next() else {
                return Ok(out); // Short data: keep what is there.
            };
            let num = start.saturating_add(i);
            if num >= u64::from(limits.max_objects) {
                return Err(PdfError::TooManyObjects {
                    num,
                    limit: limits.max_objects,
                });
            }
            let (f0, rest) = bytes.split_at(w0);
            let (f1, f2) = rest.split_at(w1);
            let ty = if w0 == 0 { 1 } else { be(f0) };
            let (a, b) = (be(f1), be(f2));
            let entry = match ty {
                0 => XrefEntry::Free,
                1 if a == 0 => XrefEntry::Free,
                1 => XrefEntry::InUse {
                    offset: a,
                    gen: u16::try_from(b).unwrap_or(u16::MAX),
                },
                2 => match (u32::try_from(a), u32::try_from(b)) {
                    (Ok(stream), Ok(index)) => XrefEntry::Compressed { stream, index },
                    _ => XrefEntry::Free,
                },
                // Unknown types are references to the null object (§7.5.8.3).
                _ => XrefEntry::Free,
            };
            out.push((num as u32, entry));
        }
    }
    Ok(out)
}

/// Big-endian unsigned value of up to 8 bytes.
fn be(b: &[u8]) -> u64 {
    b.iter().fold(0u64, |v, &x| v << 8 | u64::from(x))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_with_index_and_default_type() {
        let mut d = Dict::new();
        d.set(
            b"W",
            Object::Array(vec![Object::Int(1), Object::Int(2), Object::Int(1)]),
        );
        d.set(b"Size", Object::Int(12));
        d.set(
            b"Index",
            Object::Array(vec![0, 1, 10, 2].into_iter().map(Object::Int).collect()),
        );
        let data = [0, 0, 0, 255, 1, 0x01, 0x00, 0, 2, 0, 7, 3];
        let e = parse_entries(&d, &data, ObjRef::new(9, 0), &Limits::default()).unwrap();
        assert_eq!(
            e,
            vec![
                (0, XrefEntry::Free),
                (
                    10,
                    XrefEntry::InUse {
                        offset: 256,
                        gen: 0
                    }
                ),
                (
                    11,
                    XrefEntry::Compressed {
                        stream: 7,
                        index: 3
                    }
                ),
            ]
        );
        d.set(
            b"W",
            Object::Array(vec![Object::Int(0), Object::Int(2), Object::Int(0)]),
        );
        d.remove(b"Index");
        let e = parse_entries(&d, &[0, 9], ObjRef::new(9, 0), &Limits::default()).unwrap();
        assert_eq!(e, vec![(0, XrefEntry::InUse { offset: 9, gen: 0 })]);
    }

    #[test]
    fn bad_dicts() {
        let mut d = Dict::new();
        let r = ObjRef::new(9, 0);
        assert!(parse_entries(&d, &[], r, &Limits::default()).is_err());
        d.set(
            b"W",
            Object::Array(vec![Object::Int(0), Object::Int(0), Object::Int(0)]),
        );
        d.set(b"Size", Object::Int(1));
        assert!(parse_entries(&d, &[], r, &Limits::default()).is_err());
        d.set(
            b"W",
            Object::Array(vec![Object::Int(1), Object::Int(9), Object::Int(0)]),
        );
        assert!(parse_entries(&d, &[], r, &Limits::default()).is_err());
        d.set(
            b"W",
            Object::Array(vec![Object::Int(1), Object::Int(1), Object::Int(0)]),
        );
        d.set(b"Size", Object::Int(i64::MAX));
        assert!(parse_entries(&d, &[], r, &Limits::default()).is_err());
    }
}
