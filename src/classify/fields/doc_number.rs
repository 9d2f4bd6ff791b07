//! Stage `classify`, field extraction: the number and symbol of an administrative document
//! ("Số: 123/QĐ-UBND", "Số: 45/2023/HĐ-UQ", "Số 0123/GP-UBND") as printed in its header.

use std::sync::LazyLock;

use regex::Regex;
use unicode_normalization::UnicodeNormalization;

use super::scan::{Doc, Hit};
use super::{Check, FieldKind};

/// The number and symbol token on folded text: digits, then segments joined by '/' or '-'
/// (spaces around them tolerated: OCR often splits "123 / QĐ - UBND").
const TOKEN: &str = r"[0-9]+(?:\s*[/\-–]\s*[\p{L}\p{N}]+)*";

/// "Số" starting the line (a colon or full stop after it optional; group 1).
static AT_START: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"^\s*so\s*([:.])?\s*({TOKEN})")).expect("constant pattern")
});
/// "Số:" inside a line (a header whose columns OCR joined), checked for a capital S.
static INSIDE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"\bso\s*:\s*({TOKEN})")).expect("constant pattern"));
/// "Số:" alone ending a line; the token then starts the next line.
static LABEL_ONLY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*so\s*:\s*$").expect("constant pattern"));
static TOKEN_AT_START: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"^\s*({TOKEN})")).expect("constant pattern"));
static AROUND_SEP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\s*([/\-–])\s*").expect("constant pattern"));
/// number[/year]/SYMBOL(-SYMBOL)*, each symbol part starting with a capital (Đ included):
/// the form of Decree 30/2020/NĐ-CP (appendix I) for the number and symbol of a document;
/// also number/year alone, the form of civil-status registers (a birth certificate's
/// "Số: 176/2024").
static SHAPE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[0-9]+(?:/[0-9]{4}(?:/\p{Lu}\p{L}*(?:-\p{Lu}\p{L}*)*)?|/\p{Lu}\p{L}*(?:-\p{Lu}\p{L}*)*)$")
        .expect("constant pattern")
});

/// The value of a number-and-symbol token as printed: NFC, spaces around '/' and '-' removed,
/// an en dash read for the hyphen turned into '-'.
fn normalise(raw: &str) -> String {
    let nfc: String = raw.nfc().collect();
    AROUND_SEP
        .replace_all(&nfc, |c: &regex::Captures<'_>| {
            match c.get(1).map_or("-", |g| g.as_str()) {
                "/" => "/",
                _ => "-",
            }
            .to_string()
        })
        .into_owned()
}

/// Checks the shape of a document number and symbol: `number[/year]/SYMBOL(-SYMBOL)*`.
fn check(value: &str) -> Check {
    if SHAPE.is_match(value) {
        return Check::Valid;
    }
    let reason = if !value.contains(|c: char| c.is_alphabetic()) {
        format!(
            "'{value}' has no symbol of the issuing body after the number (expected e.g. \
             123/QĐ-UBND)"
        )
    } else {
        format!(
            "'{value}' does not have the shape number[/year]/SYMBOL (e.g. 123/QĐ-UBND or \
             45/2023/HĐ-UQ)"
        )
    };
    Check::Invalid { reason }
}

/// Finds DocNumber fields: after "Số" with a capital S starting a line when a colon follows it
/// or the token has a '/' ("Số: 123/QĐ-UBND", "Số 0123/GP-UBND"; not "số 18 ngõ 21", an
/// address wrapped onto a new line), after "Số:" with a capital S inside a line when the token
/// has a '/', or on the line after a lone "Số:". "Số định danh…", "Số điện thoại", "Số nhà", "Số CMND", "Số vào sổ" are not taken
/// because a digit must follow "Số"; a bare run of 9 digits or more is an identity number, not
/// a document number.
pub(super) fn find(doc: &Doc<'_>, hits: &mut Vec<Hit>) {
    for (li, line) in doc.lines.iter().enumerate() {
        let f = &line.folded;
        let capital_at = |fold_pos: usize| {
            let (s, _) = line.orig(fold_pos, fold_pos);
            line.text()[s..].starts_with('S')
        };
        let token = if let Some(c) = AT_START.captures(f) {
            let colon = c.get(1).is_some_and(|g| g.as_str() == ":");
            let so = c
                .get(0)
                .map_or(0, |g| g.end() - g.as_str().trim_start().len());
            c.get(2)
                .filter(|g| capital_at(so) && (colon || g.as_str().contains('/')))
                .map(|g| (li, g.start(), g.end()))
        } else if let Some(c) = INSIDE.captures(f) {
            let capital = capital_at(c.get(0).map_or(0, |g| g.start()));
            c.get(1)
                .filter(|g| capital && g.as_str().contains('/'))
                .map(|g| (li, g.start(), g.end()))
        } else if LABEL_ONLY.is_match(f) {
            doc.next_on_page(li).and_then(|n| {
                let c = TOKEN_AT_START.captures(&doc.lines[n].folded)?;
                c.get(1)
                    .filter(|g| g.as_str().contains('/'))
                    .map(|g| (n, g.start(), g.end()))
            })
        } else {
            None
        };
        let Some((tl, a, b)) = token else {
            continue;
        };
        let t = &doc.lines[tl];
        let (s, e) = t.orig(a, b);
        let raw = &t.text()[s..e];
        if raw.bytes().all(|c| c.is_ascii_digit()) && raw.len() >= 9 {
            continue;
        }
        let value = normalise(raw);
        let check = check(&value);
        hits.push(Hit::at(doc, FieldKind::DocNumber, tl, a, b, value, check));
    }
}
