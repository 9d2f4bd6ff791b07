//! Webhooks, unit tests: the signature and its check, the backoff, event ids, and a dispatch
//! pass against the real SQLite index with a sender that fails on demand (the HTTP attempt
//! itself is tested against a real receiver in tests/integration/webhooks.rs).

use std::sync::Mutex;
use std::time::Duration;

use super::*;
use crate::index::{DeliveryState, Outbox, SqliteIndex};

#[test]
fn the_signature_covers_time_and_body_and_only_the_secret_makes_it() {
    let h = signature::header(b"0123456789abcdef", 1_700_000_000, b"{\"a\":1}");
    assert!(h.starts_with("t=1700000000,v1="), "{h}");
    assert_eq!(
        signature::check(b"0123456789abcdef", &h, b"{\"a\":1}"),
        Some(1_700_000_000)
    );
    assert_eq!(
        signature::check(b"0123456789abcdef", &h, b"{\"a\":2}"),
        None
    );
    assert_eq!(
        signature::check(b"another secret!!", &h, b"{\"a\":1}"),
        None
    );
    let replayed = h.replace("t=1700000000", "t=1800000000");
    assert_eq!(
        signature::check(b"0123456789abcdef", &replayed, b"{\"a\":1}"),
        None
    );
}

#[test]
fn the_kinds_configuration_accepts_are_the_kinds_sent() {
    assert_eq!(
        KINDS,
        [
            event::PAPER_STORED,
            event::DOSSIER_COMPLETE,
            event::FILE_FAILED
        ]
    );
}

#[test]
fn backoff_doubles_to_its_cap() {
    let (b, cap) = (Duration::from_secs(5), Duration::from_secs(60));
    let d: Vec<u64> = (1..=6)
        .map(|n| schedule::delay(n, b, cap).as_secs())
        .collect();
    assert_eq!(d, [5, 10, 20, 40, 60, 60]);
    assert_eq!(schedule::delay(200, b, cap), cap);
}

fn paper(id: i64, dossier: Option<&str>) -> crate::ingest::StoredPaper {
    crate::ingest::StoredPaper {
        component_id: id,
        already_stored: false,
        dossier_code: dossier.map(String::from),
        type_code: "citizen_id".into(),
        confidence: 0.9,
        needs_review: false,
        pages: "a.png p1".into(),
        blank_pages: Vec::new(),
        owner_ids: vec!["001099012345".into()],
        valid_until: None,
        source_sha256: "ab".repeat(32),
        signed_sha256: Some("cd".repeat(32)),
        rescan_of: None,
        warnings: Vec::new(),
        sign_seconds: Some(0.1),
    }
}

#[test]
fn the_same_batch_announced_twice_gives_the_same_ids() {
    let ps = [paper(1, Some("D1")), paper(2, Some("D1")), paper(3, None)];
    let a = event::batch_stored("U", "U/a.png", &ps, "2026-12-06T10:00:00+07:00");
    let b = event::batch_stored("U", "U/a.png", &ps, "2026-12-06T10:05:00+07:00");
    assert_eq!(a.len(), 4, "three papers and one dossier");
    let ids =
        |v: &[crate::index::NewEvent]| v.iter().map(|e| e.event_id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&a), ids(&b));
    assert_eq!(a[3].kind, event::DOSSIER_COMPLETE);
    let body: serde_json::Value = serde_json::from_str(&a[0].payload).unwrap();
    assert_eq!(body["id"], a[0].event_id.as_str());
    assert_eq!(body["data"]["component_id"], 1);
}

/// A request's URL and headers.
type Sent = (String, Vec<(String, String)>);

/// Fails the first `fail` posts, then answers 2xx; records what it was sent.
struct Flaky {
    fail: Mutex<u32>,
    sent: Mutex<Vec<Sent>>,
}

impl Sender for Flaky {
    fn post(
        &self,
        url: &str,
        headers: &[(&str, String)],
        _body: &[u8],
        _timeout: Duration,
    ) -> Result<(), String> {
        self.sent.lock().unwrap().push((
            url.to_string(),
            headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        ));
        let mut f = self.fail.lock().unwrap();
        if *f > 0 {
            *f -= 1;
            return Err("answered 500".into());
        }
        Ok(())
    }
}

fn hook(url: &str, max_attempts: u32) -> Hook {
    Hook {
        url: url.into(),
        events: Vec::new(),
        secret: b"0123456789abcdef".to_vec(),
        max_attempts,
        timeout: Duration::from_secs(1),
        backoff: Duration::from_secs(10),
        max_backoff: Duration::from_secs(100),
    }
}

#[test]
fn a_failed_delivery_waits_its_backoff_and_the_last_failure_is_a_dead_letter() {
    let mut ix = SqliteIndex::open_in_memory().unwrap();
    let hooks = [hook("http://127.0.0.1:9/a", 2)];
    let at = "2026-12-06T10:00:00Z";
    // the first pass sets the receiver's cursor: nothing from before
    let pass = dispatch_once(&mut ix, &hooks, &HttpSender, 1000, at).unwrap();
    assert_eq!(pass, Pass::default());
    let evs = event::batch_stored("U", "U/a.png", &[paper(1, None), paper(2, None)], at);
    ix.enqueue(&evs).unwrap();
    ix.enqueue(&evs).unwrap(); // a re-run: the same ids, nothing new
    let flaky = Flaky {
        fail: Mutex::new(3),
        sent: Mutex::new(Vec::new()),
    };
    let p = dispatch_once(&mut ix, &hooks, &flaky, 1000, at).unwrap();
    assert_eq!((p.queued, p.failed, p.delivered), (2, 2, 0));
    // not due before its backoff
    let p = dispatch_once(&mut ix, &hooks, &flaky, 1005, at).unwrap();
    assert_eq!(p, Pass::default());
    let p = dispatch_once(&mut ix, &hooks, &flaky, 1010, at).unwrap();
    assert_eq!((p.dead, p.delivered), (1, 1), "{p:?}");
    let dead = ix
        .webhook_deliveries(Some(DeliveryState::Dead), 10)
        .unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].last_error.as_deref(), Some("answered 500"));
    assert_eq!(dead[0].attempts, 2);
    // the administrator retries it: delivered
    assert!(ix
        .webhook_retry(&dead[0].event_id, &dead[0].url, 2000)
        .unwrap());
    let p = dispatch_once(&mut ix, &hooks, &flaky, 2000, at).unwrap();
    assert_eq!(p.delivered, 1);
    assert!(ix
        .webhook_deliveries(Some(DeliveryState::Dead), 10)
        .unwrap()
        .is_empty());
    // every attempt of an event carried its id as the idempotency key, and a signature
    let sent = flaky.sent.lock().unwrap();
    assert_eq!(sent.len(), 5);
    for (_, headers) in sent.iter() {
        let key = headers
            .iter()
            .find(|(k, _)| k == "Idempotency-Key")
            .unwrap();
        assert!(evs.iter().any(|e| e.event_id == key.1));
        assert!(headers
            .iter()
            .any(|(k, v)| k == "X-Sohoa-Signature" && v.starts_with("t=")));
    }
}
