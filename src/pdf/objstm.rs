//! Object streams (ISO 32000-1 §7.5.7): decoding `/Type /ObjStm` with `/N` and `/First`,
//! and a small bounded cache of decoded object streams.

use super::error::PdfError;
use super::lexer::{Lexer, Token};
use super::object::{ObjRef, Object};
use super::parser::Parser;
use super::reader::PdfFile;
use std::collections::{HashMap, VecDeque};
use std::io::{Read, Seek};
use std::sync::Arc;

/// A decoded object stream.
#[derive(Debug)]
pub(crate) struct ObjStmData {
    /// Decoded bytes.
    pub data: Vec<u8>,
    /// `(object number, offset relative to /First)` in stream order.
    pub offsets: Vec<(u32, usize)>,
    pub first: usize,
}

/// At most this many decoded object streams are kept...
const MAX_CACHED: usize = 16;
/// ...holding at most this many bytes together.
const MAX_CACHED_BYTES: usize = 64 << 20;

#[derive(Default)]
pub(crate) struct ObjStmCache {
    map: HashMap<u32, Arc<ObjStmData>>,
    order: VecDeque<u32>,
    bytes: usize,
}

impl ObjStmCache {
    fn get(&self, num: u32) -> Option<Arc<ObjStmData>> {
        self.map.get(&num).cloned()
    }

    fn insert(&mut self, num: u32, v: Arc<ObjStmData>) {
        let size = v.data.len();
        if size > MAX_CACHED_BYTES || self.map.contains_key(&num) {
            return;
        }
        while self.map.len() >= MAX_CACHED || self.bytes + size > MAX_CACHED_BYTES {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            if let Some(o) = self.map.remove(&old) {
                self.bytes -= o.data.len();
            }
        }
        self.bytes += size;
        self.order.push_back(num);
        self.map.insert(num, v);
    }
}

fn err(num: u32, msg: impl Into<String>) -> PdfError {
    PdfError::ObjStm {
        obj: ObjRef::new(num, 0),
        msg: msg.into(),
    }
}

impl<R: Read + Seek> PdfFile<R> {
    /// The decoded object stream `num` (cached).
    pub(crate) fn objstm(&mut self, num: u32) -> Result<Arc<ObjStmData>, PdfError> {
        if let Some(d) = self.objstms.get(num) {
            return Ok(d);
        }
        let Object::Stream(s) = self.get(ObjRef::new(num, 0))? else {
            return Err(err(num, "not a stream"));
        };
        if s.dict.name(b"Type") != Some(b"ObjStm") {
            return Err(err(num, "/Type is not /ObjStm"));
        }
        let n = s.dict.int(b"N").and_then(|n| u32::try_from(n).ok());
        let first = s.dict.int(b"First").and_then(|f| usize::try_from(f).ok());
        let (Some(n), Some(first)) = (n, first) else {
            return Err(err(num, "/N or /First missing or negative"));
        };
        if n >= self.limits.max_objects {
            return Err(err(num, format!("/N {n} is too large")));
        }
        let data = self.stream_decoded(&s)?;
        let header = data
            .get(..first)
            .ok_or_else(|| err(num, format!("/First {first} is past the decoded data")))?;
        let mut lx = Lexer::new(header, 0, false);
        let mut offsets = Vec::new();
        for _ in 0..n {
            match (lx.next_token(), lx.next_token()) {
                (Ok(Some(Token::Int(o))), Ok(Some(Token::Int(off)))) => {
                    match (u32::try_from(o), usize::try_from(off)) {
                        (Ok(o), Ok(off)) => offsets.push((o, off)),
                        _ => return Err(err(num, "bad object number or offset in header")),
                    }
                }
                _ => break,
            }
        }
        let d = Arc::new(ObjStmData {
            data,
            offsets,
            first,
        });
        self.objstms.insert(num, Arc::clone(&d));
        Ok(d)
    }

    /// Object `num`, the `index`-th in object stream `stream`.
    pub(crate) fn load_compressed(
        &mut self,
        num: u32,
        stream: u32,
        index: u32,
    ) -> Result<Object, PdfError> {
        let d = self.objstm(stream)?;
        let off = match d.offsets.get(index as usize) {
            Some((n, off)) if *n == num => *off,
            // Tolerate a wrong index: look the number up.
            _ => d
                .offsets
                .iter()
                .find(|(n, _)| *n == num)
                .map(|(_, off)| *off)
                .ok_or_else(|| err(stream, format!("does not contain object {num}")))?,
        };
        let body = d
            .first
            .checked_add(off)
            .and_then(|p| d.data.get(p..))
            .ok_or_else(|| err(stream, format!("offset of object {num} is past its data")))?;
        Parser::new(body, 0, false, self.limits.max_depth)
            .parse_object()
            .map_err(|e| err(stream, format!("object {num}: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_is_bounded() {
        let mut c = ObjStmCache::default();
        for i in 0..40u32 {
            let d = Arc::new(ObjStmData {
                data: vec![0; 8 << 20],
                offsets: Vec::new(),
                first: 0,
            });
            c.insert(i, d);
            assert!(c.map.len() <= MAX_CACHED && c.bytes <= MAX_CACHED_BYTES);
        }
        assert!(c.get(39).is_some() && c.get(0).is_none());
        c.insert(
            99,
            Arc::new(ObjStmData {
                data: vec![0; MAX_CACHED_BYTES + 1],
                offsets: vec![],
                first: 0,
            }),
        );
        assert!(c.get(99).is_none());
    }
}
