//! Stage `classify`, the sheets an operator prints for it to read: a dossier's cover sheet
//! (its code in a QR code and in print) and the separator sheet put between papers (patch code
//! T bars by the top and bottom edges, and a QR code reading `PATCHT`, which paperless-ngx and
//! scanning software take for a separator too). Pure: a one-page A4 PDF (ISO 32000-1) of
//! vector bars and modules and text in the stamp's font, returned as bytes.
//!
//! The patch follows Kodak's geometry (A-61599): bars 2.03 mm (narrow) and 5.08 mm (wide)
//! thick with 2.03 mm spaces, 60 mm long, parallel to the leading edge and 10 mm in from it,
//! narrow bar outermost, so whichever edge the scanner takes first reads patch T. A printer
//! that scales the page "to fit" keeps it within what [`super::patch`] accepts.

use std::fmt::Write as _;
use std::sync::Arc;

use qrcode::{Color, EcLevel, QrCode};

use super::batch::SEPARATOR_TEXT;
use super::dossier_code;
use crate::pdf::{write_indirect, write_stream, Dict, ObjRef, Object};
use crate::sign::appearance::{self, AppearanceError, NewObject, StampFont};

/// A4 in points.
const PAGE: (f64, f64) = (595.276, 841.89);
const PT_PER_MM: f64 = 72.0 / 25.4;
/// Patch T from the edge inwards: (offset, thickness), mm.
const PATCH_T: [(f64, f64); 4] = [(0.0, 2.03), (4.06, 5.08), (11.17, 2.03), (15.23, 5.08)];
const PATCH_INSET_MM: f64 = 10.0;
const PATCH_LENGTH_MM: f64 = 60.0;
/// The QR code's side, mm (modules of about 1.5 mm for a short payload).
const QR_MM: f64 = 40.0;

/// Why a sheet could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SheetError {
    #[error("dossier code {code:?}: {why}")]
    Code { code: String, why: String },
    #[error(transparent)]
    Font(#[from] AppearanceError),
}

/// Which sheet.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Sheet {
    /// Goes first in the tray: the dossier's code for every paper after it.
    Cover { dossier: String },
    /// Goes between two papers: the one before it ends there.
    Separator,
}

/// The sheet as a one-page PDF, text in `font`.
pub fn pdf(sheet: &Sheet, font: &Arc<StampFont>) -> Result<Vec<u8>, SheetError> {
    let (payload, title, body, patch) = match sheet {
        Sheet::Cover { dossier } => {
            let code = dossier_code::parse(dossier).map_err(|e| SheetError::Code {
                code: dossier.clone(),
                why: e.to_string(),
            })?;
            let body = vec![
                format!("Mã hồ sơ: {code}"),
                "Đặt tờ này trước các giấy tờ của hồ sơ trong khay máy quét.".into(),
                "Tờ bìa không được lưu; mọi giấy tờ sau nó thuộc hồ sơ này.".into(),
            ];
            (code, "TỜ BÌA HỒ SƠ", body, false)
        }
        Sheet::Separator => {
            let body = vec![
                "Đặt tờ này giữa hai giấy tờ trong khay máy quét.".into(),
                "Giấy tờ trước tờ này kết thúc tại đây; tờ này không được lưu.".into(),
                "In đúng kích thước (100%), không co giãn.".into(),
            ];
            (
                SEPARATOR_TEXT.to_owned(),
                "TỜ PHÂN CÁCH GIẤY TỜ",
                body,
                true,
            )
        }
    };
    let qr = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M).map_err(|e| {
        SheetError::Code {
            code: payload.clone(),
            why: format!("does not fit a QR code ({e})"),
        }
    })?;

    // objects 1-4: catalog, pages, page, content; the text forms from 5 on
    let mut next = 5u32;
    let mut alloc = || {
        let r = ObjRef::new(next, 0);
        next += 1;
        r
    };
    let heading = appearance::text_form(font.clone(), vec![title.to_owned()], 22.0, &mut alloc)?;
    let lines = appearance::text_form(font.clone(), body, 12.0, &mut alloc)?;

    let mut c = String::from("q 0 g\n");
    if patch {
        for (offset, thick) in PATCH_T {
            let x = (210.0 - PATCH_LENGTH_MM) / 2.0;
            // from the top edge down, and from the bottom edge up
            let top = 297.0 - PATCH_INSET_MM - offset - thick;
            let bottom = PATCH_INSET_MM + offset;
            for y in [top, bottom] {
                rect_mm(&mut c, x, y, PATCH_LENGTH_MM, thick);
            }
        }
    }
    let qr_x = (210.0 - QR_MM) / 2.0;
    let qr_y = 297.0 / 2.0 - QR_MM / 2.0 - 10.0;
    qr_modules(&mut c, &qr, qr_x, qr_y);
    c.push_str("Q\n");
    let centred = |c: &mut String, form: &appearance::TextForm, name: &str, top_mm: f64| {
        let x = (PAGE.0 - form.width) / 2.0;
        let y = PAGE.1 - top_mm * PT_PER_MM - form.height;
        let _ = writeln!(c, "q 1 0 0 1 {x:.2} {y:.2} cm /{name} Do Q");
    };
    centred(&mut c, &heading, "T1", 40.0);
    centred(&mut c, &lines, "T2", 56.0);

    let mut out = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets: Vec<(u32, usize)> = Vec::new();
    let mut put = |out: &mut Vec<u8>, r: ObjRef, o: &NewObject| {
        offsets.push((r.num, out.len()));
        match o {
            NewObject::Plain(o) => write_indirect(out, r, o),
            NewObject::Stream(d, data) => write_stream(out, r, d, data),
        }
    };
    let mut cat = Dict::new();
    cat.set(b"Type", Object::name("Catalog"));
    cat.set(b"Pages", Object::Ref(ObjRef::new(2, 0)));
    put(
        &mut out,
        ObjRef::new(1, 0),
        &NewObject::Plain(Object::Dict(cat)),
    );
    let mut pages = Dict::new();
    pages.set(b"Type", Object::name("Pages"));
    pages.set(b"Kids", Object::Array(vec![Object::Ref(ObjRef::new(3, 0))]));
    pages.set(b"Count", Object::Int(1));
    put(
        &mut out,
        ObjRef::new(2, 0),
        &NewObject::Plain(Object::Dict(pages)),
    );
    let mut xobjects = Dict::new();
    xobjects.set(b"T1", Object::Ref(heading.form));
    xobjects.set(b"T2", Object::Ref(lines.form));
    let mut resources = Dict::new();
    resources.set(b"XObject", Object::Dict(xobjects));
    let mut page = Dict::new();
    page.set(b"Type", Object::name("Page"));
    page.set(b"Parent", Object::Ref(ObjRef::new(2, 0)));
    page.set(
        b"MediaBox",
        Object::Array(vec![
            Object::Int(0),
            Object::Int(0),
            Object::Real(PAGE.0),
            Object::Real(PAGE.1),
        ]),
    );
    page.set(b"Resources", Object::Dict(resources));
    page.set(b"Contents", Object::Ref(ObjRef::new(4, 0)));
    put(
        &mut out,
        ObjRef::new(3, 0),
        &NewObject::Plain(Object::Dict(page)),
    );
    put(
        &mut out,
        ObjRef::new(4, 0),
        &NewObject::Stream(Dict::new(), c.into_bytes()),
    );
    for (r, o) in heading.objects.iter().chain(&lines.objects) {
        put(&mut out, *r, o);
    }
    offsets.sort_unstable();
    let start = out.len();
    let size = offsets.len() + 1;
    let mut xref = format!("xref\n0 {size}\n0000000000 65535 f\r\n");
    for (_, off) in &offsets {
        let _ = write!(xref, "{off:010} 00000 n\r\n");
    }
    let _ = write!(
        xref,
        "trailer\n<< /Size {size} /Root 1 0 R >>\nstartxref\n{start}\n%%EOF\n"
    );
    out.extend_from_slice(xref.as_bytes());
    Ok(out)
}

/// A filled rectangle, mm from the bottom left.
fn rect_mm(c: &mut String, x: f64, y: f64, w: f64, h: f64) {
    let p = |v: f64| v * PT_PER_MM;
    let _ = writeln!(c, "{:.2} {:.2} {:.2} {:.2} re f", p(x), p(y), p(w), p(h));
}

/// The QR code's dark modules, a rectangle per run of them along a row, `QR_MM` square with
/// its lower left corner at `(x, y)` mm (the quiet zone is the white page around it).
fn qr_modules(c: &mut String, qr: &QrCode, x: f64, y: f64) {
    let n = qr.width();
    let colors = qr.to_colors();
    let module = QR_MM / n as f64;
    for (row, cells) in colors.chunks(n).enumerate() {
        let top = y + QR_MM - (row + 1) as f64 * module;
        let mut col = 0;
        while col < n {
            if cells[col] != Color::Dark {
                col += 1;
                continue;
            }
            let from = col;
            while col < n && cells[col] == Color::Dark {
                col += 1;
            }
            rect_mm(
                c,
                x + from as f64 * module,
                top,
                (col - from) as f64 * module,
                module,
            );
        }
    }
}
