//! Stage `ocr`, orientation (0/90/180/270): which quarter turns to try, in which order, and
//! how to judge a recognition so the engine can stop at the first clearly good one.
//!
//! The projection profiles of [`deskew`](super::deskew) tell whether the lines run across or
//! down the scan, so only two quarter turns are candidates (both axes when that is unclear);
//! recognition confidence then tells upright from upside down. The first candidate is
//! recognised at full resolution and kept when clearly good, so an upright page costs one
//! recognition plus the profile analysis.

use super::deskew::PageLayout;
use super::rotate::MIN_SKEW_DEGREES;
use super::Word;

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

    /// Ranking between candidates: confidence-weighted count of plausible words.
    pub fn score(&self) -> f64 {
        self.long_words as f64 * f64::from(self.mean_confidence)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ocr::deskew::SkewEstimate;

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
