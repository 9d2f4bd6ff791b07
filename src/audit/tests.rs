//! Edge `audit`: the chain check finds an edited, a deleted and a reordered entry, and names the
//! first broken link.

use super::*;
use serde_json::json;

fn log(n: u64) -> Vec<AuditEntry> {
    let mut out: Vec<AuditEntry> = Vec::new();
    for i in 0..n {
        let e = next_entry(
            out.last(),
            format!("2026-11-22T08:{:02}:00+07:00", i),
            "canbo.an",
            if i % 2 == 0 {
                Action::Ingest
            } else {
                Action::Reuse
            },
            &format!("000.00.10.H59-221122-{:04}", i + 1),
            &json!({"component": i, "note": "tái sử dụng"}),
        );
        out.push(e);
    }
    out
}

#[test]
fn an_untouched_log_verifies_and_reports_its_head() {
    let l = log(5);
    let r = verify(&l);
    assert!(r.intact(), "{r:?}");
    assert_eq!(r.entries, 5);
    assert_eq!(r.head.as_deref(), Some(l[4].hash.as_str()));
    assert_eq!(l[0].prev_hash, GENESIS);
    assert!(verify(&[]).intact());
}

#[test]
fn an_edited_entry_is_named() {
    let mut l = log(5);
    l[2].actor = "someone.else".into();
    let r = verify(&l);
    assert_eq!(r.first_break, Some(Break::Edited { seq: 3 }));
    // re-hashing the edited entry does not help: the next link breaks instead
    l[2].hash = entry_hash(&l[2]);
    let r = verify(&l);
    assert_eq!(
        r.first_break,
        Some(Break::Reordered {
            position: 4,
            seq: 4
        })
    );
    assert!(r.first_break.unwrap().to_string().contains("entry 4"));
}

#[test]
fn a_deleted_entry_is_named() {
    let mut l = log(6);
    l.remove(3);
    let r = verify(&l);
    assert_eq!(
        r.first_break,
        Some(Break::Deleted {
            after_seq: 3,
            next_seq: 5
        })
    );
    assert!(r
        .first_break
        .unwrap()
        .to_string()
        .contains("entries 4..4 are missing"));
    // deleting the first entry is caught too
    let mut l = log(3);
    l.remove(0);
    assert_eq!(verify(&l).first_break, Some(Break::BadStart { seq: 2 }));
}

#[test]
fn a_reordered_entry_is_named() {
    let mut l = log(6);
    l.swap(2, 3);
    // stored positions 3 and 4 hold entries 4 and 3: the first break is at position 3
    let r = verify(&l);
    assert_eq!(
        r.first_break,
        Some(Break::Reordered {
            position: 3,
            seq: 4
        })
    );
    assert!(r.first_break.unwrap().to_string().contains("out of order"));
    // a renumbered, re-hashed reorder still breaks the prev-hash links
    let mut l = log(4);
    l.swap(1, 2);
    for (i, e) in l.iter_mut().enumerate() {
        e.seq = i as u64 + 1;
        e.hash = entry_hash(e);
    }
    let r = verify(&l);
    assert_eq!(
        r.first_break,
        Some(Break::Reordered {
            position: 2,
            seq: 2
        })
    );
}

#[test]
fn the_hash_covers_every_field_and_is_unambiguous() {
    let l = log(1);
    let base = &l[0];
    let mut variants = Vec::new();
    for f in 0..7 {
        let mut e = base.clone();
        match f {
            0 => e.seq = 2,
            1 => e.time.push('Z'),
            2 => e.actor.push('x'),
            3 => e.action = Action::Override,
            4 => e.subject.push('1'),
            5 => e.details = "{}".into(),
            _ => e.prev_hash = "1".repeat(64),
        }
        variants.push(entry_hash(&e));
    }
    for v in &variants {
        assert_ne!(v, &base.hash);
    }
    // moving a character across a field boundary changes the hash
    let mut a = base.clone();
    a.actor = "ab".into();
    a.subject = "c".into();
    let mut b = base.clone();
    b.actor = "a".into();
    b.subject = "bc".into();
    assert_ne!(entry_hash(&a), entry_hash(&b));
}

/// The log rebuilt from its own entries with `edit` applied to entry `seq` and every hash
/// recomputed: what someone with write access to the database can do.
fn rewritten(l: &[AuditEntry], seq: u64, edit: impl Fn(&mut AuditEntry)) -> Vec<AuditEntry> {
    let mut out: Vec<AuditEntry> = Vec::new();
    for e in l {
        let mut e = e.clone();
        if e.seq == seq {
            edit(&mut e);
        }
        e.prev_hash = out.last().map_or(GENESIS.to_string(), |p| p.hash.clone());
        e.hash = entry_hash(&e);
        out.push(e);
    }
    out
}

#[test]
fn a_checkpoint_catches_deleted_newest_entries_and_a_rehashed_rewrite() {
    let l = log(30);
    let cp = Checkpoint::of(&l[24], "2026-11-22T09:00:00+07:00".into(), Reason::Interval);
    let bytes = cp.to_bytes();
    assert_eq!(Checkpoint::parse(&bytes).unwrap(), cp);
    let name = cp.record_name(&bytes);
    assert!(
        name.starts_with("000000000025-") && name.ends_with(".json"),
        "{name}"
    );
    assert_eq!(compare(&cp, &l), Finding::Holds);

    // the last 10 deleted: the chain still verifies, the checkpoint does not hold
    let cut = &l[..20];
    assert!(verify(cut).intact());
    let f = compare(&cp, cut);
    assert_eq!(f, Finding::Truncated { log_ends_at: 20 });
    let words = explain(&name, &cp, &f);
    assert!(
        words.contains(&name) && words.contains("entries 21..25 were deleted"),
        "{words}"
    );

    // entry 3 edited and the whole chain re-hashed: intact, but contradicts the checkpoint
    let re = rewritten(&l, 3, |e| e.actor = "someone.else".into());
    assert!(verify(&re).intact());
    let f = compare(&cp, &re);
    assert_eq!(
        f,
        Finding::Rewritten {
            found: re[24].hash.clone()
        }
    );
    assert!(explain(&name, &cp, &f).contains("rewritten"));
    // entries after the checkpoint are not covered by it
    let late = rewritten(&l, 27, |e| e.subject = "x".into());
    assert_eq!(compare(&cp, &late), Finding::Holds);
}

#[test]
fn a_damaged_checkpoint_is_refused_with_the_reason() {
    let l = log(2);
    let cp = Checkpoint::of(&l[1], "2026-11-22T09:00:00+07:00".into(), Reason::Command);
    let good = String::from_utf8(cp.to_bytes()).unwrap();
    for (bad, says) in [
        (good.replace(checkpoint::FORMAT, "other/1"), "format"),
        (good.replace(&cp.head, "zz"), "head"),
        (good.replace("\"seq\": 2", "\"seq\": 0"), "seq"),
        (good.replace('}', ", \"extra\": 1}"), "extra"),
        ("{".repeat(70_000), "bytes"),
        ("not json".into(), "not a checkpoint"),
    ] {
        let e = Checkpoint::parse(bad.as_bytes()).unwrap_err();
        assert!(e.contains(says), "{says}: {e}");
    }
}
