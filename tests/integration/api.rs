//! The HTTP API of `sohoa serve`, against the real service (inbox, OCR, signing, SQLite):
//! every route refuses a request without a token (401) and one from the wrong role or unit
//! (403); an officer finds, downloads and reuses a paper; an auditor verifies an upload and
//! the audit log; an operator sees the journal and re-queues a failed file.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::*;

pub(crate) const UNIT: &str = "000.00.10.H59";
/// The officer "an"'s web password (TEST ONLY).
pub(crate) const PASSWORD: &str = "Mật khẩu thử nghiệm 2026";
const OTHER: &str = "000.00.11.H59";

/// (name, role, units) of the test users; the token of user i is `new_token([i; 32])`.
const USERS: &[(&str, &str, &[&str])] = &[
    ("op", "operator", &[UNIT]),
    ("an", "officer", &[UNIT]),
    ("binh", "officer", &[OTHER]),
    ("kiem", "auditor", &[]),
    ("root", "admin", &[]),
];

pub(crate) fn token(name: &str) -> String {
    let i = USERS.iter().position(|u| u.0 == name).unwrap() as u8 + 1;
    sohoa::api::auth::new_token([i; 32]).0
}

pub(crate) struct Server {
    child: Child,
    pub(crate) base: String,
    pub(crate) dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn start() -> Server {
    start_with(None)
}

/// A dossier folder dropped into the inbox with the loose files: its code and the sample
/// scans it holds, in order (`samples/scans/…`).
pub(crate) type SampleDossier<'a> = (&'a str, &'a [&'a str]);

/// [`start`], with a dossier folder of sample scans in the inbox too.
pub(crate) fn start_with(dossier: Option<SampleDossier<'_>>) -> Server {
    let dir = tmp();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut users = String::new();
    for (i, (name, role, units)) in USERS.iter().enumerate() {
        let (_, hash) = sohoa::api::auth::new_token([i as u8 + 1; 32]);
        let units: Vec<String> = units.iter().map(|u| format!("\"{u}\"")).collect();
        users.push_str(&format!(
            "[users.{name}]\nrole = \"{role}\"\nunits = [{}]\ntoken_sha256 = \"{hash}\"\n",
            units.join(", ")
        ));
        // the officer also signs in to the web pages with a password
        if *name == "an" {
            let phc = sohoa::api::auth::hash_password(PASSWORD, [5; 16]).unwrap();
            users.push_str(&format!("password_argon2 = \"{phc}\"\n"));
        }
    }
    // every paper goes to the review queue: the built-in types with the threshold at 1.0
    let types = std::fs::read_to_string(root().join("doc-types.toml"))
        .unwrap()
        .replace("review_threshold = 0.6", "review_threshold = 1.0");
    assert!(
        types.contains("review_threshold = 1.0"),
        "doc-types.toml changed its threshold line"
    );
    std::fs::write(dir.path().join("types.toml"), types).unwrap();
    let cfg = store_config(
        dir.path(),
        UNIT,
        &format!(
            "[classify]\ntypes = \"types.toml\"\nmodel = \"model.json\"\n\
             [inbox]\nstable_seconds = 0.3\npoll_seconds = 0.2\nworkers = 1\n\
             [certify]\nofficer_signer = \"official\"\nagency_signer = \"org\"\n\
             [report]\ndefault_level = \"district\"\n\
             [report.targets.district]\ndigitization_rate = 40\nsigning_rate = 100\nreuse_rate = 80\n\
             [signers.org]\npkcs12 = \"{}\"\npassphrase_file = \"{}\"\nsub_filter = \"adbe.pkcs7.detached\"\n\
             [log]\nformat = \"json\"\n\
             [http]\nlisten = \"127.0.0.1:{port}\"\nmax_upload_bytes = 2000000\n{users}",
            certs("org-signer.p12").display(),
            certs("PASSPHRASE-TEST-ONLY.txt").display(),
        ),
    );
    let inbox = dir.path().join("inbox").join(UNIT);
    std::fs::create_dir_all(&inbox).unwrap();
    std::fs::copy(
        root().join("samples/scans/cccd-ban-sao.png"),
        inbox.join("cccd.png"),
    )
    .unwrap();
    std::fs::write(inbox.join("broken.jpg"), b"not a scan").unwrap();
    let mut want_jobs = 2;
    if let Some((code, files)) = dossier {
        let folder = inbox.join(code);
        std::fs::create_dir_all(&folder).unwrap();
        for (i, f) in files.iter().enumerate() {
            // numbered so the folder's order is the order given
            let name = format!("{:02}-{f}", i + 1);
            std::fs::copy(root().join("samples/scans").join(f), folder.join(name)).unwrap();
        }
        want_jobs += 1;
    }
    let child = Command::new(env!("CARGO_BIN_EXE_sohoa"))
        .args(["--config", cfg.to_str().unwrap(), "serve", "--poll"])
        .current_dir(root())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.path().join("serve.log")).unwrap())
        .spawn()
        .unwrap();
    let s = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
        dir,
    };
    // wait until both files are done
    let t = Instant::now();
    loop {
        if let (200, v) = call(&s, "GET", "/api/jobs", Some("op"), None) {
            let jobs = v["jobs"].as_array().cloned().unwrap_or_default();
            let done = jobs
                .iter()
                .filter(|j| j["state"] == "stored" || j["state"] == "failed")
                .count();
            if done >= want_jobs {
                break;
            }
        }
        assert!(
            t.elapsed() < Duration::from_secs(300),
            "service did not finish"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    s
}

/// (status, JSON body or {"bytes": n}) of a request as `who` (None: no token).
pub(crate) fn call(
    s: &Server,
    method: &str,
    path: &str,
    who: Option<&str>,
    body: Option<&[u8]>,
) -> (u16, Value) {
    let mut req = ureq::request(method, &format!("{}{path}", s.base));
    if let Some(w) = who {
        req = req.set("Authorization", &format!("Bearer {}", token(w)));
    }
    let res = match body {
        Some(b) => req.set("Content-Type", "application/json").send_bytes(b),
        None => req.call(),
    };
    let resp = match res {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => return (0, Value::String(e.to_string())),
    };
    let status = resp.status();
    let pdf = resp.content_type() == "application/pdf";
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut resp.into_reader(), &mut bytes).unwrap();
    if pdf {
        return (status, serde_json::json!({"pdf": hex::encode(&bytes)}));
    }
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn json_of(r: ureq::Response) -> Value {
    serde_json::from_reader(r.into_reader()).unwrap_or(Value::Null)
}

/// The ID card the service stored from the inbox, as the unit's officer finds it.
pub(crate) fn stored_card(s: &Server) -> Value {
    let (st, v) = call(
        s,
        "GET",
        "/api/components?type=citizen_id",
        Some("an"),
        None,
    );
    assert_eq!(st, 200, "{v}");
    v["components"][0].clone()
}

/// (method, path, body, allowed, refused with 403).
type RouteCase<'a> = (
    &'a str,
    &'a str,
    Option<&'a [u8]>,
    Vec<&'a str>,
    Vec<&'a str>,
);

#[test]
fn every_route_checks_token_role_and_unit_and_the_desk_work_goes_through() {
    let s = start();
    // the stored ID card, found by an officer of its unit
    let card = stored_card(&s);
    let id = card["id"].as_i64().expect("a stored card");
    let person = card["owner_ids"][0].as_str().unwrap().to_string();
    let (st, v) = call(
        &s,
        "GET",
        &format!("/api/components?person={person}"),
        Some("an"),
        None,
    );
    assert_eq!(st, 200);
    assert_eq!(v["components"].as_array().unwrap().len(), 1, "{v}");
    // an officer of another unit does not see it
    let (st, v) = call(
        &s,
        "GET",
        &format!("/api/components?person={person}"),
        Some("binh"),
        None,
    );
    assert_eq!(st, 200);
    assert!(v["components"].as_array().unwrap().is_empty(), "{v}");

    // the review queue: the card waits for its unit's officer, not for another unit's
    let (st, v) = call(&s, "GET", "/api/review", Some("an"), None);
    assert_eq!(st, 200, "{v}");
    let queued: Vec<i64> = v["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["component"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(queued, [id], "{v}");
    assert_eq!(
        v["components"][0]["component"]["review_state"],
        "needs_review"
    );
    let (_, v) = call(&s, "GET", "/api/review", Some("binh"), None);
    assert!(v["components"].as_array().unwrap().is_empty(), "{v}");
    let (st, t) = call(&s, "GET", "/api/types", Some("an"), None);
    assert_eq!(st, 200);
    assert!(
        t["types"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["code"] == "birth_certificate"),
        "{t}"
    );
    // what the reviewer sees: the fields as read
    let (_, detail) = call(
        &s,
        "GET",
        &format!("/api/components/{id}"),
        Some("an"),
        None,
    );
    let fields: Vec<Value> = detail["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| serde_json::json!({"kind": f["kind"], "value": f["value"]}))
        .collect();
    assert!(
        fields
            .iter()
            .any(|f| f["kind"] == "person_id" && f["value"] == person.as_str()),
        "{detail}"
    );
    let review_path = format!("/api/components/{id}/review");
    let ask = |type_code: &str, fields: &[Value]| {
        serde_json::to_vec(&serde_json::json!({"type_code": type_code, "fields": fields})).unwrap()
    };
    // a value failing its check, an unknown type: refused with the reason, nothing changes
    let mut typo = fields.clone();
    typo.push(serde_json::json!({"kind": "person_id", "value": "12345"}));
    let (st, v) = call(
        &s,
        "POST",
        &review_path,
        Some("an"),
        Some(&ask("citizen_id", &typo)),
    );
    assert_eq!(st, 422, "{v}");
    assert!(v["error"].as_str().unwrap().contains("12345"), "{v}");
    let (st, v) = call(
        &s,
        "POST",
        &review_path,
        Some("an"),
        Some(&ask("passport", &fields)),
    );
    assert_eq!(st, 422, "{v}");
    // another unit's officer may not review it
    let (st, _) = call(
        &s,
        "POST",
        &review_path,
        Some("binh"),
        Some(&ask("citizen_id", &fields)),
    );
    assert_eq!(st, 403);
    // the correction: another type, the fields kept; the queue empties, the owner stays findable
    let (st, v) = call(
        &s,
        "POST",
        &review_path,
        Some("an"),
        Some(&ask("birth_certificate", &fields)),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["state"], "corrected", "{v}");
    let (_, v) = call(&s, "GET", "/api/review", Some("an"), None);
    assert!(v["components"].as_array().unwrap().is_empty(), "{v}");
    let (_, v) = call(
        &s,
        "GET",
        &format!("/api/components?person={person}"),
        Some("an"),
        None,
    );
    assert_eq!(v["components"][0]["type_code"], "birth_certificate", "{v}");
    assert_eq!(v["components"][0]["review_state"], "corrected", "{v}");
    // the correction trains the classifier: one more example of the corrected type
    let cfg = s.dir.path().join("config.toml");
    let train = |extra: &[&str], out: &str| {
        let o = Command::new(env!("CARGO_BIN_EXE_sohoa"))
            .args([
                "--config",
                cfg.to_str().unwrap(),
                "classify",
                "train",
                "samples/train",
            ])
            .args(extra)
            .args(["-o", s.dir.path().join(out).to_str().unwrap()])
            .current_dir(root())
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let m: Value =
            serde_json::from_slice(&std::fs::read(s.dir.path().join(out)).unwrap()).unwrap();
        let i = m["classes"]
            .as_array()
            .unwrap()
            .iter()
            .position(|c| c == "birth_certificate")
            .unwrap();
        (
            m["examples"][i].as_u64().unwrap(),
            String::from_utf8_lossy(&o.stdout).to_string(),
        )
    };
    let (plain, _) = train(&[], "plain.json");
    let (with_reviews, said) = train(&["--reviews"], "reviewed.json");
    assert_eq!(with_reviews, plain + 1, "{said}");
    assert!(said.contains("+ 1 reviewed papers"), "{said}");
    let confirm = ask("birth_certificate", &fields);

    let reuse =
        serde_json::to_vec(&serde_json::json!({"dossier": "000.00.10.H59-261122-0007"})).unwrap();
    let requeue =
        serde_json::to_vec(&serde_json::json!({"path": format!("{UNIT}/broken.jpg")})).unwrap();
    let comp = format!("/api/components/{id}");
    let pdf = format!("/api/components/{id}/pdf");
    let reuse_path = format!("/api/components/{id}/reuse");
    let reports_unit = format!("/api/reports?unit={UNIT}");
    let page1 = format!("/api/components/{id}/pages/1?size=400");
    let routes: Vec<RouteCase> = vec![
        (
            "GET",
            &page1,
            None,
            vec!["an", "kiem", "root"],
            vec!["op", "binh"],
        ),
        (
            "GET",
            "/api/me",
            None,
            vec!["op", "an", "kiem", "root"],
            vec![],
        ),
        (
            "GET",
            "/metrics",
            None,
            vec!["op", "kiem", "root"],
            vec!["an"],
        ),
        (
            "GET",
            "/api/components?type=citizen_id",
            None,
            vec!["an", "kiem", "root"],
            vec!["op"],
        ),
        (
            "GET",
            &comp,
            None,
            vec!["an", "kiem", "root"],
            vec!["op", "binh"],
        ),
        (
            "GET",
            &pdf,
            None,
            vec!["an", "root"],
            vec!["op", "kiem", "binh"],
        ),
        (
            "POST",
            &reuse_path,
            Some(&reuse),
            vec!["an"],
            vec!["op", "kiem", "binh"],
        ),
        (
            "GET",
            "/api/jobs",
            None,
            vec!["op", "kiem", "root"],
            vec!["an"],
        ),
        (
            "GET",
            "/api/inbox",
            None,
            vec!["op", "kiem", "root"],
            vec!["an"],
        ),
        (
            "GET",
            "/api/review",
            None,
            vec!["an", "binh", "root"],
            vec!["op", "kiem"],
        ),
        (
            "POST",
            &review_path,
            Some(&confirm),
            vec!["an", "root"],
            vec!["op", "kiem", "binh"],
        ),
        (
            "GET",
            "/api/types",
            None,
            vec!["op", "an", "kiem", "root"],
            vec![],
        ),
        (
            "GET",
            "/api/audit",
            None,
            vec!["kiem", "root"],
            vec!["op", "an"],
        ),
        (
            "GET",
            "/api/audit/verify",
            None,
            vec!["kiem", "root"],
            vec!["op", "an"],
        ),
        (
            "POST",
            "/api/failed/requeue",
            Some(&requeue),
            vec!["op"],
            vec!["an", "kiem"],
        ),
        (
            "GET",
            "/api/reports",
            None,
            vec!["an", "kiem", "root"],
            vec!["op"],
        ),
        (
            "GET",
            &reports_unit,
            None,
            vec!["an", "kiem"],
            vec!["binh", "op"],
        ),
    ];
    for (method, path, body, allowed, refused) in &routes {
        let (st, v) = call(&s, method, path, None, *body);
        assert_eq!(st, 401, "{method} {path} without a token: {v}");
        assert!(
            v["error"].as_str().is_some_and(|e| e.contains("Bearer")),
            "{v}"
        );
        for who in refused {
            let (st, v) = call(&s, method, path, Some(who), *body);
            assert_eq!(st, 403, "{method} {path} as {who}: {v}");
        }
        for who in allowed {
            let (st, v) = call(&s, method, path, Some(who), *body);
            assert_eq!(st, 200, "{method} {path} as {who}: {v}");
        }
    }
    // the upload route too (its body is a PDF)
    let (st, _) = call(&s, "POST", "/api/verify", None, Some(b"%PDF"));
    assert_eq!(st, 401);
    let (st, _) = call(&s, "POST", "/api/verify", Some("op"), Some(b"%PDF"));
    assert_eq!(st, 403);
    // a wrong token is no token
    let r = ureq::get(&format!("{}/api/me", s.base))
        .set("Authorization", "Bearer 00")
        .call();
    assert!(matches!(r, Err(ureq::Error::Status(401, _))));
    // a web login: wrong password 401, right one a session token; logout ends it; five
    // wrong passwords in a row lock the name (429); every attempt is logged
    let body = |u: &str, p: &str| {
        serde_json::to_vec(&serde_json::json!({"user": u, "password": p})).unwrap()
    };
    let login = |u: &str, p: &str| {
        let r = ureq::post(&format!("{}/api/login", s.base))
            .set("Content-Type", "application/json")
            .send_bytes(&body(u, p));
        match r {
            Ok(r) => (r.status(), json_of(r)),
            Err(ureq::Error::Status(c, r)) => (c, json_of(r)),
            Err(e) => panic!("{e}"),
        }
    };
    let (st, v) = login("an", "wrong password");
    assert_eq!(st, 401, "{v}");
    let (st, v) = login("nobody", PASSWORD);
    assert_eq!(st, 401, "{v}");
    let (st, v) = login("an", PASSWORD);
    assert_eq!(st, 200, "{v}");
    let session = v["token"].as_str().unwrap().to_string();
    // (status, body) of /api/me with a bearer token
    let me = |t: &str| match ureq::get(&format!("{}/api/me", s.base))
        .set("Authorization", &format!("Bearer {t}"))
        .call()
    {
        Ok(r) => (r.status(), json_of(r)),
        Err(ureq::Error::Status(c, r)) => (c, json_of(r)),
        Err(e) => panic!("{e}"),
    };
    assert_eq!(me(&session).1["user"]["name"], "an");
    // the session has the officer's role: not the auditor's log
    let r = ureq::get(&format!("{}/api/audit", s.base))
        .set("Authorization", &format!("Bearer {session}"))
        .call();
    assert!(matches!(r, Err(ureq::Error::Status(403, _))));
    ureq::post(&format!("{}/api/logout", s.base))
        .set("Authorization", &format!("Bearer {session}"))
        .call()
        .unwrap();
    assert_eq!(me(&session).0, 401);
    for _ in 0..5 {
        assert_eq!(login("binh", "guess").0, 401);
    }
    let (st, v) = login("binh", "guess");
    assert_eq!(st, 429, "{v}");
    assert!(v["error"].as_str().unwrap().contains("minutes"), "{v}");

    // public: health and the description; the pages' files, each under the page's CSP
    assert_eq!(call(&s, "GET", "/api/health", None, None).0, 200);
    for file in [
        "app.js",
        "papers.js",
        "reports.js",
        "app.css",
        "vendor/chart.umd.min.js",
    ] {
        let r = ureq::get(&format!("{}/static/{file}", s.base))
            .call()
            .unwrap();
        let csp = r
            .header("Content-Security-Policy")
            .unwrap_or("")
            .to_string();
        assert!(csp.starts_with("default-src 'self'"), "{file}: {csp}");
    }
    assert_eq!(call(&s, "GET", "/static/../config.toml", None, None).0, 404);
    assert_eq!(call(&s, "GET", "/static/nothing.js", None, None).0, 404);
    let (st, doc) = call(&s, "GET", "/api/openapi.json", None, None);
    assert_eq!(st, 200);
    assert!(
        doc["paths"]["/api/components/{id}/pdf"]["get"].is_object(),
        "{doc}"
    );

    // download: the stored signed file; the auditor's upload of it verifies
    let (_, v) = call(&s, "GET", &pdf, Some("an"), None);
    let bytes = hex::decode(v["pdf"].as_str().unwrap()).unwrap();
    assert!(bytes.starts_with(b"%PDF"));
    let (st, v) = call(&s, "POST", "/api/verify", Some("kiem"), Some(&bytes));
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["report"]["valid"], true, "{v}");
    // a tampered copy does not
    let mut bad = bytes.clone();
    let at = bad.len() / 3;
    bad[at] ^= 1;
    let (st, v) = call(&s, "POST", "/api/verify", Some("kiem"), Some(&bad));
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["report"]["valid"], false, "{v}");
    // too large: one byte over [http] max_upload_bytes is refused (exactly one over: the
    // server stops reading at the limit, and a client still writing a longer body may see the
    // connection closed before it reads the answer)
    let big = vec![b'x'; 2_000_001];
    let (st, v) = call(&s, "POST", "/api/verify", Some("kiem"), Some(&big));
    assert_eq!(st, 413, "{v}");
    // not a PDF: could not check (not a verdict)
    let (st, v) = call(&s, "POST", "/api/verify", Some("kiem"), Some(b"hello"));
    assert_eq!(st, 422, "{v}");

    // the re-queued file is back in the inbox; a path out of failed/ is refused
    assert!(
        s.dir
            .path()
            .join("inbox")
            .join(UNIT)
            .join("broken.jpg")
            .exists()
            || s.dir
                .path()
                .join("failed")
                .join(UNIT)
                .join("broken.jpg")
                .exists()
    );
    let out = serde_json::to_vec(&serde_json::json!({"path": format!("{UNIT}/../../etc/passwd")}))
        .unwrap();
    let (st, _) = call(&s, "POST", "/api/failed/requeue", Some("op"), Some(&out));
    assert_eq!(st, 404);
    // reuse without a valid dossier code: a clear refusal
    let bad_dossier = serde_json::to_vec(&serde_json::json!({"dossier": "abc"})).unwrap();
    let (st, v) = call(&s, "POST", &reuse_path, Some("an"), Some(&bad_dossier));
    assert_eq!(st, 409, "{v}");
    assert!(v["error"].as_str().unwrap().contains("dossier code"), "{v}");

    // the audit log holds the downloads, verifications, reuse and re-queue, and verifies
    let (_, v) = call(&s, "GET", "/api/audit", Some("kiem"), None);
    let actions: Vec<&str> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "ingest", "download", "verify", "reuse", "requeue", "review", "login",
    ] {
        assert!(actions.contains(&a), "{a} not logged: {actions:?}");
    }
    let (_, v) = call(&s, "GET", "/api/audit/verify", Some("kiem"), None);
    assert_eq!(v["intact"], true, "{v}");
    // the report: this month, this unit, one paper digitized and signed, one dossier reusing
    let (_, v) = call(&s, "GET", "/api/reports", Some("kiem"), None);
    let row = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["unit"] == UNIT && r["components_digitized"].as_u64() > Some(0))
        .cloned()
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(
        row["components_signed"], row["components_digitized"],
        "{row}"
    );
    assert_eq!(row["signing_rate"], 1.0, "{row}");
    let reusing: u64 = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["dossiers_reusing"].as_u64().unwrap())
        .sum();
    assert_eq!(reusing, 1, "{v}");
    let csv = ureq::get(&format!("{}/api/reports?format=csv", s.base))
        .set("Authorization", &format!("Bearer {}", token("kiem")))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    assert!(csv.starts_with("don_vi/unit,"), "{csv}");
    assert!(csv.contains(&format!("{UNIT},")), "{csv}");
    // the targets of [report] for the unit's level; a period; a period backwards
    assert_eq!(v["targets"][UNIT]["level"], "district", "{v}");
    assert_eq!(v["targets"][UNIT]["digitization_rate"], 0.4, "{v}");
    let month = row["month"].as_str().unwrap().to_string();
    let (st, p) = call(
        &s,
        "GET",
        &format!("/api/reports?from={month}&to={month}"),
        Some("kiem"),
        None,
    );
    assert_eq!(st, 200, "{p}");
    assert!(
        p["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["month"] == month.as_str()),
        "{p}"
    );
    let (st, p) = call(
        &s,
        "GET",
        "/api/reports?from=2026-12&to=2026-01",
        Some("kiem"),
        None,
    );
    assert_eq!(st, 400, "{p}");
    assert!(
        p["error"].as_str().unwrap().contains("after the last"),
        "{p}"
    );
    let (st, p) = call(
        &s,
        "GET",
        "/api/reports?month=2026-12&from=2026-01",
        Some("kiem"),
        None,
    );
    assert_eq!(st, 400, "{p}");
    // the preview: a JPEG of the asked size; no page 2 in a one-page paper; sizes bounded
    let img = ureq::get(&format!("{}/api/components/{id}/pages/1?size=600", s.base))
        .set("Authorization", &format!("Bearer {}", token("an")))
        .call()
        .unwrap();
    assert_eq!(img.content_type(), "image/jpeg");
    assert!(img
        .header("Cache-Control")
        .unwrap_or("")
        .contains("private"));
    let mut jpeg = Vec::new();
    std::io::Read::read_to_end(&mut img.into_reader(), &mut jpeg).unwrap();
    let pic = image::load_from_memory(&jpeg).unwrap();
    assert_eq!(pic.width().max(pic.height()), 600);
    for (path, want) in [
        (format!("/api/components/{id}/pages/2"), "no such page"),
        (
            format!("/api/components/{id}/pages/1?size=10"),
            "200 to 2400",
        ),
        (
            format!("/api/components/{id}/pages/1?size=99999"),
            "200 to 2400",
        ),
    ] {
        let (st, e) = call(&s, "GET", &path, Some("an"), None);
        assert_eq!(st, 400, "{path}: {e}");
        assert!(
            e["error"].as_str().unwrap_or("").contains(want),
            "{path}: {e}"
        );
    }
    let (_, m) = (
        0,
        ureq::get(&format!("{}/metrics", s.base))
            .set("Authorization", &format!("Bearer {}", token("op")))
            .call()
            .unwrap()
            .into_string()
            .unwrap(),
    );
    assert!(m.contains("sohoa_papers_stored_total 1"), "{m}");
    metrics_and_logs_tell_the_batch(&s, &m);
}

/// A sample in `m` (an OpenMetrics text), by its name with labels.
fn sample(m: &str, name: &str) -> f64 {
    m.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|v| v.split(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in\n{m}"))
}

/// What `/metrics` and the JSON log lines say about the two files the server processed (a
/// card stored, a broken file failed) and the requests made.
fn metrics_and_logs_tell_the_batch(s: &Server, m: &str) {
    // histograms: one drop signed, its pages' OCR, its paper's signing; the API timed per route
    assert_eq!(sample(m, "sohoa_drop_to_signed_seconds_count"), 1.0, "{m}");
    assert!(sample(m, "sohoa_drop_to_signed_seconds_sum") > 0.0);
    assert!(sample(m, "sohoa_ocr_page_seconds_count") >= 1.0, "{m}");
    assert_eq!(sample(m, "sohoa_sign_seconds_count"), 1.0, "{m}");
    // the broken file, and again once the test re-queued it (if the service got to it yet)
    assert!(
        sample(m, "sohoa_failures_total{reason=\"unreadable\"}") >= 1.0,
        "{m}"
    );
    assert!(
        sample(
            m,
            "sohoa_http_request_seconds_count{route=\"/api/components/{id}\",method=\"GET\",status=\"200\"}"
        ) >= 1.0,
        "{m}"
    );
    assert!(
        sample(
            m,
            "sohoa_http_request_seconds_count{route=\"/api/components/{id}/pages/{page}\",method=\"GET\",status=\"400\"}"
        ) >= 1.0,
        "{m}"
    );
    assert_eq!(sample(m, "sohoa_batches_in_progress"), 0.0);
    assert!(m.trim_end().ends_with("# EOF"), "not OpenMetrics: {m}");

    // the log: JSON lines, each event inside its batch's span (file, unit, SHA-256)
    let log = std::fs::read_to_string(s.dir.path().join("serve.log")).unwrap();
    let events: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let event = |message: &str| {
        events
            .iter()
            .find(|e| {
                e["fields"]["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with(message))
            })
            .unwrap_or_else(|| panic!("no {message:?} in {log}"))
    };
    let paper = event("paper signed and stored");
    assert_eq!(paper["level"], "INFO");
    assert_eq!(paper["spans"][0]["name"], "batch");
    assert_eq!(paper["spans"][0]["file"], format!("{UNIT}/cccd.png"));
    assert_eq!(paper["spans"][0]["unit"], UNIT);
    assert_eq!(paper["spans"][0]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(paper["span"]["name"], "paper");
    assert_eq!(paper["span"]["type"], "citizen_id");
    assert_eq!(paper["fields"]["sha256"].as_str().unwrap().len(), 64);
    let failed = event("batch FAILED: moved to failed/");
    assert_eq!(failed["level"], "ERROR");
    assert_eq!(failed["span"]["file"], format!("{UNIT}/broken.jpg"));
    assert_eq!(failed["fields"]["kind"], "unreadable");
    assert!(event("batch stored")["fields"]["drop_to_signed_seconds"].as_f64() > Some(0.0));
}

/// schemathesis (PyPI) against the live server, as the administrator, from its own
/// description: no 5xx, every status and media type documented, every 2xx JSON body valid
/// against its schema. Bounded (10 examples per operation, a fixed seed unless
/// SOHOA_SCHEMATHESIS_SEED says otherwise, so a failure replays).
#[test]
fn the_live_api_keeps_its_openapi_description() {
    let s = start();
    let seed = std::env::var("SOHOA_SCHEMATHESIS_SEED").unwrap_or_else(|_| "20261206".into());
    let o = Command::new(venv_bin("schemathesis"))
        .args(["--no-color", "run", &format!("{}/api/openapi.json", s.base)])
        .args(["-H", &format!("Authorization: Bearer {}", token("root"))])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
            "--max-examples",
            "10",
            "--seed",
            &seed,
            "--workers",
            "1",
            "--request-timeout",
            "60",
        ])
        .output()
        .expect("schemathesis (run scripts/setup.sh)");
    let out = String::from_utf8_lossy(&o.stdout);
    let line = |what: &str| {
        out.lines()
            .find(|l| l.contains(what))
            .unwrap_or("")
            .trim()
            .to_string()
    };
    eprintln!(
        "schemathesis (seed {seed}): {}; {}",
        line("Tested:"),
        line(" generated, ")
    );
    assert!(
        o.status.success(),
        "schemathesis found problems:\n{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // every described operation was exercised (but the description itself, which
    // schemathesis leaves out as the schema it read)
    let described = sohoa_openapi_operations(&s);
    assert!(
        line("Tested:").ends_with(&(described - 1).to_string()),
        "{described} operations described: {out}"
    );
}

/// How many operations the live server describes.
fn sohoa_openapi_operations(s: &Server) -> usize {
    let (_, d) = call(s, "GET", "/api/openapi.json", None, None);
    d["paths"]
        .as_object()
        .map(|p| {
            p.values()
                .map(|ops| ops.as_object().map_or(0, |o| o.len()))
                .sum()
        })
        .unwrap_or(0)
}
