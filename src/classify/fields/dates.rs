//! Stage `classify`, field extraction: dates as Vietnamese papers print them ("ngày 30 tháng 5
//! năm 2022", "30/05/2022") — birth dates, issue dates (the place-and-date line, "Ngày cấp"),
//! expiry dates ("Có giá trị đến").

use std::sync::LazyLock;

use regex::{Captures, Regex};

use super::scan::{label_regex, value_after, Doc, Hit};
use super::{Check, FieldKind};
use crate::text::fold;

/// "ngày 30 tháng 5 năm 2022" on folded text ("ngay" optional, commas tolerated).
const WORDS: &str = r"(?:ngay\s*)?([0-9]{1,2})\s*,?\s*thang\s*([0-9]{1,2})\s*,?\s*nam\s*([0-9]{4})";
/// "30/05/2022", "30-05-2022", "30.05.2022" (optionally after "ngay"); both separators alike.
const NUMERIC: &str = r"(?:ngay\s*)?([0-9]{1,2})\s*([/.\-])\s*([0-9]{1,2})\s*([/.\-])\s*([0-9]{4})";

static WORDS_AT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("^(?:{WORDS})")).expect("constant pattern"));
static NUMERIC_AT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("^(?:{NUMERIC})")).expect("constant pattern"));
/// The date of a place-and-date line: "ngay" required.
static WORDS_ANY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\bngay\s*([0-9]{1,2})\s*,?\s*thang\s*([0-9]{1,2})\s*,?\s*nam\s*([0-9]{4})")
        .expect("constant pattern")
});
static YEAR_AT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([0-9]{4})(?:[^0-9/.\-]|$)").expect("constant pattern"));

/// A date-shaped text at the start of folded `s`: `(year, month, day, end)`; not checked
/// against the calendar, not followed by another digit.
fn date_shape_at(s: &str) -> Option<(i32, u32, u32, usize)> {
    let num = |c: &Captures<'_>, i: usize| c.get(i).and_then(|g| g.as_str().parse::<u32>().ok());
    let (y, m, d, end) = if let Some(c) = WORDS_AT.captures(s) {
        (num(&c, 3)?, num(&c, 2)?, num(&c, 1)?, c.get(0)?.end())
    } else {
        let c = NUMERIC_AT.captures(s)?;
        if c.get(2)?.as_str() != c.get(4)?.as_str() {
            return None;
        }
        (num(&c, 5)?, num(&c, 3)?, num(&c, 1)?, c.get(0)?.end())
    };
    if s[end..].starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Some((i32::try_from(y).ok()?, m, d, end))
}

/// Why `(y, m, d)` is not a calendar date of a plausible year, or `None` when it is.
fn calendar_problem(y: i32, m: u32, d: u32) -> Option<String> {
    if !(1800..=2299).contains(&y) {
        return Some(format!("year {y} is not plausible on a paper"));
    }
    if !(1..=12).contains(&m) {
        return Some(format!("month {m} does not exist"));
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if d == 0 || d > days {
        return Some(format!(
            "day {d} does not exist in month {m} of {y} ({days} days)"
        ));
    }
    None
}

/// Parses a date as printed on Vietnamese papers: "ngày 30 tháng 5 năm 2022", "30/05/2022",
/// "30-05-2022", "30.05.2022", also folded or with misread tone marks ("ngay 30 thang 5 nam
/// 2022", "ngáy 30 thàng 5 nằm 2022"). The whole text must be the date (surrounding spaces and
/// a final '.', ',' or ';' aside). Returns `(year, month, day)`; `None` for anything else,
/// including impossible dates such as 31/02.
pub fn parse_vn_date(s: &str) -> Option<(i32, u32, u32)> {
    let f = fold(s);
    let t = f.trim().trim_end_matches(['.', ',', ';']).trim_end();
    let (y, m, d, end) = date_shape_at(t)?;
    if end != t.len() || calendar_problem(y, m, d).is_some() {
        return None;
    }
    Some((y, m, d))
}

/// A date hit at folded byte `pos` of line `li`, checked against the calendar.
fn date_hit(doc: &Doc<'_>, kind: FieldKind, li: usize, pos: usize) -> Option<Hit> {
    let (y, m, d, len) = date_shape_at(&doc.lines[li].folded[pos..])?;
    let check = match calendar_problem(y, m, d) {
        None => Check::Valid,
        Some(reason) => Check::Invalid { reason },
    };
    let value = format!("{y:04}-{m:02}-{d:02}");
    let mut h = Hit::at(doc, kind, li, pos, pos + len, value, check);
    h.year = Some(y);
    Some(h)
}

static BIRTH: LazyLock<Regex> = LazyLock::new(|| {
    label_regex(&[
        "ngay thang nam sinh",
        "ngay sinh",
        "sinh ngay",
        "nam sinh",
        "sinh nam",
    ])
});
static ISSUE: LazyLock<Regex> = LazyLock::new(|| {
    label_regex(&[
        "ngay cap",
        "cap ngay",
        "dang ky lan dau",
        "ngay thang nam dang ky",
        // a contract's or power of attorney's signing day: "Hôm nay, ngày 11 tháng 01 năm 2022"
        "hom nay,",
    ])
});
static EXPIRY: LazyLock<Regex> = LazyLock::new(|| {
    label_regex(&[
        "co gia tri den ngay",
        "co gia tri den",
        "gia tri den",
        "ngay het han",
        // the end of a term: "từ ngày ký đến hết ngày 31 tháng 12 năm 2022"
        "den het ngay",
    ])
});

/// Finds BirthDate, IssueDate and ExpiryDate fields.
///
/// - BirthDate after "Ngày, tháng, năm sinh", "Ngày sinh", "Sinh ngày", "Năm sinh", "Sinh năm":
///   a full date (value `YYYY-MM-DD`), or a year alone as land certificates and birth
///   certificates print for adults ("năm sinh: 1962"; value `YYYY`).
/// - IssueDate on the place-and-date line ("Tuyên Quang, ngày 30 tháng 5 năm 2022": a word
///   starting with a capital, a comma, the date, nothing but a full stop after it), or after
///   "Ngày cấp", "cấp ngày", "Đăng ký lần đầu" and the birth certificate's "Ngày, tháng, năm
///   đăng ký".
/// - ExpiryDate after "Có giá trị đến (hết) (ngày)", "Giá trị đến", "Ngày hết hạn"; "Không
///   thời hạn" gives no field.
///
/// A date-shaped value that is not a calendar date (31/02) is reported invalid. Labels may
/// overlap ("Giới tính: Nam Sinh ngày: …" holds "nam sinh" and "sinh ngay"): when the first one
/// has no date after it, the search goes on from inside it.
pub(super) fn find(doc: &Doc<'_>, hits: &mut Vec<Hit>) {
    for (li, line) in doc.lines.iter().enumerate() {
        for (re, kind) in [
            (&*BIRTH, FieldKind::BirthDate),
            (&*ISSUE, FieldKind::IssueDate),
            (&*EXPIRY, FieldKind::ExpiryDate),
        ] {
            let f = &line.folded;
            let mut at = 0;
            while let Some(m) = re.find_at(f, at) {
                match labelled_date(doc, kind, li, m.end()) {
                    Some(h) => {
                        hits.push(h);
                        at = m.end();
                    }
                    // Labels overlap: "Nam Sinh ngày: 05/02/1972" (sex, then the birth date)
                    // first matches "nam sinh", whose value would be "ngày: …"; try again one
                    // character further so that "sinh ngay" is found.
                    None => {
                        at = m.start() + f[m.start()..].chars().next().map_or(1, char::len_utf8)
                    }
                }
            }
        }
        place_date(doc, li, hits);
    }
}

/// The date of `kind` after a label ending at folded byte `end` of line `li`: a full date, or
/// for a birth date a year alone.
fn labelled_date(doc: &Doc<'_>, kind: FieldKind, li: usize, end: usize) -> Option<Hit> {
    let (vl, mut vp) = value_after(doc, li, end)?;
    let vf = &doc.lines[vl].folded;
    if kind == FieldKind::ExpiryDate && vf[vp..].starts_with("het ") {
        vp += "het ".len();
    }
    date_hit(doc, kind, vl, vp).or_else(|| {
        (kind == FieldKind::BirthDate)
            .then(|| year_hit(doc, vl, vp))
            .flatten()
    })
}

/// A birth year alone at folded byte `pos` of line `li`.
fn year_hit(doc: &Doc<'_>, li: usize, pos: usize) -> Option<Hit> {
    let c = YEAR_AT.captures(&doc.lines[li].folded[pos..])?;
    let g = c.get(1)?;
    let y: i32 = g.as_str().parse().ok()?;
    let check = if (1800..=2299).contains(&y) {
        Check::Valid
    } else {
        Check::Invalid {
            reason: format!("year {y} is not plausible on a paper"),
        }
    };
    let mut h = Hit::at(
        doc,
        FieldKind::BirthDate,
        li,
        pos,
        pos + g.end(),
        g.as_str().to_string(),
        check,
    );
    h.year = Some(y);
    Some(h)
}

/// The issue date of a place-and-date line.
fn place_date(doc: &Doc<'_>, li: usize, hits: &mut Vec<Hit>) {
    let line = &doc.lines[li];
    let f = &line.folded;
    for m in WORDS_ANY.find_iter(f) {
        if !f[m.end()..].trim_matches([' ', '.']).is_empty() {
            continue;
        }
        let before = f[..m.start()].trim_end();
        let Some(comma) = before.strip_suffix(',') else {
            continue;
        };
        let (orig_end, _) = line.orig(comma.len(), comma.len());
        let place_word = line.text()[..orig_end].split_whitespace().last();
        if !place_word.is_some_and(|w| w.starts_with(char::is_uppercase)) {
            continue;
        }
        if let Some(h) = date_hit(doc, FieldKind::IssueDate, li, m.start()) {
            hits.push(h);
        }
    }
}
