//! Edge `verify`, what a signature shows: its widget (ISO 32000-1 §12.5.6.19) is visible or
//! not, on which page and where, and the text its appearance stream draws (read through the
//! fonts' /ToUnicode CMaps, §9.10.3), compared with the certificate: a stamp naming someone
//! other than the signer is a finding.

use std::collections::HashMap;
use std::io::{Read, Seek};

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

use crate::pdf::lexer::{Lexer, Token};
use crate::pdf::{Dict, ObjRef, Object, PdfError, PdfFile};

/// Most operators read from one appearance (forms included).
const MAX_OPS: usize = 200_000;
/// Most characters of text kept.
const MAX_TEXT: usize = 4096;

/// A signature's appearance, as the report gives it.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AppearanceReport {
    /// The widget has a non-empty rectangle and a normal appearance.
    pub visible: bool,
    /// 1-based page the widget is on.
    pub page: Option<usize>,
    /// `[x0, y0, x1, y1]`, points.
    pub rect: Option<[f64; 4]>,
    /// The text the appearance draws, lines joined by " / " (None: no text, e.g. an image).
    pub text: Option<String>,
    /// Whether the text names the certificate's holder (its CN); None without text, or when
    /// the text has no words (a number or date stamp).
    pub names_signer: Option<bool>,
}

/// The widget of a signature field: the field itself when merged, else its first kid.
pub(crate) fn widget<R: Read + Seek>(
    pdf: &mut PdfFile<R>,
    field: &Dict,
    field_ref: Option<ObjRef>,
) -> Result<Option<(Dict, Option<ObjRef>)>, PdfError> {
    if field.contains(b"Rect") || field.name(b"Subtype") == Some(b"Widget") {
        return Ok(Some((field.clone(), field_ref)));
    }
    if let Some(Object::Array(kids)) = field.get(b"Kids").map(|k| pdf.resolve(k)).transpose()? {
        if let Some(k) = kids.first() {
            return Ok(pdf.get_dict(k)?.map(|d| (d, k.as_ref())));
        }
    }
    Ok(None)
}

/// Inspects the widget `w` (object `w_ref`) against the signer's common name.
pub(crate) fn inspect<R: Read + Seek>(
    pdf: &mut PdfFile<R>,
    w: &Dict,
    w_ref: Option<ObjRef>,
    signer_cn: Option<&str>,
) -> Result<AppearanceReport, PdfError> {
    let rect: Option<[f64; 4]> = w
        .get(b"Rect")
        .map(|r| pdf.resolve(r))
        .transpose()?
        .and_then(|r| {
            let n: Vec<f64> = r.as_array()?.iter().filter_map(Object::as_number).collect();
            (n.len() == 4).then(|| {
                [
                    n[0].min(n[2]),
                    n[1].min(n[3]),
                    n[0].max(n[2]),
                    n[1].max(n[3]),
                ]
            })
        });
    let has_area = rect.is_some_and(|r| r[2] - r[0] > 0.5 && r[3] - r[1] > 0.5);
    let hidden = w.int(b"F").is_some_and(|f| f & 0b10 != 0); // Hidden flag
    let normal = match pdf.get_dict(w.get(b"AP").unwrap_or(&Object::Null))? {
        Some(ap) => ap.get(b"N").cloned(),
        None => None,
    };
    let mut report = AppearanceReport {
        visible: has_area && !hidden && normal.is_some(),
        rect: rect.filter(|_| has_area),
        ..Default::default()
    };
    if !report.visible {
        return Ok(report);
    }
    report.page = page_of(pdf, w, w_ref)?;
    if let Some(n) = normal {
        let mut reader = TextReader {
            ops: 0,
            bytes: 0,
            text: String::new(),
        };
        reader.form(pdf, &n, 0)?;
        let text = reader
            .text
            .split('\n')
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" / ");
        if !text.is_empty() {
            // A stamp of digits alone is the document's number or date, which the issuing
            // agency's signature fills in (Decree 30/2020/NĐ-CP, appendix I: "50", "31",
            // "01", "2026" on a decree): it names nobody, so there is nothing to compare.
            if has_words(&text) {
                report.names_signer = signer_cn.map(|cn| names(&text, cn));
            }
            report.text = Some(text);
        }
    }
    Ok(report)
}

/// Does `text` have a word of letters (two or more)?
fn has_words(text: &str) -> bool {
    text.split_whitespace()
        .any(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 2)
}

/// Does `text` name `cn`? Compared in NFC, case-folded, spaces collapsed.
fn names(text: &str, cn: &str) -> bool {
    let norm = |s: &str| {
        s.nfc()
            .flat_map(char::to_lowercase)
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let cn = norm(cn);
    !cn.is_empty() && norm(text).contains(&cn)
}

fn page_of<R: Read + Seek>(
    pdf: &mut PdfFile<R>,
    w: &Dict,
    w_ref: Option<ObjRef>,
) -> Result<Option<usize>, PdfError> {
    let pages = pdf.pages()?;
    if let Some(p) = w.get(b"P").and_then(Object::as_ref) {
        if let Some(i) = pages.iter().position(|r| *r == p) {
            return Ok(Some(i + 1));
        }
    }
    let Some(me) = w_ref else { return Ok(None) };
    for (i, p) in pages.iter().enumerate().take(10_000) {
        let Some(d) = pdf.get_dict(&Object::Ref(*p))? else {
            continue;
        };
        if let Some(Object::Array(a)) = d.get(b"Annots").map(|a| pdf.resolve(a)).transpose()? {
            if a.iter().any(|o| o.as_ref() == Some(me)) {
                return Ok(Some(i + 1));
            }
        }
    }
    Ok(None)
}

struct TextReader {
    ops: usize,
    /// Content bytes decoded so far (a form drawn many times counts each time).
    bytes: usize,
    text: String,
}

/// Most content bytes decoded for one appearance.
const MAX_BYTES: usize = 64 << 20;

/// A font's code-to-text map: ToUnicode when it has one, else one byte per character.
struct FontMap {
    two_byte: bool,
    map: HashMap<u32, String>,
}

impl TextReader {
    fn form<R: Read + Seek>(
        &mut self,
        pdf: &mut PdfFile<R>,
        form: &Object,
        depth: usize,
    ) -> Result<(), PdfError> {
        if depth > 4 {
            return Ok(());
        }
        let Object::Stream(s) = pdf.resolve(form)? else {
            return Ok(());
        };
        let res = pdf
            .get_dict(s.dict.get(b"Resources").unwrap_or(&Object::Null))?
            .unwrap_or_default();
        let fonts = pdf
            .get_dict(res.get(b"Font").unwrap_or(&Object::Null))?
            .unwrap_or_default();
        let xobjects = pdf
            .get_dict(res.get(b"XObject").unwrap_or(&Object::Null))?
            .unwrap_or_default();
        let data = pdf.stream_decoded(&s)?;
        self.bytes = self.bytes.saturating_add(data.len());
        if self.bytes > MAX_BYTES {
            return Ok(());
        }
        let mut font: Option<FontMap> = None;
        let mut args: Vec<Token> = Vec::new();
        let mut lx = Lexer::new(&data, 0, false);
        loop {
            let at = lx.pos();
            let tok = match lx.next_token() {
                Ok(Some(t)) => t,
                Ok(None) => break,
                Err(_) => {
                    lx.set_pos(at + 1);
                    continue;
                }
            };
            let op = match tok {
                Token::Keyword(k) => k,
                Token::ArrayOpen => {
                    let mut bytes = Vec::new();
                    while let Ok(Some(t)) = lx.next_token() {
                        match t {
                            Token::ArrayClose => break,
                            Token::String(s) => bytes.extend_from_slice(&s),
                            _ => {}
                        }
                    }
                    args.push(Token::String(bytes));
                    continue;
                }
                t => {
                    if args.len() < 16 {
                        args.push(t);
                    }
                    continue;
                }
            };
            self.ops += 1;
            if self.ops > MAX_OPS || self.text.len() > MAX_TEXT {
                return Ok(());
            }
            match op {
                b"Tf" => {
                    if let Some(Token::Name(n)) = args.first() {
                        let f = fonts.get(n).cloned();
                        font = Some(font_map(pdf, f.as_ref())?);
                    }
                }
                b"Tj" | b"TJ" | b"'" | b"\"" => {
                    if let (Some(Token::String(s)), Some(f)) = (args.last(), &font) {
                        self.text.push_str(&decode(f, s));
                    }
                }
                b"Tm" | b"Td" | b"TD" | b"T*" | b"ET"
                    if !self.text.ends_with('\n') && !self.text.is_empty() =>
                {
                    self.text.push('\n');
                }
                b"Do" => {
                    if let Some(Token::Name(n)) = args.first() {
                        if let Some(x) = xobjects.get(n).cloned() {
                            self.form(pdf, &x, depth + 1)?;
                        }
                    }
                }
                _ => {}
            }
            args.clear();
        }
        Ok(())
    }
}

fn decode(f: &FontMap, s: &[u8]) -> String {
    let mut out = String::new();
    if f.two_byte {
        for c in s.chunks(2) {
            let code = u32::from(c[0]) << 8 | u32::from(*c.get(1).unwrap_or(&0));
            if let Some(t) = f.map.get(&code) {
                out.push_str(t);
            }
        }
    } else {
        for &b in s {
            match f.map.get(&u32::from(b)) {
                Some(t) => out.push_str(t),
                None => out.push(char::from(b)),
            }
        }
    }
    out
}

fn font_map<R: Read + Seek>(
    pdf: &mut PdfFile<R>,
    font: Option<&Object>,
) -> Result<FontMap, PdfError> {
    let mut fm = FontMap {
        two_byte: false,
        map: HashMap::new(),
    };
    let Some(f) = font.map(|f| pdf.get_dict(f)).transpose()?.flatten() else {
        return Ok(fm);
    };
    fm.two_byte = f.name(b"Subtype") == Some(b"Type0");
    if let Some(Object::Stream(s)) = f.get(b"ToUnicode").map(|t| pdf.resolve(t)).transpose()? {
        if let Ok(data) = pdf.stream_decoded(&s) {
            parse_cmap(&data, &mut fm.map);
        }
    }
    Ok(fm)
}

/// The `bfchar` and `bfrange` entries of a ToUnicode CMap (bounded).
fn parse_cmap(data: &[u8], map: &mut HashMap<u32, String>) {
    let mut lx = Lexer::new(data, 0, false);
    let mut toks: Vec<Token> = Vec::new();
    let mut mode = 0u8; // 1: bfchar, 2: bfrange
    let hex = |t: &Token| -> Option<Vec<u8>> {
        match t {
            Token::String(s) => Some(s.clone()),
            _ => None,
        }
    };
    let utf16 = |b: &[u8]| {
        let units: Vec<u16> = b
            .chunks(2)
            .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
            .collect();
        String::from_utf16_lossy(&units)
    };
    let code = |b: &[u8]| b.iter().take(4).fold(0u32, |a, &x| a << 8 | u32::from(x));
    loop {
        let at = lx.pos();
        let t = match lx.next_token() {
            Ok(Some(t)) => t,
            Ok(None) => break,
            Err(_) => {
                lx.set_pos(at + 1);
                continue;
            }
        };
        if map.len() > 65_536 {
            break;
        }
        match t {
            Token::Keyword(b"beginbfchar") => {
                mode = 1;
                toks.clear();
            }
            Token::Keyword(b"beginbfrange") => {
                mode = 2;
                toks.clear();
            }
            Token::Keyword(b"endbfchar") | Token::Keyword(b"endbfrange") => mode = 0,
            Token::ArrayOpen if mode == 2 => {
                // <lo> <hi> [<t1> <t2> …]
                let mut items = Vec::new();
                while let Ok(Some(t)) = lx.next_token() {
                    match t {
                        Token::ArrayClose => break,
                        t => items.push(t),
                    }
                }
                if let (Some(lo), Some(_)) = (toks.first().and_then(hex), toks.get(1).and_then(hex))
                {
                    for (i, it) in items.iter().take(256).enumerate() {
                        if let Some(v) = hex(it) {
                            map.insert(code(&lo) + i as u32, utf16(&v));
                        }
                    }
                }
                toks.clear();
            }
            t if mode > 0 => {
                toks.push(t);
                let need = if mode == 1 { 2 } else { 3 };
                if toks.len() == need {
                    if mode == 1 {
                        if let (Some(c), Some(v)) = (hex(&toks[0]), hex(&toks[1])) {
                            map.insert(code(&c), utf16(&v));
                        }
                    } else if let (Some(lo), Some(hi), Some(v)) =
                        (hex(&toks[0]), hex(&toks[1]), hex(&toks[2]))
                    {
                        let (lo, hi) = (code(&lo), code(&hi));
                        let base = utf16(&v);
                        for (i, c) in (lo..=hi.min(lo + 255)).enumerate() {
                            let mut chars: Vec<char> = base.chars().collect();
                            if let Some(last) = chars.last_mut() {
                                *last =
                                    char::from_u32(*last as u32 + i as u32).unwrap_or('\u{FFFD}');
                            }
                            map.insert(c, chars.into_iter().collect());
                        }
                    }
                    toks.clear();
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_in_nfc_ignoring_case_and_spacing() {
        assert!(names(
            "Người số hóa: NGUYỄN  Thị Hường (TEST)",
            "Nguyễn Thị Hường (TEST)"
        ));
        // decomposed in the stamp, precomposed in the certificate
        assert!(names("Nguye\u{302}\u{303}n Văn A", "Nguyễn Văn A"));
        assert!(!names("Trần Văn B", "Nguyễn Văn A"));
        // the number and date stamps of a decree name nobody
        assert!(!has_words("50") && !has_words("31 / 01 / 2026") && !has_words("50/2026"));
        assert!(has_words("Ký bởi: Trần Văn B"));
    }

    #[test]
    fn cmap_bfchar_and_bfrange_map_codes_to_text() {
        let cmap = b"2 beginbfchar\n<0001> <0110>\n<0002> <1EA1>\nendbfchar\n1 beginbfrange\n<0010> <0012> <0041>\nendbfrange\n";
        let mut m = HashMap::new();
        parse_cmap(cmap, &mut m);
        assert_eq!(m[&1], "Đ");
        assert_eq!(m[&2], "ạ");
        assert_eq!(m[&0x12], "C");
    }
}
