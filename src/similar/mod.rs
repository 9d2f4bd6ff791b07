//! Stage `similar` (beside `classify`, used by `store`/`find`): is this paper (a new scan of it)
//! one we already hold? Pure: pixels and OCR text in, a signature out; two signatures in, a
//! [`Likeness`] out. `store` keeps the [`PaperSignature`] of every component (serde), `find
//! --like` and ingest compare a new one with the candidates.
//!
//! A page's [`PageSignature`] has three parts, each robust to what changes between two scans of
//! one paper and each blind to something the others see:
//!
//! - `phash`, `dhash` ([`phash`]): the layout of the ink on the upright, deskewed page, cropped
//!   to its content (so skew, offset on the scanner bed, resolution, JPEG quality, paper tint and
//!   lighting drop out). Tells different paper types apart; blind to which person or number is
//!   printed: two decisions from one template hash alike.
//! - `shingles` ([`text`]): word 3-shingles of the folded OCR text. Tells papers of different
//!   people apart; a look-alike (same template, same person) still shares almost all of them.
//! - `numbers` ([`text::numbers`]): dates, document, parcel, ID and certificate numbers. Two
//!   different papers of the same type and person differ in at least one of them; a re-scan
//!   reads the same ones (OCR of printed digits is reliable).
//!
//! [`compare`] gives a verdict from all three, with thresholds measured on a generated set of
//! re-scans and look-alikes (`scripts/gen_rescans.py`, `examples/similar_eval.rs`; see the
//! constants for the numbers): a look-alike must never be called [`Verdict::Same`].

pub mod phash;
pub mod text;

#[cfg(test)]
mod tests;

use image::GrayImage;
use serde::{Deserialize, Serialize};

use crate::decode::Raster;
use crate::ocr::RecognizedPage;

/// What identifies one page of a paper.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageSignature {
    /// 64-bit DCT perceptual hash of the page's ink ([`phash::phash`]).
    pub phash: u64,
    /// 64-bit difference hash of the page's ink ([`phash::dhash`]).
    pub dhash: u64,
    /// Sorted, de-duplicated FNV-1a 64 hashes of the folded word 3-shingles ([`text::shingles`]).
    pub shingles: Vec<u64>,
    /// Sorted, de-duplicated numbers and ISO dates on the page ([`text::numbers`]).
    pub numbers: Vec<String>,
}

/// What identifies a paper: its pages in order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaperSignature {
    pub pages: Vec<PageSignature>,
}

impl PaperSignature {
    /// What the index looks a re-scan up by (its rule, `LikenessKeys::from_json`, on the
    /// stored form of this signature).
    pub fn keys(&self) -> crate::index::LikenessKeys {
        serde_json::to_string(self)
            .ok()
            .and_then(|j| crate::index::LikenessKeys::from_json(&j))
            .unwrap_or_default()
    }
}

/// The verdict of [`compare`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The same paper, scanned again: link it to the stored one.
    Same,
    /// Another paper.
    Different,
    /// Alike enough that an officer should look (e.g. the same template and text but one number
    /// differs, which OCR may have misread).
    Unsure,
}

/// How alike two papers are.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Likeness {
    /// 0..1, for ranking candidates: `0.2·image + 0.3·text_jaccard + 0.5·numbers_agree`, where
    /// image is `1 − image_distance / 32` clamped to 0..1. The verdict does not come from it.
    pub score: f32,
    /// Mean over the pages compared (the first `min(len)`) of the mean of the pHash and dHash
    /// Hamming distances, in bits (0..64).
    pub image_distance: f32,
    /// Jaccard of the shingles of all pages.
    pub text_jaccard: f32,
    /// Share of the numbers of all pages that agree ([`NumbersMatch::agree`]).
    pub numbers_agree: f32,
    /// Each paper prints a number the other lacks and no reading error explains
    /// ([`NumbersMatch::conflict`]): two different papers, whatever the rest says.
    pub numbers_conflict: bool,
    pub verdict: Verdict,
}

// Thresholds, from `examples/similar_eval.rs` on `scripts/gen_rescans.py`'s set (40 originals,
// 80 re-scans, 44 look-alikes; 318 labelled pairs), after `ocr` learnt to ignore scanner
// strips (every page now turned upright):
//
// | measure         | re-scans (120)            | look-alikes (144)    | same type, other person (54) |
// | --------------- | ------------------------- | -------------------- | ---------------------------- |
// | image, bits     | p50 3.5, p95 10.5, max 23 | 0 .. 25              | 5.5 .. 28.5                  |
// | text Jaccard    | min 0.77, p50 1.0         | 0.70 .. 0.92         | 0.22 .. 0.71                 |
// | numbers agree   | 1.0 but OCR-lost digits   | max 0.71, conflict   | max 0.25                     |
//
// Text and image cannot tell a look-alike from a re-scan (same template, same person); the
// numbers can, so `Same` needs every number to agree. Pages of unrelated layouts are 30+ bits
// apart.

/// [`Verdict::Same`] needs an image distance at most this (bits): re-scans measured p95 10.5,
/// a few up to 23 (strong JPEG and lighting changes); these stay `Unsure`.
pub const SAME_MAX_IMAGE_DISTANCE: f32 = 20.0;
/// [`Verdict::Same`] needs a shingle Jaccard at least this: re-scans measured at least 0.80,
/// papers of the same type and another person at most 0.71.
pub const SAME_MIN_TEXT: f32 = 0.75;
/// [`Verdict::Same`] needs every number to agree: look-alikes measured at most 0.71.
pub const SAME_MIN_NUMBERS: f32 = 1.0;
/// Above this image distance the papers are [`Verdict::Different`]: re-scans measured at most
/// 12.5, unrelated layouts 30 and more.
pub const DIFFERENT_MIN_IMAGE_DISTANCE: f32 = 26.0;
/// Below this shingle Jaccard the papers are [`Verdict::Different`]: half the lowest re-scan.
pub const DIFFERENT_MAX_TEXT: f32 = 0.4;
/// Below this share of agreeing numbers the papers are [`Verdict::Different`]: re-scans
/// measured at least 0.6 (a date whose digits OCR lost).
pub const DIFFERENT_MAX_NUMBERS: f32 = 0.5;

/// The signature of one upright, deskewed page image and its OCR text.
pub fn signature_of(page_image: &GrayImage, text: &str) -> PageSignature {
    let (phash, dhash) = phash::hashes(page_image);
    PageSignature {
        phash,
        dhash,
        shingles: text::shingles(text),
        numbers: text::numbers(text),
    }
}

/// The signature of a recognised page: its upright raster ([`crate::ocr::upright_raster`]) and
/// text.
pub fn signature_of_page(page: &RecognizedPage) -> PageSignature {
    let gray = match crate::ocr::upright_raster(page) {
        // already gray: no copy
        crate::decode::Raster::Gray(g) => g,
        rgb => gray_of(&rgb),
    };
    signature_of(&gray, &page.text)
}

/// ITU-R BT.601 luma of a raster (a copy for gray input): the same conversion `ocr` reads.
pub fn gray_of(raster: &Raster) -> GrayImage {
    crate::ocr::to_gray(raster)
}

fn union_sorted<T: Ord + Clone>(lists: impl Iterator<Item = Vec<T>>) -> Vec<T> {
    let mut all: Vec<T> = lists.flatten().collect();
    all.sort();
    all.dedup();
    all
}

/// How alike papers `a` and `b` are, with a verdict (see the thresholds above):
///
/// - [`Verdict::Same`]: as many pages, image distance ≤ [`SAME_MAX_IMAGE_DISTANCE`], text
///   Jaccard ≥ [`SAME_MIN_TEXT`] and numbers Jaccard ≥ [`SAME_MIN_NUMBERS`];
/// - [`Verdict::Different`]: image distance > [`DIFFERENT_MIN_IMAGE_DISTANCE`], or text Jaccard
///   < [`DIFFERENT_MAX_TEXT`], or numbers Jaccard < [`DIFFERENT_MAX_NUMBERS`], or a
///   numbers conflict ([`match_numbers`]), or a paper without pages;
/// - [`Verdict::Unsure`] otherwise.
pub fn compare(a: &PaperSignature, b: &PaperSignature) -> Likeness {
    let n = a.pages.len().min(b.pages.len());
    let image_distance = if n == 0 {
        64.0
    } else {
        a.pages
            .iter()
            .zip(&b.pages)
            .map(|(p, q)| {
                (phash::hamming(p.phash, q.phash) + phash::hamming(p.dhash, q.dhash)) as f32 / 2.0
            })
            .sum::<f32>()
            / n as f32
    };
    let sh = |s: &PaperSignature| union_sorted(s.pages.iter().map(|p| p.shingles.clone()));
    let nu = |s: &PaperSignature| union_sorted(s.pages.iter().map(|p| p.numbers.clone()));
    let text_jaccard = text::jaccard(&sh(a), &sh(b));
    let (na, nb) = (nu(a), nu(b));
    let NumbersMatch {
        agree: numbers_agree,
        conflict,
    } = match_numbers(&na, &nb);
    let image = (1.0 - image_distance / 32.0).clamp(0.0, 1.0);
    let score = (0.2 * image + 0.3 * text_jaccard + 0.5 * numbers_agree).clamp(0.0, 1.0);
    let verdict = if n == 0
        || image_distance > DIFFERENT_MIN_IMAGE_DISTANCE
        || text_jaccard < DIFFERENT_MAX_TEXT
        || numbers_agree < DIFFERENT_MAX_NUMBERS
        || conflict
    {
        Verdict::Different
    } else if a.pages.len() == b.pages.len()
        && image_distance <= SAME_MAX_IMAGE_DISTANCE
        && text_jaccard >= SAME_MIN_TEXT
        && numbers_agree >= SAME_MIN_NUMBERS
    {
        Verdict::Same
    } else {
        Verdict::Unsure
    };
    Likeness {
        score,
        image_distance,
        text_jaccard,
        numbers_agree,
        numbers_conflict: conflict,
        verdict,
    }
}

/// How the numbers of two papers relate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NumbersMatch {
    /// |agreeing| / |union|, 1 when neither paper has a number. Agreeing: equal, or one number
    /// on one side equal to two numbers of the other side written one after the other (OCR
    /// split "008194464941" into "0081 94464941"; no digit is lost).
    pub agree: f32,
    /// Each side keeps a number that no reading error explains. Explained (not agreeing, not a
    /// conflict): a number that differs from one of the other side in one character (a misread
    /// digit), or whose digits are part of one of the other side's (digits OCR lost, e.g. "202"
    /// for "2023-06-23"). Numbers missing on one side only are no conflict either.
    pub conflict: bool,
}

/// Relates two sorted, de-duplicated lists of numbers (see [`NumbersMatch`]).
pub fn match_numbers(a: &[String], b: &[String]) -> NumbersMatch {
    if a.is_empty() && b.is_empty() {
        return NumbersMatch {
            agree: 1.0,
            conflict: false,
        };
    }
    let mut only_a: Vec<&str> = a
        .iter()
        .filter(|x| b.binary_search(x).is_err())
        .map(String::as_str)
        .collect();
    let mut only_b: Vec<&str> = b
        .iter()
        .filter(|x| a.binary_search(x).is_err())
        .map(String::as_str)
        .collect();
    let mut agree = a.len() - only_a.len();
    // splits: one number on one side is two of the other's, joined
    agree += take_splits(&mut only_a, &mut only_b);
    agree += take_splits(&mut only_b, &mut only_a);
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    let one_off = |x: &str, y: &str| {
        x.len() == y.len() && x.bytes().zip(y.bytes()).filter(|(p, q)| p != q).count() == 1
    };
    let explained = |x: &str, others: &[&str]| {
        others.iter().any(|y| {
            one_off(x, y) || {
                let (dx, dy) = (digits(x), digits(y));
                dx.len() < dy.len() && dy.contains(&dx)
            }
        })
    };
    let left_a = only_a.iter().filter(|x| !explained(x, &only_b)).count();
    let left_b = only_b.iter().filter(|y| !explained(y, &only_a)).count();
    let union = agree + only_a.len() + only_b.len();
    NumbersMatch {
        agree: agree as f32 / union.max(1) as f32,
        conflict: left_a > 0 && left_b > 0,
    }
}

/// Removes every number of `whole` that is two numbers of `parts` joined (in either order),
/// with those parts; returns how many were removed from `whole`.
fn take_splits(whole: &mut Vec<&str>, parts: &mut Vec<&str>) -> usize {
    let mut found = 0;
    let mut i = 0;
    while i < whole.len() {
        let w = whole[i];
        let hit = (0..parts.len()).find_map(|p| {
            (0..parts.len())
                .find(|&q| {
                    q != p
                        && parts[p].len() + parts[q].len() == w.len()
                        && w.starts_with(parts[p])
                        && w.ends_with(parts[q])
                })
                .map(|q| (p, q))
        });
        match hit {
            Some((p, q)) => {
                let (hi, lo) = (p.max(q), p.min(q));
                parts.remove(hi);
                parts.remove(lo);
                whole.remove(i);
                found += 1;
            }
            None => i += 1,
        }
    }
    found
}
