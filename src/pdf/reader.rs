//! The lazy, bounded PDF reader: opens a file (or a prefix of it, i.e. an earlier revision)
//! through its cross-reference sections and resolves objects on demand (ISO 32000-1 §7.5,
//! §7.7). Only small windows are read; memory stays bounded for huge files.

use super::error::PdfError;
use super::fetch::{read_indirect, stream_length};
use super::filters::{decode, filter_specs, is_image_codec, FilterSpec};
use super::limits::Limits;
use super::object::{Dict, ObjRef, Object, Stream};
use super::objstm::ObjStmCache;
use super::source::Source;
use super::xref::{find_startxref, read_chain, section_end, XrefEntry, XrefKind};
use std::collections::{BTreeMap, HashSet};
use std::io::{Read, Seek};

/// One cross-reference section of the `/Prev` chain, i.e. one revision (ISO 32000-1 §7.5.6).
#[derive(Clone, Debug, PartialEq)]
pub struct Revision {
    /// Offset of the `xref` keyword or of the xref stream object.
    pub xref_offset: u64,
    /// Offset right after the `%%EOF` (and its EOL) that closes this section.
    pub end: u64,
    pub kind: XrefKind,
    /// The trailer dictionary (for an xref stream: the stream's dictionary).
    pub trailer: Dict,
}

/// Longest chain of references followed by [`PdfFile::resolve`].
const MAX_REF_CHAIN: usize = 32;
/// Deepest nesting of object loads (indirect `/Length`, object streams).
const MAX_NESTING: usize = 8;

/// A PDF opened for reading (ISO 32000-1 §7.5 file structure).
pub struct PdfFile<R: Read + Seek> {
    pub(super) src: Source<R>,
    pub(super) limits: Limits,
    pub(super) trailer: Dict,
    pub(super) revisions: Vec<Revision>,
    pub(super) entries: BTreeMap<u32, XrefEntry>,
    pub(super) repaired: bool,
    /// Offset and kind of the newest section (the one `startxref` points to).
    pub(super) newest: Option<(u64, XrefKind)>,
    pub(super) objstms: ObjStmCache,
    nesting: usize,
}

impl<R: Read + Seek> PdfFile<R> {
    /// Opens the whole file.
    pub fn open(src: R, limits: Limits) -> Result<Self, PdfError> {
        Self::load(Source::new(src, None)?, limits)
    }

    /// Opens only bytes `[0, end)`: the document as of the revision ending at `end`.
    pub fn open_prefix(src: R, end: u64, limits: Limits) -> Result<Self, PdfError> {
        Self::load(Source::new(src, Some(end))?, limits)
    }

    pub(super) fn empty(src: Source<R>, limits: Limits) -> Self {
        Self {
            src,
            limits,
            trailer: Dict::new(),
            revisions: Vec::new(),
            entries: BTreeMap::new(),
            repaired: false,
            newest: None,
            objstms: ObjStmCache::default(),
            nesting: 0,
        }
    }

    fn load(mut src: Source<R>, limits: Limits) -> Result<Self, PdfError> {
        if src.len() > limits.max_file_size {
            return Err(PdfError::FileTooLarge {
                size: src.len(),
                limit: limits.max_file_size,
            });
        }
        let chain = find_startxref(&mut src).and_then(|s| read_chain(&mut src, s, &limits));
        let mut f = Self::empty(src, limits);
        let sections = match chain {
            Ok(s) => s,
            Err(e) => return f.rebuild().map(|()| f).map_err(|_| e),
        };
        for sec in &sections {
            for (n, e) in &sec.entries {
                f.entries.entry(*n).or_insert(*e);
            }
        }
        f.newest = sections.first().map(|s| (s.offset, s.kind));
        f.trailer = sections
            .first()
            .map(|s| s.trailer.clone())
            .unwrap_or_default();
        for sec in sections.into_iter().rev() {
            let end = section_end(&mut f.src, sec.body_end)?;
            f.revisions.push(Revision {
                xref_offset: sec.offset,
                end,
                kind: sec.kind,
                trailer: sec.trailer,
            });
        }
        // File order; differs from the /Prev order only for linearized files, whose
        // first-page section (near the start) is the newest in the chain.
        f.revisions.sort_by_key(|r| (r.end, r.xref_offset));
        // Offsets that do not lead to the catalog: rebuild from the objects themselves,
        // keeping the cross-references as they are when that does not help either.
        if f.catalog().is_err() {
            let saved_newest = f.newest;
            let saved = (
                std::mem::take(&mut f.entries),
                std::mem::take(&mut f.trailer),
                std::mem::take(&mut f.revisions),
            );
            if f.rebuild().is_err() || f.catalog().is_err() {
                (f.entries, f.trailer, f.revisions) = saved;
                f.repaired = false;
                f.newest = saved_newest;
                f.objstms = ObjStmCache::default();
            }
        }
        Ok(f)
    }

    /// The file length (or `end` for a prefix).
    pub fn len(&self) -> u64 {
        self.src.len()
    }

    pub fn is_empty(&self) -> bool {
        self.src.len() == 0
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The newest trailer (for an xref stream: the stream dictionary).
    pub fn trailer(&self) -> &Dict {
        &self.trailer
    }

    /// Sections of the `/Prev` chain, oldest first (by `end`; for a linearized file the
    /// first-page section comes first). A repaired file has one [`XrefKind::Repaired`].
    pub fn revisions(&self) -> &[Revision] {
        &self.revisions
    }

    /// Offset and kind of the section `startxref` points to (the newest in the `/Prev`
    /// chain); `None` for a repaired file.
    pub fn startxref(&self) -> Option<(u64, XrefKind)> {
        self.newest
    }

    /// Merged cross-reference: for each object number, the newest section's entry.
    pub fn entries(&self) -> &BTreeMap<u32, XrefEntry> {
        &self.entries
    }

    pub fn is_encrypted(&self) -> bool {
        self.trailer.contains(b"Encrypt")
    }

    /// Whether the cross-references were rebuilt by scanning the file.
    pub fn repaired(&self) -> bool {
        self.repaired
    }

    pub fn into_inner(self) -> R {
        self.src.into_inner()
    }

    pub fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), PdfError> {
        self.src.read_at(offset, buf)
    }

    /// The object `r` (ISO 32000-1 §7.3.10): null when free or missing; the generation is
    /// not checked.
    pub fn get(&mut self, r: ObjRef) -> Result<Object, PdfError> {
        if self.nesting >= MAX_NESTING {
            return Err(PdfError::Structure(format!(
                "object {} {}: lookups nested too deeply (loop through /Length or object streams?)",
                r.num, r.gen
            )));
        }
        self.nesting += 1;
        let res = match self.entries.get(&r.num).copied() {
            Some(XrefEntry::InUse { offset, .. }) => self.load_at(offset, r),
            Some(XrefEntry::Compressed { stream, index }) => {
                self.load_compressed(r.num, stream, index)
            }
            _ => Ok(Object::Null),
        };
        self.nesting -= 1;
        res
    }

    fn load_at(&mut self, offset: u64, r: ObjRef) -> Result<Object, PdfError> {
        let ind = read_indirect(&mut self.src, offset, self.limits.max_depth)
            .map_err(|e| at_object(e, r, offset))?;
        if ind.r.num != r.num {
            return Err(PdfError::Object {
                obj: r,
                offset,
                msg: format!("found object {} {} instead", ind.r.num, ind.r.gen),
            });
        }
        match ind.obj {
            Object::Stream(mut s) => {
                let declared = match s.dict.get(b"Length") {
                    Some(Object::Int(n)) => u64::try_from(*n).ok(),
                    Some(Object::Ref(l)) => {
                        let l = *l;
                        self.get(l)
                            .ok()
                            .and_then(|o| o.as_int())
                            .and_then(|n| u64::try_from(n).ok())
                    }
                    _ => None,
                };
                let max = self.limits.max_decoded_stream;
                s.data_len = stream_length(&mut self.src, r, s.data_offset, declared, max)?;
                Ok(Object::Stream(s))
            }
            o => Ok(o),
        }
    }

    /// Follows references (at most 32 in a row); other objects are cloned.
    pub fn resolve(&mut self, o: &Object) -> Result<Object, PdfError> {
        let mut cur = match o {
            Object::Ref(r) => *r,
            other => return Ok(other.clone()),
        };
        for _ in 0..MAX_REF_CHAIN {
            match self.get(cur)? {
                Object::Ref(next) => cur = next,
                other => return Ok(other),
            }
        }
        Err(PdfError::Structure(format!(
            "reference chain from {} {} is longer than {MAX_REF_CHAIN}",
            cur.num, cur.gen
        )))
    }

    /// Resolves `o` and returns its dictionary (also a stream's), if it is one.
    pub fn get_dict(&mut self, o: &Object) -> Result<Option<Dict>, PdfError> {
        Ok(match self.resolve(o)? {
            Object::Dict(d) => Some(d),
            Object::Stream(s) => Some(s.dict),
            _ => None,
        })
    }

    /// The document catalog, trailer `/Root` (ISO 32000-1 §7.7.2).
    pub fn catalog(&mut self) -> Result<Dict, PdfError> {
        let root = self
            .trailer
            .get(b"Root")
            .cloned()
            .ok_or_else(|| PdfError::Structure("trailer has no /Root".into()))?;
        match self.resolve(&root)? {
            Object::Dict(d) => Ok(d),
            _ => Err(PdfError::Structure(
                "trailer /Root is not a dictionary".into(),
            )),
        }
    }

    /// Page objects in document order (ISO 32000-1 §7.7.3), loop-safe and depth-bounded.
    pub fn pages(&mut self) -> Result<Vec<ObjRef>, PdfError> {
        let cat = self.catalog()?;
        let root = cat
            .get(b"Pages")
            .and_then(Object::as_ref)
            .ok_or_else(|| PdfError::Structure("catalog /Pages is not a reference".into()))?;
        let mut stack = vec![(root, 0usize)];
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        while let Some((r, depth)) = stack.pop() {
            let node_err = |m: &str| PdfError::Structure(format!("page tree node {r}: {m}"));
            if !seen.insert(r) {
                return Err(node_err("reached twice (loop)"));
            }
            if depth > self.limits.max_depth {
                return Err(node_err("page tree too deep"));
            }
            let node = self.get(r)?;
            let d = node.as_dict().ok_or_else(|| node_err("not a dictionary"))?;
            let is_pages = match d.name(b"Type") {
                Some(b"Pages") => true,
                Some(b"Page") => false,
                _ => d.contains(b"Kids"),
            };
            if !is_pages {
                out.push(r);
                continue;
            }
            let kids = match d.get(b"Kids") {
                Some(k) => self.resolve(k)?,
                None => Object::Null,
            };
            let kids = kids
                .as_array()
                .ok_or_else(|| node_err("/Kids is not an array"))?;
            for k in kids.iter().rev() {
                let k = k
                    .as_ref()
                    .ok_or_else(|| node_err("/Kids holds a non-reference"))?;
                stack.push((k, depth + 1));
            }
            if stack.len() + out.len() > self.limits.max_objects as usize {
                return Err(node_err("too many pages"));
            }
        }
        Ok(out)
    }

    /// The raw (still encoded) bytes of a stream, at most `max_decoded_stream`.
    pub fn stream_raw(&mut self, s: &Stream) -> Result<Vec<u8>, PdfError> {
        let limit = self.limits.max_decoded_stream;
        if s.data_len > limit {
            return Err(PdfError::TooLarge {
                what: format!("stream at offset {}", s.data_offset),
                limit,
            });
        }
        let mut buf = vec![0u8; s.data_len as usize];
        self.src.read_at(s.data_offset, &mut buf)?;
        Ok(buf)
    }

    /// The decoded bytes of a stream (FlateDecode with predictors, ASCIIHexDecode).
    pub fn stream_decoded(&mut self, s: &Stream) -> Result<Vec<u8>, PdfError> {
        let raw = self.stream_raw(s)?;
        let what = format!("stream at offset {}", s.data_offset);
        let filters = filter_specs(&s.dict, &mut |o| self.resolve(o), &what)?;
        decode(raw, &filters, self.limits.max_decoded_stream, &what)
    }

    /// An image stream's bytes with its general filters applied, and the image codec that ends
    /// its chain (§8.9.5: DCT, CCITT fax, JBIG2, JPX, RunLength), left to the decode stage.
    /// A codec anywhere but last is refused by [`decode`] as an unsupported filter.
    pub fn stream_to_codec(
        &mut self,
        s: &Stream,
    ) -> Result<(Vec<u8>, Option<FilterSpec>), PdfError> {
        let raw = self.stream_raw(s)?;
        let what = format!("stream at offset {}", s.data_offset);
        let mut filters = filter_specs(&s.dict, &mut |o| self.resolve(o), &what)?;
        let codec = match filters.last() {
            Some(f) if is_image_codec(&f.name) => filters.pop(),
            _ => None,
        };
        let data = decode(raw, &filters, self.limits.max_decoded_stream, &what)?;
        Ok((data, codec))
    }
}

/// Puts an object's number on parse errors of its body.
fn at_object(e: PdfError, r: ObjRef, offset: u64) -> PdfError {
    let msg = match e {
        PdfError::Syntax { offset: o, msg } if o == offset => msg,
        PdfError::Syntax { offset: o, msg } => format!("at offset {o}: {msg}"),
        PdfError::Truncated { offset: o } => format!("data ends at offset {o} inside the object"),
        PdfError::TooDeep { offset: o, limit } => {
            format!("nesting deeper than {limit} at offset {o}")
        }
        other => return other,
    };
    PdfError::Object {
        obj: r,
        offset,
        msg,
    }
}
