//! Assemble stage, copy step: cheap checks of a copied page's objects for the most common
//! things PDF/A-2u (ISO 19005-2) forbids. Nothing is fixed; each finding becomes a warning.

use std::io::{Read, Seek};

use crate::pdf::{Dict, Object, PdfFile};

/// Actions PDF/A-2 forbids (ISO 19005-2 §6.5.1).
const FORBIDDEN_ACTIONS: [&[u8]; 11] = [
    b"JavaScript",
    b"Launch",
    b"Sound",
    b"Movie",
    b"ResetForm",
    b"ImportData",
    b"Hide",
    b"SetOCGState",
    b"Rendition",
    b"Trans",
    b"GoTo3DView",
];

/// Font types whose program must be embedded (Type3 glyphs are content streams, and Type0
/// fonts are checked through their descendant CIDFont).
const NEEDS_PROGRAM: [&[u8]; 5] = [
    b"Type1",
    b"MMType1",
    b"TrueType",
    b"CIDFontType0",
    b"CIDFontType2",
];

/// Distinct warnings, in the order found.
#[derive(Default)]
pub(super) struct Warnings(pub Vec<String>);

impl Warnings {
    pub fn add(&mut self, w: String) {
        if !self.0.contains(&w) {
            self.0.push(w);
        }
    }
}

fn lossy(n: &[u8]) -> String {
    String::from_utf8_lossy(n).into_owned()
}

/// Checks one dictionary (direct or indirect, also a stream's) of the copied page.
pub(super) fn check_dict<R: Read + Seek>(src: &mut PdfFile<R>, d: &Dict, w: &mut Warnings) {
    if d.contains(b"JS") {
        w.add("JavaScript action".into());
    }
    if let Some(s) = d.name(b"S").filter(|s| FORBIDDEN_ACTIONS.contains(s)) {
        w.add(format!("{} action", lossy(s)));
    }
    if d.contains(b"AA") {
        w.add("additional actions (/AA)".into());
    }
    if d.contains(b"OPI") {
        w.add("OPI proxy image (/OPI)".into());
    }
    match d.name(b"Subtype") {
        Some(b"PS") => w.add("PostScript XObject".into()),
        Some(b"Form") if d.contains(b"Ref") => w.add("reference XObject (/Ref)".into()),
        _ => {}
    }
    if d.get(b"Subtype2").and_then(Object::as_name) == Some(b"PS") {
        w.add("PostScript XObject".into());
    }
    if matches!(d.get(b"Interpolate"), Some(Object::Bool(true))) {
        w.add("image interpolation (/Interpolate true)".into());
    }
    let tr2_default = d.name(b"TR2").is_none_or(|n| n == b"Default");
    if d.contains(b"TR") || !tr2_default {
        w.add("transfer function (/TR)".into());
    }
    match d.name(b"Type") {
        Some(b"Font") => check_font(src, d, w),
        Some(b"OCG") => {
            w.add("optional content (layers) without the document's /OCProperties".into())
        }
        _ => {}
    }
}

fn check_font<R: Read + Seek>(src: &mut PdfFile<R>, d: &Dict, w: &mut Warnings) {
    let name = d
        .name(b"BaseFont")
        .map(lossy)
        .unwrap_or_else(|| "(unnamed)".into());
    match d.name(b"Subtype") {
        Some(t) if NEEDS_PROGRAM.contains(&t) => {
            let fd = match d.get(b"FontDescriptor") {
                Some(o) => src.get_dict(o).ok().flatten(),
                None => None,
            };
            let keys: [&[u8]; 3] = [b"FontFile", b"FontFile2", b"FontFile3"];
            let embedded = fd.is_some_and(|fd| keys.iter().any(|k| fd.contains(k)));
            if !embedded {
                w.add(format!("font {name} is not embedded"));
            }
        }
        Some(b"Type0") if !d.contains(b"ToUnicode") => {
            w.add(format!("font {name} has no ToUnicode map"));
        }
        _ => {}
    }
}

/// Checks a name anywhere in the copied objects.
pub(super) fn check_name(n: &[u8], w: &mut Warnings) {
    if n == b"DeviceCMYK" {
        w.add("DeviceCMYK colour (the output intent is sRGB)".into());
    }
}

/// Checks a stream's dictionary: filters and external data.
pub(super) fn check_stream(d: &Dict, w: &mut Warnings) {
    let filters: Vec<&[u8]> = match d.get(b"Filter") {
        Some(Object::Name(n)) => vec![n],
        Some(Object::Array(a)) => a.iter().filter_map(Object::as_name).collect(),
        _ => Vec::new(),
    };
    if filters.iter().any(|f| *f == b"LZWDecode" || *f == b"LZW") {
        w.add("LZW-compressed stream".into());
    }
    if filters.contains(&&b"Crypt"[..]) {
        w.add("Crypt filter".into());
    }
    if d.contains(b"F") || d.contains(b"FFilter") || d.contains(b"FDecodeParms") {
        w.add("stream data in an external file (/F)".into());
    }
}
