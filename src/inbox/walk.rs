//! Service `inbox`, listing (I/O): what is in the watched folder, three levels deep, without
//! following symbolic links (a link is reported as one, never entered or read through).

use std::path::Path;
use std::time::UNIX_EPOCH;

use super::plan::{Kind, Seen};
use super::InboxError;

/// Lists `inbox` down to `inbox/<unit>/<dossier>/<file>`; deeper entries are reported (the
/// planner refuses them) but not entered. At most `max_entries` entries (a flood of files is
/// taken in pieces).
pub fn list(inbox: &Path, max_entries: usize) -> Result<Vec<Seen>, InboxError> {
    let mut out = Vec::new();
    walk(inbox, &mut Vec::new(), &mut out, max_entries)?;
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(out)
}

fn walk(
    dir: &Path,
    rel: &mut Vec<String>,
    out: &mut Vec<Seen>,
    max_entries: usize,
) -> Result<(), InboxError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        // removed meanwhile (a dossier folder just processed)
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !rel.is_empty() => return Ok(()),
        Err(source) => {
            return Err(InboxError::Io {
                path: dir.display().to_string(),
                op: "cannot list",
                source,
            })
        }
    };
    let mut names: Vec<_> = entries.filter_map(Result::ok).collect();
    names.sort_by_key(|e| e.file_name());
    for e in names {
        if out.len() >= max_entries {
            return Ok(());
        }
        // a name that is not UTF-8 is kept lossily: the planner refuses it as suspicious
        let name = e.file_name().to_string_lossy().into_owned();
        let Ok(meta) = std::fs::symlink_metadata(e.path()) else {
            continue; // gone meanwhile
        };
        let ft = meta.file_type();
        let kind = if ft.is_symlink() {
            Kind::Symlink
        } else if ft.is_dir() {
            Kind::Dir
        } else if ft.is_file() {
            Kind::File
        } else {
            Kind::Other
        };
        rel.push(name);
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        out.push(Seen {
            rel: rel.clone(),
            kind,
            size: meta.len(),
            mtime_ns,
        });
        // deeper folders are reported as one entry (the planner refuses them), not entered
        if kind == Kind::Dir && rel.len() < 3 {
            walk(&e.path(), rel, out, max_entries)?;
        }
        rel.pop();
    }
    Ok(())
}
