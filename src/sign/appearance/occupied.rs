//! Stage `sign`, visible stamps: what a page already shows, so a stamp does not cover it. Reads
//! the page's content (ISO 32000-1 §8, §9): text runs (the OCR layer of a scan included),
//! painted paths, images (a scan's own ink, found from its pixels), form XObjects, inline
//! images and the widgets already there, into a grid of taken cells over the page.

use std::io::{Read, Seek};

use crate::pdf::lexer::{Lexer, Token};
use crate::pdf::{Dict, Object, PdfError, PdfFile};

use super::layout::Rect;

/// Cell of the grid, points (larger on pages too large for 1,500 cells a side).
const CELL: f64 = 2.0;
const MAX_CELLS_PER_SIDE: f64 = 1500.0;
/// Operators read per page at most (a page past it counts as taken where unread).
const MAX_OPS: usize = 2_000_000;
/// Most content bytes (page and forms) read per page.
const MAX_CONTENT_BYTES: usize = 256 << 20;
/// Largest image whose pixels are read (more: its whole box is taken).
const MAX_INK_PIXELS: u64 = 40_000_000;
/// A pixel is ink below this luminance (0–255): scans' paper is 200 and up.
const INK_LUMA: u8 = 150;
/// An image covering this share of the page is a scan: its pixels are read, not its box.
const SCAN_SHARE: f64 = 0.5;

/// Taken cells over the page, with running sums for constant-time rectangle queries.
pub struct Occupancy {
    page: Rect,
    cell: f64,
    cols: usize,
    rows: usize,
    marks: Vec<u32>,
    sums: Vec<u32>,
}

type Matrix = [f64; 6];
const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

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

fn apply(m: &Matrix, x: f64, y: f64) -> (f64, f64) {
    (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])
}

/// The page-space box of the rectangle `(x0,y0)-(x1,y1)` under `m`.
fn bbox(m: &Matrix, x0: f64, y0: f64, x1: f64, y1: f64) -> Rect {
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

impl Occupancy {
    pub fn new(page: Rect) -> Self {
        let side = page.width().max(page.height());
        let cell = if side.is_finite() {
            CELL.max(side / MAX_CELLS_PER_SIDE)
        } else {
            CELL
        };
        let cols =
            ((page.width() / cell).ceil().max(1.0) as usize).min(MAX_CELLS_PER_SIDE as usize + 1);
        let rows =
            ((page.height() / cell).ceil().max(1.0) as usize).min(MAX_CELLS_PER_SIDE as usize + 1);
        Self {
            page,
            cell,
            cols,
            rows,
            marks: vec![0; cols * rows],
            sums: Vec::new(),
        }
    }

    fn cell_range(&self, r: &Rect) -> Option<(usize, usize, usize, usize)> {
        let c0 = ((r.x0 - self.page.x0) / self.cell).floor();
        let c1 = ((r.x1 - self.page.x0) / self.cell).ceil();
        let r0 = ((r.y0 - self.page.y0) / self.cell).floor();
        let r1 = ((r.y1 - self.page.y0) / self.cell).ceil();
        if !(c0.is_finite() && c1.is_finite() && r0.is_finite() && r1.is_finite()) {
            return None;
        }
        let clamp = |v: f64, n: usize| v.clamp(0.0, n as f64) as usize;
        let (c0, c1) = (clamp(c0, self.cols), clamp(c1, self.cols));
        let (r0, r1) = (clamp(r0, self.rows), clamp(r1, self.rows));
        (c0 < c1 && r0 < r1).then_some((c0, c1, r0, r1))
    }

    /// Marks every cell `r` touches as taken.
    pub fn mark(&mut self, r: &Rect) {
        if let Some((c0, c1, r0, r1)) = self.cell_range(r) {
            for row in r0..r1 {
                for col in c0..c1 {
                    self.marks[row * self.cols + col] = 1;
                }
            }
            self.sums.clear();
        }
    }

    fn mark_point(&mut self, x: f64, y: f64, weight: u32) {
        let col = (x - self.page.x0) / self.cell;
        let row = (y - self.page.y0) / self.cell;
        if col >= 0.0 && row >= 0.0 && (col as usize) < self.cols && (row as usize) < self.rows {
            let i = row as usize * self.cols + col as usize;
            self.marks[i] = self.marks[i].saturating_add(weight);
        }
    }

    fn finish_counts(&mut self, threshold: u32, from: &[u32]) {
        for (m, &before) in self.marks.iter_mut().zip(from) {
            let added = m.saturating_sub(before);
            *m = u32::from(before > 0 || added >= threshold);
        }
        self.sums.clear();
    }

    fn build_sums(&mut self) {
        let (w, h) = (self.cols + 1, self.rows + 1);
        let mut s = vec![0u32; w * h];
        for r in 0..self.rows {
            for c in 0..self.cols {
                let v = u32::from(self.marks[r * self.cols + c] > 0);
                s[(r + 1) * w + c + 1] = v + s[r * w + c + 1] + s[(r + 1) * w + c] - s[r * w + c];
            }
        }
        self.sums = s;
    }

    /// Does `r` cover no taken cell? Outside the page counts as free (the caller keeps
    /// stamps inside).
    pub fn is_free(&mut self, r: &Rect) -> bool {
        if self.sums.is_empty() {
            self.build_sums();
        }
        let Some((c0, c1, r0, r1)) = self.cell_range(r) else {
            return true;
        };
        let w = self.cols + 1;
        let s = &self.sums;
        s[r1 * w + c1] + s[r0 * w + c0] - s[r0 * w + c1] - s[r1 * w + c0] == 0
    }

    /// Share of the page taken (0–1), for reports and tests.
    pub fn taken_share(&self) -> f64 {
        self.marks.iter().filter(|&&m| m > 0).count() as f64 / self.marks.len().max(1) as f64
    }
}

/// A page attribute, inherited from the page tree (ISO 32000-1 §7.7.3.4), bounded.
pub(crate) fn inherited<R: Read + Seek>(
    pdf: &mut PdfFile<R>,
    page: &Dict,
    key: &[u8],
) -> Result<Option<Object>, PdfError> {
    let mut d = page.clone();
    for _ in 0..32 {
        if let Some(v) = d.get(key) {
            return Ok(Some(pdf.resolve(v)?));
        }
        match d.get(b"Parent").cloned() {
            Some(p) => match pdf.get_dict(&p)? {
                Some(next) => d = next,
                None => return Ok(None),
            },
            None => return Ok(None),
        }
    }
    Ok(None)
}

/// The page's visible box: /CropBox within /MediaBox (A4 when absent or malformed).
pub(crate) fn page_box<R: Read + Seek>(
    pdf: &mut PdfFile<R>,
    page: &Dict,
) -> Result<Rect, PdfError> {
    let read = |o: Option<Object>| -> Option<Rect> {
        let a = o?;
        let a = a.as_array()?;
        let n: Vec<f64> = a.iter().filter_map(Object::as_number).collect();
        (n.len() == 4).then(|| Rect::new(n[0], n[1], n[2], n[3]))
    };
    let media =
        read(inherited(pdf, page, b"MediaBox")?).unwrap_or(Rect::new(0.0, 0.0, 595.0, 842.0));
    Ok(match read(inherited(pdf, page, b"CropBox")?) {
        Some(c) => Rect::new(
            c.x0.max(media.x0),
            c.y0.max(media.y0),
            c.x1.min(media.x1),
            c.y1.min(media.y1),
        ),
        None => media,
    })
}

/// What `page` shows, as taken cells.
pub fn page_occupancy<R: Read + Seek>(
    pdf: &mut PdfFile<R>,
    page: &Dict,
) -> Result<Occupancy, PdfError> {
    let area = page_box(pdf, page)?;
    let mut occ = Occupancy::new(area);
    let resources = match inherited(pdf, page, b"Resources")? {
        Some(Object::Dict(d)) => d,
        _ => Dict::new(),
    };
    let mut content = Vec::new();
    let streams = match page.get(b"Contents").map(|c| pdf.resolve(c)).transpose()? {
        Some(Object::Array(a)) => a,
        Some(o) => vec![o],
        None => Vec::new(),
    };
    for s in streams {
        if let Object::Stream(s) = pdf.resolve(&s)? {
            content.extend_from_slice(&pdf.stream_decoded(&s)?);
            content.push(b'\n');
        }
    }
    let mut w = Walker {
        occ: &mut occ,
        page: area,
        ops: 0,
        bytes: content.len(),
    };
    w.walk(pdf, &content, &resources, IDENTITY, 0)?;
    // The widgets (earlier stamps) already on the page.
    if let Some(Object::Array(annots)) = page.get(b"Annots").map(|a| pdf.resolve(a)).transpose()? {
        for a in annots.iter().take(10_000) {
            let Some(d) = pdf.get_dict(a)? else { continue };
            let Some(r) = d.get(b"Rect").map(|r| pdf.resolve(r)).transpose()? else {
                continue;
            };
            let n: Vec<f64> = r
                .as_array()
                .unwrap_or(&[])
                .iter()
                .filter_map(Object::as_number)
                .collect();
            if n.len() == 4 {
                let r = Rect::new(n[0], n[1], n[2], n[3]);
                if r.area() > 0.0 {
                    occ.mark(&r);
                }
            }
        }
    }
    Ok(occ)
}

struct Walker<'o> {
    occ: &'o mut Occupancy,
    page: Rect,
    ops: usize,
    /// Content bytes read so far (forms drawn many times count each time).
    bytes: usize,
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
    fn walk<R: Read + Seek>(
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
                        let width = text_width(&ts, s, op == b"TJ");
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

    /// Marks the cells where a page-sized image has ink; false when its pixels cannot be read
    /// here (then the caller takes its whole box).
    fn ink<R: Read + Seek>(
        &mut self,
        pdf: &mut PdfFile<R>,
        s: &crate::pdf::object::Stream,
        ctm: &Matrix,
    ) -> Result<bool, PdfError> {
        let (w, h) = (
            s.dict.int(b"Width").unwrap_or(0),
            s.dict.int(b"Height").unwrap_or(0),
        );
        if w <= 0 || h <= 0 || (w as u64) * (h as u64) > MAX_INK_PIXELS {
            return Ok(false);
        }
        let (w, h) = (w as usize, h as usize);
        let filter = match s.dict.get(b"Filter").map(|f| pdf.resolve(f)).transpose()? {
            Some(Object::Name(n)) => Some(n),
            Some(Object::Array(a)) if a.len() == 1 => a[0].as_name().map(<[u8]>::to_vec),
            None => None,
            _ => return Ok(false),
        };
        let luma: Vec<u8> = match filter.as_deref() {
            Some(b"DCTDecode") | Some(b"DCT") => {
                let raw = pdf.stream_raw(s)?;
                let Ok(img) = image::load_from_memory_with_format(&raw, image::ImageFormat::Jpeg)
                else {
                    return Ok(false);
                };
                if img.width() as usize != w || img.height() as usize != h {
                    return Ok(false);
                }
                img.to_luma8().into_raw()
            }
            None | Some(b"FlateDecode") | Some(b"Fl") => {
                let bpc = s.dict.int(b"BitsPerComponent").unwrap_or(8);
                let comps = match s
                    .dict
                    .get(b"ColorSpace")
                    .map(|c| pdf.resolve(c))
                    .transpose()?
                {
                    Some(Object::Name(n)) if n == b"DeviceGray" || n == b"G" => 1,
                    Some(Object::Name(n)) if n == b"DeviceRGB" || n == b"RGB" => 3,
                    _ => return Ok(false),
                };
                let Ok(data) = pdf.stream_decoded(s) else {
                    return Ok(false);
                };
                match (bpc, comps) {
                    (8, c) if data.len() >= w * h * c => data
                        .chunks_exact(c)
                        .take(w * h)
                        .map(|p| match p {
                            [g] => *g,
                            [r, g, b] => {
                                ((u16::from(*r) * 3 + u16::from(*g) * 6 + u16::from(*b)) / 10) as u8
                            }
                            _ => 255,
                        })
                        .collect(),
                    (1, 1) => {
                        let stride = w.div_ceil(8);
                        if data.len() < stride * h {
                            return Ok(false);
                        }
                        let mut out = Vec::with_capacity(w * h);
                        for y in 0..h {
                            for x in 0..w {
                                let bit = data[y * stride + x / 8] >> (7 - x % 8) & 1;
                                out.push(if bit == 1 { 255 } else { 0 });
                            }
                        }
                        out
                    }
                    _ => return Ok(false),
                }
            }
            _ => return Ok(false),
        };
        // Image space: the unit square, row 0 at the top (ISO 32000-1 §8.9.4).
        let before = self.occ.marks.clone();
        let (sx, sy) = (1.0 / w as f64, 1.0 / h as f64);
        // One pixel in page space, for the count a cell needs to be ink, not dust.
        let px_area = bbox(ctm, 0.0, 0.0, sx, sy).area().max(1e-6);
        let per_cell = (self.occ.cell * self.occ.cell / px_area).max(1.0);
        let threshold = ((per_cell * 0.02).ceil() as u32)
            .max(3)
            .min(per_cell.ceil() as u32);
        for y in 0..h {
            let row = &luma[y * w..(y + 1) * w];
            for (x, &v) in row.iter().enumerate() {
                if v < INK_LUMA {
                    let (px, py) = apply(ctm, (x as f64 + 0.5) * sx, 1.0 - (y as f64 + 0.5) * sy);
                    self.occ.mark_point(px, py, 1);
                }
            }
        }
        self.occ.finish_counts(threshold, &before);
        Ok(true)
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

/// A TJ array as one string of codes, with each adjustment written as a marker run: the
/// adjustments are small next to the glyphs, and ignoring them only widens the box.
fn encode_tj(items: &[Token]) -> Vec<u8> {
    let mut out = Vec::new();
    for t in items {
        if let Token::String(s) = t {
            out.extend_from_slice(s);
        }
    }
    out
}

fn text_width(ts: &TextState, s: &[u8], _tj: bool) -> f64 {
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
    fn marked_cells_make_a_rectangle_taken_and_its_neighbours_free() {
        let mut o = Occupancy::new(Rect::new(0.0, 0.0, 595.0, 842.0));
        o.mark(&Rect::new(100.0, 700.0, 300.0, 720.0));
        assert!(!o.is_free(&Rect::new(150.0, 705.0, 160.0, 710.0)));
        assert!(!o.is_free(&Rect::new(0.0, 0.0, 595.0, 842.0)));
        assert!(o.is_free(&Rect::new(100.0, 730.0, 300.0, 760.0)));
        assert!(o.is_free(&Rect::new(310.0, 700.0, 400.0, 720.0)));
        assert!(o.taken_share() > 0.0 && o.taken_share() < 0.02);
    }

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
        assert!((text_width(&ts, b"AB", false) - 11.0).abs() < 1e-9);
    }
}
