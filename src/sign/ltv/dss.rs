//! Stage `sign`, long-term: the revision that writes the Document Security Store (ETSI EN
//! 319 142-1 §5.4.2, ISO 32000-2 §12.8.4.3): `/DSS << /Certs [..] /CRLs [..] /OCSPs [..] >>`
//! in the catalog, one stream per DER item. What the file already holds is kept (and not
//! written twice); no `/VRI`, as EU DSS writes by default. Pure over a lazy [`PdfFile`].

use std::collections::HashSet;
use std::io::{Read, Seek};

use crate::pdf::{Dict, IncrementalWriter, ObjRef, Object, PdfError, PdfFile, PrevInfo};
use crate::pki::digest::DigestAlg;

/// Items read at most from an existing DSS array (for de-duplication).
const MAX_ITEMS: usize = 4_096;
/// Largest existing DSS stream read.
const MAX_ITEM_BYTES: u64 = 16 << 20;

/// DER items for the DSS: certificates, CRLs, OCSPResponses (RFC 6960 §4.2.1, whole).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Material {
    pub certs: Vec<Vec<u8>>,
    pub crls: Vec<Vec<u8>>,
    pub ocsps: Vec<Vec<u8>>,
}

impl Material {
    /// Adds `der` to `list` unless it is there already.
    pub fn push_unique(list: &mut Vec<Vec<u8>>, der: Vec<u8>) {
        if !list.contains(&der) {
            list.push(der);
        }
    }
}

/// The appended revision, or `None` when the file already holds every item.
pub struct DssRevision {
    pub bytes: Vec<u8>,
    /// Items written (not already in the file).
    pub added: usize,
}

fn existing<R: Read + Seek>(
    pdf: &mut PdfFile<R>,
    list: &[Object],
) -> Result<HashSet<Vec<u8>>, PdfError> {
    let mut seen = HashSet::new();
    for o in list.iter().take(MAX_ITEMS) {
        if let Object::Stream(s) = pdf.resolve(o)? {
            if s.data_len <= MAX_ITEM_BYTES {
                if let Ok(b) = pdf.stream_decoded(&s) {
                    seen.insert(DigestAlg::Sha256.digest(&b));
                }
            }
        }
    }
    Ok(seen)
}

/// Builds the revision adding `add` to the DSS of `pdf` (creating the DSS when absent).
pub fn build<R: Read + Seek>(
    pdf: &mut PdfFile<R>,
    add: &Material,
) -> Result<Option<DssRevision>, PdfError> {
    let root_ref = pdf
        .trailer()
        .get(b"Root")
        .and_then(Object::as_ref)
        .ok_or_else(|| PdfError::Structure("the trailer has no /Root reference".into()))?;
    let mut catalog = pdf.catalog()?;
    let prev = PrevInfo::from_file(pdf)?;
    let mut next = prev.size;
    let mut alloc = || {
        let r = ObjRef::new(next, 0);
        next += 1;
        r
    };
    // The DSS dictionary: indirect (rewritten in place), direct (moved to a new object), or new.
    let (mut dss, dss_ref) = match catalog.get(b"DSS").cloned() {
        Some(Object::Ref(r)) => match pdf.get(r)? {
            Object::Dict(d) => (d, r),
            _ => (Dict::new(), alloc()),
        },
        Some(Object::Dict(d)) => (d, alloc()),
        _ => (Dict::new(), alloc()),
    };
    let mut w = IncrementalWriter::new();
    let mut added = 0;
    for (key, items) in [
        (&b"Certs"[..], &add.certs),
        (b"CRLs", &add.crls),
        (b"OCSPs", &add.ocsps),
    ] {
        let mut list = match dss.get(key).map(|o| pdf.resolve(o)).transpose()? {
            Some(Object::Array(a)) => a,
            _ => Vec::new(),
        };
        let mut seen = existing(pdf, &list)?;
        for der in items {
            if !seen.insert(DigestAlg::Sha256.digest(der)) {
                continue;
            }
            let r = alloc();
            w.add_stream(r, &Dict::new(), der);
            list.push(Object::Ref(r));
            added += 1;
        }
        if !list.is_empty() {
            dss.set(key, Object::Array(list));
        }
    }
    if added == 0 {
        return Ok(None);
    }
    if dss.name(b"Type").is_none() {
        dss.set(b"Type", Object::name("DSS"));
    }
    w.add(dss_ref, &Object::Dict(dss));
    if catalog.get(b"DSS").and_then(Object::as_ref) != Some(dss_ref) {
        catalog.set(b"DSS", Object::Ref(dss_ref));
        w.add(root_ref, &Object::Dict(catalog));
    }
    Ok(Some(DssRevision {
        bytes: w.finish(pdf.len(), &prev),
        added,
    }))
}
