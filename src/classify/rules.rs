//! Stage `classify`: the rule scorer. Each document type's phrases and regexes (from
//! `doc-types.toml`) are matched on a page's text in two normal forms — NFC lower-case and
//! diacritic-free — with title-zone rules counting only near the top of the page and more when
//! they open a line. Pure: text in, scores out.

use std::sync::LazyLock;

use regex::Regex;

use super::types::{DocTypes, InvalidTypes, Zone};
use super::PageText;
use crate::text;

/// A compiled rule.
#[derive(Debug)]
enum Matcher {
    /// (exact form, folded form), both whole-word.
    Phrase(String, String),
    Regex(Regex),
}

#[derive(Debug)]
struct Rule {
    matcher: Matcher,
    weight: f32,
    zone: Zone,
}

/// The rules of every type, compiled once.
#[derive(Debug)]
pub struct RuleSet {
    /// Type codes, in the order of the score vectors.
    pub codes: Vec<String>,
    rules: Vec<Vec<Rule>>,
    other: usize,
    title_zone: f32,
    title_factor: f32,
    title_midline_factor: f32,
    folded_factor: f32,
    other_baseline: f32,
}

/// What the rules say about one page.
#[derive(Clone, Debug, PartialEq)]
pub struct PageScores {
    /// Score per type (same order as [`RuleSet::codes`]).
    pub scores: Vec<f32>,
    /// Per type, the part of the score earned by title-zone rules.
    pub title: Vec<f32>,
    /// "Trang k/n" printed on the page: (k, n).
    pub page_of: Option<(u32, u32)>,
    /// The title zone carries the national motto ("Cộng hòa xã hội chủ nghĩa Việt Nam /
    /// Độc lập - Tự do - Hạnh phúc"), which opens every official paper and is not repeated
    /// on its later pages.
    pub motto: bool,
    /// The title zone has a centred upper-case heading of two words or more (a paper's title
    /// even when it is of no known type: "SAO KÊ TÀI KHOẢN").
    pub heading: bool,
}

/// A text prepared for matching: the lines joined by spaces in both forms, with where each
/// line starts.
struct Prepared {
    exact: String,
    exact_starts: Vec<usize>,
    folded: String,
    folded_starts: Vec<usize>,
}

impl Prepared {
    fn new<'a>(lines: impl Iterator<Item = &'a str>) -> Self {
        let mut p = Prepared {
            exact: String::new(),
            exact_starts: Vec::new(),
            folded: String::new(),
            folded_starts: Vec::new(),
        };
        for l in lines {
            let e = text::exact(l);
            let f = text::squash_spaces(&text::fold(l));
            if e.is_empty() {
                continue;
            }
            if !p.exact.is_empty() {
                p.exact.push(' ');
                p.folded.push(' ');
            }
            p.exact_starts.push(p.exact.len());
            p.exact.push_str(&e);
            p.folded_starts.push(p.folded.len());
            p.folded.push_str(&f);
        }
        p
    }
}

static PAGE_OF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\btrang\s*(\d{1,3})\s*/\s*(\d{1,3})\b").expect("constant pattern")
});

impl RuleSet {
    /// Compiles validated types (see [`DocTypes::validate`]).
    pub fn new(types: &DocTypes) -> Result<Self, InvalidTypes> {
        types.validate()?;
        let mut codes = Vec::new();
        let mut rules = Vec::new();
        for t in &types.types {
            codes.push(t.code.clone());
            let mut compiled = Vec::new();
            for (i, r) in t.rules.iter().enumerate() {
                let (code, rule) = (t.code.clone(), i + 1);
                let matcher = match (&r.phrase, &r.regex) {
                    (Some(p), _) => {
                        Matcher::Phrase(text::exact(p), text::squash_spaces(&text::fold(p)))
                    }
                    (None, Some(re)) => {
                        Matcher::Regex(Regex::new(re).map_err(|e| InvalidTypes::Regex {
                            code,
                            rule,
                            message: e.to_string(),
                        })?)
                    }
                    (None, None) => return Err(InvalidTypes::Rule { code, rule }),
                };
                compiled.push(Rule {
                    matcher,
                    weight: r.weight,
                    zone: r.zone,
                });
            }
            rules.push(compiled);
        }
        let other = codes
            .iter()
            .position(|c| c == super::types::OTHER)
            .ok_or(InvalidTypes::Missing(super::types::OTHER))?;
        Ok(Self {
            codes,
            rules,
            other,
            title_zone: types.title_zone,
            title_factor: types.title_factor,
            title_midline_factor: types.title_midline_factor,
            folded_factor: types.folded_factor,
            other_baseline: types.other_baseline,
        })
    }

    pub fn index_of(&self, code: &str) -> Option<usize> {
        self.codes.iter().position(|c| c == code)
    }

    /// Scores one page.
    pub fn score_page(&self, page: &PageText) -> PageScores {
        let limit = self.title_zone * page.height.max(1) as f32;
        let title = Prepared::new(
            page.lines
                .iter()
                .filter(|l| l.bbox[1] < limit)
                .map(|l| l.text.as_str()),
        );
        let all = Prepared::new(page.lines.iter().map(|l| l.text.as_str()));
        let mut scores = vec![0.0f32; self.codes.len()];
        let mut title_scores = vec![0.0f32; self.codes.len()];
        for (t, rules) in self.rules.iter().enumerate() {
            for r in rules {
                let (hit, in_title) = match r.zone {
                    Zone::Title => {
                        let h = self.matches(&r.matcher, &title, true);
                        (h, true)
                    }
                    _ => (self.matches(&r.matcher, &all, false), false),
                };
                let got = r.weight * hit;
                scores[t] += got;
                if in_title {
                    title_scores[t] += got;
                }
            }
        }
        scores[self.other] += self.other_baseline;
        let page_of = PAGE_OF.captures(&all.folded).and_then(|c| {
            let k = c[1].parse().ok()?;
            let n = c[2].parse().ok()?;
            (k >= 1 && k <= n).then_some((k, n))
        });
        let motto = MOTTO
            .iter()
            .any(|m| !find_words(&title.folded, m).is_empty());
        let heading = page
            .lines
            .iter()
            .filter(|l| l.bbox[1] < limit)
            .any(|l| is_heading(l, page.width as f32));
        PageScores {
            scores,
            title: title_scores,
            page_of,
            motto,
            heading,
        }
    }

    /// The factor a rule earns on a text: 0 (no match), `folded_factor` (diacritic-free match
    /// only) or 1, times `title_factor` for a title rule that opens a line and
    /// `title_midline_factor` for one inside a line.
    fn matches(&self, m: &Matcher, p: &Prepared, title: bool) -> f32 {
        match m {
            Matcher::Phrase(exact, folded) => {
                let e = find_words(&p.exact, exact);
                let (positions, starts, base) = if !e.is_empty() {
                    (e, &p.exact_starts, 1.0)
                } else {
                    let f = find_words(&p.folded, folded);
                    if f.is_empty() {
                        return 0.0;
                    }
                    (f, &p.folded_starts, self.folded_factor)
                };
                if !title {
                    base
                } else if positions.iter().any(|at| starts.contains(at)) {
                    base * self.title_factor
                } else {
                    base * self.title_midline_factor
                }
            }
            Matcher::Regex(re) => match re.find(&p.folded) {
                Some(m) if title && p.folded_starts.contains(&m.start()) => self.title_factor,
                Some(_) if title => self.title_midline_factor,
                Some(_) => 1.0,
                None => 0.0,
            },
        }
    }
}

/// The national motto's two lines, diacritic-free.
const MOTTO: [&str; 2] = [
    "cong hoa xa hoi chu nghia viet nam",
    "doc lap - tu do - hanh phuc",
];

/// A centred upper-case line of two words or more with at least 8 letters, not the motto.
fn is_heading(l: &super::PageLine, width: f32) -> bool {
    let letters: Vec<char> = l.text.chars().filter(|c| c.is_alphabetic()).collect();
    if letters.len() < 8 || l.words.len() < 2 || letters.iter().any(|c| c.is_lowercase()) {
        return false;
    }
    let centre = (l.bbox[0] + l.bbox[2]) / 2.0;
    let folded = text::squash_spaces(&text::fold(&l.text));
    width > 0.0
        && (centre - width / 2.0).abs() < 0.08 * width
        && !MOTTO.iter().any(|m| folded.contains(m))
}

/// Start offsets of whole-word occurrences of `needle` in `hay`.
fn find_words(hay: &str, needle: &str) -> Vec<usize> {
    if needle.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = hay[from..].find(needle) {
        let at = from + i;
        let end = at + needle.len();
        let before_ok = hay[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        let after_ok = hay[end..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric());
        if before_ok && after_ok {
            out.push(at);
        }
        from = at + hay[at..].chars().next().map_or(1, char::len_utf8);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::types::DocTypes;

    fn best(rs: &RuleSet, text: &str) -> (String, f32) {
        let s = rs.score_page(&PageText::from_plain_text("t", 1, text));
        let (i, v) = s
            .scores
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .unwrap();
        (rs.codes[i].clone(), *v)
    }

    #[test]
    fn title_at_line_start_beats_the_same_words_later_in_the_line() {
        let rs = RuleSet::new(&DocTypes::default_set()).unwrap();
        let (code, _) = best(
            &rs,
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n\
             ĐƠN ĐỀ NGHỊ CẤP BẢN SAO GIẤY KHAI SINH\nKính gửi: Ủy ban nhân dân xã Tân Lập",
        );
        assert_eq!(code, "application");
        // a permit named inside an application's title does not make it a permit
        let (code, _) = best(
            &rs,
            "ĐƠN ĐỀ NGHỊ CẤP GIẤY PHÉP XÂY DỰNG\n(Sử dụng cho nhà ở riêng lẻ)\nKính gửi: Ủy ban nhân dân",
        );
        assert_eq!(code, "application");
    }

    #[test]
    fn misread_tone_marks_still_match_at_a_discount() {
        let rs = RuleSet::new(&DocTypes::default_set()).unwrap();
        let good = rs.score_page(&PageText::from_plain_text("t", 1, "GIẤY KHAI SINH"));
        let bad = rs.score_page(&PageText::from_plain_text("t", 1, "GIÂY KHAl SINH"));
        let i = rs.index_of("birth_certificate").unwrap();
        assert!(good.scores[i] > 0.0);
        // "KHAl" (l for i) is not the word "khai": no match at all
        assert_eq!(bad.scores[i], 0.0);
        let tones = rs.score_page(&PageText::from_plain_text("t", 1, "GIÁY KHẢI SINH"));
        assert!((tones.scores[i] - good.scores[i] * 0.8).abs() < 1e-4);
    }

    #[test]
    fn title_rules_do_not_count_at_the_bottom_of_the_page() {
        let rs = RuleSet::new(&DocTypes::default_set()).unwrap();
        let mut text = String::from("ỦY BAN NHÂN DÂN\n");
        for _ in 0..40 {
            text.push_str("nội dung\n");
        }
        text.push_str("QUYẾT ĐỊNH\n");
        let s = rs.score_page(&PageText::from_plain_text("t", 1, &text));
        assert_eq!(s.scores[rs.index_of("decision").unwrap()], 0.0);
    }

    #[test]
    fn page_numbers_are_read() {
        let rs = RuleSet::new(&DocTypes::default_set()).unwrap();
        let s = rs.score_page(&PageText::from_plain_text("t", 1, "x\nTrang 2/3"));
        assert_eq!(s.page_of, Some((2, 3)));
        let s = rs.score_page(&PageText::from_plain_text("t", 1, "Trang 4/3"));
        assert_eq!(s.page_of, None);
    }

    #[test]
    fn the_motto_and_centred_headings_are_seen() {
        let rs = RuleSet::new(&DocTypes::default_set()).unwrap();
        let s = rs.score_page(&PageText::from_plain_text(
            "t",
            1,
            "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc",
        ));
        assert!(s.motto);
        assert!(!s.heading, "left-aligned lines are not centred headings");
        let mut p = PageText::from_plain_text("t", 1, "SAO KÊ TÀI KHOẢN\nsố dư");
        let w = p.lines[0].bbox[2] - p.lines[0].bbox[0];
        let x0 = (p.width as f32 - w) / 2.0;
        p.lines[0].bbox[0] = x0;
        p.lines[0].bbox[2] = x0 + w;
        assert!(rs.score_page(&p).heading);
        p.lines[0].text = "Sao kê tài khoản".into();
        assert!(!rs.score_page(&p).heading, "not upper-case");
    }

    #[test]
    fn words_match_whole() {
        assert_eq!(find_words("ab abc ab", "ab"), vec![0, 7]);
        assert!(find_words("căn cướcx", "căn cước").is_empty());
    }
}
