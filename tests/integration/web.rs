//! The web pages in a real browser: `tests/browser/desk.mjs` drives Debian's headless
//! Chromium (playwright-core) through the officer's, auditor's and operator's pages of a real
//! `sohoa serve` — log in, search, verify badge, download, verify an upload, the audit log,
//! the reports with CSV, re-queue a failed file.

use std::process::Command;

use crate::api::{call, start, stored_card, token, UNIT};
use crate::helpers::*;

#[test]
fn officer_auditor_and_operator_pages_work_in_headless_chromium() {
    let s = start();
    let card = stored_card(&s);
    let person = card["owner_ids"][0]
        .as_str()
        .unwrap_or_else(|| panic!("no stored card with an owner: {card}"))
        .to_string();
    let tokens = serde_json::json!({
        "officer": token("an"),
        "auditor": token("kiem"),
        "operator": token("op"),
    });
    let out = tmp();
    let o = Command::new("node")
        .arg(root().join("tests/browser/desk.mjs"))
        .args([
            s.base.as_str(),
            &tokens.to_string(),
            &person,
            &format!("{UNIT}/broken.jpg"),
            out.path().to_str().unwrap(),
        ])
        .current_dir(root().join("tests/browser"))
        .output()
        .expect("run node (scripts/setup.sh installs Node.js, Chromium and playwright-core)");
    let log = text(&o);
    assert!(o.status.success(), "{log}");
    for step in [
        "officer: download",
        "auditor: verify",
        "operator: the failed file",
    ] {
        assert!(log.contains(&format!("ok   {step}")), "{step}: {log}");
    }
    // what the browser did reached the server: the download and the re-queue are logged
    let (_, v) = call(&s, "GET", "/api/audit", Some("kiem"), None);
    let actors: Vec<String> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "download" || e["action"] == "requeue")
        .map(|e| {
            format!(
                "{} {}",
                e["action"].as_str().unwrap_or(""),
                e["actor"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert!(actors.contains(&"download an".to_string()), "{actors:?}");
    assert!(actors.contains(&"requeue op".to_string()), "{actors:?}");
    let _ = &s.dir;
}
