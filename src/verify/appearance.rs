//! Edge `verify`, what a signature shows: its widget (ISO 32000-1 §12.5.6.19) is visible or
//! not, on which page and where, and the text its appearance stream draws (read through the
//! fonts' /ToUnicode CMaps, §9.10.3), compared with the certificate: a stamp naming someone
//! other than the signer is a finding.

use std::io::{Read, Seek};

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

use crate::pdf::content::font::Font;
use crate::pdf::content::ops::Ops;
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
            cmap_left: CMAP_BUDGET,
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
    /// CMap entries the appearance's fonts may still read.
    cmap_left: usize,
    text: String,
}

/// Most content bytes decoded for one appearance.
const MAX_BYTES: usize = 64 << 20;
/// Most CMap entries read for one appearance's fonts.
const CMAP_BUDGET: usize = 200_000;

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
        let dict_of = |pdf: &mut PdfFile<R>, d: &Dict, k: &[u8]| -> Result<Dict, PdfError> {
            Ok(pdf
                .get_dict(d.get(k).unwrap_or(&Object::Null))?
                .unwrap_or_default())
        };
        let res = dict_of(pdf, &s.dict, b"Resources")?;
        let fonts = dict_of(pdf, &res, b"Font")?;
        let xobjects = dict_of(pdf, &res, b"XObject")?;
        let data = pdf.stream_decoded(&s)?;
        self.bytes = self.bytes.saturating_add(data.len());
        if self.bytes > MAX_BYTES {
            return Ok(());
        }
        let mut font: Option<Font> = None;
        let mut args: Vec<Object> = Vec::new();
        let mut ops = Ops::new(&data);
        while let Some(op) = ops.next_operator(&mut args, 16) {
            self.ops += 1;
            if self.ops > MAX_OPS || self.text.len() > MAX_TEXT {
                return Ok(());
            }
            match op {
                b"Tf" => {
                    let f = match args
                        .first()
                        .and_then(Object::as_name)
                        .and_then(|n| fonts.get(n))
                    {
                        Some(f) => pdf.get_dict(f)?,
                        None => None,
                    };
                    font = f.and_then(|d| Font::load(pdf, &d, &mut self.cmap_left).ok());
                }
                b"Tj" | b"TJ" | b"'" | b"\"" => {
                    if let Some(f) = &font {
                        let shown: Vec<u8> = match args.last() {
                            Some(Object::String(s)) => s.clone(),
                            Some(Object::Array(a)) => a
                                .iter()
                                .filter_map(Object::as_string)
                                .flat_map(|s| s.iter().copied())
                                .collect(),
                            _ => Vec::new(),
                        };
                        for c in f.decode(&shown) {
                            self.text.push_str(&c.text);
                        }
                    }
                }
                b"Tm" | b"Td" | b"TD" | b"T*" | b"ET"
                    if !self.text.ends_with('\n') && !self.text.is_empty() =>
                {
                    self.text.push('\n');
                }
                b"Do" => {
                    if let Some(x) = args
                        .first()
                        .and_then(Object::as_name)
                        .and_then(|n| xobjects.get(n))
                        .cloned()
                    {
                        self.form(pdf, &x, depth + 1)?;
                    }
                }
                b"BI" => ops.skip_inline_image(),
                _ => {}
            }
            args.clear();
        }
        Ok(())
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
}
