//! Stage `store`, unit tests: round trip, deduplication, id parsing, missing blobs, bit rot,
//! the size limit, sweeping and concurrent puts.

use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::{BlobId, BlobStore, LocalStore, StoreError};

/// SHA-256("abc"), FIPS 180-2 appendix B.1.
const ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

fn store() -> (tempfile::TempDir, LocalStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = LocalStore::open(dir.path()).expect("open store");
    (dir, store)
}

/// Every regular file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in fs::read_dir(&d).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn data(len: usize, seed: u32) -> Vec<u8> {
    crate::testing::Rng::new(u64::from(seed).wrapping_mul(2_654_435_761)).bytes(len)
}

#[test]
fn round_trip() {
    let (dir, store) = store();
    let bytes = data(300_000, 1);
    let out = store.put_bytes(&bytes).expect("put");
    assert!(out.newly_written);
    assert_eq!(out.size, bytes.len() as u64);
    assert!(store.exists(&out.id).expect("exists"));
    assert_eq!(store.size(&out.id).expect("size"), bytes.len() as u64);
    assert!(store.verify(&out.id).expect("verify"));

    let mut r = store.open(&out.id).expect("open");
    let mut back = Vec::new();
    r.read_to_end(&mut back).expect("read");
    assert_eq!(back, bytes);
    r.seek(SeekFrom::End(-10)).expect("seek");
    let mut tail = Vec::new();
    r.read_to_end(&mut tail).expect("read tail");
    assert_eq!(tail, bytes[bytes.len() - 10..]);

    // Layout: blobs/ab/cd/abcd…, read-only, nothing left in tmp/.
    let id = out.id.as_str();
    let path = dir
        .path()
        .join("blobs")
        .join(&id[0..2])
        .join(&id[2..4])
        .join(id);
    assert_eq!(store.blob_path(&out.id), path);
    assert!(path.is_file());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o444);
    }
    assert!(files(&dir.path().join("tmp")).is_empty());
}

#[test]
fn known_digest_and_empty_blob() {
    let (_dir, store) = store();
    let out = store.put_bytes(b"abc").expect("put");
    assert_eq!(out.id.as_str(), ABC);
    assert_eq!(out.id.to_string(), ABC);
    assert_eq!(out.id.nih_uri(), format!("nih:sha-256;{ABC}"));
    let empty = store.put_bytes(b"").expect("put empty");
    assert_eq!(
        empty.id.as_str(),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(store.size(&empty.id).expect("size"), 0);
}

#[test]
fn same_bytes_stored_once() {
    let (dir, store) = store();
    let bytes = data(10_000, 2);
    let first = store.put_bytes(&bytes).expect("put 1");
    let mut reader: &[u8] = &bytes;
    let second = store.put(&mut reader).expect("put 2");
    assert!(first.newly_written);
    assert!(!second.newly_written);
    assert_eq!(first.id, second.id);
    assert_eq!(second.size, bytes.len() as u64);
    assert_eq!(files(&dir.path().join("blobs")).len(), 1);
    assert!(files(&dir.path().join("tmp")).is_empty());
}

#[test]
fn id_parsing() {
    let id: BlobId = ABC.parse().expect("valid id");
    assert_eq!(id.as_str(), ABC);
    let bad = [
        "../x".to_string(),
        "../".repeat(21) + "a",
        ABC.to_uppercase(),
        ABC[..63].to_string(),
        format!("{ABC}0"),
        String::new(),
        format!("{}/{}", &ABC[..31], &ABC[32..]),
        format!("{}g", &ABC[..63]),
        // 64 bytes, but not 64 ASCII characters.
        format!("{}é", &ABC[..62]),
    ];
    for s in &bad {
        match s.parse::<BlobId>() {
            Err(e @ StoreError::InvalidId { .. }) => {
                assert!(e.to_string().contains("not a blob id"), "{e}")
            }
            other => panic!("{s:?} parsed as {other:?}"),
        }
    }
    // serde goes through the same check.
    let json = serde_json::to_string(&id).expect("serialize");
    assert_eq!(json, format!("\"{ABC}\""));
    assert_eq!(
        serde_json::from_str::<BlobId>(&json).expect("deserialize"),
        id
    );
    assert!(serde_json::from_str::<BlobId>("\"../etc/passwd\"").is_err());
}

#[test]
fn missing_blob_is_a_clean_error() {
    let (_dir, store) = store();
    let id: BlobId = ABC.parse().expect("id");
    assert!(!store.exists(&id).expect("exists"));
    for err in [
        store.open(&id).err().expect("open fails"),
        store.size(&id).expect_err("size fails"),
        store.verify(&id).expect_err("verify fails"),
    ] {
        assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
        assert!(err.to_string().contains(ABC), "{err}");
    }
}

#[test]
fn verify_detects_a_flipped_byte() {
    let (_dir, store) = store();
    let out = store.put_bytes(&data(5000, 3)).expect("put");
    assert!(store.verify(&out.id).expect("verify"));
    let path = store.blob_path(&out.id);
    let mut perms = fs::metadata(&path).expect("meta").permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    fs::set_permissions(&path, perms).expect("chmod");
    let mut bytes = fs::read(&path).expect("read");
    bytes[1234] ^= 0x01;
    fs::write(&path, &bytes).expect("corrupt");
    assert!(!store.verify(&out.id).expect("verify after corruption"));

    // The same content put again does not paper over the damage: the stored copy is kept.
    let again = store.put_bytes(&data(5000, 3)).expect("put again");
    assert!(!again.newly_written);
    assert!(!store.verify(&out.id).expect("still damaged"));

    // A truncated copy is noticed by the size check of a put.
    fs::write(&path, &bytes[..100]).expect("truncate");
    let err = store.put_bytes(&data(5000, 3)).expect_err("size differs");
    assert!(matches!(err, StoreError::Damaged { .. }), "{err:?}");
    assert!(err.to_string().contains(out.id.as_str()), "{err}");
}

#[test]
fn size_limit() {
    let (dir, store) = store();
    let store = store.with_max_blob_size(100_000);
    assert_eq!(store.max_blob_size(), 100_000);
    let err = store.put_bytes(&data(100_001, 4)).expect_err("too large");
    assert!(
        matches!(err, StoreError::TooLarge { limit: 100_000 }),
        "{err:?}"
    );
    assert!(err.to_string().contains("100000"), "{err}");
    assert!(files(&dir.path().join("tmp")).is_empty());
    assert!(files(&dir.path().join("blobs")).is_empty());
    let ok = store.put_bytes(&data(100_000, 4)).expect("at the limit");
    assert_eq!(ok.size, 100_000);
}

#[test]
fn failing_reader_leaves_nothing() {
    struct Failing(usize);
    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0 == 0 {
                return Err(std::io::Error::other("scanner unplugged"));
            }
            let n = self.0.min(buf.len());
            buf[..n].fill(7);
            self.0 -= n;
            Ok(n)
        }
    }
    let (dir, store) = store();
    let err = store.put(&mut Failing(200_000)).expect_err("fails");
    assert!(
        matches!(err, StoreError::Input { read: 200_000, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("scanner unplugged"), "{err}");
    assert!(files(&dir.path().join("tmp")).is_empty());
    assert!(files(&dir.path().join("blobs")).is_empty());
}

#[test]
fn sweep_removes_only_old_temporaries() {
    let (dir, store) = store();
    let tmp = dir.path().join("tmp");
    let old = tmp.join("put-old123.tmp");
    let young = tmp.join("put-young1.tmp");
    let foreign = tmp.join("notes.txt");
    for p in [&old, &young, &foreign] {
        fs::write(p, b"partial").expect("write");
    }
    let two_hours_ago = SystemTime::now() - Duration::from_secs(7200);
    for p in [&old, &foreign] {
        fs::File::options()
            .write(true)
            .open(p)
            .and_then(|f| f.set_modified(two_hours_ago))
            .expect("set mtime");
    }
    let blob = store.put_bytes(b"kept").expect("put");

    assert_eq!(
        store
            .sweep_temporaries(SystemTime::now(), Duration::from_secs(3600))
            .expect("sweep"),
        1
    );
    assert!(!old.exists());
    assert!(young.exists());
    assert!(foreign.exists(), "only the store's own temporaries go");
    assert_eq!(
        store
            .sweep_temporaries(SystemTime::now(), Duration::ZERO)
            .expect("sweep"),
        1
    );
    assert!(!young.exists());
    assert!(foreign.exists());
    assert!(store.verify(&blob.id).expect("blob untouched"));
}

#[test]
fn concurrent_puts_of_the_same_bytes() {
    let (dir, store) = store();
    let bytes = data(2_000_000, 5);
    let outcomes: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| s.spawn(|| store.put_bytes(&bytes)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread").expect("put"))
            .collect()
    });
    assert!(outcomes.iter().all(|o| o.id == outcomes[0].id));
    assert_eq!(outcomes.iter().filter(|o| o.newly_written).count(), 1);
    assert_eq!(files(&dir.path().join("blobs")).len(), 1);
    assert!(files(&dir.path().join("tmp")).is_empty());
    assert!(store.verify(&outcomes[0].id).expect("verify"));
}

#[test]
fn store_is_usable_as_a_trait_object() {
    let (_dir, store) = store();
    let store: std::sync::Arc<dyn BlobStore> = std::sync::Arc::new(store);
    let out = store.put_bytes(b"dyn").expect("put");
    assert!(store.exists(&out.id).expect("exists"));
}

#[test]
fn list_and_check_tell_missing_damaged_and_unreferenced_blobs_apart() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::open(dir.path()).unwrap();
    let a = store.put_bytes(b"scan a").unwrap().id;
    let b = store.put_bytes(b"signed b").unwrap().id;
    let orphan = store.put_bytes(b"left by a killed run").unwrap().id;
    // a stray file in a shard folder is not a blob
    std::fs::write(store.blob_path(&a).with_file_name("notes.txt"), b"x").unwrap();
    let mut listed = store.list().unwrap();
    listed.sort_by(|x, y| x.as_str().cmp(y.as_str()));
    let mut want = vec![a.clone(), b.clone(), orphan.clone()];
    want.sort_by(|x, y| x.as_str().cmp(y.as_str()));
    assert_eq!(listed, want);
    let lost = "0".repeat(64);
    let refs = vec![a.to_string(), b.to_string(), lost.clone()];
    let c = super::check::check(&store, &refs, true, &Default::default()).unwrap();
    assert_eq!(c.missing, vec![lost]);
    assert_eq!(c.unreferenced, vec![orphan.to_string()]);
    assert!(c.damaged.is_empty());
    assert!(!c.ok());
    // damage b's bytes behind the store's back
    let p = store.blob_path(&b);
    let mut perm = std::fs::metadata(&p).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perm.set_readonly(false);
    std::fs::set_permissions(&p, perm).unwrap();
    std::fs::write(&p, b"signed B").unwrap();
    let c = super::check::check(&store, &refs[..2], true, &Default::default()).unwrap();
    assert_eq!(c.damaged, vec![b.to_string()]);
    assert!(c.missing.is_empty() && !c.ok());
}

#[test]
fn records_are_written_once_listed_sorted_and_never_leave_the_records_folder() {
    use super::{RecordKey, MAX_RECORD_SIZE};
    let (dir, store) = store();
    assert!(store.list_records("audit-checkpoints").unwrap().is_empty());
    let b: RecordKey = "audit-checkpoints/000002.json".parse().unwrap();
    let a = RecordKey::new("audit-checkpoints", "000001.json").unwrap();
    store.put_record(&b, b"second").unwrap();
    store.put_record(&a, b"first").unwrap();
    assert_eq!(store.get_record(&a).unwrap(), b"first");
    // written once: a second put neither succeeds nor changes the record
    let again = store.put_record(&a, b"rewritten").unwrap_err();
    assert!(matches!(again, StoreError::RecordExists { .. }), "{again}");
    assert!(again.to_string().contains("audit-checkpoints/000001.json"));
    assert_eq!(store.get_record(&a).unwrap(), b"first");
    // a file that is not a key, and a folder, are not records
    let folder = dir.path().join("records/audit-checkpoints");
    fs::write(folder.join(".hidden"), b"x").unwrap();
    fs::create_dir(folder.join("sub")).unwrap();
    assert_eq!(store.list_records("audit-checkpoints").unwrap(), vec![a, b]);
    // nothing left in tmp/, nothing written outside records/
    assert!(files(&dir.path().join("tmp")).is_empty());
    // keys from outside cannot climb out
    for bad in [
        "../x",
        "a/../../etc",
        "a/.x",
        "a",
        "a/b/c",
        "/x",
        "a/",
        "a/b c",
    ] {
        let e = bad.parse::<RecordKey>().unwrap_err();
        assert!(e.to_string().contains(bad), "{bad}: {e}");
    }
    assert!(store.list_records("..").is_err());
    let missing = RecordKey::new("audit-checkpoints", "000003.json").unwrap();
    assert!(matches!(
        store.get_record(&missing),
        Err(StoreError::RecordNotFound { .. })
    ));
    let big = vec![0u8; MAX_RECORD_SIZE as usize + 1];
    assert!(matches!(
        store.put_record(&missing, &big),
        Err(StoreError::RecordTooLarge { .. })
    ));
    assert!(!folder.join("000003.json").exists());
}
