//! Stage `ocr`, orientation (0/90/180/270): which quarter turns to try, in which order, and
//! how to judge a recognition so the engine can stop at the first clearly good one.
//!
//! The projection profiles of [`deskew`](super::deskew) tell whether the lines run across or
//! down the scan, so only two quarter turns are candidates (both axes when that is unclear).
//! Upright from upside down is told first from the ink alone ([`way_up`]: letters and marks
//! reach above a line's core far more than below it). Where that is unclear, or both axes are
//! candidates, the engine recognises only a small window of dense text ([`probe_window`]) of
//! each candidate and ranks them by its confidence. Then the best is recognised at full
//! resolution and kept when clearly good (else the next, as a fallback), so a page with clear
//! lines costs one full recognition and the profile analysis, and a doubtful one two small
//! recognitions more.

use super::deskew::{PageLayout, SkewEstimate};
use super::rotate::MIN_SKEW_DEGREES;
use super::Word;
use image::GrayImage;

/// One orientation to try: clockwise quarter turn, then counter-clockwise deskew.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Candidate {
    pub rotation: u16,
    pub skew_degrees: f32,
}

/// When the stronger line direction's profile score is below this multiple of the weaker
/// one's, both directions are tried.
const AXIS_MARGIN: f64 = 1.5;

/// Candidates in the order to try them. A page without ink gets the identity only.
pub fn candidates(layout: &PageLayout, detect: bool, max_skew: f32) -> Vec<Candidate> {
    let skew = |d: f32| {
        let d = d.clamp(-max_skew.abs(), max_skew.abs());
        if d.abs() < MIN_SKEW_DEGREES {
            0.0
        } else {
            d
        }
    };
    let h = Candidate {
        rotation: 0,
        skew_degrees: skew(layout.horizontal.degrees),
    };
    if !detect || (layout.horizontal.score <= 0.0 && layout.vertical.score <= 0.0) {
        return vec![h];
    }
    let across = [h, Candidate { rotation: 180, ..h }];
    let v = Candidate {
        rotation: 90,
        skew_degrees: skew(layout.vertical.degrees),
    };
    let down = [v, Candidate { rotation: 270, ..v }];
    let (hs, vs) = (layout.horizontal.score, layout.vertical.score);
    let (first, second) = if hs >= vs {
        (across, down)
    } else {
        (down, across)
    };
    let mut out = first.to_vec();
    if hs.max(vs) < AXIS_MARGIN * hs.min(vs) {
        out.extend(second);
    }
    out
}

/// The candidates of the axis [`candidates`] left out (when one line direction dominated):
/// the fallback when none of the tried ones read plausibly. Empty when both were tried.
pub fn other_axis(layout: &PageLayout, tried: &[Candidate], max_skew: f32) -> Vec<Candidate> {
    let all = candidates(
        &PageLayout {
            horizontal: layout.horizontal,
            vertical: SkewEstimate {
                score: layout.horizontal.score.max(f64::MIN_POSITIVE),
                ..layout.vertical
            },
            ink: layout.ink,
        },
        true,
        max_skew,
    );
    all.into_iter()
        .filter(|c| !tried.iter().any(|t| t.rotation == c.rotation))
        .collect()
}

/// Height in inches of the window recognised to compare candidates: two or three lines of
/// body text.
const PROBE_INCHES: f32 = 0.35;
/// Share of the page height used instead when the resolution is unknown.
const PROBE_SHARE: u32 = 30;
/// Share of the page width the window spans.
const PROBE_WIDTH: f32 = 0.3;

/// The window `(x, y, width, height)` of the upright image holding the most dark pixels:
/// [`PROBE_INCHES`] high and [`PROBE_WIDTH`] of the width, a few words on a few text lines,
/// enough to tell upright from upside down at a fraction of the cost of a full recognition.
pub fn probe_window(img: &GrayImage, dpi: f32) -> (u32, u32, u32, u32) {
    let (w, h) = img.dimensions();
    if w == 0 || h == 0 {
        return (0, 0, w, h);
    }
    let band = if dpi.is_finite() && (50.0..=2400.0).contains(&dpi) {
        (dpi * PROBE_INCHES).round() as u32
    } else {
        h / PROBE_SHARE
    };
    let band = band.clamp(1, h);
    let raw = img.as_raw();
    let dark = |p: u8| u64::from(p < 128);
    let rows: Vec<u64> = raw
        .chunks_exact(w as usize)
        .map(|row| row.iter().map(|&p| dark(p)).sum())
        .collect();
    let y = densest(&rows, band);
    let mut cols = vec![0u64; w as usize];
    for row in raw
        .chunks_exact(w as usize)
        .skip(y as usize)
        .take(band as usize)
    {
        for (c, &p) in cols.iter_mut().zip(row) {
            *c += dark(p);
        }
    }
    let width = ((w as f32 * PROBE_WIDTH).round() as u32).clamp(1, w);
    let x = densest(&cols, width);
    (x, y, width, band)
}

/// Start of the run of `len` consecutive values with the largest sum (the first such).
fn densest(values: &[u64], len: u32) -> u32 {
    let len = (len as usize).clamp(1, values.len().max(1));
    if values.len() <= len {
        return 0;
    }
    let mut sum: u64 = values[..len].iter().sum();
    let (mut best, mut start) = (sum, 0usize);
    for i in len..values.len() {
        sum = sum + values[i] - values[i - len];
        if sum > best {
            best = sum;
            start = i + 1 - len;
        }
    }
    start as u32
}

/// Which way up the text lines of an image lie, judged from the ink alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WayUp {
    /// Upright as it is.
    Upright,
    /// Half a turn from upright.
    UpsideDown,
    /// Too little text, or no clear difference: recognition decides.
    Unclear,
}

/// Dark pixel: below this gray level.
const DARK: u8 = 128;
/// A row darker than this share of the width is a ruled line, not text.
const RULE_SHARE: usize = 60;
/// A row with fewer dark pixels than this share of the width (per mille, at least one) is
/// blank: it separates text lines.
const BLANK_PER_MILLE: usize = 2;
/// Heights of a text line, in inches: from small print to a large title.
const LINE_INCHES: std::ops::RangeInclusive<f32> = 0.05..=0.6;
/// Fewer text lines than this: [`WayUp::Unclear`].
const MIN_LINES: usize = 5;
/// The ink on one side of the lines' cores must outweigh the other side by this factor, in
/// halves (3: 1.5 times).
const WAY_UP_HALVES: u64 = 3;

/// Which way up `img` (lines running across) reads, from the ink above and below the core
/// of each text line (its rows at least half as dark as its darkest). Latin letters reach
/// above the core far more often than below (ascenders, capitals, digits) and Vietnamese
/// adds its tone and vowel marks above: on the 56 upright pages of the sample set and the
/// second set the ink above outweighs the ink below by 2.0 to 6.5 times, and by 0.15 to 0.5
/// times once turned half a turn. Costs one pass over the pixels, a small share of one
/// recognised probe (see [`probe_window`]), so a page whose lines are clear goes straight to
/// its full recognition; a page with few or unclear lines ([`WayUp::Unclear`]) is probed.
pub fn way_up(img: &GrayImage, dpi: f32) -> WayUp {
    let w = img.width() as usize;
    if w == 0 || !(dpi.is_finite() && (50.0..=2400.0).contains(&dpi)) {
        return WayUp::Unclear;
    }
    let rows: Vec<usize> = img
        .as_raw()
        .chunks_exact(w)
        .map(|row| {
            let dark = row.iter().filter(|&&p| p < DARK).count();
            if dark * 100 > w * RULE_SHARE {
                0
            } else {
                dark
            }
        })
        .collect();
    let blank = (w * BLANK_PER_MILLE / 1000).max(1);
    let (lo, hi) = (
        (dpi * LINE_INCHES.start()).round() as usize,
        (dpi * LINE_INCHES.end()).round() as usize,
    );
    let (mut above, mut below, mut lines) = (0u64, 0u64, 0usize);
    for line in rows
        .split(|&d| d <= blank)
        .filter(|l| (lo..=hi).contains(&l.len()))
    {
        let peak = line.iter().copied().max().unwrap_or(0);
        let core = |d: &usize| *d * 2 >= peak;
        let (Some(top), Some(bottom)) = (line.iter().position(core), line.iter().rposition(core))
        else {
            continue;
        };
        above += line[..top].iter().sum::<usize>() as u64;
        below += line[bottom + 1..].iter().sum::<usize>() as u64;
        lines += 1;
    }
    if lines < MIN_LINES {
        WayUp::Unclear
    } else if above * 2 > below * WAY_UP_HALVES {
        WayUp::Upright
    } else if below * 2 > above * WAY_UP_HALVES {
        WayUp::UpsideDown
    } else {
        WayUp::Unclear
    }
}

/// How plausible a recognition is: words of at least three letters or digits, and their
/// mean confidence. Text read upside down or sideways comes out as short fragments with low
/// confidence.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Quality {
    pub long_words: usize,
    pub mean_confidence: f32,
}

impl Quality {
    pub fn of(words: &[Word]) -> Self {
        let confs: Vec<f32> = words
            .iter()
            .filter(|w| w.text.chars().filter(|c| c.is_alphanumeric()).count() >= 3)
            .map(|w| w.confidence)
            .collect();
        if confs.is_empty() {
            return Self::default();
        }
        Self {
            long_words: confs.len(),
            mean_confidence: confs.iter().sum::<f32>() / confs.len() as f32,
        }
    }

    /// Good enough to skip the other candidates.
    pub fn clearly_good(&self) -> bool {
        (self.long_words >= 20 && self.mean_confidence >= 80.0)
            || (self.long_words >= 5 && self.mean_confidence >= 88.0)
    }

    /// Reads like text: enough plausible words with a fair confidence. A page read the wrong
    /// way round falls below; so does a nearly blank page.
    pub fn plausible(&self) -> bool {
        self.long_words >= 5 && self.mean_confidence >= 60.0
    }

    /// Ranking between candidates: confidence-weighted count of plausible words.
    pub fn score(&self) -> f64 {
        self.long_words as f64 * f64::from(self.mean_confidence)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(h: f64, v: f64) -> PageLayout {
        PageLayout {
            horizontal: SkewEstimate {
                degrees: 2.5,
                score: h,
            },
            vertical: SkewEstimate {
                degrees: 0.05,
                score: v,
            },
            ink: 0.05,
        }
    }

    fn rotations(c: &[Candidate]) -> Vec<u16> {
        c.iter().map(|c| c.rotation).collect()
    }

    #[test]
    fn order_follows_the_line_direction() {
        assert_eq!(
            rotations(&candidates(&layout(3.0, 0.5), true, 10.0)),
            [0, 180]
        );
        assert_eq!(
            rotations(&candidates(&layout(0.5, 3.0), true, 10.0)),
            [90, 270]
        );
        assert_eq!(
            rotations(&candidates(&layout(1.0, 1.2), true, 10.0)),
            [90, 270, 0, 180]
        );
        assert_eq!(rotations(&candidates(&layout(0.0, 0.0), true, 10.0)), [0]);
        assert_eq!(rotations(&candidates(&layout(0.5, 3.0), false, 10.0)), [0]);
    }

    #[test]
    fn small_skews_are_dropped_and_large_ones_clamped() {
        let c = candidates(&layout(0.5, 3.0), true, 10.0);
        assert_eq!(c[0].skew_degrees, 0.0);
        let c = candidates(&layout(3.0, 0.5), true, 1.0);
        assert_eq!(c[0].skew_degrees, 1.0);
    }

    #[test]
    fn probe_window_finds_the_densest_text() {
        let mut img = GrayImage::from_pixel(400, 1000, image::Luma([255]));
        for y in 600..640 {
            for x in 250..350 {
                img.put_pixel(x, y, image::Luma([0]));
            }
        }
        let (x, y, w, h) = probe_window(&img, 100.0);
        assert_eq!((w, h), (120, 35));
        assert!(x <= 250 && x + w >= 350, "{x} {w}");
        assert!(y >= 600 - h && y + h <= 640 + h, "{y} {h}");
        assert_eq!(densest(&[1, 5, 5, 1], 2), 1);
        assert_eq!(densest(&[3], 5), 0);
        assert_eq!(probe_window(&GrayImage::new(0, 0), 300.0), (0, 0, 0, 0));
    }

    #[test]
    fn quality_counts_long_words() {
        let w = |t: &str, c: f32| Word {
            text: t.into(),
            bbox: [0.0, 0.0, 1.0, 1.0],
            confidence: c,
            block: 1,
            paragraph: 1,
            line: 1,
        };
        let q = Quality::of(&[
            w("Hường", 90.0),
            w("và", 10.0),
            w("123", 70.0),
            w("-.,", 5.0),
        ]);
        assert_eq!(
            q,
            Quality {
                long_words: 2,
                mean_confidence: 80.0
            }
        );
        assert!(!q.clearly_good());
    }
}
