//! The audit log's anchors end to end: `sohoa audit checkpoint` signs the chain's head with the
//! agency's profile and a real RFC 3161 TSA on 127.0.0.1 into the blob store; `openssl cms`
//! accepts the checkpoint's signature; `sohoa audit verify` passes, then fails naming the
//! checkpoint when the newest 10 entries are deleted from the database, when the whole chain is
//! rewritten and re-hashed after an edit, and when the checkpoint or its signature is altered.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::helpers::*;
use crate::ingest::{json, run};

/// A store with one scan ingested and 12 downloads logged (more than 10 entries), anchored by
/// a checkpoint of the agency profile `org` (time-stamped by `tsa`). Returns the config and
/// the checkpoint's outcome.
fn anchored(dir: &Path, tsa: &TestTsa) -> (PathBuf, Value) {
    let c = |n: &str| certs(n).display().to_string();
    let cfg = store_config(
        dir,
        "000.00.10.H59",
        &format!(
            "[signers.org]\nkey = \"{}\"\ncert = \"{}\"\nchain = \"{}\"\n\
             passphrase_file = \"{}\"\ntsa_url = \"{}\"\n[audit]\nsigner = \"org\"\n",
            c("org-signer.key.pem"),
            c("org-signer.pem"),
            c("org-signer.chain.pem"),
            c("PASSPHRASE-TEST-ONLY.txt"),
            tsa.url
        ),
    );
    let scan = root().join("samples/scans/cccd-ban-sao.png");
    json(&cfg, &["ingest", "--json", scan.to_str().unwrap()]);
    for i in 0..12 {
        let out = dir.join(format!("copy-{i}.pdf"));
        let o = run(&cfg, &["store", "get", "1", "-o", out.to_str().unwrap()]);
        assert!(o.status.success(), "{}", text(&o));
    }
    let done = json(&cfg, &["audit", "checkpoint", "--json"]);
    (cfg, done)
}

/// `sohoa audit verify --json`: (exit code, verdict).
pub(crate) fn verify(cfg: &Path) -> (i32, Value) {
    let o = run(cfg, &["audit", "verify", "--json"]);
    let v = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    (o.status.code().unwrap_or(-1), v)
}

/// The audit log of `cfg`'s index, read behind sohoa's back, in `seq` order (`audit_log.seq`:
/// the number; PostgreSQL would sort a bare `seq` by the text column named after it).
fn entries(cfg: &Path) -> Vec<sohoa::audit::AuditEntry> {
    crate::backend::raw_rows(
        cfg,
        "SELECT CAST(seq AS TEXT), time, actor, action, subject, details, prev_hash, hash
         FROM audit_log ORDER BY audit_log.seq",
    )
    .into_iter()
    .map(|r| {
        let col = |i: usize| r[i].clone().unwrap_or_default();
        sohoa::audit::AuditEntry {
            seq: col(0).parse().expect("a sequence number"),
            time: col(1),
            actor: col(2),
            action: serde_json::from_value(Value::String(col(3))).expect("an action code"),
            subject: col(4),
            details: col(5),
            prev_hash: col(6),
            hash: col(7),
        }
    })
    .collect()
}

/// `s` quoted as an SQL string literal.
fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The problems of a failed verdict name `key` and say `what`.
fn contradicts(cfg: &Path, key: &str, what: &str) {
    let (code, v) = verify(cfg);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["intact"], false);
    let problems: Vec<&str> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        problems.iter().any(|p| p.contains(key) && p.contains(what)),
        "no problem names {key} with {what:?}: {problems:#?}"
    );
}

#[test]
fn deleting_the_newest_entries_or_rewriting_the_chain_contradicts_a_signed_checkpoint() {
    let tsa = TestTsa::start();
    let base = tmp();
    let dir = base.path().join("desk");
    std::fs::create_dir(&dir).unwrap();
    let (cfg, done) = anchored(&dir, &tsa);
    assert_eq!(done["outcome"], "written", "{done:#}");
    assert_eq!(done["timestamped"], true);
    let key = done["key"].as_str().unwrap().to_string();
    let seq = done["seq"].as_u64().unwrap();
    assert!(seq > 10, "{seq} entries: too few to delete 10");
    // a second run has nothing to add
    let again = json(&cfg, &["audit", "checkpoint", "--json"]);
    assert_eq!(again["outcome"], "unchanged", "{again:#}");

    // the checkpoint and its signature are plain objects an auditor checks with openssl
    let json_path = base.path().join("checkpoint.json");
    let p7s = base.path().join("checkpoint.json.p7s");
    std::fs::write(&json_path, crate::backend::record(&cfg, &key)).unwrap();
    std::fs::write(&p7s, crate::backend::record(&cfg, &format!("{key}.p7s"))).unwrap();
    let o = openssl_cms_verify_detached(&p7s, &json_path);
    assert!(o.status.success(), "openssl cms: {}", text(&o));

    let (code, v) = verify(&cfg);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["anchored_to"], seq);
    let cp = &v["checkpoints"][0];
    assert_eq!(cp["key"], key.as_str());
    assert_eq!(cp["signature_valid"], true);
    assert!(cp["timestamped_at"].is_string(), "{cp:#}");
    assert_eq!(cp["finding"]["kind"], "holds");

    // 1. the newest 10 entries deleted: the chain that is left is intact, the checkpoint is not
    let cut_cfg = crate::backend::fork(&cfg, &base.path().join("cut"));
    let deleted = crate::backend::raw_sql(
        &cut_cfg,
        &format!("DELETE FROM audit_log WHERE seq > {}", seq - 10),
    );
    assert_eq!(deleted, 10);
    let (_, v) = verify(&cut_cfg);
    assert!(
        v["chain"]["first_break"].is_null() && v["chain"]["entries"].as_u64() > Some(0),
        "{v:#}"
    );
    contradicts(
        &cut_cfg,
        &key,
        &format!("entries {}..{seq} were deleted", seq - 9),
    );

    // 2. entry 3 edited and every hash after it recomputed: a chain that verifies on its own
    let re_cfg = crate::backend::fork(&cfg, &base.path().join("rewritten"));
    let mut prev = sohoa::audit::GENESIS.to_string();
    for mut e in entries(&re_cfg) {
        if e.seq == 3 {
            e.actor = "someone.else".into();
        }
        e.prev_hash = prev;
        e.hash = sohoa::audit::entry_hash(&e);
        crate::backend::raw_sql(
            &re_cfg,
            &format!(
                "UPDATE audit_log SET actor = {}, prev_hash = {}, hash = {} WHERE seq = {}",
                quoted(&e.actor),
                quoted(&e.prev_hash),
                quoted(&e.hash),
                e.seq
            ),
        );
        prev = e.hash;
    }
    let (_, v) = verify(&re_cfg);
    assert!(
        v["chain"]["first_break"].is_null() && v["chain"]["entries"].as_u64() > Some(0),
        "{v:#}"
    );
    contradicts(&re_cfg, &key, "was rewritten");
    // and it is not anchored over: a checkpoint of the rewritten log is refused
    let o = run(&re_cfg, &["audit", "checkpoint"]);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(text(&o).contains(&key), "{}", text(&o));

    // 3. the checkpoint edited to agree with the rewritten log: its signature no longer does
    let body = String::from_utf8(crate::backend::record(&re_cfg, &key)).unwrap();
    let new_head = entries(&re_cfg)
        .into_iter()
        .find(|e| e.seq == seq)
        .unwrap()
        .hash;
    let old_head = cp["head"].as_str().unwrap();
    crate::backend::overwrite_record(&re_cfg, &key, body.replace(old_head, &new_head).as_bytes());
    contradicts(&re_cfg, &key, "signature does not verify");

    // 4. the signature removed
    let gone_cfg = crate::backend::fork(&cfg, &base.path().join("unsigned"));
    crate::backend::remove_record(&gone_cfg, &format!("{key}.p7s"));
    contradicts(&gone_cfg, &key, "has no signature");
}
