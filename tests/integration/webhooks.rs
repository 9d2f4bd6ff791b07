//! Webhooks end to end, on 127.0.0.1 only: `sohoa serve` announces a stored card
//! (`paper.stored`) and a broken file (`file.failed`) to a real HTTP receiver that is down at
//! first (the events wait in the outbox across a restart), then fails once with a 500, then
//! answers too late (the timeout: the same event comes again with the same idempotency key —
//! the receiver sees it twice), then answers 200. Every request is HMAC-signed with the
//! configured secret. A second receiver never answers: its deliveries become dead letters,
//! which `sohoa webhooks list --state dead` shows and `sohoa webhooks retry` sends again.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::*;
use crate::ingest::{json, run};

const UNIT: &str = "000.00.10.H59";
const SECRET: &[u8] = b"webhook-secret-TEST-ONLY-0123456789";

/// One request the receiver got: its headers (lower-case names) and body.
#[derive(Clone, Debug)]
struct Got {
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

/// A receiver: the first request answered 500, the second answered 200 after `late` (past the
/// sender's timeout), the rest 200 at once.
fn receiver(listener: TcpListener, late: Duration) -> Arc<Mutex<Vec<Got>>> {
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = Arc::clone(&got);
    std::thread::spawn(move || {
        for (n, conn) in listener.incoming().enumerate() {
            let Ok(mut conn) = conn else { continue };
            let mut r = BufReader::new(conn.try_clone().unwrap());
            let mut headers = BTreeMap::new();
            let mut line = String::new();
            if r.read_line(&mut line).unwrap_or(0) == 0 {
                continue;
            }
            loop {
                line.clear();
                if r.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some((k, v)) = line.trim_end().split_once(':') {
                    headers.insert(k.trim().to_lowercase(), v.trim().to_string());
                }
            }
            let len: usize = headers
                .get("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0; len];
            let _ = r.read_exact(&mut body);
            g.lock().unwrap().push(Got { headers, body });
            let status = match n {
                0 => "500 Internal Server Error",
                1 => {
                    std::thread::sleep(late);
                    "200 OK"
                }
                _ => "200 OK",
            };
            let _ = conn.write_all(
                format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            );
        }
    });
    got
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn serve(cfg: &Path, once: bool) -> Child {
    let mut args = vec!["--config", cfg.to_str().unwrap(), "serve", "--poll"];
    if once {
        args.push("--once");
    }
    Command::new(env!("CARGO_BIN_EXE_sohoa"))
        .args(&args)
        .current_dir(root())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn sohoa serve")
}

fn deliveries(cfg: &Path, state: &str) -> Vec<Value> {
    json(cfg, &["webhooks", "list", "--state", state, "--json"])
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn events_reach_a_flaky_receiver_at_least_once_signed_and_dead_letters_can_be_retried() {
    let dir = tmp();
    let port = free_port();
    let dead_port = free_port();
    std::fs::write(dir.path().join("hook.secret"), [SECRET, b"\n"].concat()).unwrap();
    let cfg = store_config(
        dir.path(),
        UNIT,
        &format!(
            "[inbox]\nstable_seconds = 0.3\npoll_seconds = 0.2\nworkers = 1\n\
             [[webhooks]]\nurl = \"http://127.0.0.1:{port}/hook\"\nsecret_file = \"hook.secret\"\n\
             timeout_seconds = 1\nbackoff_seconds = 0.5\nmax_backoff_seconds = 1\n\
             [[webhooks]]\nurl = \"http://127.0.0.1:{dead_port}/never\"\n\
             secret_env = \"SOHOA_TEST_HOOK_SECRET_UNSET_SO_NOT_USED\"\n\
             max_attempts = 2\nbackoff_seconds = 0.5\n"
        ),
    );
    // the second receiver's secret comes from the environment: unset, serve refuses to start
    let o = run(&cfg, &["serve", "--once", "--poll"]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("SOHOA_TEST_HOOK_SECRET_UNSET_SO_NOT_USED is not set"),
        "{}",
        text(&o)
    );
    std::fs::write(dir.path().join("dead.secret"), SECRET).unwrap();
    let text_cfg = std::fs::read_to_string(&cfg).unwrap().replace(
        "secret_env = \"SOHOA_TEST_HOOK_SECRET_UNSET_SO_NOT_USED\"",
        "secret_file = \"dead.secret\"",
    );
    std::fs::write(&cfg, text_cfg).unwrap();

    let inbox = dir.path().join("inbox").join(UNIT);
    std::fs::create_dir_all(&inbox).unwrap();
    std::fs::copy(
        root().join("samples/scans/cccd-ban-sao.png"),
        inbox.join("cccd.png"),
    )
    .unwrap();
    std::fs::write(inbox.join("broken.jpg"), b"not a scan").unwrap();

    // 1. the receiver is down: the batch is stored, its events wait in the outbox
    let status = serve(&cfg, true).wait().unwrap();
    assert!(status.success());
    let pending = deliveries(&cfg, "pending");
    let kinds: Vec<&str> = pending.iter().filter_map(|d| d["kind"].as_str()).collect();
    assert!(
        kinds.contains(&"paper.stored") && kinds.contains(&"file.failed"),
        "{pending:#?}"
    );
    assert!(deliveries(&cfg, "delivered").is_empty());

    // 2. the receiver comes up; a new start delivers what waited
    let got = receiver(
        TcpListener::bind(("127.0.0.1", port)).unwrap(),
        Duration::from_secs(3),
    );
    let mut child = serve(&cfg, false);
    let t = Instant::now();
    let want = |d: &[Value]| {
        d.iter()
            .filter(|x| x["url"].as_str().unwrap().ends_with("/hook"))
            .count()
            >= 2
    };
    while !(want(&deliveries(&cfg, "delivered")) && deliveries(&cfg, "dead").len() >= 2) {
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "not delivered: {:#?} {:#?}",
            deliveries(&cfg, "pending"),
            got.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();

    let got = got.lock().unwrap().clone();
    // every request signed with the secret, over its body, with its kind and idempotency key
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for g in &got {
        let sig = g.headers.get("x-sohoa-signature").expect("signed");
        assert!(
            sohoa::webhook::signature::check(SECRET, sig, &g.body).is_some(),
            "bad signature {sig}"
        );
        let body: Value = serde_json::from_slice(&g.body).unwrap();
        let key = g.headers.get("idempotency-key").unwrap();
        assert_eq!(body["id"].as_str(), Some(key.as_str()));
        assert_eq!(
            g.headers.get("x-sohoa-event").map(String::as_str),
            body["type"].as_str()
        );
        *seen.entry(key.clone()).or_default() += 1;
    }
    eprintln!(
        "webhooks: {} requests to the flaky receiver, by event id: {seen:?}",
        got.len()
    );
    // the 500 and the late answer were tried again with the same key: seen twice or more
    let first = got[0].headers["idempotency-key"].clone();
    let second = got[1].headers["idempotency-key"].clone();
    assert!(seen[&first] >= 2 && seen[&second] >= 2, "{seen:?}");
    let bodies: Vec<Value> = got
        .iter()
        .map(|g| serde_json::from_slice(&g.body).unwrap())
        .collect();
    let paper = bodies
        .iter()
        .find(|b| b["type"] == "paper.stored")
        .expect("paper.stored");
    assert_eq!(paper["data"]["unit"], UNIT);
    assert_eq!(paper["data"]["type_code"], "citizen_id");
    assert_eq!(paper["data"]["signed_sha256"].as_str().unwrap().len(), 64);
    let failed = bodies
        .iter()
        .find(|b| b["type"] == "file.failed")
        .expect("file.failed");
    assert_eq!(failed["data"]["file"], format!("{UNIT}/broken.jpg"));
    assert_eq!(failed["data"]["kind"], "unreadable");

    // 3. the receiver that never answers: dead letters after 2 attempts, sent again on demand
    let dead = deliveries(&cfg, "dead");
    assert!(dead.len() >= 2, "{dead:#?}");
    for d in &dead {
        assert!(d["url"].as_str().unwrap().ends_with("/never"));
        assert_eq!(d["attempts"], 2);
        assert!(
            d["last_error"].as_str().unwrap().contains("no answer"),
            "{d}"
        );
    }
    let ev = dead[0]["event_id"].as_str().unwrap();
    let url = dead[0]["url"].as_str().unwrap();
    let o = run(&cfg, &["webhooks", "retry", ev, url]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(deliveries(&cfg, "pending")
        .iter()
        .any(|d| d["event_id"] == ev && d["url"] == url));
    let o = run(&cfg, &["webhooks", "retry", ev, url]);
    assert!(
        !o.status.success(),
        "a pending delivery is not a dead letter"
    );
}
