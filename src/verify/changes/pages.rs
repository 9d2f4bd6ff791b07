//! Changes to a page after signing, as signing tools make them when they add a signature widget
//! (seen in VGCA-signed decrees, iText and Aspose output): `/Annots` (judged in `forms`), a
//! transparency `/Group` added (ISO 32000-1 §11.6.6), and `/Resources` entries added for the
//! widget's appearance. An added resource is allowed only when its name is one the signed
//! content never used; a name that now points elsewhere, or that the signed content used while
//! it was undefined (content hidden at signing time shows now), is not.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::{Read, Seek};

use super::{names, same, same_opt, Ctx};
use crate::pdf::lexer::{Lexer, Token};
use crate::pdf::{Dict, ObjRef, Object, PdfError, PdfFile};

/// Resource categories holding named entries (ISO 32000-1 §7.8.3, Table 33).
const NAMED_CATEGORIES: &[&[u8]] = &[
    b"ExtGState",
    b"ColorSpace",
    b"Pattern",
    b"Shading",
    b"XObject",
    b"Font",
    b"Properties",
];

/// Which page's resources an object is: the whole `/Resources` dictionary, or one category.
#[derive(Clone, Debug)]
pub(super) struct ResourceRole {
    pub(super) page: usize,
    pub(super) category: Option<Vec<u8>>,
}

/// Pages' resource dictionaries and their indirect category dictionaries, by object number.
pub(super) fn resource_roles<R: Read + Seek>(
    pdf: &mut PdfFile<R>,
    pages: &[ObjRef],
) -> Result<BTreeMap<u32, ResourceRole>, PdfError> {
    let mut out = BTreeMap::new();
    for (i, p) in pages.iter().enumerate() {
        let Some(d) = pdf.get_dict(&Object::Ref(*p))? else {
            continue;
        };
        let Some(res) = d.get(b"Resources") else {
            continue;
        };
        if let Some(r) = res.as_ref() {
            out.entry(r.num).or_insert(ResourceRole {
                page: i + 1,
                category: None,
            });
        }
        let rd = pdf.get_dict(res)?.unwrap_or_default();
        for (k, v) in rd.iter() {
            if let Some(r) = v.as_ref() {
                out.entry(r.num).or_insert(ResourceRole {
                    page: i + 1,
                    category: Some(k.to_vec()),
                });
            }
        }
    }
    Ok(out)
}

/// Judges page keys other than `/Annots` and `/Resources`.
pub(super) fn judge_page_keys(
    ctx: &mut Ctx,
    id: &str,
    page: usize,
    od: &Dict,
    diff: &BTreeSet<Vec<u8>>,
) {
    let mut other = BTreeSet::new();
    for k in diff {
        match k.as_slice() {
            b"Annots" | b"Resources" => {}
            b"Group" if od.get(b"Group").is_none() => ctx.push(
                id,
                format!("page {page}: /Group added (as signing tools do with a widget)"),
                true,
                "page.group-added",
            ),
            _ => {
                other.insert(k.clone());
            }
        }
    }
    if !other.is_empty() {
        ctx.push(
            id,
            format!("page {page} changed ({})", names(&other)),
            false,
            "page.other-keys",
        );
    }
}

/// Names (`/Name` tokens, `#xx` escapes decoded, ISO 32000-1 §7.3.5) in `content`, read by
/// the PDF lexer. Where it cannot read on (inline image data, damage), it moves one byte and
/// goes on: whatever looks like a name there counts as used, which is stricter, never looser.
pub(super) fn content_names(content: &[u8]) -> HashSet<Vec<u8>> {
    let mut out = HashSet::new();
    let mut lx = Lexer::new(content, 0, false);
    loop {
        let at = lx.pos();
        match lx.next_token() {
            Ok(Some(Token::Name(n))) => {
                out.insert(n);
            }
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(_) => lx.set_pos(at + 1),
        }
        if lx.pos() <= at {
            lx.set_pos(at + 1);
        }
        if at >= content.len() {
            break;
        }
    }
    out
}

/// The names the page's signed content streams use.
pub(super) fn page_content_names<R: Read + Seek>(
    pdf: &mut PdfFile<R>,
    page: &Dict,
) -> Result<HashSet<Vec<u8>>, PdfError> {
    let mut streams = Vec::new();
    match page.get(b"Contents").map(|c| pdf.resolve(c)).transpose()? {
        Some(Object::Array(a)) => {
            for o in a {
                streams.push(pdf.resolve(&o)?);
            }
        }
        Some(o) => streams.push(o),
        None => {}
    }
    let mut out = HashSet::new();
    for s in streams {
        if let Object::Stream(s) = s {
            out.extend(content_names(&pdf.stream_decoded(&s)?));
        }
    }
    Ok(out)
}

fn dict_of<R: Read + Seek>(pdf: &mut PdfFile<R>, o: Option<&Object>) -> Result<Dict, PdfError> {
    Ok(match o {
        Some(o) => pdf.get_dict(o)?.unwrap_or_default(),
        None => Dict::default(),
    })
}

/// Compares a page's resources as signed (`old`, in the signed revision) with now (`new`).
/// `used` are the names the signed content uses.
#[allow(clippy::too_many_arguments)]
pub(super) fn judge_resources<A: Read + Seek, B: Read + Seek>(
    old_pdf: &mut PdfFile<A>,
    new_pdf: &mut PdfFile<B>,
    ctx: &mut Ctx,
    id: &str,
    page: usize,
    old: &Dict,
    new: &Dict,
    used: &HashSet<Vec<u8>>,
) -> Result<(), PdfError> {
    let mut keys: BTreeSet<Vec<u8>> = old.keys().map(<[u8]>::to_vec).collect();
    keys.extend(new.keys().map(<[u8]>::to_vec));
    for k in keys {
        let (o, n) = (old.get(&k), new.get(&k));
        if same_opt(o, n) {
            continue;
        }
        let key = String::from_utf8_lossy(&k).into_owned();
        if k == b"ProcSet" {
            // ISO 32000-2 §14.2: obsolete, ignored by readers.
            ctx.push(
                id,
                format!("page {page}: /ProcSet updated"),
                true,
                "page.resources-procset",
            );
            continue;
        }
        if !NAMED_CATEGORIES.contains(&k.as_slice()) || n.is_none() {
            ctx.push(
                id,
                format!("page {page}: resources /{key} changed or removed"),
                false,
                "page.resources-changed",
            );
            continue;
        }
        let od = dict_of(old_pdf, o)?;
        let nd = dict_of(new_pdf, n)?;
        judge_category(ctx, id, page, &key, &od, &nd, used);
    }
    Ok(())
}

fn judge_category(
    ctx: &mut Ctx,
    id: &str,
    page: usize,
    category: &str,
    old: &Dict,
    new: &Dict,
    used: &HashSet<Vec<u8>>,
) {
    for (name, value) in old.iter() {
        if !new.get(name).is_some_and(|v| same(v, value)) {
            ctx.push(
                id,
                format!(
                    "page {page}: the resource /{category} /{} the signed content may use was removed or now points elsewhere",
                    String::from_utf8_lossy(name)
                ),
                false,
                "page.resources-rebound",
            );
        }
    }
    for (name, _) in new.iter().filter(|(n, _)| old.get(n).is_none()) {
        let shown = String::from_utf8_lossy(name);
        if used.contains(name) {
            ctx.push(
                id,
                format!(
                    "page {page}: the resource /{category} /{shown} was undefined when signed but the signed content uses it: hidden content now shows"
                ),
                false,
                "page.resources-fills-used-name",
            );
        } else {
            ctx.push(
                id,
                format!(
                    "page {page}: resource /{category} /{shown} added, a name the signed content does not use"
                ),
                true,
                "page.resources-added",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_names_finds_operands_and_stops_at_delimiters() {
        let n = content_names(b"q /GS0 gs /Im1 Do BT /F1 12 Tf (a/b) Tj ET /P<</MCID 0>>BDC");
        for want in ["GS0", "Im1", "F1", "P", "MCID"] {
            assert!(n.contains(want.as_bytes()), "{want} missing from {n:?}");
        }
        assert!(!n.contains(b"Im1 Do".as_slice()));
    }

    /// Regression: a name written with `#xx` escapes is the resource it decodes to; read raw,
    /// `/Im#39` would not match a resource `/Im9` added later, letting hidden content through.
    #[test]
    fn content_names_decode_escapes_and_read_past_damage() {
        let n = content_names(b"q /Im#39 Do Q ) ( /X0 Do BI /W 1 ID \xff\x00) EI /F2 Tf");
        assert!(n.contains(b"Im9".as_slice()), "{n:?}");
        assert!(n.contains(b"F2".as_slice()), "{n:?}");
    }
}
