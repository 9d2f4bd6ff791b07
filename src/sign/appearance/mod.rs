//! Stage `sign`, visible stamps: the appearance of a signature widget (ISO 32000-1 §12.5.5,
//! §12.7.4.5), drawn where the rules put it: the digitizer's name and time at the top left of
//! page 1 (Circular 01/2023/TT-VPCP art. 8), the agency's name and time in ISO 8601 at the top
//! right (Decree 30/2020/NĐ-CP appendix), the certification text of a certified copy (Decree
//! 23/2015/NĐ-CP). Text in an embedded subset TrueType font with a ToUnicode map; an optional
//! seal image; moved to the nearest free area when the corner shows content.
//!
//! Pure over a lazy [`PdfFile`]: the caller numbers and writes the objects.

mod font;
pub mod layout;
pub mod occupied;
pub mod presets;
mod seal;
mod stream;

use std::io::{Read, Seek};
use std::sync::Arc;

pub use font::StampFont;
pub use layout::{Corner, Placement, Rect};
pub use occupied::KnownImage;
pub use presets::StampRole;
pub use seal::Seal;

use crate::pdf::{Dict, ObjRef, Object, PdfError, PdfFile};

/// Liberation Serif (Debian `fonts-liberation2`): metric-compatible with Times New Roman,
/// which Decree 30/2020 names and which cannot be shipped; it has every Vietnamese letter.
pub const DEFAULT_FONT: &str = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf";

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppearanceError {
    #[error("stamp font {font}: {why}")]
    Font { font: String, why: String },
    #[error("stamp seal image {file}: {why}")]
    Seal { file: String, why: String },
    #[error("stamp template: {0}")]
    Template(String),
    #[error("page {0} of the document is missing or not a page dictionary")]
    NoPage(usize),
    #[error(transparent)]
    Pdf(#[from] PdfError),
}

/// Which page the stamp goes on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum StampPage {
    #[default]
    First,
    Last,
}

/// A stamp ready to draw: its lines already filled in.
#[derive(Clone)]
pub struct Stamp {
    pub lines: Vec<String>,
    pub font: Arc<StampFont>,
    pub seal: Option<Arc<Seal>>,
    /// Font size, points.
    pub size: f64,
    /// Text and border colour, RGB 0–1.
    pub color: [f64; 3],
    pub corner: Corner,
    pub page: StampPage,
    /// Distance from the page edges, points.
    pub margin: f64,
    pub border: bool,
}

/// A stamp before signing: its lines are templates, filled from the signature (`{name}` the
/// certificate's CN, `{org}` its O, `{time}` ISO 8601 with the offset, `{date}` dd/mm/yyyy,
/// `{reason}`, `{location}`) and from `extra` (a certification's `{number}`, `{book}` …).
#[derive(Clone)]
pub struct StampTemplate {
    pub style: Stamp,
    pub extra: Vec<(String, String)>,
}

impl StampTemplate {
    /// The stamp with its lines filled from `values` and [`Self::extra`].
    pub fn fill(&self, values: &[(&str, String)]) -> Result<Stamp, AppearanceError> {
        let mut all: Vec<(&str, String)> = values.to_vec();
        all.extend(self.extra.iter().map(|(k, v)| (k.as_str(), v.clone())));
        let mut s = self.style.clone();
        s.lines = self
            .style
            .lines
            .iter()
            .map(|l| fill(l, &all))
            .collect::<Result<_, _>>()?;
        Ok(s)
    }
}

/// A new object of the appearance.
pub enum NewObject {
    Plain(Object),
    /// Dictionary (without /Length) and data as written.
    Stream(Dict, Vec<u8>),
}

/// What [`render`] made: the widget's place, its /AP /N form and the objects it uses.
pub struct Rendered {
    /// 0-based page index.
    pub page_index: usize,
    pub placement: Placement,
    pub form: ObjRef,
    pub objects: Vec<(ObjRef, NewObject)>,
}

/// Where a stamp went, for reports.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Placed {
    /// 1-based page number.
    pub page: usize,
    /// `[x0, y0, x1, y1]`, points.
    pub rect: [f64; 4],
    pub moved: Option<String>,
    pub lines: Vec<String>,
}

/// Draws `stamp` on a page of `pdf`, numbering its objects from `first_free`; the pixels of
/// `known` images are not decoded again to find where the page is free.
pub fn render<R: Read + Seek>(
    pdf: &mut PdfFile<R>,
    pages: &[ObjRef],
    stamp: &Stamp,
    first_free: u32,
    known: &[KnownImage],
) -> Result<Rendered, AppearanceError> {
    let page_index = match stamp.page {
        StampPage::First => 0,
        StampPage::Last => pages.len().saturating_sub(1),
    };
    let page = match pages.get(page_index).map(|r| pdf.get(*r)).transpose()? {
        Some(Object::Dict(d)) => d,
        _ => return Err(AppearanceError::NoPage(page_index + 1)),
    };
    let drawn = stream::draw(stamp)?;
    let area = occupied::page_box(pdf, &page)?;
    let mut occ = occupied::page_occupancy(pdf, &page, known)?;
    // /Rotate turns the page clockwise when shown (ISO 32000-1 Table 30): the corner is the
    // reader's, and the stamp is drawn turned back so that it reads upright.
    let rotate = occupied::inherited(pdf, &page, b"Rotate")?
        .and_then(|r| r.as_int())
        .unwrap_or(0)
        .rem_euclid(360);
    let turn = layout::Turn::new(if rotate % 90 == 0 { rotate } else { 0 }, area);
    let mut placement = layout::place(
        turn.shown_box(),
        drawn.width,
        drawn.height,
        stamp.corner,
        stamp.margin,
        &mut |r| occ.is_free(&turn.to_page(r)),
    );
    placement.rect = turn.to_page(&placement.rect);
    let mut next = first_free;
    let mut alloc = || {
        let r = ObjRef::new(next, 0);
        next += 1;
        r
    };
    let (form, objects) = form_objects(
        &drawn,
        stamp.seal.as_deref(),
        turn.form_matrix(),
        &mut alloc,
    );
    Ok(Rendered {
        page_index,
        placement,
        form,
        objects,
    })
}

/// The drawn stamp as a Form XObject (ISO 32000-1 §8.10) with its font (and seal) objects,
/// numbered by `alloc`; `matrix` turns the form where the page is shown turned.
fn form_objects(
    drawn: &stream::Drawn,
    seal: Option<&Seal>,
    matrix: Option<[i64; 6]>,
    alloc: &mut dyn FnMut() -> ObjRef,
) -> (ObjRef, Vec<(ObjRef, NewObject)>) {
    let mut objects = Vec::new();
    let form = alloc();
    let f = &drawn.font;
    let (t0, cidf, desc, prog, tu) = (alloc(), alloc(), alloc(), alloc(), alloc());
    let mut program = Dict::new();
    program.set(b"Length1", Object::Int(f.program.len() as i64));
    program.set(b"Filter", Object::name("FlateDecode"));
    objects.push((prog, NewObject::Stream(program, seal::deflate(&f.program))));
    let mut tud = Dict::new();
    tud.set(b"Filter", Object::name("FlateDecode"));
    objects.push((tu, NewObject::Stream(tud, seal::deflate(&f.to_unicode))));
    let mut d = f.descriptor.clone();
    d.set(b"FontFile2", Object::Ref(prog));
    objects.push((desc, NewObject::Plain(Object::Dict(d))));
    let mut c = f.cid_font.clone();
    c.set(b"FontDescriptor", Object::Ref(desc));
    objects.push((cidf, NewObject::Plain(Object::Dict(c))));
    let mut t = f.type0.clone();
    t.set(b"DescendantFonts", Object::Array(vec![Object::Ref(cidf)]));
    t.set(b"ToUnicode", Object::Ref(tu));
    objects.push((t0, NewObject::Plain(Object::Dict(t))));

    let mut resources = Dict::new();
    let mut fonts = Dict::new();
    fonts.set(b"F1", Object::Ref(t0));
    resources.set(b"Font", Object::Dict(fonts));
    if let Some(s) = seal {
        let ((mut img, data), mask) = s.xobjects();
        let im = alloc();
        if let Some((md, mdata)) = mask {
            let m = alloc();
            objects.push((m, NewObject::Stream(md, mdata)));
            img.set(b"SMask", Object::Ref(m));
        }
        objects.push((im, NewObject::Stream(img, data)));
        let mut xo = Dict::new();
        xo.set(b"Im1", Object::Ref(im));
        resources.set(b"XObject", Object::Dict(xo));
    }
    let mut fd = Dict::new();
    fd.set(b"Type", Object::name("XObject"));
    fd.set(b"Subtype", Object::name("Form"));
    fd.set(
        b"BBox",
        Object::Array(vec![
            Object::Int(0),
            Object::Int(0),
            Object::Real(drawn.width),
            Object::Real(drawn.height),
        ]),
    );
    fd.set(b"Resources", Object::Dict(resources));
    if let Some(m) = matrix {
        fd.set(
            b"Matrix",
            Object::Array(m.iter().map(|v| Object::Int(*v)).collect()),
        );
    }
    fd.set(b"Filter", Object::name("FlateDecode"));
    objects.push((form, NewObject::Stream(fd, seal::deflate(&drawn.content))));
    (form, objects)
}

/// Lines of text in one size as a Form XObject, for pages sohoa draws itself (the separator
/// and cover sheets of [`crate::classify::sheet`]): the same shaping, subset font and
/// ToUnicode map as a stamp, so `pdftotext` reads the text back.
pub struct TextForm {
    pub form: ObjRef,
    /// Points.
    pub width: f64,
    pub height: f64,
    pub objects: Vec<(ObjRef, NewObject)>,
}

/// Draws `lines` in `font` at `size` points, black, numbering the objects by `alloc`.
pub fn text_form(
    font: Arc<StampFont>,
    lines: Vec<String>,
    size: f64,
    alloc: &mut dyn FnMut() -> ObjRef,
) -> Result<TextForm, AppearanceError> {
    let stamp = Stamp {
        lines,
        font,
        seal: None,
        size,
        color: [0.0; 3],
        corner: Corner::TopLeft,
        page: StampPage::First,
        margin: 0.0,
        border: false,
    };
    let drawn = stream::draw(&stamp)?;
    let (form, objects) = form_objects(&drawn, None, None, alloc);
    Ok(TextForm {
        form,
        width: drawn.width,
        height: drawn.height,
        objects,
    })
}

/// Fills `{name}`-style fields of a template line from `values`; an unknown field is an error
/// naming it, so a typo in config.toml does not print braces on every paper.
pub fn fill(template: &str, values: &[(&str, String)]) -> Result<String, AppearanceError> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            return Err(AppearanceError::Template(format!(
                "\"{template}\" has a {{ without its }}"
            )));
        };
        let key = &after[..close];
        match values.iter().find(|(k, _)| *k == key) {
            Some((_, v)) => out.push_str(v),
            None => {
                let known: Vec<&str> = values.iter().map(|(k, _)| *k).collect();
                return Err(AppearanceError::Template(format!(
                    "\"{template}\" names {{{key}}}; known here: {}",
                    known.join(", ")
                )));
            }
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_fields_are_filled_and_an_unknown_one_is_named() {
        let v = [
            ("name", "Nguyễn Văn A".to_string()),
            ("time", "T".to_string()),
        ];
        assert_eq!(
            fill("Ký bởi: {name} lúc {time}", &v).unwrap(),
            "Ký bởi: Nguyễn Văn A lúc T"
        );
        let e = fill("{nmae}", &v).unwrap_err().to_string();
        assert!(e.contains("{nmae}") && e.contains("name, time"), "{e}");
        assert!(fill("{name", &v).is_err());
    }
}
