//! Tests only: helpers the unit tests of every stage share.

/// A reproducible pseudo-random generator for test data (xorshift64*, Vigna 2016): the same
/// seed gives the same pictures, bytes and mutations on every machine, with no crate.
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    /// A generator from `seed` (any value; zero is moved off the fixed point).
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed | 1)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// An index in `0..n` (0 when `n` is 0).
    pub(crate) fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    /// `len` bytes.
    pub(crate) fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

/// The test servers of `scripts/test-servers.sh`, when the run has them (`SOHOA_TEST_PG`,
/// `SOHOA_TEST_S3`). With `SOHOA_REQUIRE_SERVERS=1` (as `make test` sets) a missing server
/// fails the test instead of skipping its server half.
pub(crate) fn server(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Some(v),
        _ => {
            assert!(
                std::env::var("SOHOA_REQUIRE_SERVERS").as_deref() != Ok("1"),
                "{var} is not set: run the tests through scripts/test-servers.sh"
            );
            eprintln!("{var} is not set: the server half of this test is skipped");
            None
        }
    }
}

/// A new, empty PostgreSQL database on the test server (its URL), or `None` without one.
pub(crate) fn fresh_pg_database() -> Option<String> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let base = server("SOHOA_TEST_PG")?;
    let name = format!(
        "unit_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
    );
    let (prefix, _) = base
        .rsplit_once('/')
        .expect("SOHOA_TEST_PG ends in /database");
    let mut client = crate::index::pg_connect(&base).expect("connect to the test server");
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create a test database");
    Some(format!("{prefix}/{name}"))
}

/// A new, empty bucket on the test S3 server, as a store location (its spool in `spool`), or
/// `None` without a server. The keys come from `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`.
pub(crate) fn fresh_s3_location(spool: &std::path::Path) -> Option<crate::store::S3Location> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let endpoint = server("SOHOA_TEST_S3")?;
    let bucket = format!(
        "unit-{}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
    );
    let region = s3::Region::Custom {
        region: "us-east-1".into(),
        endpoint: endpoint.clone(),
    };
    let creds = s3::creds::Credentials::from_env().expect("AWS_* keys of the test server");
    let made = s3::Bucket::create_with_path_style(
        &bucket,
        region,
        creds,
        s3::BucketConfiguration::default(),
    )
    .expect("create a test bucket");
    assert!(
        made.success(),
        "create bucket {bucket}: {}",
        made.response_text
    );
    Some(crate::store::S3Location {
        bucket,
        prefix: "desk/".into(),
        endpoint: Some(endpoint),
        region: "us-east-1".into(),
        path_style: true,
        credentials_file: None,
        spool: spool.to_path_buf(),
    })
}
