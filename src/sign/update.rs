//! Builds the incremental revision a signature appends (ISO 32000-1 §7.5.6, §12.7.4.5,
//! §12.8.1): signature dictionary with ByteRange and /Contents placeholders, a merged signature
//! field + widget annotation, the AcroForm and page updates. Pure over a lazy [`PdfFile`].

use std::io::{Read, Seek};
use std::time::SystemTime;

use super::SubFilter;
use crate::pdf::writer::write_object;
use crate::pdf::{Dict, IncrementalWriter, ObjRef, Object, PdfError, PdfFile, PrevInfo};

/// Width of each ByteRange number placeholder (10 digits: files up to 9.3 GiB).
const BR_DIGITS: usize = 10;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UpdateError {
    #[error(transparent)]
    Pdf(#[from] PdfError),
    #[error("the document catalog (/Root) is missing or not a dictionary")]
    NoCatalog,
    #[error("the document has no pages")]
    NoPages,
    #[error("a signature field named \"{0}\" already exists")]
    FieldExists(String),
    #[error("the file is too large for a 10-digit ByteRange")]
    TooLarge,
    #[error(transparent)]
    Appearance(#[from] super::appearance::AppearanceError),
    #[error("signing time: {0}")]
    Time(#[from] crate::time::TimeError),
    #[error("internal error: {0}")]
    Internal(&'static str),
}

/// What the new signature field's value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SigKind {
    /// A signature (`/Type /Sig`, ISO 32000-1 Table 252) with this SubFilter.
    Signature(SubFilter),
    /// A document timestamp (`/Type /DocTimeStamp`, `/SubFilter /ETSI.RFC3161`; ISO 32000-2
    /// §12.8.5, ETSI EN 319 142-1 §5.4.3): /Contents is an RFC 3161 token over the ByteRange.
    DocTimeStamp,
}

/// The visible parts of the signature dictionary (ISO 32000-1 Table 252).
pub struct SigFields {
    pub kind: SigKind,
    pub field_name: Option<String>,
    pub signer_name: Option<String>,
    pub reason: Option<String>,
    pub location: Option<String>,
    pub contact_info: Option<String>,
    pub time: SystemTime,
    pub utc_offset_minutes: i32,
    pub contents_size: usize,
    /// A visible signature: the stamp its widget shows (None: invisible, Rect all zero).
    pub stamp: Option<super::appearance::Stamp>,
    /// Page images whose pixels the stamp's placement may take as known (see
    /// [`super::appearance::KnownImage`]); empty: every image is decoded.
    pub known_images: Vec<super::appearance::KnownImage>,
}

/// Where the placeholders lie in [`Built::bytes`].
#[derive(Clone, Copy, Debug)]
pub struct Placeholder {
    pub byte_range_at: usize,
    pub byte_range_len: usize,
    /// Offset of the `<` of /Contents.
    pub contents_at: usize,
    /// Length from `<` to `>` inclusive.
    pub contents_len: usize,
}

/// The appended revision, ready to be patched.
pub struct Built {
    /// Appended right after the input (starting with an EOL if the input lacks a final one).
    pub bytes: Vec<u8>,
    pub placeholder: Placeholder,
    pub field_name: String,
    /// Where the stamp of a visible signature went.
    pub placed: Option<super::appearance::Placed>,
}

/// A PDF text string (ISO 32000-1 §7.9.2.2): plain bytes for printable ASCII, else UTF-16BE
/// with a byte-order mark, so Vietnamese names survive.
pub fn text_string(s: &str) -> Object {
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        Object::String(s.as_bytes().to_vec())
    } else {
        let mut v = vec![0xFE, 0xFF];
        for u in s.encode_utf16() {
            v.extend_from_slice(&u.to_be_bytes());
        }
        Object::String(v)
    }
}

/// Names of the existing terminal fields (fully qualified), walking /Kids (bounded).
pub fn field_names<R: Read + Seek>(
    pdf: &mut PdfFile<R>,
    fields: &[Object],
) -> Result<Vec<String>, PdfError> {
    let mut out = Vec::new();
    let mut stack: Vec<(Object, String, usize)> = fields
        .iter()
        .rev()
        .map(|f| (f.clone(), String::new(), 0))
        .collect();
    let mut seen = 0usize;
    while let Some((obj, prefix, depth)) = stack.pop() {
        seen += 1;
        if seen > 100_000 || depth > 32 {
            break;
        }
        let Some(d) = pdf.get_dict(&obj)? else {
            continue;
        };
        let name = d
            .get(b"T")
            .and_then(Object::as_string)
            .map(crate::pdf::text::decode_text)
            .unwrap_or_default();
        let full = match (prefix.is_empty(), name.is_empty()) {
            (true, _) => name.clone(),
            (false, true) => prefix.clone(),
            (false, false) => format!("{prefix}.{name}"),
        };
        match d.get(b"Kids").map(|k| pdf.resolve(k)).transpose()? {
            Some(Object::Array(kids)) => {
                for k in kids.into_iter().rev() {
                    stack.push((k, full.clone(), depth + 1));
                }
            }
            _ => out.push(full),
        }
    }
    Ok(out)
}

fn placeholder_dict(f: &SigFields) -> Result<(Vec<u8>, Placeholder), UpdateError> {
    let mut d = Dict::new();
    let (kind, sub_filter) = match f.kind {
        SigKind::Signature(sf) => ("Sig", sf.pdf_name()),
        SigKind::DocTimeStamp => ("DocTimeStamp", "ETSI.RFC3161"),
    };
    d.set(b"Type", Object::name(kind));
    d.set(b"Filter", Object::name("Adobe.PPKLite"));
    d.set(b"SubFilter", Object::name(sub_filter));
    let mut body = Vec::new();
    body.extend_from_slice(b"<< ");
    for (k, v) in d.iter() {
        body.push(b'/');
        body.extend_from_slice(k);
        body.push(b' ');
        write_object(&mut body, v);
        body.push(b' ');
    }
    body.extend_from_slice(b"/ByteRange ");
    let byte_range_at = body.len();
    let zeros = "0".repeat(BR_DIGITS);
    let br = format!("[0 {zeros} {zeros} {zeros}]");
    body.extend_from_slice(br.as_bytes());
    body.extend_from_slice(b" /Contents ");
    let contents_at = body.len();
    body.push(b'<');
    body.extend(std::iter::repeat_n(b'0', f.contents_size * 2));
    body.push(b'>');
    let mut rest = Dict::new();
    // A document timestamp's time is its token's; /M and the signer's words would be unproven.
    if f.kind != SigKind::DocTimeStamp {
        rest.set(
            b"M",
            Object::String(crate::time::pdf_date(f.time, f.utc_offset_minutes)?.into_bytes()),
        );
    }
    for (key, val) in [
        (&b"Name"[..], &f.signer_name),
        (b"Reason", &f.reason),
        (b"Location", &f.location),
        (b"ContactInfo", &f.contact_info),
    ] {
        if let Some(v) = val {
            rest.set(key, text_string(v));
        }
    }
    for (k, v) in rest.iter() {
        body.extend_from_slice(b" /");
        body.extend_from_slice(k);
        body.push(b' ');
        write_object(&mut body, v);
    }
    body.extend_from_slice(b" >>");
    let ph = Placeholder {
        byte_range_at,
        byte_range_len: br.len(),
        contents_at,
        contents_len: f.contents_size * 2 + 2,
    };
    Ok((body, ph))
}

/// Builds the revision that adds an empty signature to `pdf`.
pub fn build<R: Read + Seek>(pdf: &mut PdfFile<R>, f: &SigFields) -> Result<Built, UpdateError> {
    let trailer = pdf.trailer().clone();
    let root_ref = trailer
        .get(b"Root")
        .and_then(Object::as_ref)
        .ok_or(UpdateError::NoCatalog)?;
    let mut catalog = pdf.catalog().map_err(|_| UpdateError::NoCatalog)?;
    let pages = pdf.pages()?;
    let page_ref = *pages.first().ok_or(UpdateError::NoPages)?;
    let mut page = match pdf.get(page_ref)? {
        Object::Dict(d) => d,
        _ => return Err(UpdateError::NoPages),
    };

    let prev = PrevInfo::from_file(pdf)?;
    let size = prev.size;
    let sig_ref = ObjRef::new(size, 0);
    let widget_ref = ObjRef::new(size + 1, 0);
    // A new AcroForm, when the document has none, takes the next number.
    let acro_new_ref = ObjRef::new(size + 2, 0);

    // AcroForm: indirect (rewrite that object), direct in the catalog, or absent (create).
    let acro_obj = catalog.get(b"AcroForm").cloned();
    let (mut acro, acro_ref) = match &acro_obj {
        Some(Object::Ref(r)) => match pdf.get(*r)? {
            Object::Dict(d) => (d, Some(*r)),
            _ => (Dict::new(), None),
        },
        Some(Object::Dict(d)) => (d.clone(), None),
        _ => (Dict::new(), None),
    };
    let mut fields: Vec<Object> = match acro.get(b"Fields").map(|o| pdf.resolve(o)).transpose()? {
        Some(Object::Array(a)) => a,
        _ => Vec::new(),
    };
    let existing = field_names(pdf, &fields)?;
    let field_name = match &f.field_name {
        Some(n) if existing.iter().any(|e| e == n) => {
            return Err(UpdateError::FieldExists(n.clone()))
        }
        Some(n) => n.clone(),
        None => (1..)
            .map(|i| match f.kind {
                SigKind::DocTimeStamp => format!("DocTimeStamp{i}"),
                _ => format!("Signature{i}"),
            })
            .find(|n| !existing.contains(n))
            .unwrap_or_else(|| "Signature".into()),
    };
    fields.push(Object::Ref(widget_ref));
    acro.set(b"Fields", Object::Array(fields));
    // SignaturesExist | AppendOnly (ISO 32000-1 Table 219).
    acro.set(b"SigFlags", Object::Int(3));

    let mut w = IncrementalWriter::new();
    let (sig_body, mut ph) = placeholder_dict(f)?;

    // A visible signature's stamp: its page, place, appearance form and objects, numbered
    // after the form's (a new AcroForm may take size + 2).
    let rendered = match &f.stamp {
        Some(stamp) => Some(super::appearance::render(
            pdf,
            &pages,
            stamp,
            size + 3,
            &f.known_images,
        )?),
        None => None,
    };
    let page_ref = match &rendered {
        Some(r) => *pages.get(r.page_index).ok_or(UpdateError::NoPages)?,
        None => page_ref,
    };
    if page_ref != pages[0] {
        page = match pdf.get(page_ref)? {
            Object::Dict(d) => d,
            _ => return Err(UpdateError::NoPages),
        };
    }

    // Merged field + widget (ISO 32000-1 §12.7.3.1), Print | Locked; invisible (Rect all
    // zero) unless it has a stamp.
    let mut widget = Dict::new();
    widget.set(b"Type", Object::name("Annot"));
    widget.set(b"Subtype", Object::name("Widget"));
    widget.set(b"FT", Object::name("Sig"));
    widget.set(b"T", text_string(&field_name));
    widget.set(b"V", Object::Ref(sig_ref));
    widget.set(b"F", Object::Int(132));
    let rect = match &rendered {
        Some(r) => {
            let p = r.placement.rect;
            [p.x0, p.y0, p.x1, p.y1].map(|v| Object::Real((v * 1000.0).round() / 1000.0))
        }
        None => [0, 0, 0, 0].map(Object::Int),
    };
    widget.set(b"Rect", Object::Array(rect.to_vec()));
    widget.set(b"P", Object::Ref(page_ref));
    let mut placed = None;
    if let Some(r) = rendered {
        let mut ap = Dict::new();
        ap.set(b"N", Object::Ref(r.form));
        widget.set(b"AP", Object::Dict(ap));
        for (oref, o) in r.objects {
            match o {
                super::appearance::NewObject::Plain(o) => w.add(oref, &o),
                super::appearance::NewObject::Stream(d, data) => w.add_stream(oref, &d, &data),
            }
        }
        let p = r.placement.rect;
        placed = Some(super::appearance::Placed {
            page: r.page_index + 1,
            rect: [p.x0, p.y0, p.x1, p.y1],
            moved: r.placement.moved,
            lines: f
                .stamp
                .as_ref()
                .map(|s| s.lines.clone())
                .unwrap_or_default(),
        });
    }

    let mut annots = match page.get(b"Annots").map(|o| pdf.resolve(o)).transpose()? {
        Some(Object::Array(a)) => a,
        _ => Vec::new(),
    };
    annots.push(Object::Ref(widget_ref));
    page.set(b"Annots", Object::Array(annots));

    match acro_ref {
        Some(r) => w.add(r, &Object::Dict(acro)),
        None => {
            // No form yet, or a form written directly in the catalog: it becomes an object.
            w.add(acro_new_ref, &Object::Dict(acro));
            catalog.set(b"AcroForm", Object::Ref(acro_new_ref));
            w.add(root_ref, &Object::Dict(catalog));
        }
    }
    w.add(page_ref, &Object::Dict(page));
    w.add(widget_ref, &Object::Dict(widget));
    let mut raw = format!("{} {} obj\n", sig_ref.num, sig_ref.gen).into_bytes();
    let header_len = raw.len();
    raw.extend_from_slice(&sig_body);
    raw.extend_from_slice(b"\nendobj\n");
    w.add_raw(sig_ref, raw);

    let base = pdf.len();
    let (bytes, offsets) = w.finish_with_offsets(base, &prev);
    let sig_abs = offsets
        .iter()
        .find(|(r, _)| *r == sig_ref)
        .map(|(_, at)| *at)
        .ok_or(UpdateError::Internal(
            "the signature object was not written",
        ))?;
    let sig_at = (sig_abs - base) as usize + header_len;
    ph.byte_range_at += sig_at;
    ph.contents_at += sig_at;
    Ok(Built {
        bytes,
        placeholder: ph,
        field_name,
        placed,
    })
}

/// Writes `[0 a b c]` over the placeholder, padded with spaces to the same width.
pub fn patch_byte_range(
    buf: &mut [u8],
    at: usize,
    len: usize,
    ranges: [u64; 4],
) -> Result<(), UpdateError> {
    let text = format!("[{} {} {} {}]", ranges[0], ranges[1], ranges[2], ranges[3]);
    if text.len() > len {
        return Err(UpdateError::TooLarge);
    }
    let padded = format!(
        "{}{}",
        &text[..text.len() - 1],
        " ".repeat(len - text.len()) + "]"
    );
    let slot = buf.get_mut(at..at + len).ok_or(UpdateError::TooLarge)?;
    slot.copy_from_slice(padded.as_bytes());
    Ok(())
}
