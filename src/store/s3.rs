//! Stage `store`, blobs in an S3-compatible object store (MinIO, Garage, Ceph RGW, AWS S3): a
//! province's shared store behind the same [`BlobStore`] seam as the local folder.
//!
//! Keys: `PREFIX/blobs/ab/cd/<sha256>` (the local folder's layout) and
//! `PREFIX/records/<folder>/<name>`. A put streams the bytes into an anonymous local file while
//! hashing them (so the address is known before anything is sent, and a crash leaves nothing),
//! asks whether the address is taken, then sends them: one `PUT` up to [`PART_SIZE`], a
//! multipart upload beyond (parts of [`PART_SIZE`]), either with `If-None-Match: *`, so a blob
//! or record once written is never replaced (a server that refuses with 412 had it already).
//! An object appears whole or not at all (S3's PUT and CompleteMultipartUpload are atomic);
//! a multipart upload cut off midway is aborted, and [`BlobStore::sweep_temporaries`] aborts
//! those a killed process left. Every read is re-hashed: [`BlobStore::open`] hands out a local
//! copy only after its SHA-256 matched its address.
//!
//! Credentials come from the environment or a file, never from the command line, and are
//! never logged or shown in an error.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderValue};
use s3::creds::Credentials;
use s3::{Bucket, Region};

use super::{BlobId, BlobStore, PutOutcome, ReadSeek, RecordKey, StoreError, MAX_RECORD_SIZE};
use crate::pki::digest::{sha256_stream, StreamError};

/// The size of one part of a multipart upload, and the largest blob sent in one `PUT`.
pub const PART_SIZE: usize = 16 * 1024 * 1024;

/// How long one request may take before it is given up.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// Where the object store is and how to reach it (parsed from `[store]`, without I/O).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    /// Every key starts with this (empty, or ending in `/`).
    pub prefix: String,
    /// `https://…` or `http://…`; `None`: AWS's endpoint of `region`.
    pub endpoint: Option<String>,
    pub region: String,
    pub path_style: bool,
    /// `access_key_id` and `secret_access_key`; `None`: the `AWS_*` variables.
    pub credentials_file: Option<PathBuf>,
    /// A local folder for the copies of blobs on their way in and out.
    pub spool: PathBuf,
}

impl S3Location {
    /// `s3://BUCKET/PREFIX` parsed, the other settings given.
    pub fn parse(url: &str) -> Result<(String, String), String> {
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| format!("{url:?} is not an s3://BUCKET/PREFIX URL"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        // S3's bucket naming rules (3 to 63 lower-case letters, digits, '.', '-')
        if bucket.len() < 3
            || bucket.len() > 63
            || !bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        {
            return Err(format!(
                "{url:?}: the bucket name must be 3 to 63 lower-case letters, digits, '.' or '-'"
            ));
        }
        let prefix = prefix.trim_matches('/');
        if prefix
            .split('/')
            .any(|p| p == "." || p == ".." || (p.is_empty() && !prefix.is_empty()))
        {
            return Err(format!(
                "{url:?}: the prefix has an empty, '.' or '..' part"
            ));
        }
        let prefix = if prefix.is_empty() {
            String::new()
        } else {
            format!("{prefix}/")
        };
        Ok((bucket.to_string(), prefix))
    }

    /// `s3://bucket/prefix`, as messages name it.
    pub fn url(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.prefix)
    }
}

/// The content-addressed store in an S3 bucket.
pub struct S3Store {
    pub(super) bucket: Box<Bucket>,
    location: S3Location,
    max_blob_size: u64,
}

/// The access key pair (never printed: `Debug` shows the key id only).
struct Keys {
    access_key_id: String,
    secret_access_key: String,
}

fn read_keys(loc: &S3Location) -> Result<Keys, StoreError> {
    let bad = |detail: String| StoreError::Remote {
        op: "cannot read the object store's credentials",
        url: loc.url(),
        detail,
    };
    match &loc.credentials_file {
        Some(path) => {
            #[derive(serde::Deserialize)]
            #[serde(deny_unknown_fields)]
            struct FileKeys {
                access_key_id: String,
                secret_access_key: String,
            }
            use std::os::unix::fs::PermissionsExt;
            let meta =
                std::fs::metadata(path).map_err(|e| bad(format!("{}: {e}", path.display())))?;
            if meta.permissions().mode() & 0o077 != 0 {
                return Err(bad(format!(
                    "{}: others may read it; chmod 600 it",
                    path.display()
                )));
            }
            if meta.len() > 64 * 1024 {
                return Err(bad(format!("{}: larger than 64 KiB", path.display())));
            }
            let text = std::fs::read_to_string(path)
                .map_err(|e| bad(format!("{}: {e}", path.display())))?;
            // the parser's message may quote the line: it is not passed on
            let k: FileKeys = toml::from_str(&text).map_err(|_| {
                bad(format!(
                    "{}: expected access_key_id = \"…\" and secret_access_key = \"…\"",
                    path.display()
                ))
            })?;
            Ok(Keys {
                access_key_id: k.access_key_id,
                secret_access_key: k.secret_access_key,
            })
        }
        None => {
            let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
            match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
                (Some(a), Some(s)) => Ok(Keys {
                    access_key_id: a,
                    secret_access_key: s,
                }),
                _ => Err(bad(
                    "set [store] credentials_file, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
                        .into(),
                )),
            }
        }
    }
}

/// A failed request as a store error naming the object.
fn remote(op: &'static str, url: String) -> impl FnOnce(s3::error::S3Error) -> StoreError {
    move |e| StoreError::Remote {
        op,
        url,
        detail: e.to_string(),
    }
}

fn status_error(op: &'static str, url: String, status: u16, body: &[u8]) -> StoreError {
    let body = String::from_utf8_lossy(&body[..body.len().min(512)]).into_owned();
    StoreError::Remote {
        op,
        url,
        detail: format!("the server answered {status}: {}", body.trim()),
    }
}

/// A writer that hashes what passes and refuses more than `limit` bytes.
struct Capped<W: Write + Send> {
    inner: W,
    written: u64,
    limit: u64,
    hasher: crate::pki::digest::Hasher,
}

impl<W: Write + Send> Write for Capped<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.written = self.written.saturating_add(buf.len() as u64);
        if self.written > self.limit {
            return Err(io::Error::other("larger than the limit"));
        }
        self.inner.write_all(buf)?;
        self.hasher.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl S3Store {
    /// Opens the bucket of `loc` (reading the credentials) and checks it answers.
    pub fn open(loc: &S3Location) -> Result<Self, StoreError> {
        let keys = read_keys(loc)?;
        let credentials = Credentials::new(
            Some(&keys.access_key_id),
            Some(&keys.secret_access_key),
            None,
            None,
            None,
        )
        .map_err(|e| StoreError::Remote {
            op: "cannot use the object store's credentials",
            url: loc.url(),
            detail: e.to_string(),
        })?;
        let region = match &loc.endpoint {
            Some(endpoint) => Region::Custom {
                region: loc.region.clone(),
                endpoint: endpoint.trim_end_matches('/').to_string(),
            },
            None => loc.region.parse().map_err(|_| StoreError::Remote {
                op: "cannot use the region",
                url: loc.url(),
                detail: format!(
                    "{:?} is not an AWS region; set [store] endpoint",
                    loc.region
                ),
            })?,
        };
        let mut bucket = Bucket::new(&loc.bucket, region, credentials)
            .map_err(remote("cannot reach the bucket", loc.url()))?;
        if loc.path_style {
            bucket.set_path_style();
        }
        bucket.set_request_timeout(Some(REQUEST_TIMEOUT));
        std::fs::create_dir_all(&loc.spool).map_err(|e| StoreError::Io {
            op: "cannot create the spool folder",
            path: loc.spool.clone(),
            source: e,
        })?;
        let me = Self {
            bucket,
            location: loc.clone(),
            max_blob_size: super::DEFAULT_MAX_BLOB_SIZE,
        };
        // one listing of at most one key: the bucket exists and the keys are accepted
        let (_, status) = me
            .bucket
            .list_page(me.location.prefix.clone(), None, None, None, Some(1))
            .map_err(remote("cannot list the bucket", loc.url()))?;
        if status != 200 {
            return Err(StoreError::Remote {
                op: "cannot list the bucket",
                url: loc.url(),
                detail: format!(
                    "the server answered {status} (does the bucket exist, are the keys right?)"
                ),
            });
        }
        Ok(me)
    }

    /// A store refusing blobs larger than `limit` bytes.
    pub fn with_max_blob_size(mut self, limit: u64) -> Self {
        self.max_blob_size = limit;
        self
    }

    pub(super) fn blob_key(&self, id: &BlobId) -> String {
        let (a, b) = id.shards();
        format!("{}blobs/{a}/{b}/{}", self.location.prefix, id.as_str())
    }

    fn record_key(&self, key: &RecordKey) -> String {
        format!("{}records/{}", self.location.prefix, key)
    }

    fn url_of(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.location.bucket)
    }

    /// The object's size, `None` when there is none.
    fn head(&self, key: &str) -> Result<Option<u64>, StoreError> {
        let (h, status) = self
            .bucket
            .head_object(key)
            .map_err(remote("cannot look at", self.url_of(key)))?;
        match status {
            200 => Ok(Some(h.content_length.unwrap_or(0).max(0) as u64)),
            404 => Ok(None),
            s => Err(status_error("cannot look at", self.url_of(key), s, b"")),
        }
    }

    /// A bucket handle that sends `If-None-Match: *` (create, never replace).
    fn creating(&self) -> Result<Box<Bucket>, StoreError> {
        let mut headers = HeaderMap::new();
        headers.insert("if-none-match", HeaderValue::from_static("*"));
        self.bucket
            .with_extra_headers(headers)
            .map(Box::new)
            .map_err(remote("cannot prepare a request to", self.location.url()))
    }

    /// Sends `size` bytes of `spool` (from its start) to `key` unless an object is there:
    /// `true` when this call created it.
    fn send(&self, key: &str, spool: &mut File, size: u64) -> Result<bool, StoreError> {
        let url = self.url_of(key);
        let io_err = |e: io::Error| StoreError::Io {
            op: "cannot read the spooled copy of",
            path: PathBuf::from(&url),
            source: e,
        };
        spool.seek(SeekFrom::Start(0)).map_err(io_err)?;
        let creating = self.creating()?;
        if size <= PART_SIZE as u64 {
            let mut buf = Vec::with_capacity(size as usize);
            spool.take(size).read_to_end(&mut buf).map_err(io_err)?;
            let r = creating
                .put_object(key, &buf)
                .map_err(remote("cannot write", url.clone()))?;
            return match r.status_code() {
                200..=299 => Ok(true),
                412 => Ok(false),
                s => Err(status_error("cannot write", url, s, r.as_slice())),
            };
        }
        let upload = self
            .bucket
            .initiate_multipart_upload(key, "application/octet-stream")
            .map_err(remote("cannot start a multipart upload to", url.clone()))?;
        let abort = |e: StoreError| {
            // best effort: sweep_temporaries aborts what this leaves
            let _ = self.bucket.abort_upload(key, &upload.upload_id);
            e
        };
        let mut parts = Vec::new();
        let mut buf = vec![0u8; PART_SIZE];
        let mut sent = 0u64;
        let mut number = 1u32;
        while sent < size {
            let n = (size - sent).min(PART_SIZE as u64) as usize;
            spool
                .read_exact(&mut buf[..n])
                .map_err(|e| abort(io_err(e)))?;
            let part = self
                .bucket
                .put_multipart_chunk(
                    &buf[..n],
                    key,
                    number,
                    &upload.upload_id,
                    "application/octet-stream",
                )
                .map_err(|e| abort(remote("cannot send a part to", url.clone())(e)))?;
            parts.push(part);
            sent += n as u64;
            number += 1;
        }
        match creating.complete_multipart_upload(key, &upload.upload_id, parts) {
            Ok(r) if (200..300).contains(&r.status_code()) => Ok(true),
            Ok(r) if r.status_code() == 412 => {
                let _ = self.bucket.abort_upload(key, &upload.upload_id);
                Ok(false)
            }
            Ok(r) => Err(abort(status_error(
                "cannot complete the upload to",
                url,
                r.status_code(),
                r.as_slice(),
            ))),
            Err(s3::error::S3Error::HttpFailWithBody(412, _)) => {
                let _ = self.bucket.abort_upload(key, &upload.upload_id);
                Ok(false)
            }
            Err(e) => Err(abort(remote("cannot complete the upload to", url)(e))),
        }
    }

    /// Streams the object `key` into `out` (hashing, at most `limit` bytes); `None` when
    /// there is no such object.
    fn fetch<W: Write + Send>(
        &self,
        key: &str,
        out: W,
        limit: u64,
    ) -> Result<Option<(String, u64)>, StoreError> {
        let url = self.url_of(key);
        let mut capped = Capped {
            inner: out,
            written: 0,
            limit,
            hasher: crate::pki::digest::DigestAlg::Sha256.hasher(),
        };
        let status = match self.bucket.get_object_to_writer(key, &mut capped) {
            Ok(s) => s,
            Err(e) if capped.written > limit => {
                let _ = e;
                return Err(StoreError::Remote {
                    op: "cannot read",
                    url,
                    detail: format!("it is larger than the limit of {limit} bytes"),
                });
            }
            Err(e) => return Err(remote("cannot read", url)(e)),
        };
        match status {
            200 => Ok(Some((
                hex::encode(capped.hasher.finalize()),
                capped.written,
            ))),
            404 => Ok(None),
            s => Err(status_error("cannot read", url, s, b"")),
        }
    }

    /// Every key under `prefix`, sorted.
    fn keys_under(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let pages = self
            .bucket
            .list(prefix.to_string(), None)
            .map_err(remote("cannot list", self.url_of(prefix)))?;
        let mut keys: Vec<String> = pages
            .into_iter()
            .flat_map(|p| p.contents.into_iter().map(|o| o.key))
            .collect();
        keys.sort();
        Ok(keys)
    }

    fn spool_file(&self) -> Result<File, StoreError> {
        tempfile::tempfile_in(&self.location.spool).map_err(|e| StoreError::Io {
            op: "cannot create a spool file in",
            path: self.location.spool.clone(),
            source: e,
        })
    }
}

impl BlobStore for S3Store {
    fn put(&self, reader: &mut dyn Read) -> Result<PutOutcome, StoreError> {
        // an anonymous file: whatever happens, nothing is left behind on the disk
        let mut spool = self.spool_file()?;
        let max = self.max_blob_size;
        let spool_path = self.location.spool.clone();
        let (sha, size) = sha256_stream(reader, |chunk, size| {
            if size > max {
                return Err(StoreError::TooLarge { limit: max });
            }
            spool.write_all(chunk).map_err(|e| StoreError::Io {
                op: "cannot write the spool file in",
                path: spool_path.clone(),
                source: e,
            })
        })
        .map_err(|e| match e {
            StreamError::Read { read, source } => StoreError::Input { read, source },
            StreamError::Chunk(e) => e,
        })?;
        let id: BlobId = sha.parse()?;
        let key = self.blob_key(&id);
        let already = |found: u64| -> Result<PutOutcome, StoreError> {
            if found != size {
                return Err(StoreError::Damaged {
                    id: id.clone(),
                    path: PathBuf::from(self.url_of(&key)),
                    detail: format!("it has {found} bytes where the same content has {size}"),
                });
            }
            Ok(PutOutcome {
                id: id.clone(),
                size,
                newly_written: false,
            })
        };
        if let Some(found) = self.head(&key)? {
            return already(found);
        }
        if self.send(&key, &mut spool, size)? {
            return Ok(PutOutcome {
                id,
                size,
                newly_written: true,
            });
        }
        // another writer stored the same address between our look and our write
        match self.head(&key)? {
            Some(found) => already(found),
            None => Err(StoreError::Remote {
                op: "cannot write",
                url: self.url_of(&key),
                detail: "the server refused to create it, yet it is not there".into(),
            }),
        }
    }

    fn open(&self, id: &BlobId) -> Result<Box<dyn ReadSeek>, StoreError> {
        let key = self.blob_key(id);
        let mut spool = self.spool_file()?;
        let Some((sha, _)) = self.fetch(&key, &mut spool, self.max_blob_size)? else {
            return Err(StoreError::NotFound { id: id.clone() });
        };
        if sha != id.as_str() {
            return Err(StoreError::Damaged {
                id: id.clone(),
                path: PathBuf::from(self.url_of(&key)),
                detail: format!("its bytes hash to {sha}"),
            });
        }
        spool.seek(SeekFrom::Start(0)).map_err(|e| StoreError::Io {
            op: "cannot read the spooled copy of",
            path: PathBuf::from(self.url_of(&key)),
            source: e,
        })?;
        Ok(Box::new(spool))
    }

    fn exists(&self, id: &BlobId) -> Result<bool, StoreError> {
        Ok(self.head(&self.blob_key(id))?.is_some())
    }

    fn size(&self, id: &BlobId) -> Result<u64, StoreError> {
        self.head(&self.blob_key(id))?
            .ok_or_else(|| StoreError::NotFound { id: id.clone() })
    }

    fn verify(&self, id: &BlobId) -> Result<bool, StoreError> {
        let key = self.blob_key(id);
        match self.fetch(&key, io::sink(), u64::MAX)? {
            Some((sha, _)) => Ok(sha == id.as_str()),
            None => Err(StoreError::NotFound { id: id.clone() }),
        }
    }

    fn list(&self) -> Result<Vec<BlobId>, StoreError> {
        let prefix = format!("{}blobs/", self.location.prefix);
        let mut out = Vec::new();
        for key in self.keys_under(&prefix)? {
            // only keys of the store's own layout count; anything else is not a blob
            let Some(name) = key.rsplit('/').next() else {
                continue;
            };
            if let Ok(id) = name.parse::<BlobId>() {
                if key == self.blob_key(&id) {
                    out.push(id);
                }
            }
        }
        out.sort();
        Ok(out)
    }

    fn sweep_temporaries(&self, now: SystemTime, min_age: Duration) -> Result<usize, StoreError> {
        let prefix = self.location.prefix.clone();
        let listing = match self.bucket.list_multiparts_uploads(Some(&prefix), None) {
            Ok(l) => l,
            // a server without the call (s3s-fs answers NotImplemented, which the client
            // then fails to read as a listing) lists nothing to sweep: its unfinished uploads
            // are for a bucket lifecycle rule (AbortIncompleteMultipartUpload, docs/DEPLOY.md)
            Err(s3::error::S3Error::HttpFailWithBody(501, _) | s3::error::S3Error::SerdeXml(_)) => {
                return Ok(0)
            }
            Err(e) => {
                return Err(remote(
                    "cannot list the unfinished uploads of",
                    self.location.url(),
                )(e))
            }
        };
        let cutoff = now.checked_sub(min_age).unwrap_or(SystemTime::UNIX_EPOCH);
        let mut swept = 0;
        for page in listing {
            for u in page.uploads {
                let started = time::OffsetDateTime::parse(
                    &u.initiated,
                    &time::format_description::well_known::Rfc3339,
                )
                .map(SystemTime::from);
                // an upload whose start cannot be read is left alone
                if started.is_ok_and(|t| t <= cutoff) {
                    self.bucket.abort_upload(&u.key, &u.id).map_err(remote(
                        "cannot abort the unfinished upload to",
                        self.url_of(&u.key),
                    ))?;
                    swept += 1;
                }
            }
        }
        Ok(swept)
    }

    fn put_record(&self, key: &RecordKey, bytes: &[u8]) -> Result<(), StoreError> {
        if bytes.len() as u64 > MAX_RECORD_SIZE {
            return Err(StoreError::RecordTooLarge {
                key: key.to_string(),
                size: bytes.len() as u64,
                limit: MAX_RECORD_SIZE,
            });
        }
        let k = self.record_key(key);
        if self.head(&k)?.is_some() {
            return Err(StoreError::RecordExists {
                key: key.to_string(),
            });
        }
        let mut spool = self.spool_file()?;
        spool.write_all(bytes).map_err(|e| StoreError::Io {
            op: "cannot write the spool file in",
            path: self.location.spool.clone(),
            source: e,
        })?;
        if self.send(&k, &mut spool, bytes.len() as u64)? {
            Ok(())
        } else {
            Err(StoreError::RecordExists {
                key: key.to_string(),
            })
        }
    }

    fn get_record(&self, key: &RecordKey) -> Result<Vec<u8>, StoreError> {
        let mut out = Vec::new();
        match self.fetch(&self.record_key(key), &mut out, MAX_RECORD_SIZE)? {
            Some(_) => Ok(out),
            None => Err(StoreError::RecordNotFound {
                key: key.to_string(),
            }),
        }
    }

    fn list_records(&self, folder: &str) -> Result<Vec<RecordKey>, StoreError> {
        let prefix = format!("{}records/{folder}/", self.location.prefix);
        let mut out = Vec::new();
        for k in self.keys_under(&prefix)? {
            let name = &k[prefix.len()..];
            // a key that is not a record name (nested, odd characters) is not a record
            if let Ok(rk) = RecordKey::new(folder, name) {
                out.push(rk);
            }
        }
        out.sort();
        Ok(out)
    }
}
