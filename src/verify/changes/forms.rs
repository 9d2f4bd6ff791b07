//! Changes to the interactive form after signing (ISO 32000-1 §12.7, §12.8): signature fields
//! added or signed, other fields filled in, entries removed from `/Fields` or a page's `/Annots`.

use std::collections::BTreeSet;
use std::io::{Read, Seek};

use std::collections::HashSet;

use super::graph::{Reference, Referrer, Referrers};
use super::{
    differing_keys, label, names, resolve_array, type_name, Ctx, ACROFORM_FREE_KEYS,
    MAX_WIDGET_PAGE_SHARE,
};
use crate::pdf::{Dict, Object, PdfError, PdfFile};

/// Is `o` (in `pdf`) a signature field: /FT /Sig on itself or inherited from /Parent?
pub(super) fn is_sig_field<R: Read + Seek>(
    pdf: &mut PdfFile<R>,
    d: &Dict,
) -> Result<bool, PdfError> {
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
pub(super) fn sig_value_type<R: Read + Seek>(
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
pub(super) fn judge_list<A: Read + Seek, B: Read + Seek>(
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
            ctx.push(
                what,
                format!("an entry was removed from {what}"),
                false,
                "list.entry-removed",
            );
        }
    }
    for o in new_list.iter().filter(|o| !old_list.contains(o)) {
        let id = o.as_ref().map(label).unwrap_or_else(|| what.to_string());
        let Some(d) = new.get_dict(o)? else {
            ctx.push(
                id,
                format!("a non-dictionary entry was added to {what}"),
                false,
                "list.non-dictionary",
            );
            continue;
        };
        let is_widget = d.name(b"Subtype") == Some(b"Widget") || page_area.is_none();
        let known = o.as_ref().is_some_and(|r| ctx.sig_widgets.contains(&r.num));
        if !(is_widget && (known || is_sig_field(new, &d)?)) {
            let kind = d
                .name(b"Subtype")
                .map(|s| format!("/{} annotation", String::from_utf8_lossy(s)))
                .unwrap_or_else(|| "form field".into());
            ctx.push(
                id,
                format!("a {kind} was added to {what} after signing"),
                false,
                "list.not-a-signature",
            );
            continue;
        }
        let doc_ts = sig_value_type(new, &d)?.as_deref() == Some(b"DocTimeStamp");
        if ctx.docmdp == Some(1) && !doc_ts {
            ctx.push(
                id,
                format!("a signature field was added to {what}, but the certification signature allows no changes (DocMDP P=1)"),
                false,
                "docmdp.no-changes",
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
                        "list.overlay-widget",
                    );
                    continue;
                }
            }
        }
        ctx.push(
            id,
            format!("a signature field was added to {what}"),
            true,
            "signature.field-added",
        );
    }
    Ok(())
}

/// The interactive form dictionary of a catalog (empty when there is none).
pub(super) fn acroform<R: Read + Seek>(
    pdf: &mut PdfFile<R>,
    catalog: &Dict,
) -> Result<Dict, PdfError> {
    Ok(pdf
        .get_dict(catalog.get(b"AcroForm").unwrap_or(&Object::Null))?
        .unwrap_or_default())
}

pub(super) fn judge_acroform<A: Read + Seek, B: Read + Seek>(
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
            "acroform.other-keys",
        );
    }
    let ol = resolve_array(old, old_acro.get(b"Fields"))?;
    let nl = resolve_array(new, new_acro.get(b"Fields"))?;
    if ol != nl {
        judge_list(old, new, ctx, &ol, &nl, "the form's fields", None)?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub(super) fn judge_field<B: Read + Seek>(
    new: &mut PdfFile<B>,
    ctx: &mut Ctx,
    od: &Dict,
    nd: &Dict,
    diff: &BTreeSet<Vec<u8>>,
    id: &str,
    refs: &Referrers,
    num: u32,
) -> Result<(), PdfError> {
    let name = nd
        .get(b"T")
        .and_then(Object::as_string)
        .map(crate::pdf::text::decode_text)
        .unwrap_or_else(|| id.to_string());
    // pyHanko's rule: a field's indirect /AP dictionary that something else in the signed
    // revision also uses may not be swapped out (what else shows it is not ours to judge).
    if diff.contains(b"AP".as_slice()) {
        if let Some(ap) = od.get(b"AP").and_then(Object::as_ref) {
            let others: Vec<String> = refs
                .of(ap.num)
                .iter()
                .filter(|r| !(r.from == Referrer::Object(num) && r.key == b"AP"))
                .map(referrer_name)
                .collect();
            if !others.is_empty() || !refs.complete {
                ctx.push(
                    id,
                    format!(
                        "the appearance of field \"{name}\" was replaced, but its appearance dictionary {} is also used by {}",
                        label(ap),
                        others.join(", ")
                    ),
                    false,
                    "form.shared-appearance",
                );
                return Ok(());
            }
        }
    }
    if is_sig_field(new, nd)? {
        // Signing an empty field sets /V and its appearance; Adobe also sets the widget's
        // annotation flags (/F: print, locked).
        let only_value = diff
            .iter()
            .all(|k| matches!(k.as_slice(), b"V" | b"AP" | b"F"));
        if !od.contains(b"V") && nd.contains(b"V") && only_value {
            let doc_ts = sig_value_type(new, nd)?.as_deref() == Some(b"DocTimeStamp");
            let ok = ctx.docmdp != Some(1) || doc_ts;
            ctx.push(
                id,
                format!("the empty signature field \"{name}\" was signed"),
                ok,
                "signature.field-signed",
            );
        } else {
            ctx.push(
                id,
                format!(
                    "the signature field \"{name}\" was altered ({})",
                    names(diff)
                ),
                false,
                "signature.field-altered",
            );
        }
    } else if diff
        .iter()
        .all(|k| matches!(k.as_slice(), b"V" | b"AP" | b"AS"))
    {
        // A filled-in field shows over the signed page (the shadow "replace" attack): allowed
        // only when a certification signature permits form filling (ISO 32000-2 §12.8.2.2).
        if matches!(ctx.docmdp, Some(2) | Some(3)) {
            ctx.push(
                id,
                format!("form field \"{name}\" filled in, as the certification signature permits"),
                true,
                "form.filled",
            );
        } else {
            ctx.push(
                id,
                format!("form field \"{name}\" filled in after signing, and no certification signature permits form filling: what the field shows now was not signed"),
                false,
                "form.filled-without-permission",
            );
        }
    } else {
        ctx.push(
            id,
            format!("form field \"{name}\" changed ({})", names(diff)),
            false,
            "form.field-changed",
        );
    }
    Ok(())
}

fn referrer_name(r: &Reference) -> String {
    let key = String::from_utf8_lossy(&r.key);
    match r.from {
        Referrer::Object(n) => format!("object {n} /{key}"),
        Referrer::Trailer => format!("the trailer /{key}"),
    }
}

/// An object the later revision rewrote in place that no other rule claims: allowed only as
/// the appearance of a field this revision fills in or signs, that is when everything that
/// referred to it in the signed revision is such a field, or an appearance dictionary only
/// such a field uses (pyHanko's reference tracking: an appearance stream shared with anything
/// else would change what the signed revision shows there).
pub(super) fn judge_rewritten(
    ctx: &mut Ctx,
    id: &str,
    num: u32,
    new_obj: &Object,
    refs: &Referrers,
    updated_fields: &HashSet<u32>,
) {
    let what = type_name(new_obj);
    let field_use = |n: u32| updated_fields.contains(&n);
    // An appearance dictionary (indirect) whose only reference is a filled field's /AP.
    let via_ap = |n: u32| {
        let up = refs.of(n);
        !up.is_empty()
            && up
                .iter()
                .all(|r| matches!(r.from, Referrer::Object(f) if field_use(f)) && r.key == b"AP")
    };
    let from = refs.of(num);
    let (ours, others): (Vec<&Reference>, Vec<&Reference>) =
        from.iter().partition(|r| match r.from {
            Referrer::Object(n) => (field_use(n) && r.key == b"AP") || via_ap(n),
            Referrer::Trailer => false,
        });
    if refs.complete && !ours.is_empty() && others.is_empty() {
        let ok = ctx.docmdp != Some(1);
        ctx.push(
            id,
            format!("{what} rewritten in place: the appearance of a field filled in after signing"),
            ok,
            "form.appearance-rewritten",
        );
    } else if !ours.is_empty() {
        let names: Vec<String> = others.iter().map(|r| referrer_name(r)).collect();
        ctx.push(
            id,
            format!(
                "{what} rewritten in place as a field's appearance, but the signed revision also uses it from {}",
                names.join(", ")
            ),
            false,
            "form.shared-appearance",
        );
    } else {
        ctx.push(
            id,
            format!("{what} changed after signing"),
            false,
            "object.changed",
        );
    }
}
