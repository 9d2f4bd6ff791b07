//! The web pages in a real browser: `tests/browser/desk.mjs` drives Debian's headless
//! Chromium (playwright-core) through the officer's, auditor's and operator's pages of a real
//! `sohoa serve` — log in, search by ID number and by name, verify badge, download, reuse,
//! correct a paper in the review queue, verify an upload, the audit log, the reports with CSV,
//! the inbox page's counts and re-queue of a failed file; the paper preview (a page rendered
//! by the server, not blank, beside the verdict in words), a sample dossier's view with every
//! paper in scan order and its history, result lists sorted and paged, the report's chart
//! (axes, legend, target lines, the CSV's numbers) and its print-out, at 1366×768 with every
//! control labelled. `SOHOA_SCREENSHOTS=1` copies the screenshots it takes into
//! `docs/screenshots/`.

use std::process::Command;

use sha2::{Digest, Sha256};

use crate::api::{call, start_with, stored_card, token, PASSWORD, UNIT};
use crate::helpers::*;

/// The sample dossier the web test drops into the inbox: a folder of three scans of three
/// kinds (the last a two-page power of attorney), so three papers in this order.
const DOSSIER: &str = "000.00.10.H59-261201-0007";
const DOSSIER_SCANS: &[&str] = &["don-xac-nhan-hon-nhan.jpg", "khai-sinh.jpg", "uy-quyen.tif"];

#[test]
fn officer_auditor_and_operator_pages_work_in_headless_chromium() {
    let s = start_with(Some((DOSSIER, DOSSIER_SCANS)));
    // the dossier view's papers are the folder's scans in their order (by the scans' SHA-256)
    let want: Vec<String> = DOSSIER_SCANS
        .iter()
        .map(|f| {
            hex::encode(Sha256::digest(
                std::fs::read(root().join("samples/scans").join(f)).unwrap(),
            ))
        })
        .collect();
    let (st, d) = call(
        &s,
        "GET",
        &format!("/api/dossiers/{DOSSIER}"),
        Some("an"),
        None,
    );
    assert_eq!(st, 200, "{d}");
    let papers = d["papers"].as_array().unwrap();
    let got: Vec<&str> = papers
        .iter()
        .map(|p| p["component"]["source_sha256"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(got, want, "{d}");
    let pages: Vec<u64> = papers
        .iter()
        .map(|p| p["component"]["pages"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(pages, [1, 1, 2], "{d}");
    let ids: Vec<i64> = papers
        .iter()
        .map(|p| p["component"]["id"].as_i64().unwrap())
        .collect();
    // an officer of another unit may not open it; an unknown code is 404
    let (st, _) = call(
        &s,
        "GET",
        &format!("/api/dossiers/{DOSSIER}"),
        Some("binh"),
        None,
    );
    assert_eq!(st, 403);
    let (st, v) = call(
        &s,
        "GET",
        "/api/dossiers/000.00.10.H59-261201-9999",
        Some("an"),
        None,
    );
    assert_eq!(st, 404, "{v}");
    // its package: for officers of its unit (an auditor checks packages, does not make them)
    let package = format!("/api/dossiers/{DOSSIER}/package");
    for (who, want) in [("binh", 403), ("kiem", 403), ("op", 403)] {
        let (st, v) = call(&s, "GET", &package, Some(who), None);
        assert_eq!(st, want, "{who}: {v}");
    }
    let (st, v) = call(
        &s,
        "GET",
        "/api/dossiers/000.00.10.H59-261201-9999/package",
        Some("an"),
        None,
    );
    assert_eq!(st, 404, "{v}");
    let (st, v) = call(
        &s,
        "GET",
        &format!("{package}?portal=maybe"),
        Some("an"),
        None,
    );
    assert_eq!(st, 400, "{v}");
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
    let expect = serde_json::json!({"dossier": DOSSIER, "dossier_ids": ids, "card_id": card["id"]});
    let o = Command::new("node")
        .arg(root().join("tests/browser/desk.mjs"))
        .args([
            s.base.as_str(),
            &tokens.to_string(),
            &person,
            &format!("{UNIT}/broken.jpg"),
            out.path().to_str().unwrap(),
            &name,
            &expect.to_string(),
        ])
        .current_dir(root().join("tests/browser"))
        .output()
        .expect("run node (scripts/setup.sh installs Node.js, Chromium and playwright-core)");
    let log = text(&o);
    assert!(o.status.success(), "{log}");
    assert!(log.contains("and exports its package"), "{log}");
    for step in [
        "officer: a wrong password",
        "officer: log in with name and password",
        "officer: results list the holder first",
        "officer: the preview shows page 1",
        "officer: sort and page the results",
        "officer: the dossier view",
        "keyboard:",
        "auditor: the report chart",
        "auditor: the report prints",
        "every page fits 1366×768",
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
    // the package the button made verifies offline: the dossier's papers and the reused card
    let o = Command::new(env!("CARGO_BIN_EXE_sohoa"))
        .arg("--config")
        .arg(s.dir.path().join("config.toml"))
        .args(["verify-package", "--json"])
        .arg(out.path().join("package.zip"))
        .output()
        .unwrap();
    let report: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    assert_eq!(o.status.code(), Some(0), "{report:#}");
    let listed: Vec<i64> = report["manifest"]["papers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["component_id"].as_i64().unwrap())
        .collect();
    let mut want_listed = ids.clone();
    want_listed.push(card["id"].as_i64().unwrap());
    assert_eq!(listed, want_listed, "{report:#}");
    assert_eq!(report["manifest"]["dossier"]["unit"], UNIT);
    // what the browser did reached the server: the download and the re-queue are logged
    let (_, v) = call(&s, "GET", "/api/audit", Some("kiem"), None);
    let actors: Vec<String> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            [
                "download", "requeue", "reuse", "review", "certify", "export",
            ]
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
    assert!(actors.contains(&"export an".to_string()), "{actors:?}");
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
    // the preview was logged as a view of page 1 by the officer
    let (_, v) = call(&s, "GET", "/api/audit", Some("kiem"), None);
    assert!(
        v["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "view"
                && e["actor"] == "an"
                && e["details"].as_str().unwrap_or("").contains("\"page\":1")),
        "no view entry: {v}"
    );
    // the printed report is a PDF whose text has the title, the unit and the table's figures
    let pdf = out.path().join("report.pdf");
    let o = Command::new("pdftotext")
        .args(["-layout", pdf.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils)");
    let printed = String::from_utf8_lossy(&o.stdout);
    for want in [
        "Báo cáo số hóa",
        UNIT,
        "Tỷ lệ số hóa",
        "Số liệu (giống tệp CSV)",
        "người lập: kiem",
    ] {
        assert!(
            printed.contains(want),
            "{want:?} not in the printed report:\n{printed}"
        );
    }
    assert!(
        !printed.contains("Đăng xuất") && !printed.contains("Tải CSV"),
        "the print-out shows the page's controls:\n{printed}"
    );
    if std::env::var_os("SOHOA_SCREENSHOTS").is_some() {
        let docs = root().join("docs/screenshots");
        for name in ["search-preview.png", "dossier.png", "reports.png"] {
            std::fs::copy(out.path().join(name), docs.join(name)).unwrap();
        }
        // the print-out's first page, as the printer gets it
        let st = Command::new("pdftoppm")
            .args(["-r", "60", "-png", "-singlefile", "-f", "1", "-l", "1"])
            .arg(&pdf)
            .arg(docs.join("report-print"))
            .status()
            .unwrap();
        assert!(st.success());
    }
    let _ = &s.dir;
}
