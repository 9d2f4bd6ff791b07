//! Pipeline `digitize`: the source PDFs of kept pages (pages that carry their own text), each
//! opened once per run and shared by the pages that come from it (the writer also shares their
//! fonts across pages).

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use crate::pdf::{Limits, PdfFile};

use super::DigitizeError;

/// A source PDF, read lazily from its file.
pub type SourcePdf = PdfFile<BufReader<File>>;

/// The source PDFs opened so far in this run.
#[derive(Default)]
pub struct PdfSources {
    open: Vec<(PathBuf, SourcePdf)>,
}

impl PdfSources {
    /// The PDF at `path`, opened on first use; `label` names it in errors.
    pub fn get(&mut self, path: &Path, label: &str) -> Result<&mut SourcePdf, DigitizeError> {
        let pos = match self.open.iter().position(|(p, _)| p == path) {
            Some(pos) => pos,
            None => {
                let io = |source| DigitizeError::Io {
                    file: label.to_string(),
                    source,
                };
                let file = File::open(path).map_err(io)?;
                let pdf = PdfFile::open(BufReader::new(file), Limits::default())
                    .map_err(|e| io(std::io::Error::other(e.to_string())))?;
                self.open.push((path.to_path_buf(), pdf));
                self.open.len() - 1
            }
        };
        Ok(&mut self.open[pos].1)
    }
}
