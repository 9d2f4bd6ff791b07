//! `sohoa store renew`: stored papers whose newest timestamp's TSA certificate expires soon
//! get a document timestamp (B-LTA) from a TSA that outlives it; everything still verifies, in
//! 2047 too; a second run renews nothing; `kill -9` in the middle leaves the store and the
//! index consistent, and the next run finishes the job with each paper renewed once.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde_json::Value;

use crate::helpers::*;
use crate::ingest::{json, run};

const UNIT: &str = "000.00.10.H59";

/// A desk in `dir` signing B-T with the official's key through `tsa`, trusting the test PKI
/// with its CRLs (the validation data a renewal embeds).
fn config(dir: &Path, tsa: &str) -> PathBuf {
    let (store_lines, index_section) = crate::backend::config_lines();
    let c = |n: &str| format!("{:?}", certs(n));
    let cfg = dir.join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "{index_section}[sign]\ndefault_signer = \"stamped\"\n\
             [signers.stamped]\npkcs12 = {}\npassphrase_file = {}\ntsa_url = \"{tsa}\"\n\
             [trust]\nanchors = [{}]\nintermediates = [{}]\ncrls = [{}, {}]\n\
             [store]\nroot = \"data\"\nunit = \"{UNIT}\"\nsigner = \"stamped\"\n{store_lines}",
            c("official-signer.p12"),
            c("PASSPHRASE-TEST-ONLY.txt"),
            c("root-ca.pem"),
            c("sub-ca.pem"),
            c("sub-ca.crl"),
            c("root-ca.crl"),
        ),
    )
    .unwrap();
    cfg
}

fn renew(cfg: &Path, before: &str, tsa: &str) -> Value {
    json(
        cfg,
        &["store", "renew", "--json", "--before", before, "--tsa", tsa],
    )
}

/// Ingests the sample batch into `cfg`'s store: the number of papers.
fn ingest(cfg: &Path) -> usize {
    let batch = root().join("samples/dossiers/batch-02.pdf");
    let r = json(
        cfg,
        &[
            "ingest",
            "--json",
            "--dossier",
            "000.00.10.H59-240521-0015",
            batch.to_str().unwrap(),
        ],
    );
    r[0]["papers"].as_array().unwrap().len()
}

/// Renewal audit entries per paper.
fn renewals(cfg: &Path) -> std::collections::BTreeMap<String, usize> {
    let mut index = crate::backend::open_index(cfg);
    let mut m = std::collections::BTreeMap::new();
    for e in index.audit_log().unwrap() {
        if e.action == sohoa::audit::Action::Renew {
            *m.entry(e.subject.clone()).or_default() += 1;
        }
    }
    m
}

/// Every paper's stored file verifies in 2047 (signer and first TSA expired), long-term.
fn all_verify_in_2047(cfg: &Path, dir: &Path, n: usize) {
    let mut index = crate::backend::open_index(cfg);
    let papers = index.signed_papers().unwrap();
    assert_eq!(papers.len(), n);
    for (id, _) in papers {
        let out = dir.join(format!("paper-{id}.pdf"));
        let _ = std::fs::remove_file(&out);
        let o = run(
            cfg,
            &["store", "get", &id.to_string(), "-o", out.to_str().unwrap()],
        );
        assert!(o.status.success(), "{}", text(&o));
        let (code, r) = verify_json(
            &out,
            &[
                "--ltv",
                "--at",
                "2047-06-01",
                "--trust",
                certs("root-ca.pem").to_str().unwrap(),
            ],
        );
        assert_eq!(code, 0, "paper {id} in 2047: {r:#}");
        assert_eq!(r["signatures"][0]["pades"]["level"], "B-LTA", "{r:#}");
    }
}

#[test]
fn store_renew_renews_papers_near_their_tsa_expiry_once_and_they_outlive_their_certificates() {
    let tsa = TestTsa::start();
    let archive = TestTsa::start_as("archive-tsa");
    let d = tmp();
    let cfg = config(d.path(), &tsa.url);
    let n = ingest(&cfg);
    assert!(n >= 5, "{n} papers");
    let refs_before = json(&cfg, &["store", "check", "--json"])["referenced"]
        .as_u64()
        .unwrap();
    // Their TSA (test TSA, valid to 2046-12-31) outlives 2040: nothing is due.
    let r = renew(&cfg, "2040-01-01", &archive.url);
    assert_eq!(
        (
            r["renewed"].as_array().unwrap().len(),
            r["not_due"].as_u64()
        ),
        (0, Some(n as u64)),
        "{r:#}"
    );
    // Before 2047: every paper is.
    let r = renew(&cfg, "2047-01-01", &archive.url);
    assert_eq!(r["renewed"].as_array().unwrap().len(), n, "{r:#}");
    assert!(r["failed"].as_array().unwrap().is_empty(), "{r:#}");
    // A second run: their newest timestamp is the archive TSA's (to 2048): nothing to do.
    let r = renew(&cfg, "2047-01-01", &archive.url);
    assert_eq!(
        (
            r["renewed"].as_array().unwrap().len(),
            r["not_due"].as_u64()
        ),
        (0, Some(n as u64)),
        "{r:#}"
    );
    // The old files are kept and referenced; the audit log holds one renewal per paper.
    let check = json(&cfg, &["store", "check", "--json"]);
    assert_eq!(
        check["referenced"].as_u64().unwrap(),
        refs_before + n as u64,
        "{check:#}"
    );
    assert!(check["missing"].as_array().unwrap().is_empty(), "{check:#}");
    let audit = run(&cfg, &["audit", "verify"]);
    assert!(audit.status.success(), "{}", text(&audit));
    let per_paper = renewals(&cfg);
    assert_eq!(per_paper.len(), n);
    assert!(per_paper.values().all(|&c| c == 1), "{per_paper:?}");
    drop((tsa, archive));
    all_verify_in_2047(&cfg, d.path(), n);
}

#[test]
fn store_renew_killed_at_random_moments_leaves_store_and_index_consistent_and_renews_each_once() {
    let tsa = TestTsa::start();
    let archive = TestTsa::start_as("archive-tsa");
    let pristine = tmp();
    let pristine_cfg = config(pristine.path(), &tsa.url);
    let n = ingest(&pristine_cfg);
    // One uninterrupted renewal, timed, in a copy.
    let timed = tmp();
    let timed_cfg = crate::backend::fork(&pristine_cfg, &timed.path().join("desk"));
    let t = Instant::now();
    let r = renew(&timed_cfg, "2047-01-01", &archive.url);
    let full = t.elapsed();
    assert_eq!(r["renewed"].as_array().unwrap().len(), n);
    let mut next = kill_rng(&format!(
        "renew kill test (an uninterrupted run takes {full:?})"
    ));
    let mut killed = 0;
    for round in 0..4 {
        let d = tmp();
        let cfg = crate::backend::fork(&pristine_cfg, &d.path().join("desk"));
        // one to three kills in a row on the same store, then a run to the end
        for _ in 0..=(next() % 3) {
            let at = full.mul_f64(0.05 + (next() % 900) as f64 / 1000.0);
            let mut child = Command::new(env!("CARGO_BIN_EXE_sohoa"))
                .args([
                    "--config",
                    cfg.to_str().unwrap(),
                    "store",
                    "renew",
                    "--before",
                    "2047-01-01",
                    "--tsa",
                    &archive.url,
                ])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(at);
            if child.try_wait().unwrap().is_none() {
                child.kill().unwrap(); // SIGKILL
                killed += 1;
            }
            child.wait().unwrap();
            // Consistent after each kill: every referenced file there, the audit chain whole.
            let check = run(&cfg, &["store", "check"]);
            assert!(check.status.success(), "round {round}: {}", text(&check));
            let audit = run(&cfg, &["audit", "verify"]);
            assert!(audit.status.success(), "round {round}: {}", text(&audit));
        }
        let r = renew(&cfg, "2047-01-01", &archive.url);
        assert!(r["failed"].as_array().unwrap().is_empty(), "{r:#}");
        let per_paper = renewals(&cfg);
        assert_eq!(per_paper.len(), n, "round {round}: {per_paper:?}");
        assert!(
            per_paper.values().all(|&c| c == 1),
            "round {round}: renewed twice: {per_paper:?}"
        );
        if round == 3 {
            all_verify_in_2047(&cfg, d.path(), n);
        }
    }
    eprintln!("renew kill test: {killed} runs killed");
    // The service renews on its schedule ([store] renew_every_hours), here once at start:
    // within 7,400 days (to 2047) every paper is due.
    let d = tmp();
    let cfg = crate::backend::fork(&pristine_cfg, &d.path().join("desk"));
    let mut text_cfg = std::fs::read_to_string(&cfg).unwrap();
    text_cfg = text_cfg.replace(
        &format!("tsa_url = \"{}\"\n", tsa.url),
        &format!(
            "tsa_url = \"{}\"\narchive_tsa_url = \"{}\"\n",
            tsa.url, archive.url
        ),
    );
    text_cfg.push_str("renew_every_hours = 24\nrenew_within_days = 7400\n");
    std::fs::write(&cfg, text_cfg).unwrap();
    std::fs::create_dir_all(cfg.parent().unwrap().join("inbox")).unwrap();
    let o = run(&cfg, &["serve", "--once", "--poll"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains(&format!("{n} renewed")), "{}", text(&o));
    let per_paper = renewals(&cfg);
    assert_eq!(per_paper.len(), n, "{per_paper:?}");
    assert!(
        killed >= 2,
        "only {killed} runs were killed before they finished (a run takes {full:?})"
    );
}
