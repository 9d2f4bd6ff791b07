//! Signature discovery (ISO 32000-1 §12.7.4.5, §12.8): the signature fields of the form, their
//! value dictionaries, and a certification signature's DocMDP permission.

use std::io::{Read, Seek};

use crate::pdf::text::decode_text;
use crate::pdf::{Dict, ObjRef, Object, PdfError, PdfFile};

/// A signature field found in the form, with its value dictionary.
pub(crate) struct SigField {
    pub(crate) name: String,
    pub(crate) value: Dict,
    pub(crate) value_ref: Option<ObjRef>,
    /// The field dictionary itself (the widget when merged) and its object.
    pub(crate) field: Dict,
    pub(crate) field_ref: Option<ObjRef>,
}

pub(crate) fn find_signatures<R: Read + Seek>(
    pdf: &mut PdfFile<R>,
) -> Result<Vec<SigField>, PdfError> {
    let catalog = pdf.catalog()?;
    let Some(acro) = pdf.get_dict(catalog.get(b"AcroForm").unwrap_or(&Object::Null))? else {
        return Ok(Vec::new());
    };
    let fields = match acro.get(b"Fields").map(|f| pdf.resolve(f)).transpose()? {
        Some(Object::Array(a)) => a,
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    // (field, qualified name of the parent, inherited FT, depth)
    let mut stack: Vec<(Object, String, Option<Vec<u8>>, usize)> = fields
        .into_iter()
        .rev()
        .map(|f| (f, String::new(), None, 0))
        .collect();
    let mut visited = std::collections::HashSet::new();
    while let Some((obj, prefix, inherited_ft, depth)) = stack.pop() {
        if depth > 32 || visited.len() > 100_000 {
            break;
        }
        if let Some(r) = obj.as_ref() {
            if !visited.insert(r) {
                continue;
            }
        }
        let Some(d) = pdf.get_dict(&obj)? else {
            continue;
        };
        let part = d.get(b"T").and_then(Object::as_string).map(decode_text);
        let name = match (prefix.is_empty(), part) {
            (_, None) => prefix.clone(),
            (true, Some(p)) => p,
            (false, Some(p)) => format!("{prefix}.{p}"),
        };
        let ft = d.name(b"FT").map(<[u8]>::to_vec).or(inherited_ft);
        if let Some(Object::Array(kids)) = d.get(b"Kids").map(|k| pdf.resolve(k)).transpose()? {
            // Kids that are fields (have /T) or widgets; a field's value may sit on the parent.
            if !kids.is_empty() && d.get(b"V").is_none() {
                for k in kids.into_iter().rev() {
                    stack.push((k, name.clone(), ft.clone(), depth + 1));
                }
                continue;
            }
        }
        if ft.as_deref() != Some(b"Sig") {
            continue;
        }
        let Some(v) = d.get(b"V") else { continue };
        let value_ref = v.as_ref();
        if let Some(value) = pdf.get_dict(v)? {
            out.push(SigField {
                name,
                value,
                value_ref,
                field_ref: obj.as_ref(),
                field: d,
            });
        }
    }
    Ok(out)
}

/// The DocMDP permission of a certification signature (ISO 32000-2 §12.8.2.2), if any.
pub(super) fn docmdp_level<R: Read + Seek>(
    pdf: &mut PdfFile<R>,
    sig: &Dict,
) -> Result<Option<i64>, PdfError> {
    let refs = match sig.get(b"Reference").map(|r| pdf.resolve(r)).transpose()? {
        Some(Object::Array(a)) => a,
        _ => return Ok(None),
    };
    for r in refs {
        if let Some(d) = pdf.get_dict(&r)? {
            if d.name(b"TransformMethod") == Some(b"DocMDP") {
                let p = pdf
                    .get_dict(d.get(b"TransformParams").unwrap_or(&Object::Null))?
                    .and_then(|tp| tp.int(b"P"))
                    .unwrap_or(2);
                return Ok(Some(p));
            }
        }
    }
    Ok(None)
}

/// Is a signature value dictionary a document timestamp (ISO 32000-2 §12.8.5)?
pub(super) fn is_document_timestamp(v: &Dict) -> bool {
    v.name(b"Type") == Some(b"DocTimeStamp") || v.name(b"SubFilter") == Some(b"ETSI.RFC3161")
}
