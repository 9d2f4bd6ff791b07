//! Foundation `pdf`, content streams: fonts as far as text extraction needs them (ISO 32000-1 §9.6
//! simple fonts, §9.7 composite fonts, §9.10 extraction of text content): how a string splits
//! into character codes, each code's Unicode text and its advance width.

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Seek};

use super::cmap::ToUnicode;
use super::encodings::{glyph_text, standard_width, Base};
use crate::pdf::{Dict, Object, PdfError, PdfFile};

/// Most `/W` entries of a CIDFont (§9.7.4.3) and elements of a `/Differences` array kept.
const MAX_WIDTH_ENTRIES: usize = 65_536;

/// Why a font could not be used.
#[derive(Debug)]
pub(crate) enum FontError {
    /// The font's objects are damaged (its text is then unknown).
    Damaged,
    /// A ToUnicode CMap above the per-map entry cap, or the page's total of CMap entries.
    CmapTooLarge,
}

impl From<PdfError> for FontError {
    fn from(_: PdfError) -> Self {
        FontError::Damaged
    }
}

/// How a string's bytes split into codes (§9.7.6.2 code space ranges).
#[derive(Debug)]
enum Codes {
    One,
    Two,
    /// The code space ranges of an embedded CMap.
    Ranges(ToUnicode),
}

/// Advance widths, in glyph units (thousandths of text space for all but Type3 fonts).
#[derive(Debug)]
enum Widths {
    /// `/FirstChar` + `/Widths` (§9.6.2.1), `/MissingWidth`, or the standard face's metrics.
    Simple {
        first: i64,
        widths: Vec<f64>,
        missing: Option<f64>,
        base_font: Vec<u8>,
    },
    /// `/DW` and `/W` (§9.7.4.3): CID ranges `lo → (hi, width)`.
    Cid {
        dw: f64,
        w: BTreeMap<u32, (u32, f64)>,
    },
}

/// A font loaded for text extraction.
#[derive(Debug)]
pub(crate) struct Font {
    codes: Codes,
    to_unicode: Option<ToUnicode>,
    /// Simple fonts: base encoding and `/Differences` glyph texts.
    base: Base,
    differences: HashMap<u8, Option<String>>,
    widths: Widths,
    /// Glyph units to text space: 1/1000, or a Type3 font's `/FontMatrix` a.
    pub(crate) scale: f64,
    /// Ascent and descent below the baseline, as fractions of the font size.
    pub(crate) ascent: f64,
    pub(crate) descent: f64,
}

/// One character code shown.
pub(crate) struct Code {
    /// Unicode text (empty when unknown).
    pub(crate) text: String,
    /// Advance in text space units per unit of font size, before Tc/Tw.
    pub(crate) width: f64,
    /// A single-byte code 32: word spacing (Tw) applies (§9.3.3).
    pub(crate) is_space_byte: bool,
}

fn num(d: &Dict, k: &[u8]) -> Option<f64> {
    d.get(k)
        .and_then(Object::as_number)
        .filter(|v| v.is_finite())
}

impl Font {
    /// Loads the font dictionary `font`; `cmap_budget` is the page's remaining CMap entries.
    pub(crate) fn load<R: Read + Seek>(
        pdf: &mut PdfFile<R>,
        font: &Dict,
        cmap_budget: &mut usize,
    ) -> Result<Font, FontError> {
        let subtype = font.name(b"Subtype").unwrap_or_default().to_vec();
        let to_unicode = match font.get(b"ToUnicode") {
            Some(o) => match pdf.resolve(o)? {
                Object::Stream(s) => Some(parse_cmap(pdf, &s, cmap_budget)?),
                _ => None,
            },
            None => None,
        };
        let base_font = font.name(b"BaseFont").unwrap_or_default().to_vec();
        let mut f = Font {
            codes: Codes::One,
            to_unicode,
            base: Base::Standard,
            differences: HashMap::new(),
            widths: Widths::Simple {
                first: 0,
                widths: Vec::new(),
                missing: None,
                base_font: base_font.clone(),
            },
            scale: 0.001,
            ascent: 0.8,
            descent: 0.2,
        };
        if subtype == b"Type0" {
            f.load_composite(pdf, font, cmap_budget)?;
        } else {
            f.load_simple(pdf, font, base_font)?;
            if subtype == b"Type3" {
                let m = pdf.resolve(font.get(b"FontMatrix").unwrap_or(&Object::Null))?;
                if let Some(a) = m
                    .as_array()
                    .and_then(|a| a.first())
                    .and_then(Object::as_number)
                {
                    if a.is_finite() && a.abs() > 1e-6 && a.abs() < 1e3 {
                        f.scale = a.abs();
                    }
                }
            }
        }
        Ok(f)
    }

    fn descriptor<R: Read + Seek>(
        &mut self,
        pdf: &mut PdfFile<R>,
        d: &Dict,
    ) -> Result<Option<Dict>, PdfError> {
        let Some(fd) = d.get(b"FontDescriptor") else {
            return Ok(None);
        };
        let Some(fd) = pdf.get_dict(fd)? else {
            return Ok(None);
        };
        if let Some(a) = num(&fd, b"Ascent").filter(|a| *a > 100.0 && *a <= 2000.0) {
            self.ascent = a / 1000.0;
        }
        if let Some(dsc) = num(&fd, b"Descent").filter(|v| *v < 0.0 && *v >= -1000.0) {
            self.descent = -dsc / 1000.0;
        }
        Ok(Some(fd))
    }

    fn load_simple<R: Read + Seek>(
        &mut self,
        pdf: &mut PdfFile<R>,
        font: &Dict,
        base_font: Vec<u8>,
    ) -> Result<(), PdfError> {
        let fd = self.descriptor(pdf, font)?;
        match font.get(b"Encoding").map(|e| pdf.resolve(e)).transpose()? {
            Some(Object::Name(n)) => self.base = Base::from_name(&n).unwrap_or(Base::Standard),
            Some(Object::Dict(e)) => {
                if let Some(b) = e.name(b"BaseEncoding").and_then(Base::from_name) {
                    self.base = b;
                }
                if let Some(diffs) = e.get(b"Differences") {
                    let diffs = pdf.resolve(diffs)?;
                    let mut code: i64 = 0;
                    for item in diffs
                        .as_array()
                        .unwrap_or_default()
                        .iter()
                        .take(MAX_WIDTH_ENTRIES)
                    {
                        match item {
                            Object::Int(c) => code = *c,
                            Object::Name(n) => {
                                if let Ok(c) = u8::try_from(code) {
                                    self.differences.insert(c, glyph_text(n));
                                }
                                code = code.saturating_add(1);
                            }
                            _ => {}
                        }
                    }
                }
            }
            _ => {}
        }
        let first = font.int(b"FirstChar").unwrap_or(0);
        let widths = match font.get(b"Widths").map(|w| pdf.resolve(w)).transpose()? {
            Some(Object::Array(a)) => a
                .iter()
                .take(256)
                .map(|w| w.as_number().filter(|v| v.is_finite()).unwrap_or(0.0))
                .collect(),
            _ => Vec::new(),
        };
        let missing = fd.as_ref().and_then(|fd| num(fd, b"MissingWidth"));
        self.widths = Widths::Simple {
            first,
            widths,
            missing,
            base_font,
        };
        Ok(())
    }

    fn load_composite<R: Read + Seek>(
        &mut self,
        pdf: &mut PdfFile<R>,
        font: &Dict,
        cmap_budget: &mut usize,
    ) -> Result<(), FontError> {
        self.codes = match font.get(b"Encoding").map(|e| pdf.resolve(e)).transpose()? {
            Some(Object::Stream(s)) => Codes::Ranges(parse_cmap(pdf, &s, cmap_budget)?),
            _ => Codes::Two,
        };
        let desc = match font
            .get(b"DescendantFonts")
            .map(|d| pdf.resolve(d))
            .transpose()?
        {
            Some(Object::Array(a)) => match a.first() {
                Some(d) => pdf.get_dict(d)?.unwrap_or_default(),
                None => Dict::new(),
            },
            _ => Dict::new(),
        };
        self.descriptor(pdf, &desc)?;
        let dw = num(&desc, b"DW").unwrap_or(1000.0);
        let mut w = BTreeMap::new();
        if let Some(arr) = desc.get(b"W") {
            let arr = pdf.resolve(arr)?;
            let items = arr.as_array().unwrap_or_default();
            let mut i = 0;
            let cid = |o: Option<&Object>| {
                o.and_then(Object::as_int)
                    .and_then(|c| u32::try_from(c).ok())
            };
            while let Some(first) = cid(items.get(i)) {
                if w.len() >= MAX_WIDTH_ENTRIES {
                    break;
                }
                match items.get(i + 1) {
                    Some(Object::Array(list)) => {
                        for (k, v) in list.iter().take(MAX_WIDTH_ENTRIES).enumerate() {
                            let c = first.saturating_add(k as u32);
                            if let Some(v) = v.as_number().filter(|v| v.is_finite()) {
                                w.insert(c, (c, v));
                            }
                        }
                        i += 2;
                    }
                    Some(_) => {
                        let (Some(last), Some(v)) = (
                            cid(items.get(i + 1)),
                            items.get(i + 2).and_then(Object::as_number),
                        ) else {
                            break;
                        };
                        if last >= first && v.is_finite() {
                            w.insert(first, (last, v));
                        }
                        i += 3;
                    }
                    None => break,
                }
            }
        }
        self.widths = Widths::Cid { dw, w };
        Ok(())
    }

    fn width_of(&self, code: u32) -> f64 {
        let w = match &self.widths {
            Widths::Simple {
                first,
                widths,
                missing,
                base_font,
            } => {
                let i = i64::from(code) - first;
                usize::try_from(i)
                    .ok()
                    .and_then(|i| widths.get(i).copied())
                    .or(*missing)
                    .or_else(|| {
                        u8::try_from(code)
                            .ok()
                            .and_then(|c| standard_width(base_font, c))
                    })
                    .unwrap_or(500.0)
            }
            Widths::Cid { dw, w } => match w.range(..=code).next_back() {
                Some((_, &(hi, v))) if code <= hi => v,
                _ => *dw,
            },
        };
        w * self.scale
    }

    fn text_of(&self, code: u32, len: usize) -> String {
        if let Some(t) = self.to_unicode.as_ref().and_then(|m| m.get(code)) {
            return t;
        }
        if len != 1 {
            return String::new();
        }
        let Ok(c) = u8::try_from(code) else {
            return String::new();
        };
        match self.differences.get(&c) {
            Some(t) => t.clone().unwrap_or_default(),
            None => self.base.char_of(c).map(String::from).unwrap_or_default(),
        }
    }

    /// Splits a shown string into codes (§9.4.3).
    pub(crate) fn decode(&self, bytes: &[u8]) -> Vec<Code> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            let rest = bytes.get(i..).unwrap_or_default();
            let len = match &self.codes {
                Codes::One => 1,
                Codes::Two => 2,
                Codes::Ranges(m) => m.code_len(rest).unwrap_or(1),
            };
            let chunk = rest.get(..len).unwrap_or(rest);
            let code = chunk.iter().fold(0u32, |a, &b| a << 8 | u32::from(b));
            out.push(Code {
                text: self.text_of(code, len),
                width: self.width_of(code),
                is_space_byte: len == 1 && code == 32,
            });
            i += len;
        }
        out
    }
}

/// Parses a CMap stream, charging its entries to the page's budget.
fn parse_cmap<R: Read + Seek>(
    pdf: &mut PdfFile<R>,
    s: &crate::pdf::Stream,
    cmap_budget: &mut usize,
) -> Result<ToUnicode, FontError> {
    let data = pdf.stream_decoded(s)?;
    let m = ToUnicode::parse(&data).map_err(|_| FontError::CmapTooLarge)?;
    *cmap_budget = cmap_budget
        .checked_sub(m.entries)
        .ok_or(FontError::CmapTooLarge)?;
    Ok(m)
}
