//! Stage `sign`, visible stamps, what a page shows: the content-stream walk (graphics state,
//! text positioning and showing, paths, XObjects, inline images; ISO 32000-1 §8.4, §9.4),
//! marking what each operator draws in the [`Occupancy`] grid. Bounded in operators and bytes.

use std::io::{Read, Seek};
use std::rc::Rc;

use crate::pdf::content::font::Font;
pub(super) use crate::pdf::content::matrix::{apply, Matrix, IDENTITY};
use crate::pdf::content::matrix::{mul, translate};
use crate::pdf::content::ops::Ops;
use crate::pdf::{Dict, Object, PdfError, PdfFile};

use super::super::layout::Rect;
use super::{Occupancy, MAX_CONTENT_BYTES, MAX_OPS, SCAN_SHARE};

/// CMap entries read for the fonts of one page, at most.
pub(super) const CMAP_BUDGET: usize = 200_000;

/// The page-space box of the rectangle `(x0,y0)-(x1,y1)` under `m`.
pub(super) fn bbox(m: &Matrix, x0: f64, y0: f64, x1: f64, y1: f64) -> Rect {
    let pts = [
        apply(m, x0, y0),
        apply(m, x1, y0),
        apply(m, x0, y1),
        apply(m, x1, y1),
    ];
    let (mut a, mut b, mut c, mut d) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for (x, y) in pts {
        a = a.min(x);
        b = b.min(y);
        c = c.max(x);
        d = d.max(y);
    }
    Rect::new(a, b, c, d)
}

/// One page's walk: the grid it marks and what it has read so far.
pub(super) struct Walker<'o> {
    pub(super) occ: &'o mut Occupancy,
    pub(super) page: Rect,
    pub(super) ops: usize,
    /// Content bytes read so far (forms drawn many times count each time).
    pub(super) bytes: usize,
    /// CMap entries the page's fonts may still read.
    pub(super) cmap_left: usize,
    /// Images whose pixels are known without decoding them.
    pub(super) known: &'o [super::KnownImage],
}

#[derive(Clone)]
struct TextState {
    size: f64,
    scale: f64,
    leading: f64,
    rise: f64,
    font: Option<Rc<Font>>,
}

impl Walker<'_> {
    pub(super) fn walk<R: Read + Seek>(
        &mut self,
        pdf: &mut PdfFile<R>,
        content: &[u8],
        resources: &Dict,
        base: Matrix,
        depth: usize,
    ) -> Result<(), PdfError> {
        let fonts = sub_dict(pdf, resources, b"Font")?;
        let xobjects = sub_dict(pdf, resources, b"XObject")?;
        let mut loaded: std::collections::HashMap<Vec<u8>, Option<Rc<Font>>> = Default::default();
        let mut ctm = base;
        let mut stack: Vec<(Matrix, TextState)> = Vec::new();
        let mut ts = TextState {
            size: 0.0,
            scale: 1.0,
            leading: 0.0,
            rise: 0.0,
            font: None,
        };
        let (mut tm, mut tlm) = (IDENTITY, IDENTITY);
        let mut path: Option<Rect> = None;
        let mut args: Vec<Object> = Vec::new();
        let mut ops = Ops::new(content);
        while let Some(op) = ops.next_operator(&mut args, 64) {
            self.ops += 1;
            if self.ops > MAX_OPS {
                self.occ.mark(&self.page);
                return Ok(());
            }
            let num = |i: usize| -> f64 {
                args.get(i)
                    .and_then(Object::as_number)
                    .filter(|v| v.is_finite())
                    .unwrap_or(0.0)
            };
            let six = || [num(0), num(1), num(2), num(3), num(4), num(5)];
            match op {
                b"q" if stack.len() < 64 => stack.push((ctm, ts.clone())),
                b"Q" => {
                    if let Some((m, t)) = stack.pop() {
                        ctm = m;
                        ts = t;
                    }
                }
                b"cm" if args.len() == 6 => ctm = mul(&six(), &ctm),
                b"BT" => {
                    tm = IDENTITY;
                    tlm = IDENTITY;
                }
                b"Tf" if args.len() == 2 => {
                    ts.size = num(1);
                    ts.font = match args[0].as_name() {
                        Some(n) => match loaded.get(n) {
                            Some(f) => f.clone(),
                            None => {
                                let f = self.font(pdf, fonts.get(n))?;
                                if loaded.len() < 4096 {
                                    loaded.insert(n.to_vec(), f.clone());
                                }
                                f
                            }
                        },
                        None => None,
                    };
                }
                b"Tz" if args.len() == 1 => ts.scale = num(0) / 100.0,
                b"TL" if args.len() == 1 => ts.leading = num(0),
                b"Ts" if args.len() == 1 => ts.rise = num(0),
                b"Td" | b"TD" if args.len() == 2 => {
                    if op == b"TD" {
                        ts.leading = -num(1);
                    }
                    tlm = mul(&translate(num(0), num(1)), &tlm);
                    tm = tlm;
                }
                b"Tm" if args.len() == 6 => {
                    tlm = six();
                    tm = tlm;
                }
                b"T*" => {
                    tlm = mul(&translate(0.0, -ts.leading), &tlm);
                    tm = tlm;
                }
                b"Tj" | b"'" | b"\"" | b"TJ" => {
                    if op != b"Tj" && op != b"TJ" {
                        tlm = mul(&translate(0.0, -ts.leading), &tlm);
                        tm = tlm;
                    }
                    if let Some(s) = args.last().and_then(shown_bytes) {
                        let width = text_width(&ts, &s);
                        let m = mul(&tm, &ctm);
                        let (lo, hi) = (-0.25 * ts.size + ts.rise, 0.85 * ts.size + ts.rise);
                        let r = bbox(&m, 0.0, lo, width, hi);
                        if r.area() > 0.0 && r.area() < self.page.area() {
                            self.occ.mark(&r);
                        }
                        tm = mul(&translate(width, 0.0), &tm);
                    }
                }
                b"m" | b"l" if args.len() == 2 => {
                    let (x, y) = apply(&ctm, num(0), num(1));
                    path = Some(add_point(path, x, y));
                }
                b"c" | b"v" | b"y" if args.len() >= 4 => {
                    let n = args.len();
                    let (x, y) = apply(&ctm, num(n - 2), num(n - 1));
                    let (x2, y2) = apply(&ctm, num(0), num(1));
                    path = Some(add_point(Some(add_point(path, x, y)), x2, y2));
                }
                b"re" if args.len() == 4 => {
                    let r = bbox(&ctm, num(0), num(1), num(0) + num(2), num(1) + num(3));
                    path = Some(add_point(Some(add_point(path, r.x0, r.y0)), r.x1, r.y1));
                }
                b"S" | b"s" | b"f" | b"F" | b"f*" | b"B" | b"B*" | b"b" | b"b*" => {
                    if let Some(r) = path.take() {
                        // A fill of the whole page is a background, not content.
                        if r.grow(0.5).area() < 0.9 * self.page.area() {
                            self.occ.mark(&r.grow(0.5));
                        }
                    }
                }
                b"n" => path = None,
                b"Do" => {
                    if let Some(n) = args.first().and_then(Object::as_name) {
                        if let Some(x) = xobjects.get(n).cloned() {
                            self.xobject(pdf, &x, ctm, depth)?;
                        }
                    }
                }
                b"BI" => {
                    // Inline image: its unit square is taken; its data is skipped to EI.
                    self.occ.mark(&bbox(&ctm, 0.0, 0.0, 1.0, 1.0));
                    ops.skip_inline_image();
                }
                _ => {}
            }
            args.clear();
        }
        Ok(())
    }

    fn xobject<R: Read + Seek>(
        &mut self,
        pdf: &mut PdfFile<R>,
        x: &Object,
        ctm: Matrix,
        depth: usize,
    ) -> Result<(), PdfError> {
        let Object::Stream(s) = pdf.resolve(x)? else {
            return Ok(());
        };
        match s.dict.name(b"Subtype") {
            Some(b"Image") => {
                let r = bbox(&ctm, 0.0, 0.0, 1.0, 1.0);
                if r.area() >= SCAN_SHARE * self.page.area() && self.ink(pdf, &s, &ctm)? {
                    return Ok(());
                }
                self.occ.mark(&r);
            }
            Some(b"Form") => {
                let m = match s.dict.get(b"Matrix").map(|m| pdf.resolve(m)).transpose()? {
                    Some(Object::Array(a)) if a.len() == 6 => {
                        let v: Vec<f64> = a.iter().map(|o| o.as_number().unwrap_or(0.0)).collect();
                        [v[0], v[1], v[2], v[3], v[4], v[5]]
                    }
                    _ => IDENTITY,
                };
                let m = mul(&m, &ctm);
                if depth < 4 {
                    let res = match s
                        .dict
                        .get(b"Resources")
                        .map(|r| pdf.resolve(r))
                        .transpose()?
                    {
                        Some(Object::Dict(d)) => d,
                        _ => Dict::new(),
                    };
                    let data = pdf.stream_decoded(&s)?;
                    self.bytes = self.bytes.saturating_add(data.len());
                    if self.bytes > MAX_CONTENT_BYTES {
                        self.occ.mark(&self.page.clone());
                        return Ok(());
                    }
                    self.walk(pdf, &data, &res, m, depth + 1)?;
                } else {
                    self.occ.mark(&self.page.clone());
                }
            }
            _ => {}
        }
        Ok(())
    }
}

fn add_point(r: Option<Rect>, x: f64, y: f64) -> Rect {
    match r {
        Some(r) => Rect::new(r.x0.min(x), r.y0.min(y), r.x1.max(x), r.y1.max(y)),
        None => Rect::new(x, y, x, y),
    }
}

fn sub_dict<R: Read + Seek>(
    pdf: &mut PdfFile<R>,
    res: &Dict,
    key: &[u8],
) -> Result<std::collections::HashMap<Vec<u8>, Object>, PdfError> {
    let mut out = std::collections::HashMap::new();
    if let Some(d) = pdf.get_dict(res.get(key).unwrap_or(&Object::Null))? {
        for (k, v) in d.iter().take(10_000) {
            out.insert(k.to_vec(), v.clone());
        }
    }
    Ok(out)
}

/// The bytes a show operator's last operand shows: a string, or a TJ array's strings (its
/// position adjustments left out: small next to the glyphs, the box is wide enough).
fn shown_bytes(o: &Object) -> Option<Vec<u8>> {
    match o {
        Object::String(s) => Some(s.clone()),
        Object::Array(a) => Some(
            a.iter()
                .filter_map(Object::as_string)
                .flat_map(|s| s.iter().copied())
                .collect(),
        ),
        _ => None,
    }
}

/// The width in text space of `s` shown in the current font (0.5 em per byte without one).
fn text_width(ts: &TextState, s: &[u8]) -> f64 {
    let em: f64 = match &ts.font {
        Some(f) => f.decode(s).iter().map(|c| c.width).sum(),
        None => 0.5 * s.len() as f64,
    };
    em * ts.size * ts.scale
}

impl Walker<'_> {
    /// The font a resource names (None: absent or damaged; its text still takes a box).
    fn font<R: Read + Seek>(
        &mut self,
        pdf: &mut PdfFile<R>,
        o: Option<&Object>,
    ) -> Result<Option<Rc<Font>>, PdfError> {
        let Some(d) = o.map(|o| pdf.get_dict(o)).transpose()?.flatten() else {
            return Ok(None);
        };
        Ok(Font::load(pdf, &d, &mut self.cmap_left).ok().map(Rc::new))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_width_without_a_font_is_half_an_em_per_byte_scaled() {
        let ts = TextState {
            size: 10.0,
            scale: 0.5,
            leading: 0.0,
            rise: 0.0,
            font: None,
        };
        assert!((text_width(&ts, b"ABCD") - 10.0).abs() < 1e-9);
        let tj = Object::Array(vec![
            Object::String(b"AB".to_vec()),
            Object::Int(-250),
            Object::String(b"C".to_vec()),
        ]);
        assert_eq!(shown_bytes(&tj).unwrap(), b"ABC");
    }
}
