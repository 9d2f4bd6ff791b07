//! Desk floor: the use-cases on a real SQLite index and blob store, with a fixed clock —
//! find's validation and scope, the badge (a stored file that cannot be read is "could not
//! check", not "invalid"), the checked copy-out and its audit entry, reuse's "today" and the
//! report months on the desk's calendar, the review.

use std::time::SystemTime;

use super::*;
use crate::index::tests::{audit, ids, paper};
use crate::index::{AuditTrail, Decisions, Papers, Query, ReviewState, SqliteIndex};
use crate::store::LocalStore;
use crate::time::{parse_rfc3339, Clock};

pub(super) const HANOI: i32 = 420;

pub(super) fn at(s: &str) -> SystemTime {
    SystemTime::UNIX_EPOCH + parse_rfc3339(s).expect("test time")
}

/// A store, an in-memory index, an empty trust policy.
pub(super) struct Rig {
    pub(super) _dir: tempfile::TempDir,
    pub(super) store: LocalStore,
    pub(super) index: SqliteIndex,
    pub(super) verify: VerifyOptions,
}

impl Rig {
    pub(super) fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        Self {
            store: LocalStore::open(dir.path().join("store")).expect("store"),
            index: SqliteIndex::open_in_memory().expect("index"),
            verify: VerifyOptions::new(Default::default(), SystemTime::UNIX_EPOCH),
            _dir: dir,
        }
    }

    pub(super) fn desk<'a>(&'a mut self, clock: &'a Clock, actor: &'a Actor) -> Desk<'a> {
        Desk {
            store: &self.store,
            index: &mut self.index,
            verify: &self.verify,
            clock,
            actor,
        }
    }

    /// Bit rot: the stored blob `sha` now holds `bytes` (its address no longer matches);
    /// returns its path.
    pub(super) fn rot(&self, sha: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = self.store.blob_path(&sha.parse().expect("id"));
        let mut perms = std::fs::metadata(&path).expect("meta").permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        std::fs::set_permissions(&path, perms).expect("chmod");
        std::fs::write(&path, bytes).expect("damage");
        path
    }

    /// A paper whose signed file is `bytes` (stored).
    pub(super) fn paper_with_file(
        &mut self,
        unit: &str,
        bytes: &[u8],
        valid_until: Option<&str>,
    ) -> i64 {
        let put = self.store.put_bytes(bytes).expect("put");
        let mut p = paper("citizen_id", "001085012345", "CĂN CƯỚC", valid_until);
        p.unit_code = unit.into();
        p.dossier_code = None;
        p.source_sha256 = put.id.as_str().to_string();
        p.signed_sha256 = Some(put.id.as_str().to_string());
        self.index
            .add_component(&p, &audit(crate::audit::Action::Store, ""))
            .expect("add")
            .0
    }
}

pub(super) fn officer_of(unit: &str) -> Actor {
    Actor {
        name: "canbo.an".into(),
        units: Units::Only(vec![unit.into()]),
    }
}

#[test]
fn find_needs_a_criterion_and_a_real_date_and_keeps_to_the_actors_units() {
    let mut rig = Rig::new();
    let mine = rig.paper_with_file("000.00.10.H59", b"one", None);
    let theirs = rig.paper_with_file("000.00.11.H59", b"two", None);
    let clock = Clock::fixed(at("2026-12-03T08:00:00Z"), HANOI);
    let officer = officer_of("000.00.10.H59");
    let mut desk = rig.desk(&clock, &officer);
    assert!(matches!(
        desk.find(&FindRequest::default()),
        Err(DeskError::NothingToFind)
    ));
    let bad_date = FindRequest {
        query: Query {
            person_id: Some("001085012345".into()),
            valid_on: Some("03/12/2026".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    assert!(matches!(
        desk.find(&bad_date),
        Err(DeskError::BadQuery {
            what: "valid on",
            ..
        })
    ));
    let by_person = FindRequest {
        query: Query {
            person_id: Some("001085012345".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let found: Vec<i64> = desk
        .find(&by_person)
        .expect("find")
        .iter()
        .map(|f| f.component.id)
        .collect();
    assert_eq!(found, [mine]);
    assert!(matches!(
        desk.component(theirs),
        Err(DeskError::NotYourUnit { .. })
    ));
    assert!(matches!(
        desk.component(9999),
        Err(DeskError::NotFound { id: 9999 })
    ));
    let mut other_unit = by_person.clone();
    other_unit.query.unit_code = Some("000.00.11.H59".into());
    assert!(matches!(
        desk.find(&other_unit),
        Err(DeskError::NotYourUnit { .. })
    ));
}

#[test]
fn a_stored_file_that_cannot_be_read_as_a_pdf_could_not_be_checked_it_is_not_invalid() {
    let mut rig = Rig::new();
    let garbage = rig.paper_with_file("000.00.10.H59", b"not a PDF at all", None);
    let clock = Clock::fixed(at("2026-12-03T08:00:00Z"), HANOI);
    let cli = Actor::all_units("cli");
    let mut desk = rig.desk(&clock, &cli);
    let c = desk.component(garbage).expect("component");
    let badge = desk.badge(&c);
    assert!(
        matches!(&badge, Badge::CouldNotCheck { reason } if reason.contains(&format!("paper #{garbage}"))),
        "{badge:?}"
    );
    assert_eq!(badge.verifies(), None);
    // the same through find with badges, which logs the check
    let found = desk
        .find(&FindRequest {
            query: Query {
                person_id: Some("001085012345".into()),
                ..Default::default()
            },
            with_badges: true,
        })
        .expect("find");
    assert_eq!(found[0].signature, Some(badge));
    let log = desk.index.audit_log().expect("log");
    assert_eq!(log.last().map(|e| e.subject.as_str()), Some("find"));
    // an index row whose file is not in the store
    let mut p = paper("decision", "001085012345", "QUYẾT ĐỊNH", None);
    p.signed_sha256 = Some(format!("{:064x}", 42));
    let (gone, _) = desk
        .index
        .add_component(&p, &audit(crate::audit::Action::Store, ""))
        .expect("add");
    let c = desk.component(gone).expect("component");
    assert_eq!(desk.badge(&c), Badge::Missing);
}

#[test]
fn a_copy_out_is_checked_against_its_address_and_logged_and_a_damaged_file_gives_nothing() {
    let mut rig = Rig::new();
    let id = rig.paper_with_file("000.00.10.H59", b"%PDF-1.7 the signed paper", None);
    let clock = Clock::fixed(at("2026-12-03T08:00:00Z"), HANOI);
    let cli = Actor::all_units("canbo.binh");
    let mut desk = rig.desk(&clock, &cli);
    let mut out = Vec::new();
    let copied = desk
        .copy_out(id, Which::Signed, &mut out, "/tmp/copy.pdf", |_| Ok(()))
        .expect("copy");
    assert_eq!(out, b"%PDF-1.7 the signed paper");
    assert_eq!(copied.bytes, out.len() as u64);
    let log = desk.index.audit_log().expect("log");
    let last = log.last().expect("an entry");
    assert_eq!(last.action, crate::audit::Action::Download);
    assert_eq!(last.actor, "canbo.binh");
    assert_eq!(last.time, "2026-12-03T08:00:00Z");
    assert!(last.details.contains("/tmp/copy.pdf"), "{}", last.details);
    let entries = log.len();
    // bit rot in the store: refused, and no download is logged
    let sha = desk
        .component(id)
        .expect("c")
        .signed_sha256
        .expect("signed");
    let path = rig.rot(&sha, b"%PDF-1.7 the signed papeR");
    let mut desk = rig.desk(&clock, &cli);
    let e = desk
        .copy_out(id, Which::Signed, &mut Vec::new(), "x", |_| Ok(()))
        .unwrap_err();
    assert!(matches!(e, DeskError::Damaged { .. }), "{e}");
    assert_eq!(desk.index.audit_log().expect("log").len(), entries);
    // a copy the caller could not put in place is not logged either
    std::fs::write(&path, b"%PDF-1.7 the signed paper").expect("repair");
    let mut desk = rig.desk(&clock, &cli);
    let e = desk
        .copy_out(id, Which::Signed, Vec::new(), "y", |_| {
            Err(std::io::Error::other("exists"))
        })
        .unwrap_err();
    assert!(matches!(e, DeskError::Write { .. }), "{e}");
    assert_eq!(desk.index.audit_log().expect("log").len(), entries);
}

#[test]
fn reuse_judges_expiry_by_the_desks_calendar_day() {
    let mut rig = Rig::new();
    // valid until 30 November; at 17:30 UTC on the 30th it is already 1 December in Hà Nội
    let id = rig.paper_with_file("000.00.10.H59", b"x", Some("2026-11-30"));
    let t = at("2026-11-30T17:30:00Z");
    let cli = Actor::all_units("cli");
    let problems = |rig: &mut Rig, offset: i32| -> Vec<String> {
        let clock = Clock::fixed(t, offset);
        match rig
            .desk(&clock, &cli)
            .reuse(id, "000.00.10.H59-261201-0001", None)
        {
            Err(DeskError::Reuse(reuse::ReuseError::Refused { problems, .. })) => problems,
            other => panic!("expected a refusal (the file is no PDF), got {other:?}"),
        }
    };
    let vn = problems(&mut rig, HANOI);
    assert!(vn.iter().any(|p| p == "it expired on 2026-11-30"), "{vn:?}");
    let utc = problems(&mut rig, 0);
    assert!(!utc.iter().any(|p| p.contains("expired")), "{utc:?}");
    // with a reason it goes through as an override, logged with the desk's clock
    let clock = Clock::fixed(t, HANOI);
    let r = rig
        .desk(&clock, &cli)
        .reuse(
            id,
            "000.00.10.H59-261201-0001",
            Some("bản gốc đã đối chiếu"),
        )
        .expect("override");
    assert_eq!(r.entry.action, crate::audit::Action::Override);
    assert_eq!(r.entry.time, "2026-11-30T17:30:00Z");
}

#[test]
fn the_report_gives_each_units_month_its_counts_and_rates_and_the_actors_units_only() {
    let mut rig = Rig::new();
    let ix = &mut rig.index;
    let mut a = paper("citizen_id", "001085012345", "CĂN CƯỚC", None);
    a.created_at = "2026-11-03T02:00:00Z".into();
    let mut b = paper("decision", "001085012345", "QUYẾT ĐỊNH", None);
    b.created_at = "2026-11-03T02:00:00Z".into();
    b.signature = None;
    b.signed_sha256 = None;
    let (card, _) = ix
        .add_component(&a, &audit(crate::audit::Action::Store, ""))
        .unwrap();
    ix.add_component(&b, &audit(crate::audit::Action::Store, ""))
        .unwrap();
    // a new dossier of the same unit reuses the card
    let mut r = audit(crate::audit::Action::Reuse, "");
    r.time = "2026-11-20T02:00:00Z".into();
    ix.record_reuse(
        card,
        "000.00.10.H59-261120-0002",
        Some("000.00.10.H59"),
        None,
        &r,
    )
    .unwrap();
    let clock = Clock::fixed(at("2026-12-03T08:00:00Z"), 0);
    let all = Actor::all_units("auditor");
    let mut desk = rig.desk(&clock, &all);
    let rows = desk.report(None, None).unwrap();
    let nov: Vec<&report::UnitMonth> = rows.iter().filter(|r| r.month == "2026-11").collect();
    assert_eq!(nov.len(), 1, "{rows:#?}");
    let n = nov[0];
    assert_eq!(n.unit, "000.00.10.H59");
    assert_eq!(n.components_digitized, 2);
    assert_eq!(n.components_signed, 1);
    assert_eq!(n.dossiers_reusing, 1);
    assert_eq!(n.reuse_events, 1);
    assert_eq!(n.signing_rate, Some(0.5));
    // the paper's dossier was received in the month of its receipt time; the reusing one now
    let received: u64 = rows.iter().map(|r| r.dossiers_received).sum();
    assert_eq!(received, 2, "{rows:#?}");
    // CSV and the table from the same rows
    let csv = report::csv(&rows);
    assert!(csv.starts_with("don_vi/unit,thang/month,"));
    assert!(csv.contains("000.00.10.H59,2026-11,"), "{csv}");
    assert_eq!(csv.lines().count(), rows.len() + 1);
    let table = report::table(&rows);
    assert_eq!(table.lines().count(), rows.len() + 1);
    assert!(table.contains("50.0%"), "{table}");
    // filters, a bad month, and an officer of another unit sees nothing
    assert!(desk.report(Some("000.00.11.H59"), None).unwrap().is_empty());
    assert!(matches!(
        desk.report(None, Some("2026-13")),
        Err(DeskError::BadQuery { what: "month", .. })
    ));
    let other = officer_of("000.00.11.H59");
    assert!(rig
        .desk(&clock, &other)
        .report(None, None)
        .unwrap()
        .is_empty());
}

#[test]
fn report_months_are_the_desks_calendar_months_not_utc() {
    let mut rig = Rig::new();
    // 06:30 on 1 December in Ha Noi is still 30 November in UTC
    let mut a = paper("citizen_id", "001085012345", "CĂN CƯỚC", None);
    a.created_at = "2026-11-30T23:30:00Z".into();
    let (card, _) = rig
        .index
        .add_component(&a, &audit(crate::audit::Action::Store, ""))
        .unwrap();
    let mut r = audit(crate::audit::Action::Reuse, "");
    r.time = "2026-11-30T17:05:00Z".into(); // 00:05 on 1 December in Ha Noi
    rig.index
        .record_reuse(
            card,
            "000.00.10.H59-261201-0001",
            Some("000.00.10.H59"),
            None,
            &r,
        )
        .unwrap();
    let all = Actor::all_units("auditor");
    let mut months = |offset: i32| -> Vec<(String, u64, u64, u64)> {
        let clock = Clock::fixed(at("2026-12-03T08:00:00Z"), offset);
        let mut rows: Vec<_> = rig
            .desk(&clock, &all)
            .report(None, None)
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r.month.clone(),
                    r.components_digitized,
                    r.dossiers_received,
                    r.reuse_events,
                )
            })
            .collect();
        rows.sort();
        rows
    };
    assert_eq!(months(420), vec![("2026-12".to_string(), 1, 2, 1)]);
    assert_eq!(months(0), vec![("2026-11".to_string(), 1, 2, 1)]);
    // west of UTC the paper falls back into November too
    assert!(months(-60).iter().all(|m| m.0 == "2026-11"));
}

#[test]
fn a_review_corrects_type_and_fields_recomputes_owners_and_is_logged() {
    use crate::classify::types::DocTypes;
    use review::{FieldInput, ReviewError, ReviewRequest};
    let mut rig = Rig::new();
    let mut p = paper(
        "other",
        "008065771935",
        "QUYẾT ĐỊNH về việc cấp giấy phép",
        None,
    );
    p.review_state = ReviewState::NeedsReview;
    p.confidence = 0.41;
    p.unit_code = "000.00.10.H59".into();
    p.fields_json = serde_json::to_string(&[crate::classify::fields::Field {
        kind: crate::classify::fields::FieldKind::PersonId,
        value: "008065771935".into(),
        raw: "008 065 771 935".into(),
        page: 0,
        bbox: Some([1.0, 2.0, 3.0, 4.0]),
        check: crate::classify::fields::Check::Valid,
    }])
    .unwrap();
    let (id, _) = rig
        .index
        .add_component(&p, &audit(crate::audit::Action::Store, ""))
        .unwrap();
    let mut q = p.clone();
    q.source_sha256 = format!("{:064x}", 7);
    q.unit_code = "000.00.11.H59".into();
    q.dossier_code = None;
    let (elsewhere, _) = rig
        .index
        .add_component(&q, &audit(crate::audit::Action::Store, ""))
        .unwrap();
    let clock = Clock::fixed(at("2026-11-22T03:00:00Z"), HANOI);
    let all = Actor::all_units("canbo.an");
    let officer = officer_of("000.00.10.H59");
    // the queue: papers needing review, of the actor's units only
    let queue = |rig: &mut Rig, who: &Actor| -> Vec<i64> {
        rig.desk(&clock, who)
            .review_queue(None, 0)
            .unwrap()
            .iter()
            .map(|(c, _)| c.id)
            .collect()
    };
    assert_eq!(queue(&mut rig, &all), [id, elsewhere]);
    assert_eq!(queue(&mut rig, &officer), [id]);

    let types = DocTypes::default_set();
    let mut desk = rig.desk(&clock, &officer);
    // a mistyped ID number is refused with the reason, and nothing changes
    let bad = ReviewRequest {
        type_code: "decision".into(),
        fields: vec![FieldInput {
            kind: "person_id".into(),
            value: "99906577193".into(),
        }],
    };
    let e = desk.review(id, &bad, &types).unwrap_err();
    assert!(
        matches!(e, DeskError::Review(ReviewError::InvalidValue { .. })),
        "{e}"
    );
    assert!(e.to_string().contains("12"), "{e}");
    let unknown = ReviewRequest {
        type_code: "passport".into(),
        fields: vec![],
    };
    assert!(matches!(
        desk.review(id, &unknown, &types).unwrap_err(),
        DeskError::Review(ReviewError::UnknownType { .. })
    ));
    // another unit's paper is not the officer's to review
    assert!(matches!(
        desk.review(elsewhere, &unknown, &types).unwrap_err(),
        DeskError::NotYourUnit { .. }
    ));
    assert_eq!(desk.index.audit_log().unwrap().len(), 2);

    // the officer: it is a decision, the owner is another person, and an issue date is added
    let req = ReviewRequest {
        type_code: "decision".into(),
        fields: vec![
            FieldInput {
                kind: "person_id".into(),
                value: "008 166 202 375".into(),
            },
            FieldInput {
                kind: "issue_date".into(),
                value: "30/05/2022".into(),
            },
        ],
    };
    let (r, entry) = desk.review(id, &req, &types).unwrap();
    assert_eq!(r.state, ReviewState::Corrected);
    assert_eq!(entry.action, crate::audit::Action::Review);
    assert_eq!(entry.actor, "canbo.an");
    assert_eq!(entry.time, "2026-11-22T03:00:00Z");
    let details: serde_json::Value = serde_json::from_str(&entry.details).unwrap();
    assert_eq!(details["type_before"], "other");
    assert_eq!(details["type_after"], "decision");
    assert_eq!(details["fields_removed"][0]["value"], "008065771935");
    let ix = &mut rig.index;
    let after = ix.component(id).unwrap().unwrap();
    assert_eq!(after.type_code, "decision");
    assert_eq!(after.review_state, ReviewState::Corrected);
    assert_eq!(after.owner_ids, ["008166202375"]);
    assert_eq!(after.issue_date.as_deref(), Some("2022-05-30"));
    let by_new_owner = ix
        .find(&Query {
            person_id: Some("008166202375".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(ids(&by_new_owner), [id]);
    let by_old_owner = ix
        .find(&Query {
            person_id: Some("008065771935".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(ids(&by_old_owner), [elsewhere]);
    assert_eq!(ids(&ix.review_queue(&[], 0).unwrap()), [elsewhere]);
    // the reviewed paper is a training example of its final type
    let ex = ix.reviewed_examples().unwrap();
    assert_eq!(ex.len(), 1);
    assert_eq!(ex[0].0, "decision");
    assert!(ex[0].1.contains("QUYẾT ĐỊNH"));

    // confirming what is there changes nothing but the state; kept fields keep their box
    let same = ReviewRequest {
        type_code: "other".into(),
        fields: vec![FieldInput {
            kind: "person_id".into(),
            value: "008065771935".into(),
        }],
    };
    let (r, _) = rig
        .desk(&clock, &all)
        .review(elsewhere, &same, &types)
        .unwrap();
    assert_eq!(r.state, ReviewState::Confirmed);
    assert!(
        r.fields_json.contains("008 065 771 935"),
        "{}",
        r.fields_json
    );
    let chain = crate::audit::verify(&rig.index.audit_log().unwrap());
    assert!(chain.intact() && chain.entries == 4, "{chain:?}");
}
