//! Stage `classify`, I/O edge: reads a document-types file and a trained model from disk and
//! builds the [`Classifier`]; reads labelled training examples for `sohoa classify train`.

use std::path::{Path, PathBuf};

use super::batch::Classifier;
use super::model::{Model, ModelError};
use super::types::{DocTypes, InvalidTypes, TypesError};

/// Why the classifier could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    #[error("{file}: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Types(#[from] TypesError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error("{file}: {message}")]
    Examples { file: String, message: String },
    #[error(transparent)]
    Invalid(#[from] InvalidTypes),
}

fn read(path: &Path) -> Result<String, LoadError> {
    std::fs::read_to_string(path).map_err(|source| LoadError::Io {
        file: path.display().to_string(),
        source,
    })
}

/// Builds a classifier from an optional types file and an optional model file. A model file
/// that is configured but missing is not an error when `model_optional` (rules alone), so a
/// fresh install works before the first training.
pub fn classifier(
    types: Option<&Path>,
    model: Option<&Path>,
    model_optional: bool,
) -> Result<Classifier, LoadError> {
    let t = match types {
        Some(p) => DocTypes::parse(&read(p)?, &p.display().to_string())?,
        None => DocTypes::default_set(),
    };
    let m = match model {
        Some(p) if model_optional && !p.exists() => None,
        Some(p) => Some(Model::from_json(&read(p)?, &p.display().to_string())?),
        None => None,
    };
    Classifier::new(t, m).map_err(LoadError::Invalid)
}

/// Labelled examples from `dir`: either `dir/labels.tsv` (lines `relative/path.txt<TAB>type`)
/// or one sub-folder per type code holding `*.txt` files.
pub fn examples(dir: &Path) -> Result<Vec<(String, String)>, LoadError> {
    let labels = dir.join("labels.tsv");
    let mut out = Vec::new();
    if labels.exists() {
        for (n, line) in read(&labels)?.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (file, code) = line.split_once('\t').ok_or_else(|| LoadError::Examples {
                file: labels.display().to_string(),
                message: format!("line {}: expected PATH<TAB>TYPE", n + 1),
            })?;
            let rel = PathBuf::from(file.trim());
            if rel.is_absolute() || rel.components().any(|c| c.as_os_str() == "..") {
                return Err(LoadError::Examples {
                    file: labels.display().to_string(),
                    message: format!(
                        "line {}: {file:?} must stay inside {}",
                        n + 1,
                        dir.display()
                    ),
                });
            }
            out.push((code.trim().to_string(), read(&dir.join(rel))?));
        }
    } else {
        let mut dirs: Vec<PathBuf> = list(dir)?.into_iter().filter(|p| p.is_dir()).collect();
        dirs.sort();
        for d in dirs {
            let code = d
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let mut files: Vec<PathBuf> = list(&d)?
                .into_iter()
                .filter(|p| p.extension().is_some_and(|e| e == "txt"))
                .collect();
            files.sort();
            for f in files {
                out.push((code.clone(), read(&f)?));
            }
        }
    }
    if out.is_empty() {
        return Err(LoadError::Examples {
            file: dir.display().to_string(),
            message: "no examples: give a labels.tsv or one folder of .txt files per type".into(),
        });
    }
    Ok(out)
}

fn list(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let io = |source| LoadError::Io {
        file: dir.display().to_string(),
        source,
    };
    std::fs::read_dir(dir)
        .map_err(io)?
        .map(|e| e.map(|e| e.path()).map_err(io))
        .collect()
}
