//! Stage `classify`: the trainable part — a multinomial naive Bayes model over diacritic-free
//! word unigrams and bigrams (numbers collapsed to one token), trained on labelled example
//! texts (`sohoa classify train`) and combined with the rules. Pure: texts in, a model out;
//! saved as JSON.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::text;

/// File format version, bumped when the features change.
pub const MODEL_VERSION: u32 = 1;

/// The likelihood of a text counts at most this many features' worth of evidence, so one long
/// page cannot push the posterior to certainty on its own (naive Bayes is overconfident
/// because its features are not independent).
const MAX_EVIDENCE: f64 = 25.0;

/// A trained model.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Model {
    pub version: u32,
    /// Class (type) codes.
    pub classes: Vec<String>,
    /// Training examples per class.
    pub examples: Vec<u32>,
    log_prior: Vec<f64>,
    /// log P(feature | class) for every feature seen in training.
    features: HashMap<String, Vec<f32>>,
    /// log P(unseen feature | class).
    unseen: Vec<f32>,
}

/// Why a model cannot be trained or loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    #[error("no training examples")]
    Empty,
    #[error("{file}: not a classification model: {message}")]
    Format { file: String, message: String },
    #[error("{file}: model version {found}, this build reads version {MODEL_VERSION}; retrain with `sohoa classify train`")]
    Version { file: String, found: u32 },
}

/// Features of a text: diacritic-free words, numbers as `#`, plus adjacent word pairs.
pub fn features(s: &str) -> Vec<String> {
    let folded = text::fold(s);
    let words: Vec<String> = text::tokens(&folded)
        .map(|t| {
            if t.chars().any(|c| c.is_ascii_digit()) {
                "#".to_string()
            } else {
                t.to_string()
            }
        })
        .collect();
    let mut out = words.clone();
    out.extend(words.windows(2).map(|w| format!("{} {}", w[0], w[1])));
    out
}

impl Model {
    /// Trains on `(class, text)` examples with Laplace smoothing `alpha`.
    pub fn train(examples: &[(String, String)], alpha: f64) -> Result<Self, ModelError> {
        if examples.is_empty() {
            return Err(ModelError::Empty);
        }
        let classes: Vec<String> = examples
            .iter()
            .map(|(c, _)| c.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let k = classes.len();
        let mut counts: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        let mut totals = vec![0u64; k];
        let mut docs = vec![0u32; k];
        for (c, t) in examples {
            let ci = classes.iter().position(|x| x == c).unwrap_or(0);
            docs[ci] += 1;
            for f in features(t) {
                counts.entry(f).or_insert_with(|| vec![0; k])[ci] += 1;
                totals[ci] += 1;
            }
        }
        let vocab = counts.len() as f64;
        let n_docs: u32 = docs.iter().sum();
        let denom: Vec<f64> = totals
            .iter()
            .map(|&t| t as f64 + alpha * (vocab + 1.0))
            .collect();
        let features = counts
            .into_iter()
            .map(|(f, cs)| {
                let lp = cs
                    .iter()
                    .zip(&denom)
                    .map(|(&n, d)| ((n as f64 + alpha) / d).ln() as f32)
                    .collect();
                (f, lp)
            })
            .collect();
        Ok(Self {
            version: MODEL_VERSION,
            classes,
            examples: docs.clone(),
            log_prior: docs
                .iter()
                .map(|&d| (d as f64 / n_docs as f64).ln())
                .collect(),
            features,
            unseen: denom.iter().map(|d| (alpha / d).ln() as f32).collect(),
        })
    }

    /// Posterior probability per class for a text (sums to 1).
    pub fn predict(&self, text: &str) -> Vec<(String, f64)> {
        let feats = features(text);
        let k = self.classes.len();
        let mut ll = vec![0.0f64; k];
        let mut known = 0usize;
        for f in &feats {
            if let Some(lp) = self.features.get(f) {
                known += 1;
                for (acc, v) in ll.iter_mut().zip(lp) {
                    *acc += *v as f64;
                }
            }
        }
        // Unseen features carry no class information beyond the smoothing mass: ignored.
        let scale = if known == 0 {
            0.0
        } else {
            (MAX_EVIDENCE / known as f64).min(1.0)
        };
        let logits: Vec<f64> = (0..k).map(|c| self.log_prior[c] + ll[c] * scale).collect();
        let max = logits.iter().cloned().fold(f64::MIN, f64::max);
        let exps: Vec<f64> = logits.iter().map(|l| (l - max).exp()).collect();
        let sum: f64 = exps.iter().sum();
        self.classes
            .iter()
            .cloned()
            .zip(exps.into_iter().map(|e| e / sum))
            .collect()
    }

    /// Serialises to JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a model saved by [`Model::to_json`]; `file` names it in errors.
    pub fn from_json(json: &str, file: &str) -> Result<Self, ModelError> {
        #[derive(Deserialize)]
        struct Head {
            version: u32,
        }
        let head: Head = serde_json::from_str(json).map_err(|e| ModelError::Format {
            file: file.into(),
            message: e.to_string(),
        })?;
        if head.version != MODEL_VERSION {
            return Err(ModelError::Version {
                file: file.into(),
                found: head.version,
            });
        }
        let m: Model = serde_json::from_str(json).map_err(|e| ModelError::Format {
            file: file.into(),
            message: e.to_string(),
        })?;
        let k = m.classes.len();
        let consistent = k > 0
            && m.log_prior.len() == k
            && m.unseen.len() == k
            && m.examples.len() == k
            && m.features.values().all(|v| v.len() == k);
        if !consistent {
            return Err(ModelError::Format {
                file: file.into(),
                message: "inconsistent class counts".into(),
            });
        }
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> Model {
        let ex = [
            (
                "decision",
                "Quyết định về việc cấp giấy phép Điều 1 Điều 2 Nơi nhận",
            ),
            (
                "decision",
                "QUYẾT ĐỊNH căn cứ luật tổ chức chính quyền Điều 1",
            ),
            (
                "contract",
                "Hợp đồng thuê nhà Bên A Bên B hai bên thỏa thuận",
            ),
            (
                "contract",
                "HỢP ĐỒNG chuyển nhượng bên chuyển nhượng bên nhận",
            ),
        ];
        let ex: Vec<(String, String)> = ex
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        Model::train(&ex, 1.0).unwrap()
    }

    fn top(m: &Model, t: &str) -> (String, f64) {
        m.predict(t)
            .into_iter()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap()
    }

    #[test]
    fn learns_and_ignores_tone_marks() {
        let m = toy();
        assert_eq!(top(&m, "quyet dinh dieu 1").0, "decision");
        assert_eq!(top(&m, "Bên A và Bên B").0, "contract");
        let p: f64 = m.predict("bất kỳ").iter().map(|x| x.1).sum();
        assert!((p - 1.0).abs() < 1e-9);
    }

    #[test]
    fn round_trips_and_refuses_other_versions() {
        let m = toy();
        let back = Model::from_json(&m.to_json(), "m.json").unwrap();
        assert_eq!(top(&back, "hợp đồng"), top(&m, "hợp đồng"));
        let old = m.to_json().replace("\"version\":1", "\"version\":0");
        assert!(matches!(
            Model::from_json(&old, "m.json"),
            Err(ModelError::Version { found: 0, .. })
        ));
        assert!(Model::from_json("{}", "m.json").is_err());
    }

    #[test]
    fn numbers_are_one_feature() {
        assert_eq!(features("Số 12"), vec!["so", "#", "so #"]);
    }
}
