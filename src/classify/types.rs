//! Stage `classify`, configuration: the document types (code, Vietnamese name, recognition
//! rules, fields, validity) as written in `doc-types.toml`; parsed, then validated without
//! I/O. The default set is compiled in from the repository's `doc-types.toml`.

use serde::Deserialize;

use super::fields::FieldKind;

/// The default document types (the repository's commented `doc-types.toml`).
pub const DEFAULT_TYPES_TOML: &str = include_str!("../../doc-types.toml");

/// The code of the catch-all type, which must exist.
pub const OTHER: &str = "other";
/// The code of cover sheets (receipts carrying the dossier code).
pub const RECEIPT: &str = "receipt";

/// A whole document-types file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocTypes {
    pub title_zone: f32,
    pub title_factor: f32,
    pub title_midline_factor: f32,
    pub folded_factor: f32,
    pub other_baseline: f32,
    pub temperature: f32,
    pub start_score: f32,
    pub review_threshold: f32,
    pub types: Vec<DocType>,
}

/// One document type.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocType {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub fields: Vec<FieldKind>,
    pub validity: String,
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
}

/// One recognition rule: a phrase (whole words) or a regular expression, with a weight.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub phrase: Option<String>,
    pub regex: Option<String>,
    pub weight: f32,
    #[serde(default)]
    pub zone: Zone,
}

/// Where on the page a rule counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Zone {
    #[default]
    Any,
    Title,
}

/// How long a paper of a type stays valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Validity {
    Permanent,
    /// Until the expiry date printed on it.
    Printed,
    /// This many months from its issue date.
    Months(u32),
    /// This many days from its issue date.
    Days(u32),
}

/// A document-types file that cannot be used, naming the file and the entry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TypesError {
    #[error("{file}: {source}")]
    Parse {
        file: String,
        source: Box<toml::de::Error>,
    },
    #[error("{file}: {source}")]
    Invalid { file: String, source: InvalidTypes },
}

/// What is wrong with a set of document types (checked without I/O).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidTypes {
    #[error("{name} = {value} must be in (0, 1]")]
    Fraction { name: &'static str, value: f32 },
    #[error("{name} = {value} must be a positive number")]
    Positive { name: &'static str, value: f32 },
    #[error("other_baseline must be zero or more")]
    Baseline,
    #[error("type code {0:?}: use lower-case ASCII letters, digits and _")]
    Code(String),
    #[error("type code {0:?} appears twice")]
    Twice(String),
    #[error("type {code}: validity {value:?}: use \"permanent\", \"printed\", \"N months\" or \"N days\"")]
    Validity { code: String, value: String },
    #[error("type {code} rule {rule}: weight {weight} must be in (0, 100]")]
    Weight {
        code: String,
        rule: usize,
        weight: f32,
    },
    #[error("type {code} rule {rule}: bad regex: {message}")]
    Regex {
        code: String,
        rule: usize,
        message: String,
    },
    #[error("type {code} rule {rule}: give exactly one non-empty phrase or regex")]
    Rule { code: String, rule: usize },
    #[error("a type with code {0:?} is required")]
    Missing(&'static str),
}

impl DocTypes {
    /// The compiled-in default set.
    pub fn default_set() -> Self {
        // The default file is part of the build and checked by a unit test.
        Self::parse(DEFAULT_TYPES_TOML, "doc-types.toml (built in)")
            .unwrap_or_else(|e| panic!("the built-in document types are broken: {e}"))
    }

    /// Parses and validates a types file; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, TypesError> {
        let t: DocTypes = toml::from_str(text).map_err(|e| TypesError::Parse {
            file: origin.to_string(),
            source: Box::new(e),
        })?;
        t.validate().map_err(|source| TypesError::Invalid {
            file: origin.to_string(),
            source,
        })?;
        Ok(t)
    }

    /// Checks without I/O: codes unique and well-formed, `other` and `receipt` present,
    /// numbers in range, every rule with exactly one of phrase/regex, regexes compile.
    pub fn validate(&self) -> Result<(), InvalidTypes> {
        let unit = |name: &'static str, value: f32| {
            if value.is_finite() && value > 0.0 && value <= 1.0 {
                Ok(())
            } else {
                Err(InvalidTypes::Fraction { name, value })
            }
        };
        unit("title_zone", self.title_zone)?;
        unit("folded_factor", self.folded_factor)?;
        unit("title_midline_factor", self.title_midline_factor)?;
        unit("review_threshold", self.review_threshold)?;
        for (name, v) in [
            ("title_factor", self.title_factor),
            ("temperature", self.temperature),
            ("start_score", self.start_score),
        ] {
            if !(v.is_finite() && v > 0.0 && v < 1000.0) {
                return Err(InvalidTypes::Positive { name, value: v });
            }
        }
        if !(self.other_baseline.is_finite() && self.other_baseline >= 0.0) {
            return Err(InvalidTypes::Baseline);
        }
        let mut seen = std::collections::BTreeSet::new();
        for t in &self.types {
            let ok = !t.code.is_empty()
                && t.code
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !ok {
                return Err(InvalidTypes::Code(t.code.clone()));
            }
            if !seen.insert(t.code.as_str()) {
                return Err(InvalidTypes::Twice(t.code.clone()));
            }
            if parse_validity(&t.validity).is_none() {
                return Err(InvalidTypes::Validity {
                    code: t.code.clone(),
                    value: t.validity.trim().to_string(),
                });
            }
            for (i, r) in t.rules.iter().enumerate() {
                let (code, rule) = (t.code.clone(), i + 1);
                if !(r.weight.is_finite() && r.weight > 0.0 && r.weight <= 100.0) {
                    return Err(InvalidTypes::Weight {
                        code,
                        rule,
                        weight: r.weight,
                    });
                }
                match (&r.phrase, &r.regex) {
                    (Some(p), None) if !crate::text::fold(p).trim().is_empty() => {}
                    (None, Some(re)) => {
                        if let Err(e) = regex::Regex::new(re) {
                            return Err(InvalidTypes::Regex {
                                code,
                                rule,
                                message: e.to_string(),
                            });
                        }
                    }
                    _ => return Err(InvalidTypes::Rule { code, rule }),
                }
            }
        }
        for needed in [OTHER, RECEIPT] {
            if !seen.contains(needed) {
                return Err(InvalidTypes::Missing(needed));
            }
        }
        Ok(())
    }

    pub fn get(&self, code: &str) -> Option<&DocType> {
        self.types.iter().find(|t| t.code == code)
    }
}

impl DocType {
    pub fn validity(&self) -> Validity {
        parse_validity(&self.validity).unwrap_or(Validity::Permanent)
    }
}

/// "permanent", "printed", "N months" or "N days".
fn parse_validity(s: &str) -> Option<Validity> {
    match s.trim() {
        "permanent" => Some(Validity::Permanent),
        "printed" => Some(Validity::Printed),
        other => {
            let number = |unit: &str, plural: &str, max: u32| {
                other
                    .strip_suffix(plural)
                    .or_else(|| other.strip_suffix(unit))
                    .and_then(|n| n.trim().parse::<u32>().ok())
                    .filter(|n| (1..=max).contains(n))
            };
            number("month", "months", 1200)
                .map(Validity::Months)
                .or_else(|| number("day", "days", 36_600).map(Validity::Days))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_set_is_valid_and_complete() {
        let t = DocTypes::default_set();
        for code in [
            "application",
            "citizen_id",
            "birth_certificate",
            "residence",
            "business_registration",
            "land_use_certificate",
            "decision",
            "permit",
            "power_of_attorney",
            "contract",
            "receipt",
            "other",
        ] {
            assert!(t.get(code).is_some(), "{code} missing");
        }
        assert_eq!(t.get("citizen_id").unwrap().validity(), Validity::Printed);
        assert_eq!(t.get("residence").unwrap().validity(), Validity::Days(30));
        assert_eq!(parse_validity("6 months"), Some(Validity::Months(6)));
    }

    #[test]
    fn errors_name_the_file_and_the_entry() {
        let bad = DEFAULT_TYPES_TOML.replace("weight = 6, zone", "weight = -6, zone");
        let e = DocTypes::parse(&bad, "my-types.toml")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("my-types.toml") && e.contains("type application rule 1"),
            "{e}"
        );
        let bad = DEFAULT_TYPES_TOML.replace("code = \"other\"", "code = \"khac\"");
        let e = DocTypes::parse(&bad, "x.toml").unwrap_err().to_string();
        assert!(e.contains("\"other\" is required"), "{e}");
        let bad = DEFAULT_TYPES_TOML.replace("\"30 days\"", "\"half a year\"");
        assert!(DocTypes::parse(&bad, "x.toml").is_err());
        let bad = DEFAULT_TYPES_TOML.replace("\"person_id\", \"legacy_id\"", "\"pid\"");
        assert!(DocTypes::parse(&bad, "x.toml").is_err());
    }
}
