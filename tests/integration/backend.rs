//! Where the integration tests keep the index and the blobs: by default SQLite and a folder
//! (the embedded defaults); with `SOHOA_TEST_BACKEND=shared` a new PostgreSQL database and a new
//! S3 bucket on the servers of `scripts/test-servers.sh` for each test configuration, so the
//! same tests run against both (`make test` runs the suite twice).

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};

use sohoa::index::Index;

/// Whether this run keeps the index in PostgreSQL and the blobs in S3.
pub fn shared() -> bool {
    std::env::var("SOHOA_TEST_BACKEND").as_deref() == Ok("shared")
}

fn var(k: &str) -> String {
    std::env::var(k)
        .unwrap_or_else(|_| panic!("{k} is not set: run through scripts/test-servers.sh"))
}

fn unique(kind: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "it-{kind}-{}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
    )
}

/// A new database on the test server: its URL (no password: the PGPASSFILE has it), over TLS
/// with the server's certificate checked (`certs-test/tls-ca.pem`), so the shared pass
/// speaks to PostgreSQL as a province deployment does.
pub fn fresh_database() -> String {
    let base = var("SOHOA_TEST_PG");
    let (prefix, _) = base.rsplit_once('/').expect("URL ends in /database");
    format!(
        "{prefix}/{}?sslmode=verify-full&sslrootcert={}",
        new_database(None),
        crate::helpers::certs("tls-ca.pem").display()
    )
}

/// The name of a new database on the test server, empty or a copy of the database
/// `template`.
fn new_database(template: Option<&str>) -> String {
    let name = unique("db").replace('-', "_");
    let like = template.map_or(String::new(), |t| format!(" TEMPLATE {t}"));
    pg(&var("SOHOA_TEST_PG"))
        .batch_execute(&format!("CREATE DATABASE {name}{like}"))
        .expect("create a test database");
    name
}

/// The database a URL names.
fn database_of(url: &str) -> &str {
    let path = url.split('?').next().unwrap_or(url);
    path.rsplit_once('/').expect("URL ends in /database").1
}

fn region() -> s3::Region {
    s3::Region::Custom {
        region: "us-east-1".into(),
        endpoint: var("SOHOA_TEST_S3"),
    }
}

/// The bucket `name` on the test S3 server, for raw reads and writes behind sohoa's back.
fn bucket(name: &str) -> Box<s3::Bucket> {
    let creds = s3::creds::Credentials::from_env().expect("the test server's keys");
    s3::Bucket::new(name, region(), creds)
        .expect("bucket")
        .with_path_style()
}

/// The object `key` of bucket `b`, read raw (it must be there).
fn object(b: &s3::Bucket, key: &str) -> Vec<u8> {
    let r = b.get_object(key).expect("get an object");
    assert_eq!(r.status_code(), 200, "object {key}");
    r.to_vec()
}

/// A new bucket on the test S3 server: its name.
pub fn fresh_bucket() -> String {
    let name = unique("b");
    let creds = s3::creds::Credentials::from_env().expect("the test server's keys");
    let r = s3::Bucket::create_with_path_style(&name, region(), creds, Default::default())
        .expect("create a test bucket");
    assert!(r.success(), "create bucket {name}: {}", r.response_text);
    name
}

/// A connection to the test database `url` (its password from PGPASSFILE).
fn pg(url: &str) -> postgres::Client {
    sohoa::index::pg_connect(url).expect("connect to the test server")
}

/// The lines of a configuration's `[store]` section, and an `[index]` section (to go first in
/// the file, so that lines a test appends stay in its last section), that put this test's
/// index and blobs on the run's backend (nothing: the defaults).
pub fn config_lines() -> (String, String) {
    if !shared() {
        return (String::new(), String::new());
    }
    (
        format!(
            "url = \"s3://{}/desk\"\nendpoint = \"{}\"\nregion = \"us-east-1\"\npath_style = true\n",
            fresh_bucket(),
            var("SOHOA_TEST_S3")
        ),
        format!("[index]\nurl = \"{}\"\n", fresh_database()),
    )
}

/// The index of the configuration `cfg`, opened as the binary opens it.
pub fn open_index(cfg: &Path) -> Box<dyn Index + Send> {
    let c = sohoa::config::Config::load(cfg).expect("the test configuration");
    c.index_location()
        .expect("[index] url")
        .open()
        .expect("open the index")
}

/// Runs `sql` on the index of `cfg` behind sohoa's back (tampering); the rows it changed.
pub fn raw_sql(cfg: &Path, sql: &str) -> u64 {
    let c = sohoa::config::Config::load(cfg).expect("the test configuration");
    match c.index_location().expect("[index] url") {
        sohoa::index::IndexLocation::Sqlite(p) => {
            let db = rusqlite::Connection::open(p).expect("open the index");
            db.execute(sql, []).expect("raw SQL") as u64
        }
        sohoa::index::IndexLocation::Postgres(url) => pg(&url).execute(sql, &[]).expect("raw SQL"),
        other => panic!("no raw SQL for {other}"),
    }
}

/// The rows of the query `sql` on the index of `cfg`, read behind sohoa's back; `sql` selects
/// text columns only (`CAST(x AS TEXT)` reads the same on both databases).
pub fn raw_rows(cfg: &Path, sql: &str) -> Vec<Vec<Option<String>>> {
    let c = sohoa::config::Config::load(cfg).expect("the test configuration");
    match c.index_location().expect("[index] url") {
        sohoa::index::IndexLocation::Sqlite(p) => {
            let db = rusqlite::Connection::open(p).expect("open the index");
            let mut st = db.prepare(sql).expect("raw SQL");
            let n = st.column_count();
            st.query_map([], |r| (0..n).map(|i| r.get(i)).collect())
                .expect("raw SQL")
                .collect::<Result<_, _>>()
                .expect("raw SQL rows")
        }
        sohoa::index::IndexLocation::Postgres(url) => pg(&url)
            .query(sql, &[])
            .expect("raw SQL")
            .iter()
            .map(|r| (0..r.len()).map(|i| r.get(i)).collect())
            .collect(),
        other => panic!("no raw SQL for {other}"),
    }
}

/// Where the store of `cfg` keeps its records: a folder, or a bucket and a key prefix.
enum Records {
    Folder(std::path::PathBuf),
    Bucket(Box<s3::Bucket>, String),
}

fn records(cfg: &Path) -> Records {
    let c = sohoa::config::Config::load(cfg).expect("the test configuration");
    match c.store_location().expect("[store] url") {
        sohoa::store::StoreLocation::Local(root) => Records::Folder(root.join("records")),
        sohoa::store::StoreLocation::S3(loc) => {
            Records::Bucket(bucket(&loc.bucket), format!("{}records/", loc.prefix))
        }
        other => panic!("no records for {other}"),
    }
}

/// The store record `key` of `cfg`, read raw.
pub fn record(cfg: &Path, key: &str) -> Vec<u8> {
    match records(cfg) {
        Records::Folder(d) => std::fs::read(d.join(key)).expect("read a record"),
        Records::Bucket(b, prefix) => object(&b, &format!("{prefix}{key}")),
    }
}

/// Overwrites the store record `key` of `cfg` behind sohoa's back (records are write-once to
/// sohoa; tampering is not).
pub fn overwrite_record(cfg: &Path, key: &str, bytes: &[u8]) {
    match records(cfg) {
        Records::Folder(d) => {
            let p = d.join(key);
            let mut perm = std::fs::metadata(&p).expect("a record").permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perm.set_readonly(false);
            std::fs::set_permissions(&p, perm).expect("make the record writable");
            std::fs::write(p, bytes).expect("write a record");
        }
        Records::Bucket(b, prefix) => {
            let r = b
                .put_object(format!("{prefix}{key}"), bytes)
                .expect("put a record");
            assert_eq!(r.status_code(), 200, "record {key}");
        }
    }
}

/// Removes the store record `key` of `cfg` behind sohoa's back.
pub fn remove_record(cfg: &Path, key: &str) {
    match records(cfg) {
        Records::Folder(d) => std::fs::remove_file(d.join(key)).expect("remove a record"),
        Records::Bucket(b, prefix) => {
            let r = b
                .delete_object(format!("{prefix}{key}"))
                .expect("delete a record");
            assert!(r.status_code() < 300, "record {key}: {}", r.status_code());
        }
    }
}

/// A copy of the desk of `cfg` (its folder, and on the shared backend its database and its
/// bucket) in the new folder `to`: the copy's configuration. The desk must be at rest (no
/// sohoa process running on it), as a backup would be taken.
pub fn fork(cfg: &Path, to: &Path) -> std::path::PathBuf {
    let from = cfg.parent().expect("a configuration in its desk's folder");
    let st = std::process::Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .expect("cp");
    assert!(st.success(), "copy {} to {}", from.display(), to.display());
    let copy = to.join(cfg.file_name().expect("a file name"));
    if !shared() {
        return copy;
    }
    let c = sohoa::config::Config::load(cfg).expect("the test configuration");
    let mut text = std::fs::read_to_string(&copy).expect("the copied configuration");
    if let sohoa::index::IndexLocation::Postgres(url) = c.index_location().expect("[index] url") {
        let old = database_of(&url);
        text = text.replace(&url, &url.replacen(old, &new_database(Some(old)), 1));
    }
    if let sohoa::store::StoreLocation::S3(loc) = c.store_location().expect("[store] url") {
        let (old, new) = (bucket(&loc.bucket), fresh_bucket());
        let into = bucket(&new);
        for page in old.list(String::new(), None).expect("list the bucket") {
            for o in page.contents {
                let w = into
                    .put_object(&o.key, &object(&old, &o.key))
                    .expect("put an object");
                assert_eq!(w.status_code(), 200, "{}", o.key);
            }
        }
        text = text.replace(&format!("s3://{}/", loc.bucket), &format!("s3://{new}/"));
    }
    std::fs::write(&copy, text).expect("write the copy's configuration");
    copy
}

/// Every object under the store's `blobs/` as (its name, its bytes): the files under
/// `data/blobs` of a folder store, or every key under `PREFIX/blobs/` of the bucket, read raw
/// (so a half-written or stray object shows too).
pub fn stored_blobs(cfg: &Path) -> Vec<(String, Vec<u8>)> {
    let c = sohoa::config::Config::load(cfg).expect("the test configuration");
    let mut out = Vec::new();
    match c.store_location().expect("[store] url") {
        sohoa::store::StoreLocation::Local(root) => {
            fn walk(d: &Path, out: &mut Vec<(String, Vec<u8>)>) {
                for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
                    let p = e.path();
                    if p.is_dir() {
                        walk(&p, out);
                    } else {
                        let name = e.file_name().to_string_lossy().into_owned();
                        out.push((name, std::fs::read(&p).expect("read a blob")));
                    }
                }
            }
            walk(&root.join("blobs"), &mut out);
        }
        sohoa::store::StoreLocation::S3(loc) => {
            let bucket = bucket(&loc.bucket);
            for page in bucket
                .list(format!("{}blobs/", loc.prefix), None)
                .expect("list the bucket")
            {
                for o in page.contents {
                    let name = o.key.rsplit('/').next().unwrap_or("").to_string();
                    out.push((name, object(&bucket, &o.key)));
                }
            }
        }
        other => panic!("no listing for {other}"),
    }
    out.sort();
    out
}
