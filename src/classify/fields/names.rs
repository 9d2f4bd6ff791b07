//! Stage `classify`, field extraction: people's full names after the labels of forms, cards and
//! certificates ("Họ và tên:", "Họ, chữ đệm và tên:", "Ông:", "Người đại diện: Ông …", a bank
//! statement's "Chủ tài khoản:").

use std::sync::LazyLock;

use regex::Regex;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use super::scan::{label_regex, starts_line, Doc, Hit};
use super::{Check, FieldKind};
use crate::text::tokens;

/// How a label introduces a name.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// "Họ và tên": the name follows (at the start of a line, or after a colon).
    Direct,
    /// "Người đại diện", "Bên ủy quyền": a role; the name follows a colon or "Ông/Bà", which
    /// is dropped ("Bên ủy quyền: Ông Nguyễn Văn A"). A heading "I. BÊN ỦY QUYỀN" is no name.
    Role,
    /// "Ông/Bà", "Ông (Bà)": like `Direct`.
    Honorific,
    /// "Ông:", "Bà:" (land certificates): only with a colon right after.
    Bare,
}

const LABELS: [(&str, Kind); 16] = [
    ("ho chu dem va ten", Kind::Direct),
    ("ho chu dem ten", Kind::Direct),
    ("ho va ten", Kind::Direct),
    ("ho ten", Kind::Direct),
    ("toi ten la", Kind::Direct),
    ("nguoi dai dien theo phap luat", Kind::Role),
    ("nguoi dai dien", Kind::Role),
    ("ben duoc uy quyen", Kind::Role),
    ("ben nhan uy quyen", Kind::Role),
    ("ben uy quyen", Kind::Role),
    ("nguoi de nghi", Kind::Role),
    ("ong ba", Kind::Honorific),
    ("ong", Kind::Bare),
    ("ba", Kind::Bare),
    ("nguoi yeu cau", Kind::Role),
    // the holder on a bank statement: "Chủ tài khoản: HOÀNG MINH TUẤN"
    ("chu tai khoan", Kind::Role),
];

static LABEL: LazyLock<Regex> = LazyLock::new(|| {
    let phrases: Vec<&str> = LABELS.iter().map(|(p, _)| *p).collect();
    label_regex(&phrases)
});

/// Labels that end a name printed before them on the same line ("VŨ ĐÌNH KHẢI Giới tính: Nam").
static STOP: LazyLock<Regex> = LazyLock::new(|| {
    label_regex(&[
        "gioi tinh",
        "sinh ngay",
        "ngay sinh",
        "ngay thang nam sinh",
        "nam sinh",
        "sinh nam",
        "chuc danh",
        "chuc vu",
        "dan toc",
        "quoc tich",
        "ton giao",
        "so dinh danh",
        "so cccd",
        "cccd",
        "so cmnd",
        "cmnd",
        "can cuoc",
        "dia chi",
        "noi thuong tru",
        "noi o",
        "noi sinh",
        "que quan",
        "so dien thoai",
        "dien thoai",
        "nghe nghiep",
        "ma so thue",
        "email",
        "quan he",
        "moi quan he",
    ])
});

/// A qualifier between a label and its colon: "người mẹ", "chủ hộ" (lower-case words) or a
/// bracket "(Bên A)".
static QUALIFIER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(\([^()]{0,24}\)|[a-z]+(?: [a-z]+){0,3})\s*:").expect("constant pattern")
});

/// "Ông/Bà", "Ông (Bà)", "Ông", "Bà" opening a value after a role label.
static HONORIFIC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:ong[^\p{L}\p{N}]{1,3}ba\)?|ong|ba)\b\s*:?\s*").expect("constant pattern")
});

fn kind_of(label: &str) -> Option<Kind> {
    let key = tokens(label).collect::<Vec<_>>().join(" ");
    LABELS.iter().find(|(p, _)| *p == key).map(|&(_, k)| k)
}

/// Whether `w` is written like a word of a name in Title Case ("Nam", "Sinh").
fn is_title(w: &str) -> bool {
    let mut cs = w.chars();
    cs.next().is_some_and(char::is_uppercase) && cs.all(|c| !c.is_uppercase())
}

/// Checks a name as read: 2–7 words, each starting with a capital letter, letters only.
fn check_name(raw: &str) -> Check {
    let words: Vec<&str> = raw.split_whitespace().collect();
    if !(2..=7).contains(&words.len()) {
        return Check::Invalid {
            reason: format!(
                "'{raw}' has {} word(s); a full name has 2 to 7",
                words.len()
            ),
        };
    }
    for w in &words {
        if !w.chars().all(|c| c.is_alphabetic() || is_combining_mark(c)) {
            return Check::Invalid {
                reason: format!("'{w}' in '{raw}' has characters that are not letters"),
            };
        }
        if !w.starts_with(char::is_uppercase) {
            return Check::Invalid {
                reason: format!("'{w}' in '{raw}' does not start with a capital letter"),
            };
        }
    }
    Check::Valid
}

/// NFC, each word with its first letter upper-case and the rest lower-case.
fn title_case(raw: &str) -> String {
    let nfc: String = raw.nfc().collect();
    nfc.split_whitespace()
        .map(|w| {
            let mut cs = w.chars();
            match cs.next() {
                Some(f) => f
                    .to_uppercase()
                    .chain(cs.flat_map(char::to_lowercase))
                    .collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<String>>()
        .join(" ")
}

/// Whether a line starts (after a list marker) with a label of any field, so it cannot be the
/// name that a label ending the previous line announces.
fn starts_with_label(doc: &Doc<'_>, li: usize) -> bool {
    let f = &doc.lines[li].folded;
    let first = |re: &Regex| re.find(f).filter(|m| starts_line(&f[..m.start()]));
    first(&LABEL).is_some_and(|m| matches!(kind_of(m.as_str()), Some(Kind::Direct | Kind::Role)))
        || first(&STOP).is_some()
}

/// Finds FullName fields.
///
/// After a label: a colon (possibly after a qualifier such as "chủ hộ" or "(Bên A)"), then the
/// name up to a comma, ';', ':', a bracket, the next label ("Giới tính", "Ngày sinh", …) or the
/// end of the line; when the label ends its line, the next line (unless it starts with a
/// label). `Direct` and `Honorific` labels must start their line or have a colon; `Role`
/// labels need a colon or "Ông/Bà" after them; `Bare` ones a colon. Value: NFC Title Case.
pub(super) fn find(doc: &Doc<'_>, hits: &mut Vec<Hit>) {
    for (li, line) in doc.lines.iter().enumerate() {
        let f = &line.folded;
        for m in LABEL.find_iter(f) {
            let Some(kind) = kind_of(m.as_str()) else {
                continue;
            };
            let at_start = starts_line(&f[..m.start()]);
            let mut p = m.end();
            if kind == Kind::Honorific && f[p..].starts_with(')') {
                p += 1;
            }
            let rest = &f[p..];
            let mut colon = false;
            if rest.trim_start().starts_with(':') {
                colon = true;
                p += rest.len() - rest.trim_start().len() + 1;
            } else if kind != Kind::Bare {
                if let Some(q) = QUALIFIER.captures(rest) {
                    let (qa, qb) = q.get(1).map_or((0, 0), |g| (g.start(), g.end()));
                    let (s, e) = line.orig(p + qa, p + qb);
                    let q_text = &line.text()[s..e];
                    if q_text.starts_with('(') || !q_text.chars().any(char::is_uppercase) {
                        colon = true;
                        p += q.get(0).map_or(0, |g| g.end());
                    }
                }
            }
            let allowed = match kind {
                Kind::Direct | Kind::Honorific | Kind::Role => at_start || colon,
                Kind::Bare => colon,
            };
            if !allowed {
                continue;
            }
            let Some((vl, mut vp)) = value_start(doc, li, p) else {
                continue;
            };
            if kind == Kind::Role {
                let vf = &doc.lines[vl].folded;
                match HONORIFIC.find(&vf[vp..]) {
                    Some(h) => vp += h.end(),
                    None if colon => {}
                    None => continue,
                }
            }
            if let Some(h) = name_at(doc, vl, vp) {
                hits.push(h);
            }
        }
    }
}

/// Where a name starts: after spaces on the same line, or on the next line of the same page
/// when the label ends its line and that line starts with a letter and no label.
fn value_start(doc: &Doc<'_>, li: usize, p: usize) -> Option<(usize, usize)> {
    let f = &doc.lines[li].folded;
    let rest = &f[p..];
    let trimmed = rest.trim_start();
    if !trimmed.is_empty() {
        return Some((li, p + rest.len() - trimmed.len()));
    }
    let n = doc.next_on_page(li)?;
    let next = &doc.lines[n];
    if !next.text().starts_with(char::is_alphabetic) || starts_with_label(doc, n) {
        return None;
    }
    Some((n, 0))
}

/// The name starting at folded byte `vp` of line `li`.
fn name_at(doc: &Doc<'_>, li: usize, vp: usize) -> Option<Hit> {
    let line = &doc.lines[li];
    let f = &line.folded;
    if !f[vp..].starts_with(char::is_alphanumeric) {
        return None;
    }
    let stop_char = f[vp..]
        .find([',', ';', ':', '(', ')'])
        .map_or(f.len(), |i| vp + i);
    let mut end = stop_char;
    let mut at = vp;
    let mut cut_by_label = false;
    while let Some(m) = STOP.find_at(f, at) {
        if m.start() >= end {
            break;
        }
        let (s, e) = line.orig(m.start(), m.end());
        let words: Vec<&str> = line.text()[s..e].split_whitespace().collect();
        if words.len() >= 2 && words.iter().all(|w| is_title(w)) {
            // "Nam Sinh" inside "Nguyễn Văn Nam Sinh ngày": a name's words, not a label.
            at = m.start() + f[m.start()..].chars().next().map_or(1, char::len_utf8);
            continue;
        }
        end = m.start();
        cut_by_label = true;
        break;
    }
    let (s, e) = line.orig(vp, end);
    // OCR specks after a name ("Hà Quốc Việt _ Ngày sinh") are not part of it.
    let mut raw = line.text()[s..e].trim_end_matches(|c: char| !c.is_alphanumeric());
    if !cut_by_label && f[end..].starts_with(':') {
        // An unknown label before the colon: "VŨ ĐÌNH KHẢI Nghề nghiệp: …".
        raw = drop_trailing_label(raw);
    }
    if raw.is_empty() {
        return None;
    }
    let value = title_case(raw);
    let check = check_name(raw);
    Some(Hit {
        kind: FieldKind::FullName,
        value,
        line: li,
        start: s,
        end: s + raw.len(),
        check,
        year: None,
    })
}

/// Drops the words of a label from the end of `raw`: the trailing words that start with a
/// lower-case letter and the capitalised word before them ("Nguyễn Văn Hùng Nghề nghiệp" →
/// "Nguyễn Văn Hùng").
fn drop_trailing_label(raw: &str) -> &str {
    let mut words: Vec<(usize, &str)> = Vec::new();
    let mut pos = 0;
    for w in raw.split_whitespace() {
        let at = raw[pos..].find(w).map_or(pos, |i| pos + i);
        words.push((at, w));
        pos = at + w.len();
    }
    let mut keep = words.len();
    while keep > 0 && !words[keep - 1].1.starts_with(char::is_uppercase) {
        keep -= 1;
    }
    if keep == words.len() || keep == 0 {
        return raw;
    }
    match words.get(keep - 1) {
        Some(&(at, _)) => raw[..at].trim_end(),
        None => raw,
    }
}
