//! Modifications after signing (ISO 32000-2 §12.8.2.2 DocMDP semantics; the checks that stop
//! shadow and incremental-saving attacks). Compares the document as signed (a prefix of the
//! file) with the document as it is now, object by object, by value — not by bytes — and judges
//! each change by the role the object plays: later signatures, DSS, metadata and form fill-in
//! are allowed; everything else (page content, annotations over content, catalog, page tree,
//! objects filling references the signed revision left dangling) is not.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::{Read, Seek};

use super::report::{Change, ModificationLevel, Modifications};
use crate::pdf::{Dict, ObjRef, Object, PdfError, PdfFile};

/// Objects followed at most when looking for dangling references.
const MAX_WALK: usize = 2_000_000;
/// Share of a page a new signature appearance may cover before it counts as an overlay.
const MAX_WIDGET_PAGE_SHARE: f64 = 0.25;

const ACROFORM_FREE_KEYS: &[&[u8]] = &[b"Fields", b"SigFlags", b"DR", b"DA", b"NeedAppearances"];
const CATALOG_FREE_KEYS: &[&[u8]] = &[b"AcroForm", b"DSS", b"Metadata", b"Extensions"];

struct Ctx {
    changes: Vec<Change>,
    docmdp: Option<i64>,
}

impl Ctx {
    fn push(&mut self, object: impl Into<String>, what: impl Into<String>, allowed: bool) {
        self.changes.push(Change {
            object: object.into(),
            what: what.into(),
            allowed,
        });
    }
}

fn label(r: ObjRef) -> String {
    format!("{} {}", r.num, r.gen)
}

fn type_name(o: &Object) -> String {
    o.as_dict()
        .and_then(|d| d.name(b"Type").or_else(|| d.name(b"Subtype")))
        .map(|n| format!("/{}", String::from_utf8_lossy(n)))
        .unwrap_or_else(|| "object".into())
}

/// Keys whose values differ between two dictionaries.
fn differing_keys(a: &Dict, b: &Dict) -> BTreeSet<Vec<u8>> {
    let mut keys: BTreeSet<Vec<u8>> = a.keys().map(<[u8]>::to_vec).collect();
    keys.extend(b.keys().map(<[u8]>::to_vec));
    keys.into_iter().filter(|k| a.get(k) != b.get(k)).collect()
}

fn names(keys: &BTreeSet<Vec<u8>>) -> String {
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
            if x.dict != y.dict || x.data_len != y.data_len {
                return Ok(false);
            }
            if x.data_offset == y.data_offset {
                return Ok(true);
            }
            Ok(old.stream_raw(x)? == new.stream_raw(y)?)
        }
        _ => Ok(a == b),
    }
}

fn resolve_array<R: Read + Seek>(
    pdf: &mut PdfFile<R>,
    o: Option<&Object>,
) -> Result<Vec<Object>, PdfError> {
    Ok(match o.map(|o| pdf.resolve(o)).transpose()? {
        Some(Object::Array(a)) => a,
        _ => Vec::new(),
    })
}

/// Is `o` (in `pdf`) a signature field: /FT /Sig on itself or inherited from /Parent?
fn is_sig_field<R: Read + Seek>(pdf: &mut PdfFile<R>, d: &Dict) -> Result<bool, PdfError> {
    let mut cur = d.clone();
    for _ in 0..32 {
        if let Some(ft) = cur.name(b"FT") {
            return Ok(ft == b"Sig");
        }
        match cur.get(b"Parent").cloned() {
            Some(p) => match pdf.get_dict(&p)? {
                Some(pd) => cur = pd,
                None => return Ok(false),
            },
            None => return Ok(false),
        }
    }
    Ok(false)
}

/// The /Type of a signature field's value (Sig or DocTimeStamp).
fn sig_value_type<R: Read + Seek>(
    pdf: &mut PdfFile<R>,
    d: &Dict,
) -> Result<Option<Vec<u8>>, PdfError> {
    Ok(match d.get(b"V") {
        Some(v) => pdf
            .get_dict(v)?
            .and_then(|vd| vd.name(b"Type").map(<[u8]>::to_vec)),
        None => None,
    })
}

/// Judges entries added to an array of fields (AcroForm /Fields) or annotations (page /Annots).
fn judge_list<A: Read + Seek, B: Read + Seek>(
    old: &mut PdfFile<A>,
    new: &mut PdfFile<B>,
    ctx: &mut Ctx,
    old_list: &[Object],
    new_list: &[Object],
    what: &str,
    page_area: Option<f64>,
) -> Result<(), PdfError> {
    let _ = old;
    for o in old_list {
        if !new_list.contains(o) {
            ctx.push(what, format!("an entry was removed from {what}"), false);
        }
    }
    for o in new_list.iter().filter(|o| !old_list.contains(o)) {
        let id = o.as_ref().map(label).unwrap_or_else(|| what.to_string());
        let Some(d) = new.get_dict(o)? else {
            ctx.push(
                id,
                format!("a non-dictionary entry was added to {what}"),
                false,
            );
            continue;
        };
        let is_widget = d.name(b"Subtype") == Some(b"Widget") || page_area.is_none();
        if !(is_widget && is_sig_field(new, &d)?) {
            let kind = d
                .name(b"Subtype")
                .map(|s| format!("/{} annotation", String::from_utf8_lossy(s)))
                .unwrap_or_else(|| "form field".into());
            ctx.push(
                id,
                format!("a {kind} was added to {what} after signing"),
                false,
            );
            continue;
        }
        let doc_ts = sig_value_type(new, &d)?.as_deref() == Some(b"DocTimeStamp");
        if ctx.docmdp == Some(1) && !doc_ts {
            ctx.push(
                id,
                format!("a signature field was added to {what}, but the certification signature allows no changes (DocMDP P=1)"),
                false,
            );
            continue;
        }
        if let (Some(area), Some(rect)) = (page_area, d.get(b"Rect").and_then(Object::as_array)) {
            let n: Vec<f64> = rect.iter().filter_map(Object::as_number).collect();
            if let [x1, y1, x2, y2] = n[..] {
                let share = ((x2 - x1) * (y2 - y1)).abs() / area.max(1.0);
                if share > MAX_WIDGET_PAGE_SHARE && d.contains(b"AP") {
                    ctx.push(
                        id,
                        format!(
                            "a new signature appearance covers {:.0}% of {what}: an overlay over the signed content",
                            share * 100.0
                        ),
                        false,
                    );
                    continue;
                }
            }
        }
        ctx.push(id, format!("a signature field was added to {what}"), true);
    }
    Ok(())
}

fn page_area(d: &Dict) -> f64 {
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

/// Walks the object graph from `roots` without reading stream data (at most `limit` values).
/// `follow(r)` decides whether to load and descend into the object `r` refers to.
fn walk<R: Read + Seek>(
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
fn dangling<R: Read + Seek>(pdf: &mut PdfFile<R>) -> Result<HashSet<u32>, PdfError> {
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
fn dss_objects<R: Read + Seek>(
    pdf: &mut PdfFile<R>,
    catalog: &Dict,
) -> Result<HashSet<u32>, PdfError> {
    let mut out = HashSet::new();
    let roots = catalog.get(b"DSS").cloned().into_iter().collect();
    walk(pdf, roots, 200_000, |r| out.insert(r.num))?;
    Ok(out)
}

/// Terminal fields and their ancestors in the new revision, by object number.
fn field_objects<R: Read + Seek>(
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

/// The interactive form dictionary of a catalog (empty when there is none).
fn acroform<R: Read + Seek>(pdf: &mut PdfFile<R>, catalog: &Dict) -> Result<Dict, PdfError> {
    Ok(pdf
        .get_dict(catalog.get(b"AcroForm").unwrap_or(&Object::Null))?
        .unwrap_or_default())
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
        );
    }
    if new.trailer().contains(b"Encrypt") != old.trailer().contains(b"Encrypt") {
        ctx.push(
            "trailer",
            "encryption was added or removed after signing",
            false,
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
    let new_acro = acroform(new, &new_catalog)?;
    let old_acro = acroform(old, &old_catalog)?;
    let fields_num = new_acro
        .get(b"Fields")
        .and_then(Object::as_ref)
        .map(|r| r.num);
    let new_fields = resolve_array(new, new_acro.get(b"Fields"))?;
    let field_nums = field_objects(new, &new_fields)?;
    let dss = dss_objects(new, &new_catalog)?;
    let pages = new.pages()?;
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
    let mut dangling_old: Option<HashSet<u32>> = None;

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
                None => dangling_old.insert(dangling(old)?),
            };
            if dang.contains(&num) {
                ctx.push(id, format!("{} fills a reference the signed revision left dangling: content that was hidden when signing now shows", type_name(&new_obj)), false);
            }
            continue; // a new object matters only through what refers to it
        }
        if new_obj.is_null() {
            ctx.push(
                id,
                format!("{} was deleted after signing", type_name(&old_obj)),
                false,
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
                judge_list(
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
                judge_list(
                    old,
                    new,
                    &mut ctx,
                    &ol,
                    &new_fields,
                    "the form's fields",
                    None,
                )?;
            } else {
                ctx.push(id, "a value changed after signing", false);
            }
            continue;
        };
        let diff = differing_keys(&od, &nd);
        if Some(num) == root_num {
            let other: BTreeSet<_> = diff
                .iter()
                .filter(|k| !CATALOG_FREE_KEYS.contains(&k.as_slice()))
                .cloned()
                .collect();
            if !other.is_empty() {
                ctx.push(
                    id.clone(),
                    format!("the document catalog changed ({})", names(&other)),
                    false,
                );
            }
            if diff.contains(b"AcroForm".as_slice()) {
                judge_acroform(old, new, &mut ctx, &old_acro, &new_acro, &id)?;
            }
            if diff.contains(b"DSS".as_slice()) {
                ctx.push(id.clone(), "validation data (DSS) added", true);
            }
            if diff.contains(b"Metadata".as_slice()) {
                ctx.push(id, "XMP metadata replaced", true);
            }
        } else if Some(num) == acro_num {
            judge_acroform(old, new, &mut ctx, &old_acro, &new_acro, &id)?;
        } else if let Some(&page) = page_nums.get(&num) {
            let other: BTreeSet<_> = diff
                .iter()
                .filter(|k| k.as_slice() != b"Annots")
                .cloned()
                .collect();
            if !other.is_empty() {
                ctx.push(
                    id.clone(),
                    format!("page {page} changed ({})", names(&other)),
                    false,
                );
            }
            if diff.contains(b"Annots".as_slice()) {
                let ol = resolve_array(old, od.get(b"Annots"))?;
                let nl = resolve_array(new, nd.get(b"Annots"))?;
                judge_list(
                    old,
                    new,
                    &mut ctx,
                    &ol,
                    &nl,
                    &format!("page {page}"),
                    Some(page_area(&nd)),
                )?;
            }
        } else if field_nums.contains_key(&num) {
            judge_field(new, &mut ctx, &od, &nd, &diff, &id)?;
        } else if Some(num) == info_num {
            ctx.push(id, "document information (/Info) updated", true);
        } else if Some(num) == metadata_num {
            ctx.push(id, "XMP metadata updated", true);
        } else if dss.contains(&num) {
            ctx.push(id, "validation data (DSS) updated", true);
        } else {
            ctx.push(
                id,
                format!(
                    "{} changed after signing ({})",
                    type_name(&new_obj),
                    names(&diff)
                ),
                false,
            );
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

fn judge_acroform<A: Read + Seek, B: Read + Seek>(
    old: &mut PdfFile<A>,
    new: &mut PdfFile<B>,
    ctx: &mut Ctx,
    old_acro: &Dict,
    new_acro: &Dict,
    id: &str,
) -> Result<(), PdfError> {
    let diff = differing_keys(old_acro, new_acro);
    let other: BTreeSet<_> = diff
        .iter()
        .filter(|k| !ACROFORM_FREE_KEYS.contains(&k.as_slice()))
        .cloned()
        .collect();
    if !other.is_empty() {
        ctx.push(
            id,
            format!("the interactive form changed ({})", names(&other)),
            false,
        );
    }
    let ol = resolve_array(old, old_acro.get(b"Fields"))?;
    let nl = resolve_array(new, new_acro.get(b"Fields"))?;
    if ol != nl {
        judge_list(old, new, ctx, &ol, &nl, "the form's fields", None)?;
    }
    Ok(())
}

fn judge_field<B: Read + Seek>(
    new: &mut PdfFile<B>,
    ctx: &mut Ctx,
    od: &Dict,
    nd: &Dict,
    diff: &BTreeSet<Vec<u8>>,
    id: &str,
) -> Result<(), PdfError> {
    let name = nd
        .get(b"T")
        .and_then(Object::as_string)
        .map(crate::pdf::text::decode_text)
        .unwrap_or_else(|| id.to_string());
    if is_sig_field(new, nd)? {
        let only_value = diff.iter().all(|k| matches!(k.as_slice(), b"V" | b"AP"));
        if !od.contains(b"V") && nd.contains(b"V") && only_value {
            let doc_ts = sig_value_type(new, nd)?.as_deref() == Some(b"DocTimeStamp");
            let ok = ctx.docmdp != Some(1) || doc_ts;
            ctx.push(
                id,
                format!("the empty signature field \"{name}\" was signed"),
                ok,
            );
        } else {
            ctx.push(
                id,
                format!(
                    "the signature field \"{name}\" was altered ({})",
                    names(diff)
                ),
                false,
            );
        }
    } else if diff
        .iter()
        .all(|k| matches!(k.as_slice(), b"V" | b"AP" | b"AS"))
    {
        let ok = ctx.docmdp != Some(1);
        ctx.push(id, format!("form field \"{name}\" filled in"), ok);
    } else {
        ctx.push(
            id,
            format!("form field \"{name}\" changed ({})", names(diff)),
            false,
        );
    }
    Ok(())
}
