//! Modifications after signing (ISO 32000-2 §12.8.2.2 DocMDP semantics; the checks that stop
//! shadow and incremental-saving attacks). Compares the document as signed (a prefix of the
//! file) with the document as it is now, object by object, by value — not by bytes — and judges
//! each change by the role the object plays: later signatures, DSS, metadata and form fill-in
//! are allowed; everything else (page content, annotations over content, catalog, page tree,
//! objects filling references the signed revision left dangling) is not. Each change names the
//! rule that judged it (`page.group-added`, `structure.attach-widgets`, …): the rules are the
//! ones real signing tools need (VGCA's, iText, Aspose, Adobe) and no more.

mod catalog;
mod forms;
mod graph;
mod pages;
mod structure;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::{Read, Seek};

use super::report::{Change, ModificationLevel, Modifications};
use crate::pdf::{Dict, ObjRef, Object, PdfError, PdfFile};

/// Objects followed at most when looking for dangling references.
pub(super) const MAX_WALK: usize = 2_000_000;
/// Share of a page a new signature appearance may cover before it counts as an overlay.
pub(super) const MAX_WIDGET_PAGE_SHARE: f64 = 0.25;

pub(super) const ACROFORM_FREE_KEYS: &[&[u8]] =
    &[b"Fields", b"SigFlags", b"DR", b"DA", b"NeedAppearances"];
pub(super) struct Ctx {
    changes: Vec<Change>,
    docmdp: Option<i64>,
    /// Signature fields of the current revision and their widgets (kids), by object number: a
    /// widget without /Parent is still known by its field's /Kids.
    sig_widgets: HashSet<u32>,
    /// Object numbers the signed revision defines (built once per analysis).
    signed_objects: HashSet<u32>,
}

impl Ctx {
    pub(super) fn push(
        &mut self,
        object: impl Into<String>,
        what: impl Into<String>,
        allowed: bool,
        rule: &'static str,
    ) {
        self.changes.push(Change {
            object: object.into(),
            what: what.into(),
            allowed,
            rule,
        });
    }
}

pub(super) fn label(r: ObjRef) -> String {
    format!("{} {}", r.num, r.gen)
}

pub(super) fn type_name(o: &Object) -> String {
    o.as_dict()
        .and_then(|d| d.name(b"Type").or_else(|| d.name(b"Subtype")))
        .map(|n| format!("/{}", String::from_utf8_lossy(n)))
        .unwrap_or_else(|| "object".into())
}

/// Value equality as a reader sees it: dictionaries as maps (key order is not meaning; writers
/// reorder keys when they rewrite an object), integers equal to the same real.
pub(super) fn same(a: &Object, b: &Object) -> bool {
    match (a, b) {
        (Object::Dict(x), Object::Dict(y)) => same_dict(x, y),
        (Object::Stream(x), Object::Stream(y)) => {
            same_dict(&x.dict, &y.dict)
                && x.data_offset == y.data_offset
                && x.data_len == y.data_len
        }
        (Object::Array(x), Object::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Object::Int(i), Object::Real(r)) | (Object::Real(r), Object::Int(i)) => *i as f64 == *r,
        _ => a == b,
    }
}

fn same_dict(a: &Dict, b: &Dict) -> bool {
    let keys = |d: &Dict| d.keys().map(<[u8]>::to_vec).collect::<BTreeSet<_>>();
    keys(a) == keys(b)
        && a.keys().all(|k| match (a.get(k), b.get(k)) {
            (Some(x), Some(y)) => same(x, y),
            _ => false,
        })
}

/// Equality of optional values by [`same`].
pub(super) fn same_opt(a: Option<&Object>, b: Option<&Object>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => same(x, y),
        (None, None) => true,
        _ => false,
    }
}

/// Keys whose values differ between two dictionaries.
pub(super) fn differing_keys(a: &Dict, b: &Dict) -> BTreeSet<Vec<u8>> {
    let mut keys: BTreeSet<Vec<u8>> = a.keys().map(<[u8]>::to_vec).collect();
    keys.extend(b.keys().map(<[u8]>::to_vec));
    keys.into_iter()
        .filter(|k| !same_opt(a.get(k), b.get(k)))
        .collect()
}

pub(super) fn names(keys: &BTreeSet<Vec<u8>>) -> String {
    keys.iter()
        .map(|k| format!("/{}", String::from_utf8_lossy(k)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Value equality across two files; streams compare their raw bytes when they moved.
fn same_value<A: Read + Seek, B: Read + Seek>(
    old: &mut PdfFile<A>,
    new: &mut PdfFile<B>,
    a: &Object,
    b: &Object,
) -> Result<bool, PdfError> {
    match (a, b) {
        (Object::Stream(x), Object::Stream(y)) => {
            if !same_dict(&x.dict, &y.dict) || x.data_len != y.data_len {
                return Ok(false);
            }
            if x.data_offset == y.data_offset {
                return Ok(true);
            }
            Ok(old.stream_raw(x)? == new.stream_raw(y)?)
        }
        _ => Ok(same(a, b)),
    }
}

pub(super) fn resolve_array<R: Read + Seek>(
    pdf: &mut PdfFile<R>,
    o: Option<&Object>,
) -> Result<Vec<Object>, PdfError> {
    Ok(match o.map(|o| pdf.resolve(o)).transpose()? {
        Some(Object::Array(a)) => a,
        _ => Vec::new(),
    })
}

pub(super) fn page_area(d: &Dict) -> f64 {
    let n: Vec<f64> = d
        .get(b"MediaBox")
        .and_then(Object::as_array)
        .map(|a| a.iter().filter_map(Object::as_number).collect())
        .unwrap_or_default();
    match n[..] {
        [x1, y1, x2, y2] => ((x2 - x1) * (y2 - y1)).abs(),
        _ => 612.0 * 792.0,
    }
}

/// Compares the signed revision `old` with the current file `new`.
pub fn analyse<A: Read + Seek, B: Read + Seek>(
    old: &mut PdfFile<A>,
    new: &mut PdfFile<B>,
    docmdp: Option<i64>,
) -> Result<Modifications, PdfError> {
    let mut ctx = Ctx {
        changes: Vec::new(),
        docmdp,
        sig_widgets: HashSet::new(),
        signed_objects: old.entries().keys().copied().collect(),
    };
    if old.len() == new.len() {
        return Ok(Modifications {
            level: ModificationLevel::None,
            changes: Vec::new(),
        });
    }

    // Object numbers whose cross-reference entry differs.
    let candidates: Vec<u32> = new
        .entries()
        .iter()
        .filter(|(n, e)| old.entries().get(n) != Some(e))
        .map(|(n, _)| *n)
        .chain(
            old.entries()
                .keys()
                .filter(|n| !new.entries().contains_key(n))
                .copied(),
        )
        .collect();

    let old_root = old.trailer().get(b"Root").cloned();
    let new_root = new.trailer().get(b"Root").cloned();
    if old_root != new_root {
        ctx.push(
            "trailer",
            "the document catalog was replaced (/Root points elsewhere)",
            false,
            "catalog.replaced",
        );
    }
    if new.trailer().contains(b"Encrypt") != old.trailer().contains(b"Encrypt") {
        ctx.push(
            "trailer",
            "encryption was added or removed after signing",
            false,
            "encryption.changed",
        );
    }

    let old_catalog = old.catalog()?;
    let new_catalog = new.catalog()?;
    let root_num = new_root.as_ref().and_then(Object::as_ref).map(|r| r.num);
    let info_num = new
        .trailer()
        .get(b"Info")
        .and_then(Object::as_ref)
        .map(|r| r.num);
    let metadata_num = new_catalog
        .get(b"Metadata")
        .and_then(Object::as_ref)
        .map(|r| r.num);
    let acro_num = new_catalog
        .get(b"AcroForm")
        .and_then(Object::as_ref)
        .map(|r| r.num);
    let new_acro = forms::acroform(new, &new_catalog)?;
    let old_acro = forms::acroform(old, &old_catalog)?;
    let fields_num = new_acro
        .get(b"Fields")
        .and_then(Object::as_ref)
        .map(|r| r.num);
    let new_fields = resolve_array(new, new_acro.get(b"Fields"))?;
    let field_nums = graph::field_objects(new, &new_fields)?;
    for r in field_nums.values() {
        if let Some(d) = new.get_dict(&Object::Ref(*r))? {
            if forms::is_sig_field(new, &d)? {
                ctx.sig_widgets.insert(r.num);
                for k in resolve_array(new, d.get(b"Kids"))? {
                    if let Some(k) = k.as_ref() {
                        ctx.sig_widgets.insert(k.num);
                    }
                }
            }
        }
    }
    let extensions_num = new_catalog
        .get(b"Extensions")
        .and_then(Object::as_ref)
        .map(|r| r.num);
    let dss = graph::dss_objects(new, &new_catalog)?;
    let tree = structure::tree_objects(new, &new_catalog)?;
    let pages = new.pages()?;
    let old_pages = old.pages()?;
    let page_nums: BTreeMap<u32, usize> = pages
        .iter()
        .enumerate()
        .map(|(i, p)| (p.num, i + 1))
        .collect();
    let mut annots_arrays: BTreeMap<u32, usize> = BTreeMap::new();
    for (i, p) in pages.iter().enumerate() {
        if let Some(d) = new.get_dict(&Object::Ref(*p))? {
            if let Some(r) = d.get(b"Annots").and_then(Object::as_ref) {
                annots_arrays.insert(r.num, i + 1);
            }
        }
    }
    let resources = pages::resource_roles(old, &old_pages)?;
    // Fields this revision changes: their appearances may be rewritten in place.
    let updated_fields: HashSet<u32> = candidates
        .iter()
        .copied()
        .filter(|n| field_nums.contains_key(n))
        .collect();
    let mut dangling_old: Option<HashSet<u32>> = None;
    let mut referrers: Option<graph::Referrers> = None;

    for num in candidates {
        let gen = match new.entries().get(&num) {
            Some(crate::pdf::XrefEntry::InUse { gen, .. }) => *gen,
            _ => 0,
        };
        let r = ObjRef::new(num, gen);
        let id = label(r);
        let new_obj = new.get(r)?;
        let old_obj = old.get(ObjRef::new(num, gen))?;
        if let Some(d) = new_obj.as_dict() {
            if matches!(d.name(b"Type"), Some(b"XRef") | Some(b"ObjStm")) {
                continue; // containers: their objects are compared one by one
            }
        }
        if same_value(old, new, &old_obj, &new_obj)? {
            continue;
        }
        if old_obj.is_null() {
            let dang = match &dangling_old {
                Some(d) => d,
                None => dangling_old.insert(graph::dangling(old)?),
            };
            if dang.contains(&num) {
                ctx.push(id, format!("{} fills a reference the signed revision left dangling: content that was hidden when signing now shows", type_name(&new_obj)), false, "shadow.fills-dangling");
            }
            continue; // a new object matters only through what refers to it
        }
        if new_obj.is_null() {
            ctx.push(
                id,
                format!("{} was deleted after signing", type_name(&old_obj)),
                false,
                "object.deleted",
            );
            continue;
        }
        let (Some(od), Some(nd)) = (old_obj.as_dict().cloned(), new_obj.as_dict().cloned()) else {
            if annots_arrays.contains_key(&num) {
                let page = annots_arrays[&num];
                let ol = resolve_array(old, Some(&old_obj))?;
                let nl = resolve_array(new, Some(&new_obj))?;
                let area = page_area(
                    &new.get_dict(&Object::Ref(pages[page - 1]))?
                        .unwrap_or_default(),
                );
                forms::judge_list(
                    old,
                    new,
                    &mut ctx,
                    &ol,
                    &nl,
                    &format!("page {page}"),
                    Some(area),
                )?;
            } else if Some(num) == fields_num {
                let ol = resolve_array(old, Some(&old_obj))?;
                forms::judge_list(
                    old,
                    new,
                    &mut ctx,
                    &ol,
                    &new_fields,
                    "the form's fields",
                    None,
                )?;
            } else if tree.contains(&num) {
                structure::judge_array(old, new, &mut ctx, &id, &old_obj, &new_obj)?;
            } else {
                let refs = match &referrers {
                    Some(r) => r,
                    None => referrers.insert(graph::referrers(old)?),
                };
                forms::judge_rewritten(&mut ctx, &id, num, &new_obj, refs, &updated_fields);
            }
            continue;
        };
        let diff = differing_keys(&od, &nd);
        if Some(num) == root_num {
            catalog::judge_catalog(&mut ctx, &id, &od, &nd, &diff);
            if diff.contains(b"AcroForm".as_slice()) {
                forms::judge_acroform(old, new, &mut ctx, &old_acro, &new_acro, &id)?;
            }
        } else if Some(num) == acro_num {
            forms::judge_acroform(old, new, &mut ctx, &old_acro, &new_acro, &id)?;
        } else if let Some(&page) = page_nums.get(&num) {
            pages::judge_page_keys(&mut ctx, &id, page, &od, &diff);
            if diff.contains(b"Resources".as_slice()) {
                let used = pages::page_content_names(old, &od)?;
                let o = old.get_dict(od.get(b"Resources").unwrap_or(&Object::Null))?;
                let n = new.get_dict(nd.get(b"Resources").unwrap_or(&Object::Null))?;
                pages::judge_resources(
                    old,
                    new,
                    &mut ctx,
                    &id,
                    page,
                    &o.unwrap_or_default(),
                    &n.unwrap_or_default(),
                    &used,
                )?;
            }
            if diff.contains(b"Annots".as_slice()) {
                let ol = resolve_array(old, od.get(b"Annots"))?;
                let nl = resolve_array(new, nd.get(b"Annots"))?;
                forms::judge_list(
                    old,
                    new,
                    &mut ctx,
                    &ol,
                    &nl,
                    &format!("page {page}"),
                    Some(page_area(&nd)),
                )?;
            }
        } else if let Some(role) = resources.get(&num).cloned() {
            let page_dict = old
                .get_dict(&Object::Ref(old_pages[role.page - 1]))?
                .unwrap_or_default();
            let used = pages::page_content_names(old, &page_dict)?;
            let (o, n) = match &role.category {
                None => (od, nd),
                Some(c) => {
                    let mut o = Dict::default();
                    o.set(c, Object::Dict(od));
                    let mut n = Dict::default();
                    n.set(c, Object::Dict(nd));
                    (o, n)
                }
            };
            pages::judge_resources(old, new, &mut ctx, &id, role.page, &o, &n, &used)?;
        } else if field_nums.contains_key(&num) {
            let refs = match &referrers {
                Some(r) => r,
                None => referrers.insert(graph::referrers(old)?),
            };
            forms::judge_field(new, &mut ctx, &od, &nd, &diff, &id, refs, num)?;
        } else if Some(num) == extensions_num {
            let refs = match &referrers {
                Some(r) => r,
                None => referrers.insert(graph::referrers(old)?),
            };
            let only_catalog = refs.complete
                && refs.of(num).iter().all(|r| {
                    root_num.is_some_and(|n| r.from == graph::Referrer::Object(n))
                        && r.key == b"Extensions"
                });
            if only_catalog {
                ctx.push(
                    id,
                    "developer extensions updated",
                    true,
                    "catalog.extensions",
                );
            } else {
                ctx.push(
                    id,
                    "the developer extensions dictionary was rewritten, but the signed revision also uses it elsewhere",
                    false,
                    "catalog.extensions-shared",
                );
            }
        } else if Some(num) == info_num {
            ctx.push(
                id,
                "document information (/Info) updated",
                true,
                "info.updated",
            );
        } else if Some(num) == metadata_num {
            ctx.push(id, "XMP metadata updated", true, "metadata.updated");
        } else if dss.contains(&num) {
            ctx.push(id, "validation data (DSS) updated", true, "dss.updated");
        } else if tree.contains(&num) {
            structure::judge(old, new, &mut ctx, &id, &od, &nd, &diff)?;
        } else {
            let refs = match &referrers {
                Some(r) => r,
                None => referrers.insert(graph::referrers(old)?),
            };
            forms::judge_rewritten(&mut ctx, &id, num, &new_obj, refs, &updated_fields);
        }
    }

    let level = if ctx.changes.iter().any(|c| !c.allowed) {
        ModificationLevel::Disallowed
    } else {
        ModificationLevel::Allowed
    };
    Ok(Modifications {
        level,
        changes: ctx.changes,
    })
}
