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

/// A new database on the test server: its URL (no password: the PGPASSFILE has it).
pub fn fresh_database() -> String {
    let base = var("SOHOA_TEST_PG");
    let name = unique("db").replace('-', "_");
    let pgpass = std::fs::read_to_string(var("PGPASSFILE")).expect("the test password file");
    let (cfg, _) = sohoa::index::pg_config(&base, &|k| std::env::var(k).ok(), Some(&pgpass))
        .expect("the test server's URL");
    let mut c = cfg
        .connect(postgres::NoTls)
        .expect("connect to the test server");
    c.batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create a test database");
    let (prefix, _) = base.rsplit_once('/').expect("URL ends in /database");
    format!("{prefix}/{name}")
}

/// A new bucket on the test S3 server: its name.
pub fn fresh_bucket() -> String {
    let name = unique("b");
    let region = s3::Region::Custom {
        region: "us-east-1".into(),
        endpoint: var("SOHOA_TEST_S3"),
    };
    let creds = s3::creds::Credentials::from_env().expect("the test server's keys");
    let r = s3::Bucket::create_with_path_style(&name, region, creds, Default::default())
        .expect("create a test bucket");
    assert!(r.success(), "create bucket {name}: {}", r.response_text);
    name
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
        sohoa::index::IndexLocation::Postgres(url) => {
            let pgpass = std::fs::read_to_string(var("PGPASSFILE")).expect("password file");
            let (pc, _) = sohoa::index::pg_config(&url, &|k| std::env::var(k).ok(), Some(&pgpass))
                .expect("URL");
            let mut db = pc.connect(postgres::NoTls).expect("connect");
            db.execute(sql, &[]).expect("raw SQL")
        }
        other => panic!("no raw SQL for {other}"),
    }
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
            let region = s3::Region::Custom {
                region: loc.region.clone(),
                endpoint: loc.endpoint.clone().expect("the test endpoint"),
            };
            let creds = s3::creds::Credentials::from_env().expect("keys");
            let bucket = s3::Bucket::new(&loc.bucket, region, creds)
                .expect("bucket")
                .with_path_style();
            for page in bucket
                .list(format!("{}blobs/", loc.prefix), None)
                .expect("list the bucket")
            {
                for o in page.contents {
                    let r = bucket.get_object(&o.key).expect("get an object");
                    assert_eq!(r.status_code(), 200, "{}", o.key);
                    let name = o.key.rsplit('/').next().unwrap_or("").to_string();
                    out.push((name, r.to_vec()));
                }
            }
        }
        other => panic!("no listing for {other}"),
    }
    out.sort();
    out
}
