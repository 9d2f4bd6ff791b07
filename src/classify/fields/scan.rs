//! Stage `classify`, field extraction: the shared scanning tools — every line of a paper folded
//! once (lower-case, no diacritics, đ → d, see [`crate::text::fold_with_offsets`]),
//! label patterns matched on the folded text, and the way back from a folded match to the bytes
//! and the box of the original line.

use std::sync::LazyLock;

use regex::Regex;

use super::{Check, FieldKind};
use crate::classify::{PageLine, PageText};
use crate::text::fold_with_offsets;

/// One line of the paper with its folded form.
pub(super) struct Line<'a> {
    /// 0-based index of the page in the slice given to `extract`.
    pub page: usize,
    pub src: &'a PageLine,
    /// `fold` of `src.text`.
    pub folded: String,
    /// For each byte of `folded` (plus the end), the byte offset in `src.text`.
    offs: Vec<usize>,
}

impl Line<'_> {
    pub fn text(&self) -> &str {
        &self.src.text
    }

    /// The byte range of the original text that folded bytes `a..b` came from.
    pub fn orig(&self, a: usize, b: usize) -> (usize, usize) {
        let at = |i: usize| self.offs.get(i).copied().unwrap_or(self.src.text.len());
        (at(a), at(b))
    }
}

/// All lines of one paper, pages one after the other, in reading order.
pub(super) struct Doc<'a> {
    pub lines: Vec<Line<'a>>,
}

impl<'a> Doc<'a> {
    pub fn new(pages: &'a [PageText]) -> Self {
        let mut lines = Vec::new();
        for (page, p) in pages.iter().enumerate() {
            for src in &p.lines {
                let (folded, offs) = fold_with_offsets(&src.text);
                lines.push(Line {
                    page,
                    src,
                    folded,
                    offs,
                });
            }
        }
        Self { lines }
    }

    /// The next line when it is on the same page.
    pub fn next_on_page(&self, li: usize) -> Option<usize> {
        let n = li + 1;
        (n < self.lines.len() && self.lines[n].page == self.lines[li].page).then_some(n)
    }

    /// The previous line when it is on the same page.
    pub fn prev_on_page(&self, li: usize) -> Option<usize> {
        let p = li.checked_sub(1)?;
        (self.lines[p].page == self.lines[li].page).then_some(p)
    }
}

/// A field found, before de-duplication: where it is (line index into [`Doc::lines`] and a byte
/// range of the original line text) and what it says.
#[derive(Clone, Debug)]
pub(super) struct Hit {
    pub kind: FieldKind,
    pub value: String,
    pub line: usize,
    pub start: usize,
    pub end: usize,
    pub check: Check,
    /// For birth dates: the year, used to cross-check identity numbers.
    pub year: Option<i32>,
}

impl Hit {
    /// A hit covering folded bytes `a..b` of line `li`.
    pub fn at(
        doc: &Doc<'_>,
        kind: FieldKind,
        li: usize,
        a: usize,
        b: usize,
        value: String,
        check: Check,
    ) -> Self {
        let (start, end) = doc.lines[li].orig(a, b);
        Self {
            kind,
            value,
            line: li,
            start,
            end,
            check,
            year: None,
        }
    }
}

/// The separator allowed between the words of a label: one to three characters that are neither
/// letters nor digits (a space, ", ", "/", " (").
const SEP: &str = r"[^\p{L}\p{N}]{1,3}";

/// A pattern matching any of `phrases` on folded text. A phrase is folded words separated by
/// single spaces (each space matches [`SEP`]); other characters are regex syntax, so a phrase
/// may end in `\s*:` to require a colon. Whole words only; longer phrases are tried first, so
/// "so dinh danh ca nhan" wins over "so dinh danh" at the same place.
pub(super) fn label_regex(phrases: &[&str]) -> Regex {
    let mut ps: Vec<&str> = phrases.to_vec();
    ps.sort_by_key(|p| std::cmp::Reverse(p.len()));
    let alts: Vec<String> = ps
        .iter()
        .map(|p| {
            let body = p.split(' ').collect::<Vec<_>>().join(SEP);
            if p.ends_with(|c: char| c.is_alphanumeric()) {
                format!(r"{body}\b")
            } else {
                body
            }
        })
        .collect();
    Regex::new(&format!(r"\b(?:{})", alts.join("|"))).expect("constant pattern")
}

/// Whether the text between a label and its value is short filler (": ", " ca nhan: ",
/// " cong dan so ") rather than another value: no digits, at most 30 bytes.
pub(super) fn clean_gap(s: &str) -> bool {
    s.len() <= 30 && !s.bytes().any(|b| b.is_ascii_digit())
}

/// The label of `re` that governs a value starting at folded byte `pos` of line `li`: the last
/// match before `pos` on the same line with only filler between, or — when nothing but
/// punctuation precedes the value on its line — the last match of the previous line on the same
/// page with only filler after it. Returns `(line, end of label)`, so that of two kinds of
/// label the closer one compares greater.
pub(super) fn label_before(
    doc: &Doc<'_>,
    li: usize,
    pos: usize,
    re: &Regex,
) -> Option<(usize, usize)> {
    let f = &doc.lines[li].folded;
    let before = &f[..pos];
    if let Some(m) = re.find_iter(f).take_while(|m| m.end() <= pos).last() {
        if clean_gap(&before[m.end()..]) {
            return Some((li, m.end()));
        }
        return None;
    }
    if before.chars().any(char::is_alphanumeric) {
        return None;
    }
    let p = doc.prev_on_page(li)?;
    let pf = &doc.lines[p].folded;
    let m = re.find_iter(pf).last()?;
    clean_gap(&pf[m.end()..]).then_some((p, m.end()))
}

/// Where the value after a label ending at folded byte `end` of line `li` starts: after spaces
/// and a colon on the same line, or — when the label ends the line — at the start of the next
/// line of the same page. Returns `(line, folded byte)`.
pub(super) fn value_after(doc: &Doc<'_>, li: usize, end: usize) -> Option<(usize, usize)> {
    let f = &doc.lines[li].folded;
    let rest = &f[end..];
    let skipped = rest.len() - rest.trim_start_matches([' ', ':', '\t']).len();
    if end + skipped < f.len() {
        return Some((li, end + skipped));
    }
    let n = doc.next_on_page(li)?;
    let nf = &doc.lines[n].folded;
    Some((n, nf.len() - nf.trim_start().len()))
}

/// A run of digits as OCR gives an identity number: groups of digits separated by single spaces
/// or dots ("001 203 004567", "001.203.004.567"). Folded byte range and the digits alone.
pub(super) struct DigitRun {
    pub start: usize,
    pub end: usize,
    pub digits: String,
}

static DIGIT_RUN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[0-9]+(?:[ .][0-9]+)*").expect("constant pattern"));

/// Every maximal digit run of a folded line.
pub(super) fn digit_runs(folded: &str) -> Vec<DigitRun> {
    DIGIT_RUN
        .find_iter(folded)
        .map(|m| DigitRun {
            start: m.start(),
            end: m.end(),
            digits: m.as_str().chars().filter(char::is_ascii_digit).collect(),
        })
        .collect()
}

/// The digit run starting exactly at folded byte `pos`, if any.
pub(super) fn digit_run_at(folded: &str, pos: usize) -> Option<DigitRun> {
    let m = DIGIT_RUN.find_at(folded, pos)?;
    (m.start() == pos).then(|| DigitRun {
        start: m.start(),
        end: m.end(),
        digits: m.as_str().chars().filter(char::is_ascii_digit).collect(),
    })
}

static LIST_MARKER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:(?:[0-9]{1,2}|[ivxl]{1,4}|[a-z])\s*[.)]\s*|[-+*•]\s*)?$")
        .expect("constant pattern")
});

/// Whether folded text before a label is empty or only a list marker ("4. ", "a) ", "II. ",
/// "- "), i.e. the label starts its line.
pub(super) fn starts_line(before: &str) -> bool {
    LIST_MARKER.is_match(before)
}
