//! Stage `similar` (beside `classify`, used by `store`/`find`): similarity of two OCR texts that
//! tolerates OCR noise, and the numbers printed on a paper.
//!
//! - Shingles: the text folded with [`crate::text::fold`] (lower-case, no diacritics,
//!   so wrong tone marks do not count), cut into words (runs of letters and digits), every three
//!   consecutive words hashed with FNV-1a 64 (stable across Rust versions and platforms, unlike
//!   `DefaultHasher`; not cryptographic, which is not needed here). A misread word spoils the
//!   three shingles it is part of and leaves the others.
//! - Numbers ("key tokens"): what tells two papers of the same type and person apart is their
//!   numbers (another date, another parcel, another document number). Kept are digit runs of
//!   at least 3 digits (thousand separators `.`/`,` between groups of three joined: "2.400.000"
//!   is one number), dates written `dd/mm/yyyy` and dates written out as "ngày D tháng M năm Y"
//!   (line breaks allowed), both as `yyyy-mm-dd`. In a word that is mostly digits the letters OCR
//!   confuses with digits (o → 0, l/i → 1) are read as digits.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use regex::Regex;

use crate::text::{fold, tokens};

/// FNV-1a, 64 bits (offset basis 0xcbf29ce484222325, prime 0x100000001b3).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Words per shingle.
pub const SHINGLE_WORDS: usize = 3;

/// The folded words of `text`.
pub fn words(text: &str) -> Vec<String> {
    let folded = fold(text);
    tokens(&folded).map(str::to_owned).collect()
}

/// Sorted, de-duplicated FNV-1a 64 hashes of the word 3-shingles of `text` (words joined by
/// one space). A text of one or two words gives one shingle of what there is; none gives none.
pub fn shingles(text: &str) -> Vec<u64> {
    let w = words(text);
    let mut out: Vec<u64> = if w.len() < SHINGLE_WORDS {
        if w.is_empty() {
            Vec::new()
        } else {
            vec![fnv1a64(w.join(" ").as_bytes())]
        }
    } else {
        w.windows(SHINGLE_WORDS)
            .map(|s| fnv1a64(s.join(" ").as_bytes()))
            .collect()
    };
    out.sort_unstable();
    out.dedup();
    out
}

/// Jaccard index |A ∩ B| / |A ∪ B| of two sorted, de-duplicated slices; 1 when both are empty.
pub fn jaccard<T: Ord>(a: &[T], b: &[T]) -> f32 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - common;
    common as f32 / union as f32
}

/// Jaccard of the shingles of two texts.
pub fn text_similarity(a: &str, b: &str) -> f32 {
    jaccard(&shingles(a), &shingles(b))
}

fn date_words() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"\bngay\s+(\d{1,2})\s+thang\s+(\d{1,2})\s*,?\s+nam\s+(\d{4})\b")
            .expect("valid regex")
    })
}

fn date_slashes() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"\b(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})\b").expect("valid regex")
    })
}

fn digit_runs() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"\d{1,3}(?:[.,]\d{3})+\b|\d+").expect("valid regex"))
}

/// `yyyy-mm-dd` when the parts make a plausible date.
fn iso_date(d: &str, m: &str, y: &str) -> Option<String> {
    let (d, m, y): (u32, u32, u32) = (d.parse().ok()?, m.parse().ok()?, y.parse().ok()?);
    ((1..=31).contains(&d) && (1..=12).contains(&m) && (1900..=2100).contains(&y))
        .then(|| format!("{y:04}-{m:02}-{d:02}"))
}

/// Reads the letters OCR confuses with digits as digits in words that are mostly digits
/// ("2O23" → "2023", "l0l2" → "1012"); other words are left as they are.
fn digits_fixed(folded: &str) -> String {
    let mut out = String::with_capacity(folded.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let digits = word.chars().filter(char::is_ascii_digit).count();
        let letters = word.chars().count() - digits;
        if digits >= 2 && letters >= 1 && letters * 3 <= digits {
            out.extend(word.chars().map(|c| match c {
                'o' => '0',
                'l' | 'i' => '1',
                c => c,
            }));
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in folded.chars() {
        if c.is_alphanumeric() {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// The numbers on a paper (see the module documentation), sorted and de-duplicated.
pub fn numbers(text: &str) -> Vec<String> {
    let folded = digits_fixed(&fold(text));
    let mut out = BTreeSet::new();
    let mut rest = folded.clone();
    // dates first; their digits are blanked so the year is not counted again on its own
    for re in [date_words(), date_slashes()] {
        let mut blanked = String::with_capacity(rest.len());
        let mut last = 0;
        for c in re.captures_iter(&rest) {
            let all = c.get(0).expect("group 0");
            if let Some(iso) = iso_date(&c[1], &c[2], &c[3]) {
                out.insert(iso);
                blanked.push_str(&rest[last..all.start()]);
                blanked.push(' ');
                last = all.end();
            }
        }
        blanked.push_str(&rest[last..]);
        rest = blanked;
    }
    for m in digit_runs().find_iter(&rest) {
        let digits: String = m.as_str().chars().filter(char::is_ascii_digit).collect();
        if digits.len() >= 3 {
            out.insert(digits);
        }
    }
    out.into_iter().collect()
}
