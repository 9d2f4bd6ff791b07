//! Stage `decode`, text layer: the words a PDF page already carries (a born-digital page, or the
//! invisible OCR layer `digitize` writes), with their boxes, for `classify` — read instead of
//! OCR. A bounded interpreter of the text operators of a page's content (ISO 32000-1 §9.4 text
//! objects, §9.3 text state, §8.4 graphics state, §8.10 Form XObjects) over the lazy `pdf`
//! reader; fonts in `font` (ToUnicode `cmap`, Latin `encodings`), operands and operators from
//! `ops`.
//!
//! Not supported: vertical writing (Identity-V and other vertical CMaps are read as
//! horizontal), Type3 glyph procedures (only their widths and `/FontMatrix`), predefined CJK
//! CMaps (codes are taken as 2 bytes), text in annotations' appearance streams; rotated or
//! skewed text is boxed by its axis-aligned bounds and grouped by its baseline's y.

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::io::{Read, Seek};
use std::path::Path;
use std::rc::Rc;

use unicode_normalization::UnicodeNormalization;

use super::error::{DecodeError, Location};
use super::pdf_page::{content_bytes, page_info, pdf_err};
use crate::pdf::content::font::{Font, FontError};
use crate::pdf::content::matrix::{apply, mul, translate, Matrix as M, IDENTITY};
use crate::pdf::content::ops::{Item, Ops};
use crate::pdf::{Dict, ObjRef, Object, PdfError, PdfFile};

/// One word of a page's text layer, NFC, with its box `[x0, y0, x1, y1]` in PDF points, origin
/// top-left of the page's crop box (media box when there is none), y growing downwards, after
/// the page's `/Rotate` (ISO 32000-1 §7.7.3.3, §14.11.2).
#[derive(Clone, Debug, PartialEq)]
pub struct LayerWord {
    pub text: String,
    pub bbox: [f32; 4],
}

/// A page's size in points (as displayed, i.e. after `/Rotate`) and its words grouped into lines
/// in reading order: top to bottom, then left to right; the words of a line share a baseline
/// within 0.4 of their font size (ISO 32000-1 §9.10 text extraction).
#[derive(Clone, Debug, PartialEq)]
pub struct TextLayer {
    pub width: f32,
    pub height: f32,
    pub lines: Vec<Vec<LayerWord>>,
}

impl TextLayer {
    /// Every word, in reading order.
    pub fn words(&self) -> impl Iterator<Item = &LayerWord> {
        self.lines.iter().flatten()
    }
}

/// Bounds on one page's interpretation (untrusted input).
#[derive(Clone, Copy, Debug)]
pub(crate) struct LayerLimits {
    /// Content operators, Form XObjects included.
    pub max_operators: usize,
    /// Nesting of Form XObjects drawn through `Do`.
    pub max_form_depth: usize,
    /// Bytes of text extracted.
    pub max_text_bytes: usize,
    /// Entries of all the ToUnicode (and embedded encoding) CMaps loaded for the page.
    pub max_cmap_entries: usize,
    /// Decoded content bytes, Form XObjects included.
    pub max_content_bytes: usize,
}

impl Default for LayerLimits {
    fn default() -> Self {
        Self {
            max_operators: 2_000_000,
            max_form_depth: 8,
            max_text_bytes: 4 << 20,
            max_cmap_entries: 1_000_000,
            max_content_bytes: 256 << 20,
        }
    }
}

/// Reads the text layer of page `page_index` (0-based) of `pdf`; `file_label` names the file in
/// errors. Exceeding a bound is [`DecodeError::TextLayerLimit`]; a damaged content stream ends
/// where it can no longer be parsed, keeping the words before.
pub fn read_text_layer<R: Read + Seek>(
    pdf: &mut PdfFile<R>,
    page_index: usize,
    file_label: &str,
) -> Result<TextLayer, DecodeError> {
    read_with_limits(pdf, page_index, file_label, &LayerLimits::default())
}

pub(crate) fn read_with_limits<R: Read + Seek>(
    pdf: &mut PdfFile<R>,
    page_index: usize,
    file_label: &str,
    limits: &LayerLimits,
) -> Result<TextLayer, DecodeError> {
    let at = Location::page(Path::new(file_label), page_index);
    let e = pdf_err(&at);
    if pdf.is_encrypted() {
        return Err(DecodeError::Encrypted { at: at.clone() });
    }
    let pages = pdf.pages().map_err(&e)?;
    let page = *pages.get(page_index).ok_or(DecodeError::NoSuchPage {
        at: at.clone(),
        count: pages.len(),
    })?;
    let info = page_info(pdf, page).map_err(&e)?;
    let (page_m, width, height) = page_matrix(
        info.crop_box.as_deref().or(info.media_box.as_deref()),
        info.rotate,
    );
    let content = content_bytes(pdf, info.contents.as_ref()).map_err(&e)?;
    let mut it = Interp {
        pdf,
        limits: *limits,
        operators: 0,
        content_bytes: 0,
        cmap_left: limits.max_cmap_entries,
        fonts: HashMap::new(),
        page_m,
        words: Words::default(),
    };
    let gs = GState {
        ctm: IDENTITY,
        ..GState::default()
    };
    match it.run(&content, &info.resources, gs, 0) {
        Ok(()) => {}
        Err(Stop::Limit(what)) => {
            return Err(DecodeError::TextLayerLimit {
                at: at.clone(),
                what,
            })
        }
        Err(Stop::Pdf(source)) => return Err(e(source)),
    }
    it.words.finish();
    Ok(TextLayer {
        width: width as f32,
        height: height as f32,
        lines: group_lines(it.words.done),
    })
}

/// From default user space to the displayed page, origin top-left, y down: the box's corner
/// moved to the origin, `/Rotate` applied (§7.7.3.3), then flipped. Returns it with the
/// displayed width and height. A missing or degenerate box is US Letter.
fn page_matrix(rect: Option<&[f64]>, rotate: i64) -> (M, f64, f64) {
    let r = match rect {
        Some([a, b, c, d, ..]) if (c - a).abs() >= 1.0 && (d - b).abs() >= 1.0 => [*a, *b, *c, *d],
        _ => [0.0, 0.0, 612.0, 792.0],
    };
    let (x0, y0, x1, y1) = (
        r[0].min(r[2]),
        r[1].min(r[3]),
        r[0].max(r[2]),
        r[1].max(r[3]),
    );
    let (w, h) = (x1 - x0, y1 - y0);
    match rotate.rem_euclid(360) {
        90 => ([0.0, 1.0, 1.0, 0.0, -y0, -x0], h, w),
        180 => ([-1.0, 0.0, 0.0, 1.0, x1, -y0], w, h),
        270 => ([0.0, -1.0, -1.0, 0.0, y1, x1], h, w),
        _ => ([1.0, 0.0, 0.0, -1.0, -x0, y1], w, h),
    }
}

/// The parts of the graphics state (§8.4) and text state (§9.3) that place glyphs.
#[derive(Clone, Debug)]
struct GState {
    ctm: M,
    /// Character and word spacing, horizontal scaling (fraction), leading, rise.
    tc: f64,
    tw: f64,
    th: f64,
    tl: f64,
    rise: f64,
    size: f64,
    font: Option<Rc<Font>>,
}

impl Default for GState {
    fn default() -> Self {
        Self {
            ctm: IDENTITY,
            tc: 0.0,
            tw: 0.0,
            th: 1.0,
            tl: 0.0,
            rise: 0.0,
            size: 0.0,
            font: None,
        }
    }
}

/// Deepest `q` nesting kept; deeper `q`/`Q` pairs are counted, not stored.
const MAX_SAVED_STATES: usize = 256;
/// Operands kept before an operator; more is garbage and is dropped.
const MAX_OPERANDS: usize = 64;
/// A gap wider than this fraction of the font size separates words (§9.10 leaves it to us).
const WORD_GAP: f64 = 0.25;
/// Baselines closer than this fraction of the font size are one line.
const LINE_TOLERANCE: f64 = 0.4;

enum Stop {
    Limit(String),
    Pdf(PdfError),
}

impl From<PdfError> for Stop {
    fn from(e: PdfError) -> Self {
        Stop::Pdf(e)
    }
}

/// A word being collected, then done.
#[derive(Debug)]
struct Word {
    text: String,
    bbox: [f64; 4],
    baseline: f64,
    size: f64,
}

#[derive(Default)]
struct Words {
    done: Vec<Word>,
    current: Option<Word>,
    /// Where the previous glyph's advance ended (displayed page).
    last_end: Option<(f64, f64)>,
    /// A TJ adjustment wide enough to separate words was seen.
    pending_break: bool,
    bytes: usize,
}

impl Words {
    fn finish(&mut self) {
        if let Some(w) = self.current.take() {
            self.done.push(w);
        }
    }

    /// Adds one glyph: its text, box, origin, where its advance ends, its size and baseline.
    fn glyph(
        &mut self,
        text: &str,
        bbox: [f64; 4],
        origin: (f64, f64),
        end: (f64, f64),
        size: f64,
    ) {
        let far = self
            .last_end
            .is_none_or(|(x, y)| (x - origin.0).hypot(y - origin.1) > WORD_GAP * size.max(1e-3));
        if far || self.pending_break {
            self.finish();
        }
        self.pending_break = false;
        self.last_end = Some(end);
        for ch in text.chars() {
            if ch.is_whitespace() || ch.is_control() {
                self.finish();
                continue;
            }
            self.bytes = self.bytes.saturating_add(ch.len_utf8());
            match &mut self.current {
                Some(w) => {
                    w.text.push(ch);
                    w.bbox = [
                        w.bbox[0].min(bbox[0]),
                        w.bbox[1].min(bbox[1]),
                        w.bbox[2].max(bbox[2]),
                        w.bbox[3].max(bbox[3]),
                    ];
                    w.size = w.size.max(size);
                }
                None => {
                    self.current = Some(Word {
                        text: ch.to_string(),
                        bbox,
                        baseline: origin.1,
                        size,
                    })
                }
            }
        }
    }
}

/// Words into lines: sorted by baseline, a new line where the baseline moves by more than
/// [`LINE_TOLERANCE`] of the size; each line left to right.
fn group_lines(mut words: Vec<Word>) -> Vec<Vec<LayerWord>> {
    words.retain(|w| w.bbox.iter().chain([&w.baseline]).all(|v| v.is_finite()));
    words.sort_by(|a, b| {
        a.baseline
            .total_cmp(&b.baseline)
            .then(a.bbox[0].total_cmp(&b.bbox[0]))
    });
    let mut lines: Vec<(f64, f64, Vec<Word>)> = Vec::new();
    for w in words {
        match lines.last_mut() {
            Some((base, size, line))
                if (w.baseline - *base).abs() <= LINE_TOLERANCE * size.max(w.size) =>
            {
                line.push(w)
            }
            _ => lines.push((w.baseline, w.size, vec![w])),
        }
    }
    lines
        .into_iter()
        .map(|(_, _, mut line)| {
            line.sort_by(|a, b| a.bbox[0].total_cmp(&b.bbox[0]));
            line.into_iter()
                .map(|w| LayerWord {
                    text: w.text.nfc().collect(),
                    bbox: w.bbox.map(|v| v as f32),
                })
                .collect()
        })
        .collect()
}

struct Interp<'p, R: Read + Seek> {
    pdf: &'p mut PdfFile<R>,
    limits: LayerLimits,
    operators: usize,
    content_bytes: usize,
    cmap_left: usize,
    /// Fonts loaded, by their object.
    fonts: HashMap<ObjRef, Rc<Font>>,
    page_m: M,
    words: Words,
}

/// A content stream's resources, looked up lazily.
struct Res<'r> {
    dict: &'r Dict,
    fonts: Option<Dict>,
    by_name: HashMap<Vec<u8>, Option<Rc<Font>>>,
}

fn nums<const N: usize>(operands: &[Object]) -> Option<[f64; N]> {
    let from = operands.len().checked_sub(N)?;
    let mut out = [0.0; N];
    for (o, v) in out.iter_mut().zip(operands.get(from..)?) {
        *o = v.as_number().filter(|x| x.is_finite())?;
    }
    Some(out)
}

impl<R: Read + Seek> Interp<'_, R> {
    fn count_content(&mut self, n: usize) -> Result<(), Stop> {
        self.content_bytes = self.content_bytes.saturating_add(n);
        if self.content_bytes > self.limits.max_content_bytes {
            return Err(Stop::Limit(format!(
                "more than {} bytes of content streams",
                self.limits.max_content_bytes
            )));
        }
        Ok(())
    }

    /// Interprets one content stream with its resources, from graphics state `gs`.
    fn run(
        &mut self,
        content: &[u8],
        resources: &Dict,
        gs: GState,
        depth: usize,
    ) -> Result<(), Stop> {
        self.count_content(content.len())?;
        let mut res = Res {
            dict: resources,
            fonts: None,
            by_name: HashMap::new(),
        };
        let mut gs = gs;
        let mut saved: Vec<GState> = Vec::new();
        let mut unsaved = 0usize;
        let (mut tm, mut tlm) = (IDENTITY, IDENTITY);
        let mut operands: Vec<Object> = Vec::new();
        let mut ops = Ops::new(content);
        while let Some(item) = ops.next_item() {
            let op = match item {
                Item::Operand(o) => {
                    if operands.len() >= MAX_OPERANDS {
                        operands.clear();
                    }
                    operands.push(o);
                    continue;
                }
                Item::Operator(op) => op,
            };
            self.operators += 1;
            if self.operators > self.limits.max_operators {
                return Err(Stop::Limit(format!(
                    "more than {} content operators",
                    self.limits.max_operators
                )));
            }
            match op {
                b"q" => {
                    if saved.len() < MAX_SAVED_STATES {
                        saved.push(gs.clone());
                    } else {
                        unsaved += 1;
                    }
                }
                b"Q" => {
                    if unsaved > 0 {
                        unsaved -= 1;
                    } else if let Some(g) = saved.pop() {
                        gs = g;
                    }
                }
                b"cm" => {
                    if let Some(m) = nums::<6>(&operands) {
                        gs.ctm = mul(&m, &gs.ctm);
                    }
                }
                b"BT" => (tm, tlm) = (IDENTITY, IDENTITY),
                b"Tc" => gs.tc = nums::<1>(&operands).map_or(gs.tc, |[v]| v),
                b"Tw" => gs.tw = nums::<1>(&operands).map_or(gs.tw, |[v]| v),
                b"Tz" => gs.th = nums::<1>(&operands).map_or(gs.th, |[v]| v / 100.0),
                b"TL" => gs.tl = nums::<1>(&operands).map_or(gs.tl, |[v]| v),
                b"Ts" => gs.rise = nums::<1>(&operands).map_or(gs.rise, |[v]| v),
                b"Tf" => {
                    let name = operands
                        .len()
                        .checked_sub(2)
                        .and_then(|i| operands.get(i))
                        .and_then(Object::as_name);
                    if let (Some(name), Some([size])) = (name, nums::<1>(&operands)) {
                        gs.font = self.font(&mut res, name)?;
                        gs.size = size;
                    }
                }
                b"Td" | b"TD" => {
                    if let Some([x, y]) = nums::<2>(&operands) {
                        if op == b"TD" {
                            gs.tl = -y;
                        }
                        tlm = mul(&translate(x, y), &tlm);
                        tm = tlm;
                    }
                }
                b"Tm" => {
                    if let Some(m) = nums::<6>(&operands) {
                        (tm, tlm) = (m, m);
                    }
                }
                b"T*" => {
                    tlm = mul(&translate(0.0, -gs.tl), &tlm);
                    tm = tlm;
                }
                b"Tj" | b"'" | b"\"" => {
                    if op == b"\"" {
                        if let Some([aw, ac]) = operands
                            .len()
                            .checked_sub(1)
                            .and_then(|n| nums::<2>(operands.get(..n)?))
                        {
                            (gs.tw, gs.tc) = (aw, ac);
                        }
                    }
                    if op != b"Tj" {
                        tlm = mul(&translate(0.0, -gs.tl), &tlm);
                        tm = tlm;
                    }
                    if let Some(Object::String(s)) = operands.last() {
                        self.show(s, &gs, &mut tm)?;
                    }
                }
                b"TJ" => {
                    if let Some(Object::Array(a)) = operands.last() {
                        for el in a {
                            match el {
                                Object::String(s) => self.show(s, &gs, &mut tm)?,
                                n => {
                                    let Some(adj) = n.as_number().filter(|v| v.is_finite()) else {
                                        continue;
                                    };
                                    let tx = -adj / 1000.0 * gs.size * gs.th;
                                    tm = mul(&translate(tx, 0.0), &tm);
                                    if -adj / 1000.0 > WORD_GAP {
                                        self.words.pending_break = true;
                                    }
                                }
                            }
                        }
                    }
                }
                b"Do" => {
                    if let Some(Object::Name(name)) = operands.last() {
                        let name = name.clone();
                        self.draw_form(&res, &name, &gs, depth)?;
                    }
                }
                b"BI" => ops.skip_inline_image(),
                _ => {}
            }
            operands.clear();
        }
        Ok(())
    }

    /// The font named `name` in the resources; one that cannot be loaded shows no text.
    fn font(&mut self, res: &mut Res<'_>, name: &[u8]) -> Result<Option<Rc<Font>>, Stop> {
        if let Some(f) = res.by_name.get(name) {
            return Ok(f.clone());
        }
        if res.fonts.is_none() {
            let d = match res.dict.get(b"Font") {
                Some(f) => self.pdf.get_dict(f)?.unwrap_or_default(),
                None => Dict::new(),
            };
            res.fonts = Some(d);
        }
        let entry = res.fonts.as_ref().and_then(|d| d.get(name)).cloned();
        let font = match entry {
            Some(Object::Ref(r)) => match self.fonts.get(&r) {
                Some(f) => Some(f.clone()),
                None => {
                    let f = self.load_font(&Object::Ref(r))?;
                    if let Some(f) = &f {
                        self.fonts.insert(r, f.clone());
                    }
                    f
                }
            },
            Some(o) => self.load_font(&o)?,
            None => None,
        };
        if res.by_name.len() < 4096 {
            res.by_name.insert(name.to_vec(), font.clone());
        }
        Ok(font)
    }

    fn load_font(&mut self, o: &Object) -> Result<Option<Rc<Font>>, Stop> {
        let Some(d) = self.pdf.get_dict(o)? else {
            return Ok(None);
        };
        match Font::load(self.pdf, &d, &mut self.cmap_left) {
            Ok(f) => Ok(Some(Rc::new(f))),
            Err(FontError::CmapTooLarge) => Err(Stop::Limit(format!(
                "a font's character map has more than {} entries, or its fonts' maps more than {}",
                crate::pdf::content::cmap::MAX_CMAP_ENTRIES,
                self.limits.max_cmap_entries
            ))),
            // A damaged font: its text is unknown, the rest of the page still counts.
            Err(FontError::Damaged) => Ok(None),
        }
    }

    /// Shows string `s` (§9.4.3): each code's glyph placed by the text rendering matrix, then
    /// the text matrix advanced.
    fn show(&mut self, s: &[u8], gs: &GState, tm: &mut M) -> Result<(), Stop> {
        let Some(font) = gs.font.clone() else {
            return Ok(());
        };
        let base = [gs.size * gs.th, 0.0, 0.0, gs.size, 0.0, gs.rise];
        for code in font.decode(s) {
            let trm = mul(&mul(&mul(&base, tm), &gs.ctm), &self.page_m);
            let size = trm[2].hypot(trm[3]);
            let corners = [
                apply(&trm, 0.0, -font.descent),
                apply(&trm, code.width, -font.descent),
                apply(&trm, 0.0, font.ascent),
                apply(&trm, code.width, font.ascent),
            ];
            let bbox = corners.iter().fold(
                [
                    f64::INFINITY,
                    f64::INFINITY,
                    f64::NEG_INFINITY,
                    f64::NEG_INFINITY,
                ],
                |b, &(x, y)| [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)],
            );
            let origin = apply(&trm, 0.0, 0.0);
            let spacing = gs.tc + if code.is_space_byte { gs.tw } else { 0.0 };
            let tx = (code.width * gs.size + spacing) * gs.th;
            *tm = mul(&translate(tx, 0.0), tm);
            let end = apply(&mul(&mul(&mul(&base, tm), &gs.ctm), &self.page_m), 0.0, 0.0);
            self.words.glyph(&code.text, bbox, origin, end, size);
            if self.words.bytes > self.limits.max_text_bytes {
                return Err(Stop::Limit(format!(
                    "more than {} bytes of text",
                    self.limits.max_text_bytes
                )));
            }
        }
        Ok(())
    }

    /// `Do` of a Form XObject (§8.10): its `/Matrix` and `/Resources` (the caller's when it has
    /// none), inside a saved state. Images and other XObjects show no text.
    fn draw_form(
        &mut self,
        res: &Res<'_>,
        name: &[u8],
        gs: &GState,
        depth: usize,
    ) -> Result<(), Stop> {
        let xobjects = match res.dict.get(b"XObject") {
            Some(x) => self.pdf.get_dict(x)?.unwrap_or_default(),
            None => return Ok(()),
        };
        let Some(entry) = xobjects.get(name) else {
            return Ok(());
        };
        let Object::Stream(form) = self.pdf.resolve(entry)? else {
            return Ok(());
        };
        if form.dict.name(b"Subtype") != Some(b"Form") {
            return Ok(());
        }
        if depth + 1 > self.limits.max_form_depth {
            return Err(Stop::Limit(format!(
                "Form XObjects nested deeper than {}",
                self.limits.max_form_depth
            )));
        }
        let mut inner = gs.clone();
        if let Some(m) = form
            .dict
            .get(b"Matrix")
            .map(|m| self.pdf.resolve(m))
            .transpose()?
        {
            if let Some(m) = m.as_array().and_then(|a| nums::<6>(a.get(..6)?)) {
                inner.ctm = mul(&m, &inner.ctm);
            }
        }
        let own = match form.dict.get(b"Resources") {
            Some(r) => self.pdf.get_dict(r)?,
            None => None,
        };
        let data = self.pdf.stream_decoded(&form)?;
        // Words do not run on across a form's edge.
        self.words.last_end = None;
        self.run(&data, own.as_ref().unwrap_or(res.dict), inner, depth + 1)?;
        self.words.last_end = None;
        Ok(())
    }
}
