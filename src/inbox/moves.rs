//! Service `inbox`, moving files out of the inbox (I/O): to `processed/` once their results
//! are durably stored, to `failed/` beside a `.error.txt`, and back from `failed/` when an
//! operator re-queues one. Never over an existing file; the folders are fsynced so a power cut
//! cannot lose a rename; across file systems the bytes are copied and synced before the source
//! goes.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::InboxError;

fn io<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> InboxError + 'a {
    move |source| InboxError::Io {
        path: path.display().to_string(),
        op,
        source,
    }
}

fn sync_dir(dir: &Path) -> Result<(), InboxError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io("cannot sync the folder", dir))
}

/// `dir/name`, or `dir/name (2)`, `dir/name (3)`… before the extension: a free name.
fn free_name(dir: &Path, name: &str) -> PathBuf {
    let first = dir.join(name);
    if fs::symlink_metadata(&first).is_err() {
        return first;
    }
    let (stem, ext) = match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i..]),
        _ => (name, ""),
    };
    (2..)
        .map(|n| dir.join(format!("{stem} ({n}){ext}")))
        .find(|p| fs::symlink_metadata(p).is_err())
        .unwrap_or(first)
}

/// Moves `src` into `dir` as `name` (a free variant of it when taken); returns where it went.
pub fn move_into(src: &Path, dir: &Path, name: &str) -> Result<PathBuf, InboxError> {
    fs::create_dir_all(dir).map_err(io("cannot create", dir))?;
    let dst = free_name(dir, name);
    match fs::rename(src, &dst) {
        Ok(()) => {}
        // another file system: copy, sync, then remove the source
        Err(e) if e.raw_os_error() == Some(18) => {
            let tmp = dir.join(format!(".{name}.moving"));
            fs::copy(src, &tmp).map_err(io("cannot copy into", dir))?;
            File::open(&tmp)
                .and_then(|f| f.sync_all())
                .map_err(io("cannot sync", &tmp))?;
            fs::rename(&tmp, &dst).map_err(io("cannot rename", &tmp))?;
            sync_dir(dir)?;
            fs::remove_file(src).map_err(io("cannot remove", src))?;
        }
        Err(e) => return Err(io("cannot move", src)(e)),
    }
    sync_dir(dir)?;
    if let Some(parent) = src.parent() {
        sync_dir(parent)?;
    }
    Ok(dst)
}

/// Writes `<file>.error.txt` beside a failed file: what went wrong and what to do.
pub fn write_error_note(failed_file: &Path, text: &str) -> Result<PathBuf, InboxError> {
    let name = failed_file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dir = failed_file.parent().unwrap_or(Path::new("."));
    let note = dir.join(format!("{name}.error.txt"));
    let tmp = dir.join(format!(".{name}.error.txt.tmp"));
    let mut f = File::create(&tmp).map_err(io("cannot write", &tmp))?;
    f.write_all(text.as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(io("cannot write", &tmp))?;
    fs::rename(&tmp, &note).map_err(io("cannot rename", &tmp))?;
    sync_dir(dir)?;
    Ok(note)
}

/// Removes `dir` if it is empty (a dossier folder whose files all moved on).
pub fn remove_if_empty(dir: &Path) {
    let _ = fs::remove_dir(dir);
}
