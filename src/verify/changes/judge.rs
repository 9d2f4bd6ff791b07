//! Verification, changes after signing: the walk. Which objects changed (cross-reference
//! entries that differ), what role each plays in the current document (`Roles`, found once),
//! and one judging function per role; the rules themselves live beside their roles
//! (`catalog`, `pages`, `forms`, `structure`).

use std::collections::{BTreeMap, HashSet};
use std::io::{Read, Seek};

use super::{
    catalog, differing_keys, forms, graph, label, page_area, pages, resolve_array, same_value,
    structure, type_name, Ctx,
};
use crate::pdf::{Dict, ObjRef, Object, PdfError, PdfFile};
use crate::verify::report::{ModificationLevel, Modifications};

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
    let candidates = changed_objects(old, new);
    judge_trailer(old, new, &mut ctx);
    let roles = Roles::find(old, new, &candidates, &mut ctx)?;
    let mut lazy = Lazy::default();
    for num in candidates {
        judge_object(old, new, &mut ctx, &roles, &mut lazy, num)?;
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

/// Object numbers whose cross-reference entry differs (added, rewritten or removed).
fn changed_objects<A: Read + Seek, B: Read + Seek>(old: &PdfFile<A>, new: &PdfFile<B>) -> Vec<u32> {
    new.entries()
        .iter()
        .filter(|(n, e)| old.entries().get(n) != Some(e))
        .map(|(n, _)| *n)
        .chain(
            old.entries()
                .keys()
                .filter(|n| !new.entries().contains_key(n))
                .copied(),
        )
        .collect()
}

/// `catalog.replaced`, `encryption.changed`: the trailer's /Root and /Encrypt.
fn judge_trailer<A: Read + Seek, B: Read + Seek>(
    old: &PdfFile<A>,
    new: &PdfFile<B>,
    ctx: &mut Ctx,
) {
    if old.trailer().get(b"Root") != new.trailer().get(b"Root") {
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
}

/// The roles objects play in the current document (and the signed one), found once.
struct Roles {
    root_num: Option<u32>,
    info_num: Option<u32>,
    metadata_num: Option<u32>,
    acro_num: Option<u32>,
    old_acro: Dict,
    new_acro: Dict,
    fields_num: Option<u32>,
    new_fields: Vec<Object>,
    field_nums: BTreeMap<u32, ObjRef>,
    extensions_num: Option<u32>,
    dss: HashSet<u32>,
    tree: HashSet<u32>,
    pages: Vec<ObjRef>,
    old_pages: Vec<ObjRef>,
    /// Page object number → page number (1-based).
    page_nums: BTreeMap<u32, usize>,
    /// A page's indirect /Annots array → its page number.
    annots_arrays: BTreeMap<u32, usize>,
    resources: BTreeMap<u32, pages::ResourceRole>,
    /// Fields this revision changes: their appearances may be rewritten in place.
    updated_fields: HashSet<u32>,
}

fn num_of(o: Option<&Object>) -> Option<u32> {
    o.and_then(Object::as_ref).map(|r| r.num)
}

impl Roles {
    /// Also records the signature fields and their widgets in `ctx`.
    fn find<A: Read + Seek, B: Read + Seek>(
        old: &mut PdfFile<A>,
        new: &mut PdfFile<B>,
        candidates: &[u32],
        ctx: &mut Ctx,
    ) -> Result<Self, PdfError> {
        let old_catalog = old.catalog()?;
        let new_catalog = new.catalog()?;
        let new_acro = forms::acroform(new, &new_catalog)?;
        let old_acro = forms::acroform(old, &old_catalog)?;
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
        let pages = new.pages()?;
        let old_pages = old.pages()?;
        let mut annots_arrays = BTreeMap::new();
        for (i, p) in pages.iter().enumerate() {
            if let Some(d) = new.get_dict(&Object::Ref(*p))? {
                if let Some(n) = num_of(d.get(b"Annots")) {
                    annots_arrays.insert(n, i + 1);
                }
            }
        }
        Ok(Self {
            root_num: num_of(new.trailer().get(b"Root")),
            info_num: num_of(new.trailer().get(b"Info")),
            metadata_num: num_of(new_catalog.get(b"Metadata")),
            acro_num: num_of(new_catalog.get(b"AcroForm")),
            fields_num: num_of(new_acro.get(b"Fields")),
            extensions_num: num_of(new_catalog.get(b"Extensions")),
            dss: graph::dss_objects(new, &new_catalog)?,
            tree: structure::tree_objects(new, &new_catalog)?,
            page_nums: pages
                .iter()
                .enumerate()
                .map(|(i, p)| (p.num, i + 1))
                .collect(),
            resources: pages::resource_roles(old, &old_pages)?,
            updated_fields: candidates
                .iter()
                .copied()
                .filter(|n| field_nums.contains_key(n))
                .collect(),
            annots_arrays,
            old_acro,
            new_acro,
            new_fields,
            field_nums,
            pages,
            old_pages,
        })
    }
}

/// What is computed only when a change needs it: the signed revision's dangling references
/// and who refers to what.
#[derive(Default)]
struct Lazy {
    dangling: Option<HashSet<u32>>,
    referrers: Option<graph::Referrers>,
}

impl Lazy {
    fn dangling<A: Read + Seek>(
        &mut self,
        old: &mut PdfFile<A>,
    ) -> Result<&HashSet<u32>, PdfError> {
        match self.dangling {
            Some(ref d) => Ok(d),
            None => Ok(self.dangling.insert(graph::dangling(old)?)),
        }
    }

    fn referrers<A: Read + Seek>(
        &mut self,
        old: &mut PdfFile<A>,
    ) -> Result<&graph::Referrers, PdfError> {
        match self.referrers {
            Some(ref r) => Ok(r),
            None => Ok(self.referrers.insert(graph::referrers(old)?)),
        }
    }
}

/// One changed object: `shadow.fills-dangling` and `object.deleted` here, then by its role.
fn judge_object<A: Read + Seek, B: Read + Seek>(
    old: &mut PdfFile<A>,
    new: &mut PdfFile<B>,
    ctx: &mut Ctx,
    roles: &Roles,
    lazy: &mut Lazy,
    num: u32,
) -> Result<(), PdfError> {
    let gen = match new.entries().get(&num) {
        Some(crate::pdf::XrefEntry::InUse { gen, .. }) => *gen,
        _ => 0,
    };
    let r = ObjRef::new(num, gen);
    let id = label(r);
    let new_obj = new.get(r)?;
    let old_obj = old.get(r)?;
    if let Some(d) = new_obj.as_dict() {
        if matches!(d.name(b"Type"), Some(b"XRef") | Some(b"ObjStm")) {
            return Ok(()); // containers: their objects are compared one by one
        }
    }
    if same_value(old, new, &old_obj, &new_obj)? {
        return Ok(());
    }
    if old_obj.is_null() {
        if lazy.dangling(old)?.contains(&num) {
            ctx.push(id, format!("{} fills a reference the signed revision left dangling: content that was hidden when signing now shows", type_name(&new_obj)), false, "shadow.fills-dangling");
        }
        return Ok(()); // a new object matters only through what refers to it
    }
    if new_obj.is_null() {
        ctx.push(
            id,
            format!("{} was deleted after signing", type_name(&old_obj)),
            false,
            "object.deleted",
        );
        return Ok(());
    }
    match (old_obj.as_dict().cloned(), new_obj.as_dict().cloned()) {
        (Some(od), Some(nd)) => judge_dict(old, new, ctx, roles, lazy, num, &id, od, nd, &new_obj),
        _ => judge_other(old, new, ctx, roles, lazy, num, &id, &old_obj, &new_obj),
    }
}

/// A changed array or other non-dictionary: an /Annots list, the form's /Fields, a
/// structure-tree array, or anything else (a rewritten appearance, or not allowed).
#[allow(clippy::too_many_arguments)]
fn judge_other<A: Read + Seek, B: Read + Seek>(
    old: &mut PdfFile<A>,
    new: &mut PdfFile<B>,
    ctx: &mut Ctx,
    roles: &Roles,
    lazy: &mut Lazy,
    num: u32,
    id: &str,
    old_obj: &Object,
    new_obj: &Object,
) -> Result<(), PdfError> {
    if let Some(&page) = roles.annots_arrays.get(&num) {
        let ol = resolve_array(old, Some(old_obj))?;
        let nl = resolve_array(new, Some(new_obj))?;
        let area = page_area(
            &new.get_dict(&Object::Ref(roles.pages[page - 1]))?
                .unwrap_or_default(),
        );
        forms::judge_list(old, new, ctx, &ol, &nl, &format!("page {page}"), Some(area))
    } else if Some(num) == roles.fields_num {
        let ol = resolve_array(old, Some(old_obj))?;
        forms::judge_list(
            old,
            new,
            ctx,
            &ol,
            &roles.new_fields,
            "the form's fields",
            None,
        )
    } else if roles.tree.contains(&num) {
        structure::judge_array(old, new, ctx, id, old_obj, new_obj)
    } else {
        let refs = lazy.referrers(old)?;
        forms::judge_rewritten(ctx, id, num, new_obj, refs, &roles.updated_fields);
        Ok(())
    }
}

/// A changed dictionary, by its role: the catalog, the AcroForm, a page (its keys, resources
/// and annotations), a resource dictionary, a form field, developer extensions, /Info, XMP,
/// the DSS, the structure tree; anything else is judged as a rewritten object.
#[allow(clippy::too_many_arguments)]
fn judge_dict<A: Read + Seek, B: Read + Seek>(
    old: &mut PdfFile<A>,
    new: &mut PdfFile<B>,
    ctx: &mut Ctx,
    roles: &Roles,
    lazy: &mut Lazy,
    num: u32,
    id: &str,
    od: Dict,
    nd: Dict,
    new_obj: &Object,
) -> Result<(), PdfError> {
    let diff = differing_keys(&od, &nd);
    if Some(num) == roles.root_num {
        catalog::judge_catalog(ctx, id, &od, &nd, &diff);
        if diff.contains(b"AcroForm".as_slice()) {
            forms::judge_acroform(old, new, ctx, &roles.old_acro, &roles.new_acro, id)?;
        }
    } else if Some(num) == roles.acro_num {
        forms::judge_acroform(old, new, ctx, &roles.old_acro, &roles.new_acro, id)?;
    } else if let Some(&page) = roles.page_nums.get(&num) {
        judge_page(old, new, ctx, id, page, &od, &nd, &diff)?;
    } else if let Some(role) = roles.resources.get(&num) {
        let page_dict = old
            .get_dict(&Object::Ref(roles.old_pages[role.page - 1]))?
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
        pages::judge_resources(old, new, ctx, id, role.page, &o, &n, &used)?;
    } else if roles.field_nums.contains_key(&num) {
        let refs = lazy.referrers(old)?;
        forms::judge_field(new, ctx, &od, &nd, &diff, id, refs, num)?;
    } else if Some(num) == roles.extensions_num {
        judge_extensions(ctx, lazy.referrers(old)?, roles.root_num, num, id);
    } else if Some(num) == roles.info_num {
        ctx.push(
            id,
            "document information (/Info) updated",
            true,
            "info.updated",
        );
    } else if Some(num) == roles.metadata_num {
        ctx.push(id, "XMP metadata updated", true, "metadata.updated");
    } else if roles.dss.contains(&num) {
        ctx.push(id, "validation data (DSS) updated", true, "dss.updated");
    } else if roles.tree.contains(&num) {
        structure::judge(old, new, ctx, id, &od, &nd, &diff)?;
    } else {
        let refs = lazy.referrers(old)?;
        forms::judge_rewritten(ctx, id, num, new_obj, refs, &roles.updated_fields);
    }
    Ok(())
}

/// A page dictionary: its keys (`page.*`), its resources, its annotations.
#[allow(clippy::too_many_arguments)]
fn judge_page<A: Read + Seek, B: Read + Seek>(
    old: &mut PdfFile<A>,
    new: &mut PdfFile<B>,
    ctx: &mut Ctx,
    id: &str,
    page: usize,
    od: &Dict,
    nd: &Dict,
    diff: &std::collections::BTreeSet<Vec<u8>>,
) -> Result<(), PdfError> {
    pages::judge_page_keys(ctx, id, page, od, diff);
    if diff.contains(b"Resources".as_slice()) {
        let used = pages::page_content_names(old, od)?;
        let o = old.get_dict(od.get(b"Resources").unwrap_or(&Object::Null))?;
        let n = new.get_dict(nd.get(b"Resources").unwrap_or(&Object::Null))?;
        pages::judge_resources(
            old,
            new,
            ctx,
            id,
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
            ctx,
            &ol,
            &nl,
            &format!("page {page}"),
            Some(page_area(nd)),
        )?;
    }
    Ok(())
}

/// `catalog.extensions` / `catalog.extensions-shared`: an indirect /Extensions dictionary
/// rewritten, used only by the catalog or also elsewhere.
fn judge_extensions(
    ctx: &mut Ctx,
    refs: &graph::Referrers,
    root_num: Option<u32>,
    num: u32,
    id: &str,
) {
    let only_catalog = refs.complete
        && refs.of(num).iter().all(|r| {
            root_num.is_some_and(|n| r.from == graph::Referrer::Object(n)) && r.key == b"Extensions"
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
}
