//! The web pages in a real browser: `tests/browser/desk.mjs` drives Debian's headless
//! Chromium (playwright-core) through the officer's, auditor's and operator's pages of a real
//! `sohoa serve` — log in, search by ID number and by name, verify badge, download, reuse,
//! correct a paper in the review queue, verify an upload, the audit log, the reports with CSV,
//! the inbox page's counts and re-queue of a failed file.

use std::process::Command;

use crate::api::{call, start, stored_card, token, PASSWORD, UNIT};
use crate::helpers::*;

#[test]
fn officer_auditor_and_operator_pages_work_in_headless_chromium() {
    let s = start();
    let card = stored_card(&s);
    let person = card["owner_ids"][0]
        .as_str()
        .unwrap_or_else(|| panic!("no stored card with an owner: {card}"))
        .to_string();
    // the holder's name as read from the card: the officer searches by it too
    let (_, detail) = call(
        &s,
        "GET",
        &format!("/api/components/{}", card["id"]),
        Some("an"),
        None,
    );
    let name = detail["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "full_name")
        .and_then(|f| f["value"].as_str())
        .unwrap_or_else(|| panic!("no name read from the card: {detail}"))
        .to_string();
    let tokens = serde_json::json!({
        "officer": token("an"),
        "officer_name": "an",
        "officer_password": PASSWORD,
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
            &name,
        ])
        .current_dir(root().join("tests/browser"))
        .output()
        .expect("run node (scripts/setup.sh installs Node.js, Chromium and playwright-core)");
    let log = text(&o);
    assert!(o.status.success(), "{log}");
    for step in [
        "officer: a wrong password",
        "officer: log in with name and password",
        "officer: download",
        "officer: search by name",
        "officer: reuse the paper",
        "officer: certify a copy",
        "officer: correct the type",
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
        .filter(|e| {
            ["download", "requeue", "reuse", "review", "certify"]
                .contains(&e["action"].as_str().unwrap_or(""))
        })
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
    assert!(actors.contains(&"reuse an".to_string()), "{actors:?}");
    assert!(actors.contains(&"review an".to_string()), "{actors:?}");
    assert!(actors.contains(&"certify an".to_string()), "{actors:?}");
    // the register holds the copy the button made: number 1 of the unit's book, done
    let (_, v) = call(&s, "GET", "/api/certifications", Some("an"), None);
    let rows = v["certifications"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{v}");
    assert_eq!(rows[0]["number"], 1, "{v}");
    assert_eq!(rows[0]["state"], "done", "{v}");
    // the correction reached the index
    let (_, v) = call(
        &s,
        "GET",
        &format!("/api/components/{}", card["id"]),
        Some("an"),
        None,
    );
    assert_eq!(v["component"]["type_code"], "residence", "{v}");
    assert_eq!(v["component"]["review_state"], "corrected", "{v}");
    let _ = &s.dir;
}
