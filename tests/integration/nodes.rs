//! Several `sohoa serve` nodes on one index: three nodes on one PostgreSQL database and one S3
//! bucket share one inbox (a network share's stand-in), one node is `kill -9`ed twice and
//! restarted; every input ends stored once, each scan indexed once, nothing claimed at the end.
//! And with a SQLite index, a second service on the same index refuses to start.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::*;
use crate::serve::files;

const UNIT: &str = "000.00.10.H59";

/// Node `n`'s configuration: its own folder (work files, the spool), the shared inbox,
/// processed and failed folders, index and bucket.
fn node_config(base: &Path, n: usize, store_lines: &str, index_section: &str) -> PathBuf {
    let dir = base.join(format!("node-{n}"));
    std::fs::create_dir_all(&dir).unwrap();
    let shared = base.join("share");
    let extra = format!(
        "{store_lines}[inbox]\npath = \"{}\"\nprocessed = \"{}\"\nfailed = \"{}\"\n\
         stable_seconds = 0.3\npoll_seconds = 0.3\nworkers = 1\nretry_seconds = 0.5\n\
         lease_seconds = 4\nnode = \"node-{n}\"\n{index_section}",
        shared.join("inbox").display(),
        shared.join("processed").display(),
        shared.join("failed").display(),
    );
    local_store_config(&dir, UNIT, &extra)
}

fn spawn(cfg: &Path, log: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_sohoa"))
        .args(["--config", cfg.to_str().unwrap(), "serve", "--poll"])
        .current_dir(root())
        .stdout(Stdio::null())
        .stderr(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log)
                .unwrap(),
        )
        .spawn()
        .expect("spawn sohoa serve")
}

fn terminate(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let t = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if t.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("a node did not stop within 60 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The test: three nodes, 60 files (`SOHOA_NODES_FILES` scales it), one node killed
/// twice at random moments (`SOHOA_KILL_SEED` replays them).
#[test]
fn three_nodes_share_one_inbox_and_a_node_killed_twice_loses_nothing_and_stores_nothing_twice() {
    if !crate::backend::shared() {
        eprintln!("runs in the shared-backend pass (SOHOA_TEST_BACKEND=shared)");
        return;
    }
    let base = tmp();
    let (store_lines, index_section) = crate::backend::config_lines();
    let cfgs: Vec<PathBuf> = (0..3)
        .map(|n| node_config(base.path(), n, &store_lines, &index_section))
        .collect();
    let n_files: usize = std::env::var("SOHOA_NODES_FILES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let mut next = kill_rng(&format!("nodes test, {n_files} files"));
    let inbox = base.path().join("share/inbox").join(UNIT);
    std::fs::create_dir_all(&inbox).unwrap();
    let sources = [
        "cccd-ban-sao.png",
        "khai-sinh-ban-sao.png",
        "uy-quyen-trang-1.png",
    ];
    let inputs = distinct_scans(&inbox, n_files, &sources);
    let logs: Vec<PathBuf> = (0..3)
        .map(|n| base.path().join(format!("node-{n}.log")))
        .collect();
    let start = Instant::now();
    let mut nodes: Vec<Child> = (0..3).map(|n| spawn(&cfgs[n], &logs[n])).collect();
    // node 0 is killed twice, each time 3 to 15 s after it started, and started again
    let mut kills = 0;
    for _ in 0..2 {
        std::thread::sleep(Duration::from_millis(3000 + next() % 12_000));
        if nodes[0].try_wait().unwrap().is_none() {
            nodes[0].kill().unwrap(); // SIGKILL
            kills += 1;
        }
        nodes[0].wait().unwrap();
        nodes[0] = spawn(&cfgs[0], &logs[0]);
    }
    // until every file left the inbox (at most 10 minutes)
    let processed_dir = base.path().join("share/processed");
    let failed_dir = base.path().join("share/failed");
    loop {
        let left = files(&base.path().join("share/inbox"));
        if left.is_empty() {
            break;
        }
        for (i, n) in nodes.iter_mut().enumerate() {
            assert!(
                n.try_wait().unwrap().is_none(),
                "node {i} stopped: {}",
                std::fs::read_to_string(&logs[i]).unwrap_or_default()
            );
        }
        assert!(
            start.elapsed() < Duration::from_secs(600),
            "{} files still in the inbox after 10 minutes",
            left.len()
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    for n in &mut nodes {
        terminate(n);
    }
    eprintln!(
        "nodes test: {n_files} files through 3 nodes, {kills} kills, {:.0} s",
        start.elapsed().as_secs_f64()
    );

    // every input once in processed/, none failed
    let processed = files(&processed_dir);
    assert!(files(&failed_dir).is_empty(), "{:?}", files(&failed_dir));
    assert_eq!(processed.len(), n_files, "{processed:?}");
    for (name, sha) in &inputs {
        let want = format!("{}-{name}", &sha[..12]);
        assert_eq!(
            processed.iter().filter(|p| p.ends_with(&want)).count(),
            1,
            "{name}"
        );
    }
    // each scan indexed once, each with one storing in the audit log; the log verifies
    let cfg = &cfgs[1];
    let mut index = crate::backend::open_index(cfg);
    let log = index.audit_log().unwrap();
    for (name, sha) in &inputs {
        let rows = index
            .find(&sohoa::index::Query {
                source_sha256: Some(sha.clone()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(rows.len(), 1, "{name}: indexed {} times", rows.len());
        let subject = format!("component {}", rows[0].id);
        let stored = log
            .iter()
            .filter(|e| e.subject == subject && e.action == sohoa::audit::Action::Ingest)
            .count();
        assert_eq!(stored, 1, "{name}: stored {stored} times in the audit log");
    }
    assert!(sohoa::audit::verify(&log).intact());
    let o = sohoa(&["--config", cfg.to_str().unwrap(), "audit", "verify"]);
    assert!(o.status.success(), "{}", text(&o));
    // no batch left claimed, none left processing
    assert_eq!(index.leases().unwrap(), vec![], "leases left");
    assert!(index
        .jobs(Some(sohoa::index::JobState::Processing), 1000)
        .unwrap()
        .is_empty());
    // the store and the index agree, every blob re-hashed
    let o = sohoa(&[
        "--config",
        cfg.to_str().unwrap(),
        "store",
        "check",
        "--rehash",
        "--json",
    ]);
    let check: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    assert!(o.status.success(), "{check}");
    assert_eq!(check["missing"], serde_json::json!([]), "{check}");
    assert_eq!(check["damaged"], serde_json::json!([]), "{check}");
    eprintln!(
        "nodes test: {} blobs referenced, {} left unreferenced by the kills",
        check["referenced"],
        check["unreferenced"].as_array().map_or(0, Vec::len)
    );
    // the work was shared
    let journal = index.jobs(None, 1000).unwrap();
    assert_eq!(journal.len(), n_files);
}

/// With a SQLite index one service runs per index: a second one is refused, saying why.
#[test]
fn a_second_service_on_one_sqlite_index_refuses_to_start() {
    let dir = tmp();
    let cfg = local_store_config(dir.path(), UNIT, "[inbox]\npoll_seconds = 0.2\n");
    let log = dir.path().join("first.log");
    let mut first = spawn(&cfg, &log);
    // wait for the first to hold its lock (its index exists then)
    let lock = dir.path().join("data/index.sqlite.serve.lock");
    let t = Instant::now();
    while !lock.exists() {
        assert!(t.elapsed() < Duration::from_secs(30), "no lock file");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    let o = sohoa(&["--config", cfg.to_str().unwrap(), "serve", "--poll"]);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("another sohoa serve"), "{}", text(&o));
    assert!(text(&o).contains("postgresql://"), "{}", text(&o));
    terminate(&mut first);
    // once the first stopped, a service starts again (the lock went with the process)
    let mut again = spawn(&cfg, &log);
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        again.try_wait().unwrap().is_none(),
        "{}",
        std::fs::read_to_string(&log).unwrap()
    );
    terminate(&mut again);
}
