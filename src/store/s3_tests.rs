//! Stage `store`, the object store against a real S3-protocol server (s3s-fs, started by
//! `scripts/test-servers.sh`; a new bucket per test): round trip, one copy per content,
//! multipart beyond one part, the size limit, a failing reader, damage found on read and on
//! verify, write-once records, listing, concurrent puts. Skipped without the server unless
//! `SOHOA_REQUIRE_SERVERS=1`.

use std::io::{Read, Seek, SeekFrom};

use super::{BlobId, BlobStore, RecordKey, S3Store, StoreError, PART_SIZE};

fn store() -> Option<(tempfile::TempDir, S3Store)> {
    let dir = tempfile::tempdir().expect("temp dir");
    let loc = crate::testing::fresh_s3_location(&dir.path().join("spool"))?;
    let store = S3Store::open(&loc).expect("open the bucket");
    Some((dir, store))
}

fn data(len: usize, seed: u64) -> Vec<u8> {
    crate::testing::Rng::new(seed.wrapping_mul(2_654_435_761)).bytes(len)
}

/// Writes `bytes` at the blob's key behind the store's back (bit rot, tampering).
fn overwrite(store: &S3Store, id: &BlobId, bytes: &[u8]) {
    let r = store
        .bucket
        .put_object(store.blob_key(id), bytes)
        .expect("raw put");
    assert_eq!(r.status_code(), 200);
}

#[test]
fn round_trip_and_one_copy_per_content() {
    let Some((dir, store)) = store() else { return };
    let bytes = data(300_000, 1);
    let out = store.put_bytes(&bytes).expect("put");
    assert!(out.newly_written);
    assert_eq!(out.size, bytes.len() as u64);
    assert!(store.exists(&out.id).unwrap());
    assert_eq!(store.size(&out.id).unwrap(), bytes.len() as u64);
    assert!(store.verify(&out.id).unwrap());
    let mut r = store.open(&out.id).expect("open");
    let mut back = Vec::new();
    r.read_to_end(&mut back).unwrap();
    assert_eq!(back, bytes);
    r.seek(SeekFrom::End(-10)).unwrap();
    let mut tail = Vec::new();
    r.read_to_end(&mut tail).unwrap();
    assert_eq!(tail, bytes[bytes.len() - 10..]);
    // the same bytes again: not rewritten
    let again = store.put_bytes(&bytes).unwrap();
    assert_eq!(
        (again.id.clone(), again.newly_written),
        (out.id.clone(), false)
    );
    assert_eq!(store.list().unwrap(), vec![out.id]);
    // nothing is left in the spool folder
    let spool = std::fs::read_dir(dir.path().join("spool")).unwrap().count();
    assert_eq!(spool, 0);
}

#[test]
fn a_blob_larger_than_one_part_goes_up_in_parts() {
    let Some((_dir, store)) = store() else { return };
    let bytes = data(PART_SIZE * 2 + 12_345, 2);
    let out = store.put_bytes(&bytes).expect("multipart put");
    assert!(out.newly_written);
    assert_eq!(store.size(&out.id).unwrap(), bytes.len() as u64);
    let mut back = Vec::new();
    store.open(&out.id).unwrap().read_to_end(&mut back).unwrap();
    assert!(back == bytes, "the parts came back in order");
    assert!(!store.put_bytes(&bytes).unwrap().newly_written);
}

#[test]
fn too_large_or_unreadable_input_stores_nothing() {
    let Some((_dir, store)) = store() else { return };
    let store = store.with_max_blob_size(1000);
    let e = store.put_bytes(&data(1001, 3)).unwrap_err();
    assert!(matches!(e, StoreError::TooLarge { limit: 1000 }), "{e}");
    struct Failing(usize);
    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0 == 0 {
                return Err(std::io::Error::other("scanner unplugged"));
            }
            let n = buf.len().min(self.0).min(100);
            self.0 -= n;
            Ok(n)
        }
    }
    let e = store.put(&mut Failing(500)).unwrap_err();
    assert!(matches!(e, StoreError::Input { read: 500, .. }), "{e}");
    assert!(store.list().unwrap().is_empty());
}

#[test]
fn damage_is_found_on_read_and_on_verify() {
    let Some((_dir, store)) = store() else { return };
    let bytes = data(50_000, 4);
    let id = store.put_bytes(&bytes).unwrap().id;
    let mut bad = bytes.clone();
    bad[25_000] ^= 1;
    overwrite(&store, &id, &bad);
    assert!(!store.verify(&id).unwrap());
    let e = store
        .open(&id)
        .err()
        .expect("a damaged blob is not handed out");
    assert!(matches!(e, StoreError::Damaged { .. }), "{e}");
    assert!(e.to_string().contains("s3://"), "{e}");
    // a put of the true bytes finds the address taken with another size only when it differs
    overwrite(&store, &id, &bad[..100]);
    let e = store.put_bytes(&bytes).unwrap_err();
    assert!(matches!(e, StoreError::Damaged { .. }), "{e}");
}

#[test]
fn a_missing_blob_is_a_clean_error() {
    let Some((_dir, store)) = store() else { return };
    let id: BlobId = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        .parse()
        .unwrap();
    assert!(!store.exists(&id).unwrap());
    assert!(matches!(store.size(&id), Err(StoreError::NotFound { .. })));
    assert!(matches!(
        store.open(&id).err(),
        Some(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.verify(&id),
        Err(StoreError::NotFound { .. })
    ));
}

#[test]
fn records_are_written_once_and_listed_sorted() {
    let Some((_dir, store)) = store() else { return };
    let a = RecordKey::new("checkpoints", "0002.json").unwrap();
    let b = RecordKey::new("checkpoints", "0001.json").unwrap();
    store.put_record(&a, b"second").unwrap();
    store.put_record(&b, b"first").unwrap();
    let e = store.put_record(&a, b"rewritten").unwrap_err();
    assert!(matches!(e, StoreError::RecordExists { .. }), "{e}");
    assert_eq!(store.get_record(&a).unwrap(), b"second");
    assert_eq!(store.list_records("checkpoints").unwrap(), vec![b, a]);
    assert!(store.list_records("other").unwrap().is_empty());
    let missing = RecordKey::new("checkpoints", "0003.json").unwrap();
    assert!(matches!(
        store.get_record(&missing),
        Err(StoreError::RecordNotFound { .. })
    ));
    // blobs and records do not mix
    assert!(store.list().unwrap().is_empty());
}

#[test]
fn concurrent_puts_of_the_same_bytes_store_one_blob() {
    let Some((_dir, store)) = store() else { return };
    let bytes = data(200_000, 5);
    let outs: Vec<_> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..4)
            .map(|_| s.spawn(|| store.put_bytes(&bytes)))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap().unwrap()).collect()
    });
    assert!(outs.iter().all(|o| o.id == outs[0].id));
    assert!(outs.iter().any(|o| o.newly_written));
    assert_eq!(store.list().unwrap().len(), 1);
    assert!(store.verify(&outs[0].id).unwrap());
}

#[test]
fn wrong_keys_are_refused_at_open_without_showing_them() {
    let dir = tempfile::tempdir().unwrap();
    let Some(mut loc) = crate::testing::fresh_s3_location(&dir.path().join("spool")) else {
        return;
    };
    let keys = dir.path().join("keys.toml");
    std::fs::write(
        &keys,
        "access_key_id = \"nobody\"\nsecret_access_key = \"not-the-secret-xyz\"\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&keys, std::fs::Permissions::from_mode(0o644)).unwrap();
    loc.credentials_file = Some(keys.clone());
    let e = S3Store::open(&loc)
        .err()
        .expect("a readable key file is refused");
    assert!(e.to_string().contains("chmod 600"), "{e}");
    std::fs::set_permissions(&keys, std::fs::Permissions::from_mode(0o600)).unwrap();
    let e = S3Store::open(&loc).err().expect("wrong keys are refused");
    assert!(!e.to_string().contains("not-the-secret-xyz"), "{e}");
}

#[test]
fn sweeping_a_server_without_upload_listings_sweeps_nothing_and_fails_nothing() {
    let Some((_dir, store)) = store() else { return };
    let id = store.put_bytes(b"kept").unwrap().id;
    let swept = store
        .sweep_temporaries(std::time::SystemTime::now(), std::time::Duration::ZERO)
        .expect("a sweep");
    assert_eq!(swept, 0);
    assert!(store.exists(&id).unwrap());
}
