//! Pipeline `ingest`, measured end to end on labelled samples (`sohoa eval ingest`): every
//! batch of a folder ingested into a store, then every labelled paper looked for the way an
//! officer would — is it stored once, with the right type and page count, is its signed file
//! verifying, is it found by each owner's ID number, by its type, by a name printed on it.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{ingest, IngestError, IngestOptions};
use crate::classify::eval::Labels;
use crate::classify::Classifier;
use crate::index::{Papers, Query};
use crate::pki::digest::DigestAlg;
use crate::store::BlobStore;

/// Found / looked for.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Count {
    pub found: u32,
    pub total: u32,
}

impl Count {
    fn add(&mut self, ok: bool) {
        self.total += 1;
        self.found += u32::from(ok);
    }

    pub fn all(&self) -> bool {
        self.found == self.total
    }
}

/// What `sohoa eval ingest` measures.
#[derive(Clone, Debug, Default, Serialize)]
pub struct IngestEval {
    pub files: u32,
    pub pages: u32,
    /// A component indexed for the paper's first page, with the labelled page count.
    pub stored: Count,
    pub right_type: Count,
    /// Its stored signed PDF verifies (signature valid and trusted).
    pub verifies: Count,
    /// Found by `find --person` for each labelled owner's number.
    pub by_person: Count,
    /// Found by `find --type` with its labelled type.
    pub by_type: Count,
    /// Found by `find --text` with a name printed on it (papers naming someone).
    pub by_text: Count,
    /// Papers in the index that no label asked for (a wrong split stores extra papers).
    pub extra: u32,
    /// A second run over the same files stored nothing.
    pub second_run_stored_nothing: bool,
    /// What was missed, one line each.
    pub misses: Vec<String>,
    pub seconds: f64,
}

/// What an evaluation asks of its caller.
pub struct EvalHooks<'a> {
    /// Whether a stored signed PDF (by SHA-256) verifies.
    pub verifies: &'a mut dyn FnMut(&str) -> bool,
    /// Each file ingested (the ingest runs inside report to `opts`' own, best nested).
    pub progress: &'a crate::progress::Progress,
}

/// Ingests every file of `labels` (paths relative to `dir`), twice, and checks each labelled
/// paper; `verifies` says whether a stored signed PDF (by SHA-256) verifies.
pub fn evaluate(
    dir: &Path,
    labels: &Labels,
    opts: &IngestOptions,
    classifier: &Classifier,
    store: &dyn BlobStore,
    index: &mut dyn Papers,
    hooks: EvalHooks<'_>,
) -> Result<IngestEval, IngestError> {
    let EvalHooks { verifies, progress } = hooks;
    let start = std::time::Instant::now();
    let mut ev = IngestEval::default();
    let mut files: Vec<PathBuf> = Vec::with_capacity(labels.files.len());
    for f in &labels.files {
        let rel = Path::new(&f.file);
        if rel.is_absolute() || rel.components().any(|c| c.as_os_str() == "..") {
            return Err(IngestError::Labels {
                file: dir.join("labels.json").display().to_string(),
                message: format!("file {:?} must stay inside {}", f.file, dir.display()),
            });
        }
        files.push(dir.join(rel));
    }
    let mut stored_papers = 0u32;
    // each file twice: the second run must store nothing
    progress.begin("files ingested", 2 * files.len() as u64);
    let name = |f: &Path| f.file_name().map(|n| n.to_string_lossy().into_owned());
    for f in &files {
        let report = ingest(std::slice::from_ref(f), opts, classifier, store, index)?;
        stored_papers += report.papers.iter().filter(|p| !p.already_stored).count() as u32;
        progress.step(&name(f).unwrap_or_default());
    }
    ev.files = files.len() as u32;
    let mut again = 0;
    for f in &files {
        let report = ingest(std::slice::from_ref(f), opts, classifier, store, index)?;
        again += report.papers.iter().filter(|p| !p.already_stored).count();
        progress.step(&format!("{} again", name(f).unwrap_or_default()));
    }
    progress.end();
    ev.second_run_stored_nothing = again == 0;
    for (lf, path) in labels.files.iter().zip(&files) {
        ev.pages += lf.pages.len() as u32;
        let bytes = std::fs::read(path).map_err(|source| IngestError::Io {
            file: path.display().to_string(),
            source,
        })?;
        let sha = hex::encode(DigestAlg::Sha256.digest(&bytes));
        for lc in &lf.components {
            let what = format!(
                "{} p{}-{} ({})",
                lf.file, lc.pages[0], lc.pages[1], lc.type_code
            );
            let id = index.component_by_source(&sha, lc.pages[0] as u32)?;
            let row = match id {
                Some(id) => index.component(id)?,
                None => None,
            };
            let want_pages = (lc.pages[1] + 1).saturating_sub(lc.pages[0]) as u32;
            let Some(row) = row.filter(|r| r.pages == want_pages) else {
                ev.misses.push(format!("{what}: not stored as one paper"));
                for c in [
                    &mut ev.stored,
                    &mut ev.right_type,
                    &mut ev.verifies,
                    &mut ev.by_type,
                ] {
                    c.add(false);
                }
                continue;
            };
            ev.stored.add(true);
            let typed = row.type_code == lc.type_code;
            ev.right_type.add(typed);
            if !typed {
                ev.misses
                    .push(format!("{what}: stored as {}", row.type_code));
            }
            let ok = row.signed_sha256.as_deref().is_some_and(&mut *verifies);
            ev.verifies.add(ok);
            if !ok {
                ev.misses
                    .push(format!("{what}: signed file does not verify"));
            }
            let found = |index: &mut dyn Papers, q: Query| -> Result<bool, IngestError> {
                Ok(index.find(&q)?.iter().any(|r| r.id == row.id))
            };
            for pid in lc.fields.get("person_id").into_iter().flatten() {
                let ok = found(
                    index,
                    Query {
                        person_id: Some(pid.clone()),
                        ..Query::default()
                    },
                )?;
                ev.by_person.add(ok);
                if !ok {
                    ev.misses.push(format!("{what}: not found by ID {pid}"));
                }
            }
            let ok = found(
                index,
                Query {
                    type_code: Some(lc.type_code.clone()),
                    limit: 10_000,
                    ..Query::default()
                },
            )?;
            ev.by_type.add(ok);
            if let Some(name) = lc.fields.get("full_name").and_then(|n| n.first()) {
                let ok = found(
                    index,
                    Query {
                        text: Some(name.clone()),
                        limit: 10_000,
                        ..Query::default()
                    },
                )?;
                ev.by_text.add(ok);
                if !ok {
                    ev.misses
                        .push(format!("{what}: not found by the name {name:?}"));
                }
            }
        }
    }
    ev.extra = stored_papers.saturating_sub(ev.stored.found);
    ev.seconds = start.elapsed().as_secs_f64();
    Ok(ev)
}
