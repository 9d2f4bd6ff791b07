//! Shared by classify, similar and the index: text normalisation for matching OCR output. Vietnamese OCR errors are
//! mostly in tone marks and vowel hats, so rules and features match on two forms: NFC
//! lower-case ("exact") and the same with every diacritic removed and đ → d ("folded").

use unicode_normalization::char::{decompose_canonical, is_combining_mark};
use unicode_normalization::UnicodeNormalization;

/// NFC, lower-case, whitespace runs folded to one space, trimmed.
pub fn exact(s: &str) -> String {
    let lower: String = s.nfc().flat_map(char::to_lowercase).collect();
    squash_spaces(&lower)
}

/// Lower-case without diacritics: "Quyền Sử Dụng Đất" → "quyen su dung dat".
pub fn fold(s: &str) -> String {
    let (folded, _) = fold_with_offsets(s);
    folded
}

/// [`fold`] of `s` (whitespace kept as is, not squashed), with, for each byte of the folded
/// string, the byte offset in `s` of the character it came from, plus one entry for the end.
/// A match at `a..b` in the folded text covers `offsets[a]..offsets[b]` in `s`.
pub fn fold_with_offsets(s: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(s.len());
    let mut offsets = Vec::with_capacity(s.len() + 1);
    for (at, c) in s.char_indices() {
        for lc in c.to_lowercase() {
            let base = fold_char(lc);
            if let Some(b) = base {
                let before = out.len();
                out.push(b);
                offsets.extend(std::iter::repeat_n(at, out.len() - before));
            }
        }
    }
    offsets.push(s.len());
    (out, offsets)
}

/// The base letter of a lower-case character, or `None` for a lone combining mark.
fn fold_char(c: char) -> Option<char> {
    match c {
        'đ' => return Some('d'),
        'ð' => return Some('d'),
        _ => {}
    }
    if is_combining_mark(c) {
        return None;
    }
    let mut base = None;
    decompose_canonical(c, |d| {
        if base.is_none() && !is_combining_mark(d) {
            base = Some(d);
        }
    });
    Some(base.unwrap_or(c))
}

/// Whitespace runs to one space, trimmed.
pub fn squash_spaces(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Word tokens of folded or exact text: runs of letters and digits.
pub fn tokens(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_strips_tones_hats_and_d_bar() {
        assert_eq!(fold("QUYỀN SỬ DỤNG ĐẤT"), "quyen su dung dat");
        assert_eq!(fold("Giấy khai sinh"), "giay khai sinh");
        // decomposed input folds the same as precomposed
        assert_eq!(fold("Gia\u{0302}\u{0301}y"), "giay");
    }

    #[test]
    fn offsets_point_back_into_the_original() {
        let s = "Số: 12/QĐ";
        let (f, off) = fold_with_offsets(s);
        assert_eq!(f, "so: 12/qd");
        let a = f.find("12").unwrap();
        assert_eq!(&s[off[a]..off[a + 2]], "12");
        assert_eq!(&s[off[f.len() - 2]..off[f.len()]], "QĐ");
    }

    #[test]
    fn exact_keeps_tones() {
        assert_eq!(exact("  Họ   và TÊN "), "họ và tên");
    }
}
