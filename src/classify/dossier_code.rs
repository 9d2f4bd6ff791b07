//! Stage `classify`: the shape of a dossier code (mã hồ sơ) as printed on receipts and in
//! their QR codes: `<unit code>-<YYMMDD>-<sequence>`, e.g. `000.00.10.H59-221122-0001`
//! (unit code of the receiving body in the national catalogue, receiving date, 4-digit
//! sequence of the day; see `../shared/domain.md`).

use std::sync::LazyLock;

use regex::Regex;

static SHAPE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2})-(\d{2})(\d{2})(\d{2})-(\d{4})$")
        .expect("constant pattern")
});

/// Anywhere in a line of OCR text (separators may have been read with spaces around them).
static IN_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\d{3}\s?\.\s?\d{2}\s?\.\s?\d{2}\s?\.\s?[A-Z0-9]\d{2}\s?-\s?\d{6}\s?-\s?\d{4}")
        .expect("constant pattern")
});

/// Why a text is not a dossier code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DossierCodeError {
    #[error("{0:?} is not shaped like a dossier code (expected e.g. 000.00.10.H59-221122-0001)")]
    Shape(String),
    #[error("{0:?}: the date part is not a real date (YYMMDD)")]
    Date(String),
}

/// Checks `text` (trimmed) and returns the code.
pub fn parse(text: &str) -> Result<String, DossierCodeError> {
    let t = text.trim();
    let c = SHAPE
        .captures(t)
        .ok_or_else(|| DossierCodeError::Shape(t.to_string()))?;
    let num = |i: usize| c[i].parse::<u32>().unwrap_or(0);
    let (yy, mm, dd) = (num(2), num(3), num(4));
    if !(1..=12).contains(&mm) || dd == 0 || dd > days_in_month(2000 + yy, mm) {
        return Err(DossierCodeError::Date(t.to_string()));
    }
    Ok(t.to_string())
}

static UNIT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$").expect("constant pattern"));

/// Whether `s` is shaped like a unit code of the national catalogue (`000.00.10.H59`).
pub fn is_unit_code(s: &str) -> bool {
    UNIT.is_match(s)
}

/// The unit-code part of a valid code.
pub fn unit_of(code: &str) -> Option<&str> {
    SHAPE
        .captures(code)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str())
}

/// A dossier code printed in OCR text, spaces removed, if one is there and valid.
pub fn find_in_text(line: &str) -> Option<String> {
    let m = IN_TEXT.find(line)?;
    let squashed: String = m.as_str().chars().filter(|c| !c.is_whitespace()).collect();
    parse(&squashed).ok()
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        2 if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_documented_shape() {
        assert_eq!(
            parse(" 000.00.10.H59-221122-0001 ").unwrap(),
            "000.00.10.H59-221122-0001"
        );
        assert_eq!(unit_of("000.00.10.H59-221122-0001"), Some("000.00.10.H59"));
    }

    #[test]
    fn rejects_wrong_shapes_and_dates() {
        assert!(matches!(
            parse("000.00.10.H59-2211220001"),
            Err(DossierCodeError::Shape(_))
        ));
        assert!(matches!(
            parse("https://example.org"),
            Err(DossierCodeError::Shape(_))
        ));
        assert!(matches!(
            parse("000.00.10.H59-221322-0001"),
            Err(DossierCodeError::Date(_))
        ));
        assert!(matches!(
            parse("000.00.10.H59-230229-0001"),
            Err(DossierCodeError::Date(_))
        ));
        assert!(parse("000.00.10.H59-240229-0001").is_ok());
    }

    #[test]
    fn finds_a_code_in_ocr_text_with_stray_spaces() {
        assert_eq!(
            find_in_text("Mã hồ sơ: 000.00.10.H59 - 221122-0001").as_deref(),
            Some("000.00.10.H59-221122-0001")
        );
        assert_eq!(find_in_text("Mã hồ sơ: không có"), None);
    }
}
