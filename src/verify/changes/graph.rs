//! The object graph of a revision: walks that never load stream data, references the signed
//! revision left dangling (the "hide" shadow attack), the DSS's objects, the form's fields, and
//! who refers to whom (the reference tracker behind form-update rules).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{Read, Seek};

use super::{resolve_array, MAX_WALK};
use crate::pdf::{Dict, ObjRef, Object, PdfError, PdfFile, XrefEntry};

/// Walks the object graph from `roots` without reading stream data (at most `limit` values).
/// `follow(r)` decides whether to load and descend into the object `r` refers to.
pub(super) fn walk<R: Read + Seek>(
    pdf: &mut PdfFile<R>,
    roots: Vec<Object>,
    limit: usize,
    mut follow: impl FnMut(ObjRef) -> bool,
) -> Result<(), PdfError> {
    let mut stack = roots;
    let mut steps = 0usize;
    while let Some(o) = stack.pop() {
        steps += 1;
        if steps > limit {
            break;
        }
        match o {
            Object::Ref(r) if follow(r) => stack.push(pdf.get(r)?),
            Object::Array(a) => stack.extend(a),
            Object::Dict(d) => stack.extend(d.0.into_iter().map(|(_, v)| v)),
            Object::Stream(s) => stack.extend(s.dict.0.into_iter().map(|(_, v)| v)),
            _ => {}
        }
    }
    Ok(())
}

/// Object numbers the old revision refers to without defining them.
pub(super) fn dangling<R: Read + Seek>(pdf: &mut PdfFile<R>) -> Result<HashSet<u32>, PdfError> {
    let defined: HashSet<u32> = pdf
        .entries()
        .iter()
        .filter(|(_, e)| !matches!(e, crate::pdf::XrefEntry::Free))
        .map(|(n, _)| *n)
        .collect();
    let mut out = HashSet::new();
    let mut seen = HashSet::new();
    let roots = pdf.trailer().iter().map(|(_, v)| v.clone()).collect();
    walk(pdf, roots, MAX_WALK, |r| {
        if defined.contains(&r.num) {
            seen.insert(r.num)
        } else {
            out.insert(r.num);
            false
        }
    })?;
    Ok(out)
}

/// Everything reachable from the catalog's /DSS (ETSI EN 319 142-1 §5.4.2).
pub(super) fn dss_objects<R: Read + Seek>(
    pdf: &mut PdfFile<R>,
    catalog: &Dict,
) -> Result<HashSet<u32>, PdfError> {
    let mut out = HashSet::new();
    let roots = catalog.get(b"DSS").cloned().into_iter().collect();
    walk(pdf, roots, 200_000, |r| out.insert(r.num))?;
    Ok(out)
}

/// Terminal fields and their ancestors in the new revision, by object number.
pub(super) fn field_objects<R: Read + Seek>(
    pdf: &mut PdfFile<R>,
    fields: &[Object],
) -> Result<BTreeMap<u32, ObjRef>, PdfError> {
    let mut out = BTreeMap::new();
    let mut stack: Vec<(Object, usize)> = fields.iter().map(|f| (f.clone(), 0)).collect();
    while let Some((o, depth)) = stack.pop() {
        if depth > 32 || out.len() > 100_000 {
            break;
        }
        let Some(r) = o.as_ref() else { continue };
        if out.insert(r.num, r).is_some() {
            continue;
        }
        if let Some(d) = pdf.get_dict(&o)? {
            for k in resolve_array(pdf, d.get(b"Kids"))? {
                stack.push((k, depth + 1));
            }
        }
    }
    Ok(out)
}

/// Who refers to an object in a revision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Referrer {
    Object(u32),
    Trailer,
}

/// One reference: who, and under which key of its top-level dictionary (empty for arrays).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct Reference {
    pub(super) from: Referrer,
    pub(super) key: Vec<u8>,
}

/// The reference tracker: for each object number, every reference to it in the revision it was
/// built from (a referrer that names an object under two keys counts twice).
#[derive(Debug, Default)]
pub(super) struct Referrers {
    by_target: HashMap<u32, Vec<Reference>>,
    /// False when the walk stopped at its bound: then every object counts as shared.
    pub(super) complete: bool,
}

impl Referrers {
    pub(super) fn of(&self, num: u32) -> &[Reference] {
        self.by_target.get(&num).map_or(&[], Vec::as_slice)
    }
}

fn refs_in(o: &Object, out: &mut Vec<(u32, Vec<u8>)>, budget: &mut usize) {
    let top: Vec<(Vec<u8>, &Object)> = match o {
        Object::Dict(d) => d.0.iter().map(|(k, v)| (k.clone(), v)).collect(),
        Object::Stream(s) => s.dict.0.iter().map(|(k, v)| (k.clone(), v)).collect(),
        o => vec![(Vec::new(), o)],
    };
    for (key, v) in top {
        let mut stack = vec![v];
        while let Some(o) = stack.pop() {
            if *budget == 0 {
                return;
            }
            *budget -= 1;
            match o {
                Object::Ref(r) => out.push((r.num, key.clone())),
                Object::Array(a) => stack.extend(a.iter()),
                Object::Dict(d) => stack.extend(d.0.iter().map(|(_, v)| v)),
                Object::Stream(s) => stack.extend(s.dict.0.iter().map(|(_, v)| v)),
                _ => {}
            }
        }
    }
}

/// Builds the reference tracker of `pdf` (every object of its cross-reference table, stream
/// dictionaries but never stream data; at most [`MAX_WALK`] values).
pub(super) fn referrers<R: Read + Seek>(pdf: &mut PdfFile<R>) -> Result<Referrers, PdfError> {
    let mut out = Referrers {
        complete: true,
        ..Referrers::default()
    };
    let mut budget = MAX_WALK;
    let mut found = Vec::new();
    refs_in(
        &Object::Dict(pdf.trailer().clone()),
        &mut found,
        &mut budget,
    );
    for (t, key) in found.drain(..) {
        out.by_target.entry(t).or_default().push(Reference {
            from: Referrer::Trailer,
            key,
        });
    }
    let nums: Vec<(u32, u16)> = pdf
        .entries()
        .iter()
        .filter_map(|(n, e)| match e {
            XrefEntry::InUse { gen, .. } => Some((*n, *gen)),
            XrefEntry::Compressed { .. } => Some((*n, 0)),
            XrefEntry::Free => None,
        })
        .collect();
    for (num, gen) in nums {
        if budget == 0 {
            break;
        }
        let o = pdf.get(ObjRef::new(num, gen))?;
        refs_in(&o, &mut found, &mut budget);
        for (t, key) in found.drain(..) {
            out.by_target.entry(t).or_default().push(Reference {
                from: Referrer::Object(num),
                key,
            });
        }
    }
    if budget == 0 {
        out.complete = false;
    }
    Ok(out)
}
