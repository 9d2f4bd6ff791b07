//! Assemble stage, copy step: a page of an existing PDF that already carries text, copied
//! unchanged (no OCR layer): the page dictionary and everything it references, renumbered,
//! streams with their raw encoded bytes. Inherited /Resources, /MediaBox, /CropBox and
//! /Rotate are written on the copy; annotations, beads, structure links, page actions,
//! metadata and piece info are dropped.
//!
//! Two phases: everything the page needs is read, renumbered and bounded first (`copy_plan`;
//! a refused page leaves the writer usable), then written. Objects already copied from the
//! same source (a font shared by pages) are referenced, not written again.

use std::collections::{HashMap, HashSet, VecDeque};
use std::io::{Read, Seek, Write};
use std::path::PathBuf;

use crate::pdf::writer::write_dict;
use crate::pdf::{ObjRef, Object, PdfFile, Stream};

use super::copy_check::Warnings;
use super::copy_plan::{Caps, Plan};
use super::writer::{PdfAWriter, SourceCopies};
use super::AssembleError;

/// What one [`PdfAWriter::copy_page`] wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CopiedPageStats {
    /// Objects written for this page (the page object included; shared objects copied for
    /// an earlier page of the same source are not counted again).
    pub objects: usize,
    /// Bytes added to the output.
    pub bytes: u64,
    /// What in the copied page breaks PDF/A-2u or was left out, e.g. `font Helvetica is not
    /// embedded` (without file and page: the caller adds them).
    pub pdfa_warnings: Vec<String>,
}

/// Copy buffer for stream data.
const CHUNK: usize = 1 << 16;

/// Which earlier copies share objects with this one: same name, length and trailer /ID.
fn source_key<R: Read + Seek>(name: &str, src: &PdfFile<R>) -> String {
    let id = match src.trailer().get(b"ID").and_then(Object::as_array) {
        Some([Object::String(a), ..]) => hex::encode(a),
        _ => String::new(),
    };
    format!("{name}\n{}\n{id}", src.len())
}

impl<W: Write> PdfAWriter<W> {
    /// Copies page `index` (0-based) of `source` unchanged into the document (its content,
    /// resources, fonts and images; annotations are dropped), renumbering objects; no OCR text
    /// layer is added. `source_name` names the file in errors; with the file's length and
    /// trailer /ID it keys the objects already copied from it, which later pages reuse.
    pub fn copy_page<R: Read + Seek>(
        &mut self,
        source: &mut PdfFile<R>,
        source_name: &str,
        index: usize,
    ) -> Result<CopiedPageStats, AssembleError> {
        self.copy_page_capped(source, source_name, index, Caps::default())
    }

    pub(super) fn copy_page_capped<R: Read + Seek>(
        &mut self,
        source: &mut PdfFile<R>,
        source_name: &str,
        index: usize,
        caps: Caps,
    ) -> Result<CopiedPageStats, AssembleError> {
        if self.poisoned {
            return Err(AssembleError::Poisoned);
        }
        let err = |msg: String| AssembleError::Page {
            file: PathBuf::from(source_name),
            page: index + 1,
            msg,
        };
        if source.is_encrypted() {
            return Err(err(
                "the PDF is encrypted; its pages cannot be copied".into()
            ));
        }
        let key = source_key(source_name, source);
        let mut known = match self.copies.remove(&key) {
            Some(k) => k,
            None => SourceCopies {
                pages: source.pages().map_err(|e| err(e.to_string()))?,
                map: HashMap::new(),
            },
        };
        let Some(&page) = known.pages.get(index) else {
            let n = known.pages.len();
            self.copies.insert(key, known);
            return Err(err(format!("the PDF has only {n} page(s)")));
        };
        let first = self.offsets.len() as u32;
        let mut plan = Plan {
            src: source,
            known: &known.map,
            fresh: HashMap::new(),
            next: first,
            seen: HashSet::new(),
            queue: VecDeque::new(),
            out: Vec::new(),
            bytes: 0,
            caps,
            warnings: Warnings::default(),
        };
        let planned = plan.run(page, self.pages);
        let (fresh, out, next, warnings) = (plan.fresh, plan.out, plan.next, plan.warnings);
        if let Err(m) = planned {
            self.copies.insert(key, known);
            return Err(err(m.to_string()));
        }

        self.poisoned = true; // until the page is completely written
        let start = self.out.pos;
        self.offsets.resize(next as usize, 0);
        let objects = out.len();
        for (num, obj) in out {
            let r = ObjRef::new(num, 0);
            match obj {
                Object::Stream(s) => self.copy_stream(source, r, &s, &err)?,
                o => self.object(r, &o)?,
            }
        }
        self.kids.push(first);
        known.map.extend(fresh);
        self.copies.insert(key, known);
        self.poisoned = false;
        Ok(CopiedPageStats {
            objects,
            bytes: self.out.pos - start,
            pdfa_warnings: warnings.0,
        })
    }

    /// Writes stream `r` with `s`'s dictionary and its raw bytes read from `source`.
    fn copy_stream<R: Read + Seek>(
        &mut self,
        source: &mut PdfFile<R>,
        r: ObjRef,
        s: &Stream,
        err: &dyn Fn(String) -> AssembleError,
    ) -> Result<(), AssembleError> {
        self.mark(r);
        let mut d = s.dict.clone();
        d.set(b"Length", Object::Int(s.data_len as i64));
        let mut head = format!("{} {} obj\n", r.num, r.gen).into_bytes();
        write_dict(&mut head, &d);
        head.extend_from_slice(b"\nstream\n");
        self.out.put(&head)?;
        let mut buf = vec![0u8; CHUNK.min(s.data_len as usize)];
        let mut done = 0u64;
        while done < s.data_len {
            let n = CHUNK.min((s.data_len - done) as usize);
            source
                .read_at(s.data_offset + done, &mut buf[..n])
                .map_err(|e| err(e.to_string()))?;
            self.out.put(&buf[..n])?;
            done += n as u64;
        }
        Ok(self.out.put(b"\nendstream\nendobj\n")?)
    }
}
