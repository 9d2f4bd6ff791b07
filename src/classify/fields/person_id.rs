//! Stage `classify`, field extraction: personal identification numbers (số định danh cá nhân,
//! the 12-digit number of the citizen identity card, CCCD) and old 9-digit identity card
//! numbers (CMND), with the checks their structure allows.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

use super::scan::{digit_runs, label_before, starts_line, Doc, Hit};
use super::{parse_vn_date, Check, FieldKind};

/// The province codes that open a personal identification number: the 63 codes actually assigned
/// (province or centrally-run city where the birth was registered). The list of codes is the
/// appendix of Circular 07/2016/TT-BCA, kept by Circular 59/2021/TT-BCA (art. 7), which details
/// Decree 137/2015/NĐ-CP (art. 7: 3-digit province code, 1 century/gender digit, 2 digits of
/// the birth year, 6 random digits); domain.md states the same layout.
pub const PROVINCE_CODES: [&str; 63] = [
    "001", "002", "004", "006", "008", "010", "011", "012", "014", "015", "017", "019", "020",
    "022", "024", "025", "026", "027", "030", "031", "033", "034", "035", "036", "037", "038",
    "040", "042", "044", "045", "046", "048", "049", "051", "052", "054", "056", "058", "060",
    "062", "064", "066", "067", "068", "070", "072", "074", "075", "077", "079", "080", "082",
    "083", "084", "086", "087", "089", "091", "092", "093", "094", "095", "096",
];

/// Checks a 12-digit personal identification number (Decree 137/2015/NĐ-CP art. 7; Circular
/// 59/2021/TT-BCA art. 7; domain.md):
/// - 12 ASCII digits;
/// - digits 1–3: an assigned province code ([`PROVINCE_CODES`]);
/// - digit 4: century and gender — 0/1 born 1900–1999 (male/female), 2/3 born 2000–2099,
///   4/5 2100–2199, 6/7 2200–2299, 8/9 2300–2399; only 0–3 are possible for a living person, so
///   4–9 are reported invalid;
/// - digits 5–6: the last two digits of the birth year.
///
/// With `birth_year` (from the birth date printed on the same paper) the century digit and the
/// year digits are compared with it. The gender half of digit 4 is not checked.
pub fn check_person_id(digits: &str, birth_year: Option<i32>) -> Check {
    let n = digits.chars().count();
    if n != 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        let what = if digits.bytes().all(|b| b.is_ascii_digit()) {
            format!("has {n} digits")
        } else {
            "has characters other than digits".to_string()
        };
        let hint = if n == 9 {
            " (9 digits is an old identity card number, CMND)"
        } else {
            ""
        };
        return invalid(format!(
            "{what}; a personal identification number has 12{hint}"
        ));
    }
    let province = &digits[..3];
    if !PROVINCE_CODES.contains(&province) {
        return invalid(format!(
            "province code {province} (first 3 digits) is not assigned to any province"
        ));
    }
    let century = i32::from(digits.as_bytes()[3] - b'0');
    if century >= 4 {
        return invalid(format!(
            "century digit {century} (4th digit) means born after 2099"
        ));
    }
    let yy = i32::from(digits.as_bytes()[4] - b'0') * 10 + i32::from(digits.as_bytes()[5] - b'0');
    if let Some(year) = birth_year {
        let from = 1900 + (century / 2) * 100;
        if !(from..from + 100).contains(&year) {
            return invalid(format!(
                "century digit {century} (4th digit) means born in {from}–{}, but the birth date \
                 on the paper is in {year}",
                from + 99
            ));
        }
        if year.rem_euclid(100) != yy {
            return invalid(format!(
                "digits 5–6 ({yy:02}) should be the last two digits of the birth year, but the \
                 birth date on the paper is in {year}"
            ));
        }
    }
    Check::Valid
}

/// Checks an old identity card (CMND) number: 9 digits.
fn check_legacy_id(digits: &str) -> Check {
    let n = digits.chars().count();
    if n == 9 && digits.bytes().all(|b| b.is_ascii_digit()) {
        Check::Valid
    } else {
        invalid(format!(
            "has {n} digits; an old identity card number (CMND) has 9"
        ))
    }
}

fn invalid(reason: String) -> Check {
    Check::Invalid { reason }
}

/// Labels of the 12-digit number ("Số định danh cá nhân", "Mã số định danh", "Số CCCD",
/// "Căn cước công dân số").
static STRONG: LazyLock<Regex> = LazyLock::new(|| {
    super::scan::label_regex(&[
        "so dinh danh ca nhan",
        "ma so dinh danh ca nhan",
        "ma so dinh danh",
        "so dinh danh",
        "dinh danh ca nhan",
        "so cccd",
        "cccd",
        "so can cuoc cong dan",
        "can cuoc cong dan",
        "so can cuoc",
        "can cuoc",
    ])
});

/// "Số:" — a weak label: a 12-digit number after it is taken, a wrong one is not reported.
static WEAK: LazyLock<Regex> = LazyLock::new(|| super::scan::label_regex(&[r"so\s*:"]));

/// Labels of the old 9-digit number.
static LEGACY: LazyLock<Regex> = LazyLock::new(|| {
    super::scan::label_regex(&[
        "so chung minh nhan dan",
        "chung minh nhan dan",
        "so cmnd",
        "cmnd",
    ])
});

/// Labels of numbers that are not identity numbers even when they look like one.
static NOT_ID: LazyLock<Regex> = LazyLock::new(|| {
    super::scan::label_regex(&[
        "so dien thoai",
        "dien thoai",
        "dt",
        "fax",
        "so tai khoan",
        "tai khoan",
        "stk",
        "ma ho so",
        "so ho so",
        "so phat hanh",
        "so vao so",
    ])
});

/// Finds PersonId and LegacyId fields.
///
/// A 12-digit run (groups joined by single spaces or dots allowed, see
/// [`super::scan::digit_runs`]) is taken when an identity label governs it, or anywhere when it
/// passes [`check_person_id`] without a birth year (it may otherwise be a phone or a parcel
/// code, so a failing unlabelled run is not reported). An old card's title on the line above
/// a "Số:" opening the line labels the run as the card number ("GIẤY CHỨNG MINH NHÂN DÂN" /
/// "Số: 040989411"). A run governed by a phone/account label is never taken. A labelled run of
/// 8–14 digits of the wrong length is reported invalid.
pub(super) fn find(doc: &Doc<'_>, hits: &mut Vec<Hit>) {
    for (li, line) in doc.lines.iter().enumerate() {
        for run in digit_runs(&line.folded) {
            let n = run.digits.len();
            if !(8..=14).contains(&n) || parse_vn_date(&line.folded[run.start..run.end]).is_some() {
                continue;
            }
            let strong = label_before(doc, li, run.start, &STRONG);
            let weak = label_before(doc, li, run.start, &WEAK);
            let legacy = label_before(doc, li, run.start, &LEGACY)
                .or_else(|| heading_label(doc, li, weak, &LEGACY));
            let not_id = label_before(doc, li, run.start, &NOT_ID);
            let best = strong.max(weak).max(legacy);
            if not_id.is_some() && not_id >= best {
                continue;
            }
            let hit =
                |kind, check| Hit::at(doc, kind, li, run.start, run.end, run.digits.clone(), check);
            if n == 12 {
                let check = check_person_id(&run.digits, None);
                if best.is_some() || check == Check::Valid {
                    hits.push(hit(FieldKind::PersonId, check));
                }
            } else if legacy.is_some() && (n == 9 || legacy >= strong) {
                hits.push(hit(FieldKind::LegacyId, check_legacy_id(&run.digits)));
            } else if strong.is_some() {
                hits.push(hit(FieldKind::PersonId, check_person_id(&run.digits, None)));
            }
        }
    }
}

/// A card's title heading the number: "GIẤY CHỨNG MINH NHÂN DÂN" ending the previous line of
/// the page, then "Số: 040989411" opening this one. When the weak "Số:" label governing a run
/// starts line `li`, the last match of `re` ending the previous line (see
/// [`label_before`]).
fn heading_label(
    doc: &Doc<'_>,
    li: usize,
    weak: Option<(usize, usize)>,
    re: &Regex,
) -> Option<(usize, usize)> {
    let (wl, wend) = weak?;
    let f = &doc.lines[wl].folded;
    let so = WEAK.find_iter(f).find(|m| m.end() == wend)?;
    if wl != li || !starts_line(&f[..so.start()]) {
        return None;
    }
    label_before(doc, li, 0, re)
}

/// Compares each structurally valid PersonId with a birth date of the same paper.
///
/// When the paper is about one person (at most one distinct identity number, birth date and
/// name), the birth date is compared wherever it is. When several people are on the paper (a
/// power of attorney, a contract, a land certificate of a couple), an identity number is
/// compared only with the nearest birth date on the same page within 3 lines before or after
/// it (the previous one on a tie: papers print name and birth date before the number); with
/// none that close, the cross-check is skipped.
pub(super) fn cross_check(doc: &Doc<'_>, hits: &mut [Hit]) {
    let distinct = |kind: FieldKind| {
        hits.iter()
            .filter(|h| h.kind == kind)
            .map(|h| h.value.as_str())
            .collect::<HashSet<_>>()
            .len()
    };
    let single = distinct(FieldKind::PersonId) <= 1
        && distinct(FieldKind::BirthDate) <= 1
        && distinct(FieldKind::FullName) <= 1;
    let births: Vec<(usize, i32)> = hits
        .iter()
        .filter(|h| h.kind == FieldKind::BirthDate)
        .filter_map(|h| Some((h.line, h.year?)))
        .collect();
    for h in hits.iter_mut() {
        if h.kind != FieldKind::PersonId || h.check != Check::Valid {
            continue;
        }
        let year = if single {
            births.first().map(|&(_, y)| y)
        } else {
            births
                .iter()
                .filter(|&&(bl, _)| doc.lines[bl].page == doc.lines[h.line].page)
                .filter(|&&(bl, _)| bl.abs_diff(h.line) <= 3)
                .min_by_key(|&&(bl, _)| (bl.abs_diff(h.line), bl > h.line))
                .map(|&(_, y)| y)
        };
        if let Some(y) = year {
            h.check = check_person_id(&h.value, Some(y));
        }
    }
}
