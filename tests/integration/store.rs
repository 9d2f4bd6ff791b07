//! Stage `store`, crash safety: a put killed (SIGKILL, a real process kill) at several points
//! of its life leaves no partial blob visible: only complete blobs whose bytes hash to their
//! name under `blobs/`, partial data only under `tmp/`, which a sweep removes; and the same
//! data can be stored afterwards.
//!
//! The writer is this test binary itself, run again as a child with only the ignored helper
//! test [`store_child_writer`] selected: it puts whatever arrives on its stdin into the store
//! named by `SOHOA_STORE_CHILD`, so the parent controls exactly how far the put has come.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use sohoa::store::{BlobStore, LocalStore};

use crate::helpers;

const CHILD_ENV: &str = "SOHOA_STORE_CHILD";
const DATA_LEN: usize = 8 * 1024 * 1024;
const WRITE_CHUNK: usize = 64 * 1024;
const PATIENCE: Duration = Duration::from_secs(60);

/// Announces the end of its input on stdout (`CHILD eof`) just before reporting it to the put:
/// the put then hashes, fsyncs and renames, which is where the parent aims its late kills.
struct AnnounceEof<R>(R);

impl<R: Read> Read for AnnounceEof<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.read(buf)?;
        if n == 0 && !buf.is_empty() {
            println!("CHILD eof");
        }
        Ok(n)
    }
}

/// The child side (does nothing unless `SOHOA_STORE_CHILD` names a store root).
#[test]
#[ignore = "helper: run as a child process by store_killed_mid_write"]
fn store_child_writer() {
    let Some(root) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let store = LocalStore::open(&root).expect("child: open the store");
    println!("CHILD ready");
    let stdin = std::io::stdin();
    let mut reader = AnnounceEof(stdin.lock());
    let out = store.put(&mut reader).expect("child: put");
    println!("CHILD stored {} {} {}", out.id, out.size, out.newly_written);
}

#[derive(Clone, Copy, Debug)]
enum KillAt {
    /// The put has created its temporary file and waits for the first byte.
    BeforeData,
    /// The put has written exactly this many bytes and waits for more.
    AfterBytes(usize),
    /// All data sent and stdin closed; killed this long after the reader reported the end.
    AfterEof(Duration),
    /// Not killed: the put completes.
    Never,
}

struct Running {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    stderr: std::thread::JoinHandle<String>,
}

impl Running {
    fn start(root: &Path) -> Self {
        let exe = std::env::current_exe().expect("current test binary");
        let mut child = Command::new(exe)
            .args([
                "--ignored",
                "--exact",
                "store::store_child_writer",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the child writer");
        let stdout = child.stdout.take().expect("child stdout");
        let mut stderr = child.stderr.take().expect("child stderr");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // libtest may print `test store::store_child_writer ... ` on the same line.
                if let Some(at) = line.find("CHILD ") {
                    if tx.send(line[at + 6..].to_string()).is_err() {
                        break;
                    }
                }
            }
        });
        let stderr = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            s
        });
        let stdin = child.stdin.take();
        Self {
            child,
            stdin,
            lines,
            stderr,
        }
    }

    fn expect_line(&mut self, prefix: &str) -> String {
        match self.lines.recv_timeout(PATIENCE) {
            Ok(line) if line.starts_with(prefix) => line,
            other => {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("child: expected {prefix:?}, got {other:?}");
            }
        }
    }

    fn send(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin still open");
        for chunk in bytes.chunks(WRITE_CHUNK) {
            stdin.write_all(chunk).expect("write to the child");
        }
        stdin.flush().expect("flush");
    }

    fn close_stdin(&mut self) {
        drop(self.stdin.take());
    }

    /// SIGKILL (std's `Child::kill` on Unix), then reap. Returns the child's stderr.
    fn kill(mut self) -> (std::process::ExitStatus, String) {
        self.child.kill().expect("kill the child");
        let status = self.child.wait().expect("wait for the child");
        drop(self.stdin.take());
        (status, self.stderr.join().unwrap_or_default())
    }

    fn wait(mut self) -> (std::process::ExitStatus, String) {
        drop(self.stdin.take());
        let status = self.child.wait().expect("wait for the child");
        (status, self.stderr.join().unwrap_or_default())
    }
}

/// The regular files directly in `dir`.
fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("dir entry").path())
        .collect();
    v.sort();
    v
}

/// Polls until `dir` holds exactly one file of `len` bytes (or any length if `None`).
fn wait_for_temp(dir: &Path, len: Option<u64>) -> PathBuf {
    let start = Instant::now();
    loop {
        let files = entries(dir);
        if let [one] = files.as_slice() {
            let size = std::fs::metadata(one).map(|m| m.len()).unwrap_or(0);
            if len.is_none_or(|l| l == size) {
                return one.clone();
            }
        }
        assert!(
            start.elapsed() < PATIENCE,
            "no temporary file of {len:?} bytes in {}: {files:?}",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// What a kill left behind.
#[derive(Debug, Default)]
struct Leftovers {
    blobs: usize,
    temps: Vec<u64>,
}

/// The invariants after a kill, checked without the code under test: every file under
/// `blobs/` sits at `ab/cd/<sha-256>` and its bytes hash to that name (so it is `data`,
/// whole); every file under `tmp/` is a prefix of `data`; nothing else anywhere.
fn inspect(root: &Path, data: &[u8], expected_id: &str) -> Leftovers {
    let mut left = Leftovers::default();
    for top in entries(root) {
        let name = top.file_name().and_then(|n| n.to_str()).unwrap_or("");
        assert!(
            name == "blobs" || name == "tmp",
            "unexpected {} in the store root",
            top.display()
        );
    }
    for a in entries(&root.join("blobs")) {
        assert!(a.is_dir(), "a file directly in blobs/: {}", a.display());
        for b in entries(&a) {
            assert!(b.is_dir(), "a file in a first-level shard: {}", b.display());
            for blob in entries(&b) {
                let name = blob.file_name().and_then(|n| n.to_str()).unwrap_or("");
                let bytes = std::fs::read(&blob).expect("read blob");
                assert_eq!(
                    sha256_hex(&bytes),
                    name,
                    "a blob whose bytes do not hash to its name ({} of {} bytes)",
                    bytes.len(),
                    data.len()
                );
                let shard = format!(
                    "{}/{}",
                    a.file_name().and_then(|n| n.to_str()).unwrap_or(""),
                    b.file_name().and_then(|n| n.to_str()).unwrap_or("")
                );
                assert_eq!(shard, format!("{}/{}", &name[0..2], &name[2..4]));
                assert_eq!(name, expected_id);
                left.blobs += 1;
            }
        }
    }
    for t in entries(&root.join("tmp")) {
        let bytes = std::fs::read(&t).expect("read temporary");
        assert!(
            data.starts_with(&bytes),
            "temporary {} is not a prefix of the data",
            t.display()
        );
        left.temps.push(bytes.len() as u64);
    }
    left
}

/// Runs one child, kills it as told, checks what it left; a description of it, and for a
/// run that completes the time from the end of the input to the reported id.
fn run(at: KillAt, data: &[u8], expected_id: &str) -> (String, Option<Duration>) {
    let dir = helpers::tmp();
    let root = dir.path().join("store");
    let tmp = root.join("tmp");
    let mut child = Running::start(&root);
    child.expect_line("ready");
    let mut finishing = None;
    let (status, stderr) = match at {
        KillAt::BeforeData => {
            wait_for_temp(&tmp, Some(0));
            child.kill()
        }
        KillAt::AfterBytes(n) => {
            child.send(&data[..n]);
            wait_for_temp(&tmp, Some(n as u64));
            child.kill()
        }
        KillAt::AfterEof(delay) => {
            child.send(data);
            child.close_stdin();
            child.expect_line("eof");
            if !delay.is_zero() {
                std::thread::sleep(delay);
            }
            child.kill()
        }
        KillAt::Never => {
            child.send(data);
            child.close_stdin();
            child.expect_line("eof");
            let eof = Instant::now();
            let line = child.expect_line("stored");
            finishing = Some(eof.elapsed());
            assert_eq!(line, format!("stored {expected_id} {} true", data.len()));
            child.wait()
        }
    };
    if matches!(at, KillAt::Never) {
        assert!(status.success(), "child failed: {stderr}");
    } else {
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            // A late kill may find the child already done; otherwise it died of SIGKILL.
            assert!(
                status.success() || status.signal() == Some(9),
                "child ended with {status:?}: {stderr}"
            );
        }
    }

    let left = inspect(&root, data, expected_id);
    let store = LocalStore::open(&root).expect("reopen the store");
    let swept = store
        .sweep_temporaries(std::time::SystemTime::now(), Duration::ZERO)
        .expect("sweep temporaries");
    assert_eq!(swept, left.temps.len());
    assert!(entries(&tmp).is_empty(), "sweep left {:?}", entries(&tmp));
    match at {
        KillAt::BeforeData | KillAt::AfterBytes(_) => {
            assert_eq!(
                left.blobs, 0,
                "a blob appeared before the data was complete"
            );
            assert_eq!(left.temps.len(), 1);
        }
        KillAt::AfterEof(_) => assert!(left.blobs + left.temps.len() >= 1),
        KillAt::Never => {
            assert_eq!(left.blobs, 1);
            assert!(left.temps.is_empty());
        }
    }

    let again = store.put_bytes(data).expect("a fresh put after the kill");
    assert_eq!(again.id.as_str(), expected_id);
    assert_eq!(again.newly_written, left.blobs == 0);
    assert!(store.verify(&again.id).expect("verify"));
    let after = inspect(&root, data, expected_id);
    assert_eq!((after.blobs, after.temps.len()), (1, 0));

    let seen = format!(
        "{at:?}: {status}; blobs/: {} complete blob(s); tmp/: {:?} byte(s) (swept {swept}); re-put newly_written={}",
        left.blobs, left.temps, again.newly_written
    );
    (seen, finishing)
}

#[test]
fn store_killed_mid_write() {
    let data: Vec<u8> = {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        (0..DATA_LEN)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect()
    };
    let expected_id = sha256_hex(&data);
    // A complete run first: how long the put takes from the end of its input (hashing done,
    // then read-only, fsync, rename, folder fsyncs) tells where to aim the late kills.
    let (seen, finishing) = run(KillAt::Never, &data, &expected_id);
    eprintln!("store crash test: {seen}");
    let finishing = finishing.unwrap_or(Duration::from_millis(20));
    eprintln!("store crash test: the put finishes {finishing:?} after its input ends");
    let mut timings = vec![
        KillAt::BeforeData,
        KillAt::AfterBytes(WRITE_CHUNK),
        KillAt::AfterBytes(1024 * 1024 + 12_345),
        KillAt::AfterBytes(DATA_LEN - 1),
        KillAt::AfterEof(Duration::ZERO),
        KillAt::AfterEof(Duration::from_millis(1)),
    ];
    for percent in [25u32, 50, 75, 85, 90, 95, 100, 105, 110, 150] {
        timings.push(KillAt::AfterEof(finishing * percent / 100));
    }
    for at in timings {
        let (seen, _) = run(at, &data, &expected_id);
        eprintln!("store crash test: {seen}");
    }
}
