//! Foundation `pdf`, content streams: the Latin simple-font encodings (ISO 32000-1 Annex D:
//! StandardEncoding, WinAnsiEncoding, MacRomanEncoding), glyph names of `/Differences`
//! (Adobe Glyph List names of ASCII, a few ligatures and punctuation, `uniXXXX`, `uXXXX`), and
//! the widths of the standard Helvetica and Courier faces (their AFM files) for fonts that
//! carry no `/Widths`.

/// A simple font's base encoding (ISO 32000-1 §9.6.6.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Base {
    Standard,
    WinAnsi,
    MacRoman,
}

impl Base {
    pub(crate) fn from_name(n: &[u8]) -> Option<Self> {
        match n {
            b"StandardEncoding" => Some(Base::Standard),
            b"WinAnsiEncoding" => Some(Base::WinAnsi),
            b"MacRomanEncoding" => Some(Base::MacRoman),
            _ => None,
        }
    }

    /// The character of `code`, if the encoding defines one.
    pub(crate) fn char_of(self, code: u8) -> Option<char> {
        match (self, code) {
            (Base::Standard, 0x27) => Some('\u{2019}'),
            (Base::Standard, 0x60) => Some('\u{2018}'),
            (_, 0x20..=0x7E) => Some(char::from(code)),
            (Base::WinAnsi, 0x80..=0x9F) => table(&WIN_ANSI_80, code - 0x80),
            (Base::WinAnsi, 0xA0..=0xFF) => Some(char::from(code)),
            (Base::MacRoman, 0x80..=0xFF) => table(&MAC_ROMAN_80, code - 0x80),
            (Base::Standard, 0xA1..=0xFF) => table(&STANDARD_A1, code - 0xA1),
            _ => None,
        }
    }
}

fn table(t: &[u16], i: u8) -> Option<char> {
    t.get(usize::from(i))
        .filter(|&&u| u != 0)
        .and_then(|&u| char::from_u32(u32::from(u)))
}

/// WinAnsiEncoding 0x80..=0x9F (Windows-1252); 0 = undefined.
const WIN_ANSI_80: [u16; 32] = [
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
    0x0152, 0, 0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC,
    0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
];

/// MacRomanEncoding 0x80..=0xFF (0xDB as the euro, as Mac OS 8.5 and later).
const MAC_ROMAN_80: [u16; 128] = [
    0xC4, 0xC5, 0xC7, 0xC9, 0xD1, 0xD6, 0xDC, 0xE1, 0xE0, 0xE2, 0xE4, 0xE3, 0xE5, 0xE7, 0xE9, 0xE8,
    0xEA, 0xEB, 0xED, 0xEC, 0xEE, 0xEF, 0xF1, 0xF3, 0xF2, 0xF4, 0xF6, 0xF5, 0xFA, 0xF9, 0xFB, 0xFC,
    0x2020, 0xB0, 0xA2, 0xA3, 0xA7, 0x2022, 0xB6, 0xDF, 0xAE, 0xA9, 0x2122, 0xB4, 0xA8, 0x2260,
    0xC6, 0xD8, 0x221E, 0xB1, 0x2264, 0x2265, 0xA5, 0xB5, 0x2202, 0x2211, 0x220F, 0x3C0, 0x222B,
    0xAA, 0xBA, 0x3A9, 0xE6, 0xF8, 0xBF, 0xA1, 0xAC, 0x221A, 0x192, 0x2248, 0x2206, 0xAB, 0xBB,
    0x2026, 0xA0, 0xC0, 0xC3, 0xD5, 0x152, 0x153, 0x2013, 0x2014, 0x201C, 0x201D, 0x2018, 0x2019,
    0xF7, 0x25CA, 0xFF, 0x178, 0x2044, 0x20AC, 0x2039, 0x203A, 0xFB01, 0xFB02, 0x2021, 0xB7,
    0x201A, 0x201E, 0x2030, 0xC2, 0xCA, 0xC1, 0xCB, 0xC8, 0xCD, 0xCE, 0xCF, 0xCC, 0xD3, 0xD4,
    0xF8FF, 0xD2, 0xDA, 0xDB, 0xD9, 0x131, 0x2C6, 0x2DC, 0xAF, 0x2D8, 0x2D9, 0x2DA, 0xB8, 0x2DD,
    0x2DB, 0x2C7,
];

/// StandardEncoding 0xA1..=0xFF; 0 = undefined.
const STANDARD_A1: [u16; 95] = [
    0xA1, 0xA2, 0xA3, 0x2044, 0xA5, 0x192, 0xA7, 0xA4, 0x27, 0x201C, 0xAB, 0x2039, 0x203A, 0xFB01,
    0xFB02, 0, 0x2013, 0x2020, 0x2021, 0xB7, 0, 0xB6, 0x2022, 0x201A, 0x201E, 0x201D, 0xBB, 0x2026,
    0x2030, 0, 0xBF, 0, 0x60, 0xB4, 0x2C6, 0x2DC, 0xAF, 0x2D8, 0x2D9, 0xA8, 0, 0x2DA, 0xB8, 0,
    0x2DD, 0x2DB, 0x2C7, 0x2014, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xC6, 0, 0xAA, 0,
    0, 0, 0, 0x141, 0xD8, 0x152, 0xBA, 0, 0, 0, 0, 0, 0xE6, 0, 0, 0, 0x131, 0, 0, 0x142, 0xF8,
    0x153, 0xDF, 0, 0, 0, 0,
];

/// Adobe Glyph List names of the printable ASCII characters, 0x20..=0x7E, in order.
const ASCII_NAMES: [&str; 95] = [
    "space",
    "exclam",
    "quotedbl",
    "numbersign",
    "dollar",
    "percent",
    "ampersand",
    "quotesingle",
    "parenleft",
    "parenright",
    "asterisk",
    "plus",
    "comma",
    "hyphen",
    "period",
    "slash",
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "colon",
    "semicolon",
    "less",
    "equal",
    "greater",
    "question",
    "at",
    "A",
    "B",
    "C",
    "D",
    "E",
    "F",
    "G",
    "H",
    "I",
    "J",
    "K",
    "L",
    "M",
    "N",
    "O",
    "P",
    "Q",
    "R",
    "S",
    "T",
    "U",
    "V",
    "W",
    "X",
    "Y",
    "Z",
    "bracketleft",
    "backslash",
    "bracketright",
    "asciicircum",
    "underscore",
    "grave",
    "a",
    "b",
    "c",
    "d",
    "e",
    "f",
    "g",
    "h",
    "i",
    "j",
    "k",
    "l",
    "m",
    "n",
    "o",
    "p",
    "q",
    "r",
    "s",
    "t",
    "u",
    "v",
    "w",
    "x",
    "y",
    "z",
    "braceleft",
    "bar",
    "braceright",
    "asciitilde",
];

/// A few more names seen in Latin fonts' `/Differences`.
const OTHER_NAMES: [(&str, &str); 17] = [
    ("fi", "fi"),
    ("fl", "fl"),
    ("ff", "ff"),
    ("ffi", "ffi"),
    ("ffl", "ffl"),
    ("quoteleft", "\u{2018}"),
    ("quoteright", "\u{2019}"),
    ("quotedblleft", "\u{201C}"),
    ("quotedblright", "\u{201D}"),
    ("endash", "\u{2013}"),
    ("emdash", "\u{2014}"),
    ("bullet", "\u{2022}"),
    ("ellipsis", "\u{2026}"),
    ("minus", "\u{2212}"),
    ("nbspace", "\u{A0}"),
    ("degree", "\u{B0}"),
    ("Euro", "\u{20AC}"),
];

/// The text of a glyph name (Adobe Glyph List specification: `uniXXXX…`, `uXXXX[XX]`, a
/// suffix after `.` ignored); `None` for names it does not know.
pub(crate) fn glyph_text(name: &[u8]) -> Option<String> {
    let name = std::str::from_utf8(name).ok()?;
    let base = name.split('.').next().unwrap_or(name);
    if let Some(i) = ASCII_NAMES.iter().position(|&n| n == base) {
        return u8::try_from(i + 0x20)
            .ok()
            .map(|b| char::from(b).to_string());
    }
    if let Some((_, t)) = OTHER_NAMES.iter().find(|(n, _)| *n == base) {
        return Some((*t).to_string());
    }
    let hex = |h: &str| u32::from_str_radix(h, 16).ok().and_then(char::from_u32);
    if let Some(h) = base.strip_prefix("uni") {
        if h.len() >= 4 && h.len() % 4 == 0 && h.bytes().all(|b| b.is_ascii_hexdigit()) {
            let s: Option<String> = (0..h.len() / 4)
                .map(|i| hex(h.get(i * 4..i * 4 + 4)?))
                .collect();
            return s;
        }
    }
    if let Some(h) = base.strip_prefix('u') {
        if (4..=6).contains(&h.len()) && h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return hex(h).map(String::from);
        }
    }
    None
}

/// Helvetica's widths of 0x20..=0x7E (Adobe AFM, StandardEncoding).
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 222, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 222, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

/// The width of `code` in a standard face named `base_font`, when known (Helvetica and Arial
/// regular for ASCII, Courier for every code); `None` otherwise.
pub(crate) fn standard_width(base_font: &[u8], code: u8) -> Option<f64> {
    let name = base_font.rsplit(|&b| b == b'+').next().unwrap_or(base_font);
    if name.starts_with(b"Courier") {
        return Some(600.0);
    }
    if matches!(name, b"Helvetica" | b"Arial" | b"ArialMT") {
        let i = usize::from(code.checked_sub(0x20)?);
        return HELVETICA.get(i).map(|&w| f64::from(w));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_and_names() {
        assert_eq!(Base::WinAnsi.char_of(0x80), Some('€'));
        assert_eq!(Base::WinAnsi.char_of(0xE0), Some('à'));
        assert_eq!(Base::WinAnsi.char_of(0x81), None);
        assert_eq!(Base::MacRoman.char_of(0x8E), Some('é'));
        assert_eq!(Base::MacRoman.char_of(0xFF), Some('ˇ'));
        assert_eq!(Base::Standard.char_of(0x27), Some('’'));
        assert_eq!(Base::Standard.char_of(0xAE), Some('ﬁ'));
        assert_eq!(Base::Standard.char_of(0xFF), None);
        assert_eq!(Base::Standard.char_of(0xE1), Some('Æ'));
        assert_eq!(Base::Standard.char_of(0xFB), Some('ß'));
        assert_eq!(glyph_text(b"A").as_deref(), Some("A"));
        assert_eq!(glyph_text(b"seven").as_deref(), Some("7"));
        assert_eq!(glyph_text(b"a.sc").as_deref(), Some("a"));
        assert_eq!(glyph_text(b"uni1EA1").as_deref(), Some("ạ"));
        assert_eq!(glyph_text(b"uni00660069").as_deref(), Some("fi"));
        assert_eq!(glyph_text(b"u1F600").as_deref(), Some("😀"));
        assert_eq!(glyph_text(b"uniD800"), None);
        assert_eq!(glyph_text(b"g123"), None);
        assert_eq!(standard_width(b"Helvetica", b'A'), Some(667.0));
        assert_eq!(standard_width(b"ABCDEF+Courier-Bold", 0xE0), Some(600.0));
        assert_eq!(standard_width(b"Times-Roman", b'A'), None);
    }
}
