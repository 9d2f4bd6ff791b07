//! Stage `store`, local filesystem: [`LocalStore`], the embedded default [`BlobStore`].
//!
//! Layout under the root:
//!
//! ```text
//! root/blobs/ab/cd/abcd…(64 hex digits)   complete blobs, read-only (0o444), never rewritten
//! root/tmp/put-XXXXXX.tmp                 puts under way (or interrupted: see sweep)
//! root/records/folder/name                named write-once records (audit checkpoints), 0o444
//! ```
//!
//! A put streams into `tmp/` (same filesystem, so the final rename is atomic), hashing as it
//! writes; then it makes the file read-only, fsyncs it, renames it to its content address
//! without replacing anything already there, and fsyncs the shard folders so the new name is
//! durable too. A process killed at any point leaves either nothing, a temporary file under
//! `tmp/`, or the complete blob: never a partial file under `blobs/`.

use std::convert::Infallible;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::{BlobId, BlobStore, PutOutcome, ReadSeek, RecordKey, StoreError, MAX_RECORD_SIZE};
use crate::pki::digest::{sha256_stream, StreamError};

/// The default limit on one blob: 2 GiB.
pub const DEFAULT_MAX_BLOB_SIZE: u64 = 2 * 1024 * 1024 * 1024;

/// Names of temporary files: only these are ever removed by a sweep.
const TEMP_PREFIX: &str = "put-";
const TEMP_SUFFIX: &str = ".tmp";

/// Blobs in a folder of the local filesystem. Cheap to clone; holds no open files.
#[derive(Clone, Debug)]
pub struct LocalStore {
    root: PathBuf,
    blobs: PathBuf,
    tmp: PathBuf,
    records: PathBuf,
    max_blob_size: u64,
}

impl LocalStore {
    /// Opens (creating them when missing) `root/blobs/` and `root/tmp/`, with the default
    /// limit of [`DEFAULT_MAX_BLOB_SIZE`] per blob.
    pub fn open(root: impl AsRef<Path>) -> Result<Self, StoreError> {
        let root = root.as_ref().to_path_buf();
        let blobs = root.join("blobs");
        let tmp = root.join("tmp");
        for dir in [&blobs, &tmp] {
            fs::create_dir_all(dir).map_err(io("cannot create the store folder", dir))?;
        }
        Ok(Self {
            records: root.join("records"),
            root,
            blobs,
            tmp,
            max_blob_size: DEFAULT_MAX_BLOB_SIZE,
        })
    }

    /// The same store with another limit on the size of one blob, in bytes.
    pub fn with_max_blob_size(mut self, limit: u64) -> Self {
        self.max_blob_size = limit;
        self
    }

    pub fn max_blob_size(&self) -> u64 {
        self.max_blob_size
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the blob lives (or would live): `root/blobs/ab/cd/abcd…`.
    pub fn blob_path(&self, id: &BlobId) -> PathBuf {
        let (a, b) = id.shards();
        self.blobs.join(a).join(b).join(id.as_str())
    }

    /// The size of the stored blob, `None` when it is not stored; anything but a regular
    /// file at the address is damage.
    fn stat(&self, id: &BlobId, path: &Path) -> Result<Option<u64>, StoreError> {
        match fs::symlink_metadata(path) {
            Ok(m) if m.is_file() => Ok(Some(m.len())),
            Ok(_) => Err(StoreError::Damaged {
                id: id.clone(),
                path: path.to_path_buf(),
                detail: "it is not a regular file".into(),
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io("cannot look at the blob", path)(e)),
        }
    }

    /// The outcome of a put whose bytes are already stored: the stored size must match.
    fn already_stored(
        &self,
        id: BlobId,
        path: &Path,
        size: u64,
        found: u64,
    ) -> Result<PutOutcome, StoreError> {
        if found != size {
            return Err(StoreError::Damaged {
                id,
                path: path.to_path_buf(),
                detail: format!("it has {found} bytes where the same content has {size}"),
            });
        }
        // Another put may have renamed it an instant ago without having synced the folder
        // yet: sync it here too, so that a returned id always names a durable blob.
        self.sync_shard(&id)?;
        Ok(PutOutcome {
            id,
            size,
            newly_written: false,
        })
    }

    /// fsyncs the blob's shard folders, innermost first, so its name is durable.
    fn sync_shard(&self, id: &BlobId) -> Result<(), StoreError> {
        let (a, b) = id.shards();
        let outer = self.blobs.join(a);
        for dir in [outer.join(b), outer, self.blobs.clone()] {
            sync_dir(&dir)?;
        }
        Ok(())
    }

    /// Streams into the temporary file, hashing: (SHA-256 hex, size).
    fn copy_hashing(
        &self,
        reader: &mut dyn Read,
        tmp: &mut tempfile::NamedTempFile,
    ) -> Result<(String, u64), StoreError> {
        let path = tmp.path().to_path_buf();
        let max = self.max_blob_size;
        sha256_stream(reader, |chunk, size| {
            if size > max {
                return Err(StoreError::TooLarge { limit: max });
            }
            tmp.as_file_mut()
                .write_all(chunk)
                .map_err(io("cannot write the temporary file", &path))
        })
        .map_err(|e| match e {
            StreamError::Read { read, source } => StoreError::Input { read, source },
            StreamError::Chunk(e) => e,
        })
    }
}

impl BlobStore for LocalStore {
    fn put(&self, reader: &mut dyn Read) -> Result<PutOutcome, StoreError> {
        // Dropping `tmp` on any early return removes the temporary file.
        let mut tmp = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .suffix(TEMP_SUFFIX)
            .tempfile_in(&self.tmp)
            .map_err(io("cannot create a temporary file in", &self.tmp))?;
        let (sha, size) = self.copy_hashing(reader, &mut tmp)?;
        let id: BlobId = sha.parse()?;
        let target = self.blob_path(&id);

        if let Some(found) = self.stat(&id, &target)? {
            return self.already_stored(id, &target, size, found);
        }

        let tmp_path = tmp.path().to_path_buf();
        make_read_only(tmp.as_file())
            .map_err(io("cannot make the temporary file read-only", &tmp_path))?;
        tmp.as_file()
            .sync_all()
            .map_err(io("cannot flush the temporary file to disk", &tmp_path))?;
        if let Some(shard) = target.parent() {
            fs::create_dir_all(shard).map_err(io("cannot create the shard folder", shard))?;
        }
        match tmp.persist_noclobber(&target) {
            Ok(_file) => {}
            Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => {
                // A concurrent put of the same bytes won the race: keep its blob.
                drop(e.file);
                return match self.stat(&id, &target)? {
                    Some(found) => self.already_stored(id, &target, size, found),
                    None => Err(io("cannot move the temporary file into place at", &target)(
                        e.error,
                    )),
                };
            }
            Err(e) => {
                return Err(io("cannot move the temporary file into place at", &target)(
                    e.error,
                ))
            }
        }
        self.sync_shard(&id)?;
        Ok(PutOutcome {
            id,
            size,
            newly_written: true,
        })
    }

    fn open(&self, id: &BlobId) -> Result<Box<dyn ReadSeek>, StoreError> {
        let path = self.blob_path(id);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(StoreError::NotFound { id: id.clone() })
            }
            Err(e) => return Err(io("cannot open the blob", &path)(e)),
        };
        let meta = file
            .metadata()
            .map_err(io("cannot look at the blob", &path))?;
        if !meta.is_file() {
            return Err(StoreError::Damaged {
                id: id.clone(),
                path,
                detail: "it is not a regular file".into(),
            });
        }
        Ok(Box::new(file))
    }

    fn exists(&self, id: &BlobId) -> Result<bool, StoreError> {
        Ok(self.stat(id, &self.blob_path(id))?.is_some())
    }

    fn size(&self, id: &BlobId) -> Result<u64, StoreError> {
        self.stat(id, &self.blob_path(id))?
            .ok_or_else(|| StoreError::NotFound { id: id.clone() })
    }

    fn verify(&self, id: &BlobId) -> Result<bool, StoreError> {
        let path = self.blob_path(id);
        let mut reader = self.open(id)?;
        let (sha, _) =
            sha256_stream(&mut reader, |_, _| Ok::<(), Infallible>(())).map_err(|e| match e {
                StreamError::Read { source, .. } => io("cannot read the blob", &path)(source),
                StreamError::Chunk(never) => match never {},
            })?;
        Ok(sha == id.as_str())
    }

    fn list(&self) -> Result<Vec<BlobId>, StoreError> {
        let mut out = Vec::new();
        let dirs = |p: &Path| -> Result<Vec<fs::DirEntry>, StoreError> {
            fs::read_dir(p)
                .map_err(io("cannot list the store folder", p))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(io("cannot list the store folder", p))
        };
        for a in dirs(&self.blobs)? {
            if !a.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            for b in dirs(&a.path())? {
                if !b.file_type().is_ok_and(|t| t.is_dir()) {
                    continue;
                }
                for f in dirs(&b.path())? {
                    // only names that are addresses, in the shard their digits say
                    let Some(name) = f.file_name().to_str().map(str::to_owned) else {
                        continue;
                    };
                    if let Ok(id) = name.parse::<BlobId>() {
                        if self.blob_path(&id) == f.path() {
                            out.push(id);
                        }
                    }
                }
            }
        }
        out.sort_by(|x, y| x.as_str().cmp(y.as_str()));
        Ok(out)
    }

    fn sweep_temporaries(&self, now: SystemTime, min_age: Duration) -> Result<usize, StoreError> {
        let mut removed = 0;
        let entries =
            fs::read_dir(&self.tmp).map_err(io("cannot list the temporary folder", &self.tmp))?;
        for entry in entries {
            let entry = entry.map_err(io("cannot list the temporary folder", &self.tmp))?;
            let path = entry.path();
            let name = entry.file_name();
            let ours = name
                .to_str()
                .is_some_and(|n| n.starts_with(TEMP_PREFIX) && n.ends_with(TEMP_SUFFIX));
            if !ours {
                continue;
            }
            let meta = match entry.metadata() {
                Ok(m) => m,
                // Renamed into place or removed by its put meanwhile.
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io("cannot look at the temporary file", &path)(e)),
            };
            if !meta.is_file() {
                continue;
            }
            // Age since the last write: a slow put that is still writing stays young.
            let modified = meta
                .modified()
                .map_err(io("cannot read the time of the temporary file", &path))?;
            let age = now.duration_since(modified).unwrap_or(Duration::ZERO);
            if age < min_age {
                continue;
            }
            match fs::remove_file(&path) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io("cannot remove the temporary file", &path)(e)),
            }
        }
        Ok(removed)
    }

    fn put_record(&self, key: &RecordKey, bytes: &[u8]) -> Result<(), StoreError> {
        if bytes.len() as u64 > MAX_RECORD_SIZE {
            return Err(StoreError::RecordTooLarge {
                key: key.to_string(),
                size: bytes.len() as u64,
                limit: MAX_RECORD_SIZE,
            });
        }
        let folder = self.records.join(key.folder());
        fs::create_dir_all(&folder).map_err(io("cannot create the record folder", &folder))?;
        let target = folder.join(key.name());
        let mut tmp = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .suffix(TEMP_SUFFIX)
            .tempfile_in(&self.tmp)
            .map_err(io("cannot create a temporary file in", &self.tmp))?;
        let tmp_path = tmp.path().to_path_buf();
        tmp.as_file_mut()
            .write_all(bytes)
            .map_err(io("cannot write the temporary file", &tmp_path))?;
        make_read_only(tmp.as_file())
            .map_err(io("cannot make the temporary file read-only", &tmp_path))?;
        tmp.as_file()
            .sync_all()
            .map_err(io("cannot flush the temporary file to disk", &tmp_path))?;
        match tmp.persist_noclobber(&target) {
            Ok(_) => {}
            Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => {
                return Err(StoreError::RecordExists {
                    key: key.to_string(),
                })
            }
            Err(e) => {
                return Err(io("cannot move the temporary file into place at", &target)(
                    e.error,
                ))
            }
        }
        for dir in [&folder, &self.records] {
            sync_dir(dir)?;
        }
        Ok(())
    }

    fn get_record(&self, key: &RecordKey) -> Result<Vec<u8>, StoreError> {
        let path = self.records.join(key.folder()).join(key.name());
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(StoreError::RecordNotFound {
                    key: key.to_string(),
                })
            }
            Err(e) => return Err(io("cannot open the record", &path)(e)),
        };
        let mut out = Vec::new();
        file.take(MAX_RECORD_SIZE + 1)
            .read_to_end(&mut out)
            .map_err(io("cannot read the record", &path))?;
        if out.len() as u64 > MAX_RECORD_SIZE {
            return Err(StoreError::RecordTooLarge {
                key: key.to_string(),
                size: out.len() as u64,
                limit: MAX_RECORD_SIZE,
            });
        }
        Ok(out)
    }

    fn list_records(&self, folder: &str) -> Result<Vec<RecordKey>, StoreError> {
        RecordKey::check_folder(folder)?;
        let dir = self.records.join(folder);
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io("cannot list the record folder", &dir)(e)),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io("cannot list the record folder", &dir))?;
            if !entry.file_type().is_ok_and(|t| t.is_file()) {
                continue;
            }
            // a name that is not a key was not written by a put: not a record
            if let Some(key) = entry
                .file_name()
                .to_str()
                .and_then(|n| RecordKey::new(folder, n).ok())
            {
                out.push(key);
            }
        }
        out.sort();
        Ok(out)
    }
}

fn io<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> StoreError + 'a {
    move |source| StoreError::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}

/// fsync of a folder: makes the names it holds (a rename into it) durable.
fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io("cannot flush the folder to disk", dir))
}

#[cfg(unix)]
fn make_read_only(file: &File) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(0o444))
}

#[cfg(not(unix))]
fn make_read_only(file: &File) -> io::Result<()> {
    let mut perms = file.metadata()?.permissions();
    perms.set_readonly(true);
    file.set_permissions(perms)
}
