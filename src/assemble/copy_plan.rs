//! Assemble stage, copy step, reading: the objects a copied page needs, read from the source,
//! checked (`copy_check`), renumbered and bounded before anything is written. Inherited page
//! attributes are resolved from the source's page tree; other pages, the page tree and the
//! catalog, when reached, become null.

use std::collections::{HashMap, HashSet, VecDeque};
use std::io::{Read, Seek};

use crate::pdf::error::Size;
use crate::pdf::{Dict, ObjRef, Object, PdfFile, Stream};

use super::copy_check::{check_dict, check_name, check_stream, Warnings};

/// Most objects one copied page may reference (shared ones included).
pub const MAX_COPIED_OBJECTS: usize = 100_000;
/// Most stream bytes one copied page may add: 512 MiB.
pub const MAX_COPIED_BYTES: u64 = 512 << 20;

/// Bounds of one copy.
#[derive(Clone, Copy, Debug)]
pub(super) struct Caps {
    pub objects: usize,
    pub bytes: u64,
}

impl Default for Caps {
    fn default() -> Self {
        Self {
            objects: MAX_COPIED_OBJECTS,
            bytes: MAX_COPIED_BYTES,
        }
    }
}

/// Page keys written from the nearest ancestor when the page lacks them (ISO 32000-1 §7.7.3.4).
const INHERITED: [&[u8]; 4] = [b"Resources", b"MediaBox", b"CropBox", b"Rotate"];
/// Page keys not copied: replaced (/Parent), or pointing outside the page or unsafe.
const DROPPED: [&[u8]; 7] = [
    b"Parent",
    b"Annots",
    b"B",
    b"StructParents",
    b"AA",
    b"Metadata",
    b"PieceInfo",
];

/// The objects one page needs, read and renumbered before anything is written.
pub(super) struct Plan<'a, R: Read + Seek> {
    pub src: &'a mut PdfFile<R>,
    /// Source number to ours, for objects written by earlier copies from this source.
    pub known: &'a HashMap<u32, u32>,
    /// Source number to ours, for objects this copy writes.
    pub fresh: HashMap<u32, u32>,
    pub next: u32,
    pub seen: HashSet<u32>,
    pub queue: VecDeque<u32>,
    pub out: Vec<(u32, Object)>,
    pub bytes: u64,
    pub caps: Caps,
    pub warnings: Warnings,
}

/// Why a page was not copied.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum CopyError {
    #[error("the page references more than {0} objects; not copied")]
    TooManyObjects(usize),
    #[error("the page's streams exceed {}; not copied", Size(*.0))]
    TooManyBytes(u64),
    #[error("the page object is not a dictionary")]
    NotADict,
    #[error("the page tree above the page is too deep (loop?)")]
    TooDeep,
    #[error(transparent)]
    Pdf(#[from] crate::pdf::PdfError),
}

impl<R: Read + Seek> Plan<'_, R> {
    fn new_ref(&mut self, r: ObjRef) -> Result<Object, CopyError> {
        if self.seen.insert(r.num) {
            if self.seen.len() > self.caps.objects {
                return Err(CopyError::TooManyObjects(self.caps.objects));
            }
            self.queue.push_back(r.num);
        }
        let num = match (self.fresh.get(&r.num), self.known.get(&r.num)) {
            (Some(&n), _) | (None, Some(&n)) => n,
            (None, None) => {
                let n = self.next;
                self.next = n
                    .checked_add(1)
                    .ok_or(CopyError::TooManyObjects(self.caps.objects))?;
                self.fresh.insert(r.num, n);
                n
            }
        };
        Ok(Object::Ref(ObjRef::new(num, 0)))
    }

    fn rewrite(&mut self, o: &Object) -> Result<Object, CopyError> {
        Ok(match o {
            Object::Ref(r) => self.new_ref(*r)?,
            Object::Array(a) => Object::Array(
                a.iter()
                    .map(|x| self.rewrite(x))
                    .collect::<Result<_, _>>()?,
            ),
            Object::Dict(d) => Object::Dict(self.rewrite_dict(d)?),
            Object::Stream(s) => {
                check_stream(&s.dict, &mut self.warnings);
                let mut d = s.dict.clone();
                d.remove(b"Length");
                Object::Stream(Stream {
                    dict: self.rewrite_dict(&d)?,
                    ..s.clone()
                })
            }
            Object::Name(n) => {
                check_name(n, &mut self.warnings);
                Object::Name(n.clone())
            }
            other => other.clone(),
        })
    }

    fn rewrite_dict(&mut self, d: &Dict) -> Result<Dict, CopyError> {
        check_dict(self.src, d, &mut self.warnings);
        let mut out = Dict::new();
        for (k, v) in d.iter() {
            out.0.push((k.to_vec(), self.rewrite(v)?));
        }
        Ok(out)
    }

    /// The page dictionary with inherited keys, without the dropped ones.
    fn page_dict(&mut self, page: ObjRef) -> Result<Dict, CopyError> {
        let mut d = match self.src.get(page)? {
            Object::Dict(d) => d,
            _ => return Err(CopyError::NotADict),
        };
        let mut parent = d.get(b"Parent").cloned();
        let mut hops = 0;
        while let Some(p) = parent.take() {
            if INHERITED.iter().all(|k| d.contains(k)) {
                break;
            }
            hops += 1;
            if hops > self.src.limits().max_depth {
                return Err(CopyError::TooDeep);
            }
            let Some(pd) = self.src.get_dict(&p)? else {
                break;
            };
            for k in INHERITED {
                if let (false, Some(v)) = (d.contains(k), pd.get(k)) {
                    d.set(k, v.clone());
                }
            }
            parent = pd.get(b"Parent").cloned();
        }
        let annots = match d.get(b"Annots") {
            Some(o) => match self.src.resolve(o)? {
                Object::Array(a) => a.len(),
                Object::Null => 0,
                _ => 1,
            },
            None => 0,
        };
        if annots > 0 {
            self.warnings.add(format!(
                "{annots} annotation(s) (links, comments, form fields, stamps) not copied"
            ));
        }
        for k in DROPPED {
            d.remove(k);
        }
        d.set(b"Type", Object::name("Page"));
        if !d.contains(b"MediaBox") {
            self.warnings
                .add("the page has no /MediaBox; US Letter assumed".into());
            let letter = [0, 0, 612, 792].map(Object::Int);
            d.set(b"MediaBox", Object::Array(letter.to_vec()));
        }
        if !d.contains(b"Resources") {
            d.set(b"Resources", Object::Dict(Dict::new()));
        }
        Ok(d)
    }

    /// Reads and renumbers the page and all it references; the page gets `self.next`.
    pub fn run(&mut self, page: ObjRef, parent: ObjRef) -> Result<(), CopyError> {
        let num = self.next;
        self.next += 1;
        self.fresh.insert(page.num, num);
        self.seen.insert(page.num);
        let d = self.page_dict(page)?;
        let mut d = self.rewrite_dict(&d)?;
        d.set(b"Parent", Object::Ref(parent));
        self.out.push((num, Object::Dict(d)));
        while let Some(src_num) = self.queue.pop_front() {
            let obj = self.src.get(ObjRef::new(src_num, 0))?;
            let outside = obj
                .as_dict()
                .and_then(|d| d.name(b"Type"))
                .is_some_and(|t| matches!(t, b"Page" | b"Pages" | b"Catalog"));
            // Another page, the page tree or the catalog: not part of this page.
            let obj = if outside {
                Object::Null
            } else {
                self.rewrite(&obj)?
            };
            let Some(&new) = self.fresh.get(&src_num) else {
                continue; // written by an earlier copy; traversed for its warnings only
            };
            if let Object::Stream(s) = &obj {
                self.bytes += s.data_len;
                if self.bytes > self.caps.bytes {
                    return Err(CopyError::TooManyBytes(self.caps.bytes));
                }
            }
            self.out.push((new, obj));
        }
        Ok(())
    }
}
