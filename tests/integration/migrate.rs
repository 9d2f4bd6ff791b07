//! `sohoa migrate`: a desk on SQLite and a folder moves into PostgreSQL and an S3 bucket. A run
//! `kill -9`ed midway and run again finishes and verifies; the source is byte for byte as it
//! was; the desk switched to the target finds the same papers, its audit log and its anchor
//! verify, and its store check is clean.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::*;
use crate::ingest::{json, run};

const UNIT: &str = "000.00.10.H59";

/// Every file under `dir` with its bytes (the source, to hold unchanged).
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            let name = p.strip_prefix(dir).unwrap().display().to_string();
            // SQLite's own side files (its shared-memory index) may be touched by any reader
            if name.ends_with("-shm") || name.ends_with("-wal") || name.contains("spool") {
                continue;
            }
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push((name, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_desk_moves_to_postgresql_and_s3_through_a_kill_and_a_resume_and_verifies() {
    if !crate::backend::shared() {
        eprintln!("runs in the shared-backend pass (SOHOA_TEST_BACKEND=shared)");
        return;
    }
    let dir = tmp();
    // the desk: SQLite and a folder, with the object store's settings ready in [store]
    let endpoint = std::env::var("SOHOA_TEST_S3").unwrap();
    let cfg = local_store_config(
        dir.path(),
        UNIT,
        &format!(
            "endpoint = \"{endpoint}\"\nregion = \"us-east-1\"\npath_style = true\n\
             [audit]\nsigner = \"official\"\n"
        ),
    );
    for scan in [
        "cccd-ban-sao.png",
        "khai-sinh-ban-sao.png",
        "uy-quyen-trang-1.png",
    ] {
        let p = root().join("samples/scans").join(scan);
        json(&cfg, &["ingest", "--json", p.to_str().unwrap()]);
    }
    let papers = json(&cfg, &["find", "--json", "--unit", UNIT]);
    let n = papers.as_array().unwrap().len();
    assert!(n >= 3, "{papers}");
    let id = papers[0]["component"]["id"].as_i64().unwrap().to_string();
    let o = run(&cfg, &["review", "confirm", &id]);
    assert!(o.status.success(), "{}", text(&o));
    let cp = json(&cfg, &["audit", "checkpoint", "--json"]);
    assert_eq!(cp["outcome"], "written", "{cp}");
    let before = snapshot(&dir.path().join("data"));

    let db = crate::backend::fresh_database();
    let bucket = crate::backend::fresh_bucket();
    let target_store = format!("s3://{bucket}/desk");
    let args = |json: bool| {
        let mut a = vec![
            "--config".to_string(),
            cfg.display().to_string(),
            "migrate".into(),
            "--to".into(),
            db.clone(),
            "--store".into(),
            target_store.clone(),
        ];
        if json {
            a.push("--json".into());
        }
        a
    };
    // killed midway (its blobs and rows partly copied), at a random moment
    let mut next = kill_rng("migrate kill test");
    let t = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sohoa"))
        .args(args(false))
        .current_dir(root())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(150 + next() % 600));
    let killed = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    child.wait().unwrap();
    eprintln!("migrate killed: {killed} after {:?}", t.elapsed());

    // run again: it goes on and verifies
    let o = Command::new(env!("CARGO_BIN_EXE_sohoa"))
        .args(args(true))
        .current_dir(root())
        .output()
        .unwrap();
    let r: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    assert!(o.status.success(), "{r:#}\n{}", text(&o));
    assert_eq!(r["verified"], true, "{r:#}");
    assert_eq!(r["blobs_verified"], r["blobs"], "{r:#}");
    assert_eq!(
        r["records"].as_u64(),
        Some(2),
        "the checkpoint and its signature: {r:#}"
    );
    for c in r["checks"].as_array().unwrap() {
        assert_eq!(c["same"], true, "{c}");
    }
    let components = r["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "components")
        .unwrap();
    assert_eq!(components["rows"].as_u64(), Some(n as u64));
    // a third run has nothing left to send
    let again = json(
        &cfg,
        &args(true)[2..]
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert_eq!(again["blobs_copied"], 0, "{again:#}");
    assert!(again["tables"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["copied"] == 0));

    // the source is as it was
    assert!(
        snapshot(&dir.path().join("data")) == before,
        "the source changed"
    );

    // the desk switched to the target: the same papers, verifying; the log and its anchor hold
    let moved = dir.path().join("moved.toml");
    let text_cfg = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("root = \"data\"", "root = \"data2\"")
        .replace(
            "region = \"us-east-1\"",
            &format!("region = \"us-east-1\"\nurl = \"{target_store}\""),
        );
    std::fs::write(&moved, format!("{text_cfg}\n[index]\nurl = \"{db}\"\n")).unwrap();
    let found = json(&moved, &["find", "--json", "--unit", UNIT]);
    assert_eq!(found.as_array().unwrap().len(), n);
    for f in found.as_array().unwrap() {
        assert_eq!(f["signature_verifies"], true, "{f}");
    }
    let ids = |v: &serde_json::Value| -> Vec<i64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|p| p["component"]["id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(ids(&found), ids(&papers));
    let o = run(&moved, &["audit", "verify"]);
    assert!(o.status.success(), "{}", text(&o));
    let check = json(&moved, &["store", "check", "--rehash", "--json"]);
    assert_eq!(check["missing"], serde_json::json!([]), "{check}");
    assert_eq!(check["damaged"], serde_json::json!([]), "{check}");
    assert_eq!(check["unreferenced"], serde_json::json!([]), "{check}");
    // and it goes on working: a new paper gets the next id
    let p = root().join("samples/scans/cu-tru.jpg");
    let added = json(&moved, &["ingest", "--json", p.to_str().unwrap()]);
    let new_id = added[0]["papers"][0]["component_id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{added:#}"));
    assert!(new_id > *ids(&papers).iter().max().unwrap(), "{added}");
}
