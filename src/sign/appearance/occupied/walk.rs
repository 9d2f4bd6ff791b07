//! Stage `sign`, visible stamps, what a page shows: the content-stream walk (graphics state,
//! text positioning and showing, paths, XObjects, inline images; ISO 32000-1 §8.4, §9.4),
//! marking what each operator draws in the [`Occupancy`] grid. Bounded in operators and bytes.

use std::io::{Read, Seek};

use crate::pdf::lexer::{Lexer, Token};
use crate::pdf::{Dict, Object, PdfError, PdfFile};

use super::super::layout::Rect;
use super::{Occupancy, MAX_CONTENT_BYTES, MAX_OPS, SCAN_SHARE};

pub(super) type Matrix = [f64; 6];
pub(super) const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

fn mul(a: &Matrix, b: &Matrix) -> Matrix {
    [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]
}

pub(super) fn apply(m: &Matrix, x: f64, y: f64) -> (f64, f64) {
    (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])
}

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
}

#[derive(Clone)]
struct TextState {
    size: f64,
    scale: f64,
    leading: f64,
    rise: f64,
    two_byte: bool,
    widths: Option<(i64, Vec<f64>)>,
    default_width: f64,
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
        let mut ctm = base;
        let mut stack: Vec<(Matrix, TextState)> = Vec::new();
        let mut ts = TextState {
            size: 0.0,
            scale: 1.0,
            leading: 0.0,
            rise: 0.0,
            two_byte: false,
            widths: None,
            default_width: 500.0,
        };
        let (mut tm, mut tlm) = (IDENTITY, IDENTITY);
        let mut path: Option<Rect> = None;
        let mut args: Vec<Token> = Vec::new();
        let mut lx = Lexer::new(content, 0, false);
        loop {
            let at = lx.pos();
            let tok = match lx.next_token() {
                Ok(Some(t)) => t,
                Ok(None) => break,
                Err(_) => {
                    lx.set_pos(at + 1);
                    args.clear();
                    continue;
                }
            };
            let op = match tok {
                Token::Keyword(k) => k,
                Token::ArrayOpen => {
                    // A TJ array: collected as one argument.
                    let mut items = Vec::new();
                    while let Ok(Some(t)) = lx.next_token() {
                        match t {
                            Token::ArrayClose => break,
                            t => items.push(t),
                        }
                        if items.len() > 100_000 {
                            break;
                        }
                    }
                    args.push(Token::String(encode_tj(&items)));
                    continue;
                }
                t => {
                    if args.len() < 64 {
                        args.push(t);
                    }
                    continue;
                }
            };
            self.ops += 1;
            if self.ops > MAX_OPS {
                self.occ.mark(&self.page);
                return Ok(());
            }
            let num = |i: usize| -> f64 {
                match args.get(i) {
                    Some(Token::Int(v)) => *v as f64,
                    Some(Token::Real(v)) => *v,
                    _ => 0.0,
                }
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
                    let font = match &args[0] {
                        Token::Name(n) => match fonts.get(n) {
                            Some(f) => pdf.get_dict(f)?,
                            None => None,
                        },
                        _ => None,
                    };
                    set_font(pdf, &mut ts, font.as_ref())?;
                }
                b"Tz" if args.len() == 1 => ts.scale = num(0) / 100.0,
                b"TL" if args.len() == 1 => ts.leading = num(0),
                b"Ts" if args.len() == 1 => ts.rise = num(0),
                b"Td" | b"TD" if args.len() == 2 => {
                    if op == b"TD" {
                        ts.leading = -num(1);
                    }
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, num(0), num(1)], &tlm);
                    tm = tlm;
                }
                b"Tm" if args.len() == 6 => {
                    tlm = six();
                    tm = tlm;
                }
                b"T*" => {
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -ts.leading], &tlm);
                    tm = tlm;
                }
                b"Tj" | b"'" | b"\"" | b"TJ" => {
                    if op != b"Tj" && op != b"TJ" {
                        tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -ts.leading], &tlm);
                        tm = tlm;
                    }
                    if let Some(Token::String(s)) = args.last() {
                        let width = text_width(&ts, s);
                        let m = mul(&tm, &ctm);
                        let (lo, hi) = (-0.25 * ts.size + ts.rise, 0.85 * ts.size + ts.rise);
                        let r = bbox(&m, 0.0, lo, width, hi);
                        if r.area() > 0.0 && r.area() < self.page.area() {
                            self.occ.mark(&r);
                        }
                        tm = mul(&[1.0, 0.0, 0.0, 1.0, width, 0.0], &tm);
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
                    if let Some(Token::Name(n)) = args.first() {
                        if let Some(x) = xobjects.get(n).cloned() {
                            self.xobject(pdf, &x, ctm, depth)?;
                        }
                    }
                }
                b"BI" => {
                    // Inline image: its unit square is taken; its data is skipped to EI.
                    self.occ.mark(&bbox(&ctm, 0.0, 0.0, 1.0, 1.0));
                    let rest = &content[lx.pos().min(content.len())..];
                    let skip = rest
                        .windows(4)
                        .position(|w| {
                            w[0].is_ascii_whitespace()
                                && &w[1..3] == b"EI"
                                && (w[3].is_ascii_whitespace())
                        })
                        .map(|p| p + 4)
                        .unwrap_or(rest.len());
                    lx.set_pos(lx.pos() + skip);
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

/// The font's code width and widths, for text boxes: simple fonts by /Widths, Type0 by their
/// descendant's /DW (and /W when given as `c [w …]`).
fn set_font<R: Read + Seek>(
    pdf: &mut PdfFile<R>,
    ts: &mut TextState,
    font: Option<&Dict>,
) -> Result<(), PdfError> {
    ts.two_byte = false;
    ts.widths = None;
    ts.default_width = 500.0;
    let Some(f) = font else { return Ok(()) };
    if f.name(b"Subtype") == Some(b"Type0") {
        ts.two_byte = true;
        if let Some(Object::Array(d)) = f
            .get(b"DescendantFonts")
            .map(|d| pdf.resolve(d))
            .transpose()?
        {
            if let Some(cf) = d.first().map(|c| pdf.get_dict(c)).transpose()?.flatten() {
                ts.default_width = cf.get(b"DW").and_then(Object::as_number).unwrap_or(1000.0);
                if let Some(Object::Array(w)) = cf.get(b"W").map(|w| pdf.resolve(w)).transpose()? {
                    if let [Object::Int(first), Object::Array(ws)] = w.as_slice() {
                        let ws = ws
                            .iter()
                            .take(65_536)
                            .map(|v| v.as_number().unwrap_or(0.0))
                            .collect();
                        ts.widths = Some((*first, ws));
                    }
                }
            }
        }
    } else {
        let first = f.int(b"FirstChar").unwrap_or(0);
        if let Some(Object::Array(ws)) = f.get(b"Widths").map(|w| pdf.resolve(w)).transpose()? {
            let ws = ws
                .iter()
                .take(256)
                .map(|v| v.as_number().unwrap_or(0.0))
                .collect();
            ts.widths = Some((first, ws));
        }
    }
    Ok(())
}

/// A TJ array as one string of its codes; its position adjustments are left out (small next
/// to the glyphs; a box from the codes alone is wide enough for a margin check).
fn encode_tj(items: &[Token]) -> Vec<u8> {
    let mut out = Vec::new();
    for t in items {
        if let Token::String(s) = t {
            out.extend_from_slice(s);
        }
    }
    out
}

fn text_width(ts: &TextState, s: &[u8]) -> f64 {
    let code_width = |code: i64| -> f64 {
        match &ts.widths {
            Some((first, ws)) => code
                .checked_sub(*first)
                .and_then(|i| usize::try_from(i).ok())
                .and_then(|i| ws.get(i).copied())
                .unwrap_or(ts.default_width),
            None => ts.default_width,
        }
    };
    let total: f64 = if ts.two_byte {
        s.chunks(2)
            .map(|c| {
                code_width(i64::from(u16::from_be_bytes([
                    c[0],
                    *c.get(1).unwrap_or(&0),
                ])))
            })
            .sum()
    } else {
        s.iter().map(|&b| code_width(i64::from(b))).sum()
    };
    total / 1000.0 * ts.size * ts.scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_width_follows_the_font_widths_and_scaling() {
        let ts = TextState {
            size: 10.0,
            scale: 1.0,
            leading: 0.0,
            rise: 0.0,
            two_byte: false,
            widths: Some((65, vec![600.0, 500.0])),
            default_width: 500.0,
        };
        assert!((text_width(&ts, b"AB") - 11.0).abs() < 1e-9);
    }
}
