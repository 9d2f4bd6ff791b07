//! Changes to the logical structure tree (ISO 32000-1 §14.7) after signing: a tool that adds a
//! signature widget to a tagged PDF attaches it to the tree (a `/StructElem` or the root gains a
//! `/K` entry, an object reference `/OBJR` to the widget; the `/ParentTree` number tree gains an
//! entry and `/ParentTreeNextKey` grows). Only additions are allowed: an existing entry removed
//! or rebound, or an added entry that does not lead to a signature widget, is not.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::{Read, Seek};

use super::{forms::is_sig_field, names, same, Ctx};
use crate::pdf::{Dict, ObjRef, Object, PdfError, PdfFile};

/// Structure-tree objects visited at most.
const MAX_NODES: usize = 500_000;

/// Object numbers of the structure tree's own objects in `pdf`: the root, structure elements,
/// their `/K` arrays and the parent tree's nodes and value arrays (not the pages, annotations or
/// content they point to).
pub(super) fn tree_objects<R: Read + Seek>(
    pdf: &mut PdfFile<R>,
    catalog: &Dict,
) -> Result<HashSet<u32>, PdfError> {
    let mut out = HashSet::new();
    let mut stack: Vec<Object> = catalog
        .get(b"StructTreeRoot")
        .cloned()
        .into_iter()
        .collect();
    while let Some(o) = stack.pop() {
        if out.len() > MAX_NODES {
            break;
        }
        let o = match o {
            Object::Ref(r) => {
                if !out.insert(r.num) {
                    continue;
                }
                pdf.get(r)?
            }
            o => o,
        };
        match o {
            Object::Array(a) => stack.extend(a),
            Object::Dict(d) => {
                if d.name(b"Type") == Some(b"OBJR") || d.name(b"Type") == Some(b"MCR") {
                    continue;
                }
                for key in [b"K".as_slice(), b"ParentTree", b"Kids", b"Nums"] {
                    if let Some(v) = d.get(key) {
                        stack.push(v.clone());
                    }
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

fn as_list(o: Option<&Object>) -> Vec<Object> {
    match o {
        Some(Object::Array(a)) => a.clone(),
        Some(Object::Null) | None => Vec::new(),
        Some(o) => vec![o.clone()],
    }
}

/// Does an entry added to the tree lead only to signature widgets (through `/OBJR`s and new
/// structure elements)?
fn leads_to_widgets<R: Read + Seek>(
    pdf: &mut PdfFile<R>,
    entry: &Object,
    old_has: &dyn Fn(ObjRef) -> bool,
    depth: usize,
) -> Result<bool, PdfError> {
    if depth > 16 {
        return Ok(false);
    }
    if let Object::Ref(r) = entry {
        if old_has(*r) {
            return Ok(false); // an element that existed is moved under another parent
        }
    }
    let Some(d) = pdf.get_dict(entry)? else {
        return Ok(matches!(entry, Object::Int(_))); // a marked-content id
    };
    if d.name(b"Type") == Some(b"OBJR") {
        return match pdf.get_dict(d.get(b"Obj").unwrap_or(&Object::Null))? {
            Some(a) => is_sig_field(pdf, &a),
            None => Ok(false),
        };
    }
    let kids = as_list(d.get(b"K"));
    if kids.is_empty() {
        return Ok(false);
    }
    for k in kids {
        if !leads_to_widgets(pdf, &k, old_has, depth + 1)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Judges a changed structure-tree object (`od` as signed, `nd` now).
#[allow(clippy::too_many_arguments)]
pub(super) fn judge<A: Read + Seek, B: Read + Seek>(
    old: &mut PdfFile<A>,
    new: &mut PdfFile<B>,
    ctx: &mut Ctx,
    id: &str,
    od: &Dict,
    nd: &Dict,
    diff: &BTreeSet<Vec<u8>>,
) -> Result<(), PdfError> {
    let signed = &ctx.signed_objects;
    let old_has = |r: ObjRef| signed.contains(&r.num);
    let mut bad = BTreeSet::new();
    for k in diff {
        match k.as_slice() {
            b"K" | b"Kids" => {
                let (ol, nl) = (as_list(od.get(k)), as_list(nd.get(k)));
                if !ol.iter().all(|o| nl.contains(o)) {
                    bad.insert(k.clone());
                    continue;
                }
                for added in nl.iter().filter(|n| !ol.contains(n)) {
                    let ok = if k == b"Kids" {
                        !matches!(added, Object::Ref(r) if old_has(*r))
                    } else {
                        leads_to_widgets(new, added, &old_has, 0)?
                    };
                    if !ok {
                        bad.insert(k.clone());
                    }
                }
            }
            b"Nums" => {
                // Number-tree pairs (§7.9.7): every signed key keeps its value.
                let (ol, nl) = (as_list(od.get(k)), as_list(nd.get(k)));
                let pairs = |l: &[Object]| -> Vec<(Object, Object)> {
                    l.chunks(2)
                        .filter_map(|c| match c {
                            [a, b] => Some((a.clone(), b.clone())),
                            _ => None,
                        })
                        .collect()
                };
                let np = pairs(&nl);
                if !pairs(&ol).iter().all(|p| np.contains(p)) {
                    bad.insert(k.clone());
                }
            }
            b"ParentTreeNextKey" => {
                if nd.int(k) < od.int(k) {
                    bad.insert(k.clone());
                }
            }
            b"Limits" => {}
            b"ParentTree" if od.get(k).is_none() => {}
            b"ParentTree" => {
                // Rewritten whole by some tools: every signed entry must survive, same value.
                let o = number_tree(old, od.get(k))?;
                let n = number_tree(new, nd.get(k))?;
                let (Some(o), Some(n)) = (o, n) else {
                    bad.insert(k.clone());
                    continue;
                };
                for (key, ov) in &o {
                    let kept = match n.get(key) {
                        Some(nv) if same(ov, nv) => true,
                        Some(nv) => {
                            let a = old.resolve(ov)?;
                            let b = new.resolve(nv)?;
                            same(&a, &b)
                        }
                        None => false,
                    };
                    if !kept {
                        bad.insert(k.clone());
                        break;
                    }
                }
            }
            _ => {
                bad.insert(k.clone());
            }
        }
    }
    let refused = (!bad.is_empty()).then(|| {
        format!(
            "structure tree changed beyond attaching signature widgets ({})",
            names(&bad)
        )
    });
    push_verdict(ctx, id, refused);
    Ok(())
}

/// Judges a changed array of the structure tree (an indirect `/K` or `/Nums` array): entries
/// may only be added, and an added entry is a number, an object made after signing, or an
/// object reference (`/OBJR`) to a signature widget.
pub(super) fn judge_array<A: Read + Seek, B: Read + Seek>(
    old: &mut PdfFile<A>,
    new: &mut PdfFile<B>,
    ctx: &mut Ctx,
    id: &str,
    old_obj: &Object,
    new_obj: &Object,
) -> Result<(), PdfError> {
    let (ol, nl) = (as_list(Some(old_obj)), as_list(Some(new_obj)));
    let mut ok = matches!(new_obj, Object::Array(_)) && ol.iter().all(|o| nl.contains(o));
    if ok {
        for added in nl.iter().filter(|n| !ol.contains(n)) {
            ok &= match added {
                Object::Int(_) => true,
                Object::Ref(r) => !old.entries().contains_key(&r.num),
                o => {
                    let signed = &ctx.signed_objects;
                    leads_to_widgets(new, o, &|r| signed.contains(&r.num), 0)?
                }
            };
        }
    }
    let refused =
        (!ok).then(|| "structure tree: an array's signed entries were removed or replaced".into());
    push_verdict(ctx, id, refused);
    Ok(())
}

/// The entries of a number tree (ISO 32000-1 §7.9.7), or None when it is malformed or larger
/// than [`MAX_NODES`].
fn number_tree<R: Read + Seek>(
    pdf: &mut PdfFile<R>,
    root: Option<&Object>,
) -> Result<Option<BTreeMap<i64, Object>>, PdfError> {
    let mut out = BTreeMap::new();
    let mut stack: Vec<(Object, usize)> = root.cloned().into_iter().map(|o| (o, 0)).collect();
    let mut seen = HashSet::new();
    while let Some((o, depth)) = stack.pop() {
        if depth > 32 || out.len() > MAX_NODES {
            return Ok(None);
        }
        if let Object::Ref(r) = &o {
            if !seen.insert(r.num) {
                return Ok(None);
            }
        }
        let Some(d) = pdf.get_dict(&o)? else {
            return Ok(None);
        };
        if let Some(nums) = d.get(b"Nums") {
            let nums = pdf.resolve(nums)?;
            let Some(a) = nums.as_array() else {
                return Ok(None);
            };
            for pair in a.chunks(2) {
                match pair {
                    [Object::Int(k), v] => {
                        out.insert(*k, v.clone());
                    }
                    _ => return Ok(None),
                }
            }
        }
        if let Some(kids) = d.get(b"Kids") {
            let kids = pdf.resolve(kids)?;
            for k in kids.as_array().unwrap_or_default() {
                stack.push((k.clone(), depth + 1));
            }
        }
    }
    Ok(Some(out))
}

/// The verdict on one structure-tree object: allowed, or refused for the reason given.
fn push_verdict(ctx: &mut Ctx, id: &str, refused: Option<String>) {
    match refused {
        None => ctx.push(
            id,
            "structure tree: entries added that attach the new signature widgets",
            true,
            "structure.attach-widgets",
        ),
        Some(what) => ctx.push(id, what, false, "structure.other"),
    }
}
