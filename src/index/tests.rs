//! Stage `store`, index: finding papers by person, tax code, text without diacritics, dossier,
//! type and validity; changes and their audit entries in one transaction; the schema version.
//! Each test runs on SQLite and on PostgreSQL (the server of `scripts/test-servers.sh`, a new
//! database per test): the same calls must give the same papers on both.

use serde_json::json;

use super::sql::Backend;
use super::*;
use crate::audit::{verify, Break};

/// An index under test, with a door to its raw SQL (to tamper, to edit the schema).
pub(crate) trait Raw: Index {
    fn raw(&mut self, sql: &str);
    fn version(&mut self) -> i64;
}

impl<B: Backend> Raw for SqlIndex<B> {
    fn raw(&mut self, sql: &str) {
        self.db.conn().batch(sql).expect("raw SQL");
    }

    fn version(&mut self) -> i64 {
        self.schema_version().expect("schema version")
    }
}

/// `#[test]`s running each named body (`fn body(ix: impl Raw)`) on a fresh SQLite index in
/// memory (module `sqlite`) and on a fresh PostgreSQL database (module `postgres`; skipped
/// without a test server unless `SOHOA_REQUIRE_SERVERS=1`).
macro_rules! on_each_backend {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[test]
            fn $name() {
                super::$name(crate::index::SqliteIndex::open_in_memory().expect("index"));
            })*
        }
        mod postgres {
            $(#[test]
            fn $name() {
                if let Some(url) = crate::testing::fresh_pg_database() {
                    super::$name(crate::index::PgIndex::connect(&url).expect("index"));
                }
            })*
        }
    };
}

on_each_backend!(
    papers_are_found_by_person_type_validity_and_tax_code,
    text_search_ignores_diacritics_and_case,
    reuse_attaches_a_paper_to_another_dossier_with_its_audit_entry,
    a_failed_change_leaves_neither_rows_nor_audit_entry,
    the_audit_log_in_the_database_detects_tampering,
    near_phash_finds_every_hash_within_eleven_bits_and_none_beyond,
    likeness_candidates_come_from_shared_numbers_or_a_near_phash_of_the_same_type,
    broad_text_searches_give_the_newest_and_rare_words_are_ranked,
    the_holder_is_the_first_full_name_read_that_passed_its_check,
    a_papers_blank_backs_are_counted_with_it,
    every_role_answers_the_same_on_each_backend,
);

pub(crate) fn audit(what: Action, subject: &str) -> AuditRequest {
    AuditRequest {
        time: "2026-11-22T09:00:00+07:00".into(),
        actor: "canbo.an".into(),
        action: what,
        subject: subject.into(),
        details: json!({}),
    }
}

pub(crate) fn paper(
    type_code: &str,
    owner: &str,
    text: &str,
    valid_until: Option<&str>,
) -> NewComponent {
    NewComponent {
        unit_code: "000.00.10.H59".into(),
        dossier_code: Some("000.00.10.H59-221122-0001".into()),
        type_code: type_code.into(),
        confidence: 0.97,
        review_state: ReviewState::Auto,
        pages: 1,
        blank_pages: 0,
        source_sha256: format!("{:064x}", text.len()),
        source_page: 1,
        signed_sha256: Some(format!("{:064x}", text.len() + 1_000_000)),
        fields_json: "[]".into(),
        owner_ids: vec![owner.into()],
        tax_codes: Vec::new(),
        issue_date: Some("2022-05-30".into()),
        valid_until: valid_until.map(String::from),
        ocr_text: text.into(),
        likeness_json: None,
        rescan_of: None,
        signature: Some(SignatureInfo {
            signer_subject: "CN=Nguyễn Văn An".into(),
            cert_serial: "1A2B".into(),
            cert_issuer: "CN=CA phục vụ các cơ quan Nhà nước G2 (TEST)".into(),
            signed_at: "2026-11-22T09:00:00+07:00".into(),
            level: "B-T".into(),
        }),
        created_at: "2026-11-22T09:00:00+07:00".into(),
    }
}

fn filled<I: Raw>(mut ix: I) -> (I, i64, i64, i64) {
    let (land, _) = ix
        .add_component(
            &paper(
                "land_use_certificate",
                "008065771935",
                "GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT thửa đất số 180",
                None,
            ),
            &audit(Action::Store, ""),
        )
        .unwrap();
    let (card, _) = ix
        .add_component(
            &paper(
                "citizen_id",
                "008065771935",
                "CĂN CƯỚC CÔNG DÂN Hà Quốc Việt",
                Some("2025-09-14"),
            ),
            &audit(Action::Store, ""),
        )
        .unwrap();
    let mut other = paper(
        "citizen_id",
        "008166202375",
        "CĂN CƯỚC CÔNG DÂN Hoàng Thu Trang",
        Some("2031-05-20"),
    );
    other.tax_codes = vec!["0100109106".into()];
    other.dossier_code = Some("000.00.10.H59-221122-0002".into());
    let (wife, _) = ix.add_component(&other, &audit(Action::Store, "")).unwrap();
    (ix, land, card, wife)
}

pub(crate) fn ids(rows: &[ComponentRow]) -> Vec<i64> {
    rows.iter().map(|r| r.id).collect()
}

fn papers_are_found_by_person_type_validity_and_tax_code(ix: impl Raw) {
    let (mut ix, land, card, wife) = filled(ix);
    let q = |f: fn(&mut Query)| {
        let mut q = Query::default();
        f(&mut q);
        q
    };
    let by_person = ix
        .find(&q(|q| q.person_id = Some("008065771935".into())))
        .unwrap();
    assert_eq!(ids(&by_person), [card, land]);
    assert_eq!(by_person[0].owner_ids, ["008065771935"]);
    assert_eq!(by_person[0].signature.as_ref().unwrap().level, "B-T");
    let cards = ix
        .find(&q(|q| {
            q.person_id = Some("008065771935".into());
            q.type_code = Some("citizen_id".into());
        }))
        .unwrap();
    assert_eq!(ids(&cards), [card]);
    // the card expired on 2025-09-14: not valid on 2026-01-01; the land certificate has no expiry
    let valid = ix
        .find(&q(|q| {
            q.person_id = Some("008065771935".into());
            q.valid_on = Some("2026-01-01".into());
        }))
        .unwrap();
    assert_eq!(ids(&valid), [land]);
    let taxed = ix
        .find(&q(|q| q.tax_code = Some("0100109106".into())))
        .unwrap();
    assert_eq!(ids(&taxed), [wife]);
    assert!(ix
        .find(&q(|q| q.person_id = Some("001203004567".into())))
        .unwrap()
        .is_empty());
}

fn text_search_ignores_diacritics_and_case(ix: impl Raw) {
    let (mut ix, land, card, wife) = filled(ix);
    let mut q = Query {
        text: Some("quyen su dung dat".into()),
        ..Default::default()
    };
    let r = ix.find(&q).unwrap();
    assert_eq!(ids(&r), [land]);
    assert!(r[0].rank.is_some());
    q.text = Some("CĂN CƯỚC".into());
    let mut found = ids(&ix.find(&q).unwrap());
    found.sort();
    assert_eq!(found, [card, wife]);
    // FTS operators typed by a user are words, not syntax
    q.text = Some("dat OR \"thua\" NEAR(x)".into());
    assert!(ix.find(&q).unwrap().is_empty());
    q.text = Some("  -- ".into());
    assert!(ix.find(&q).unwrap().is_empty());
}

fn reuse_attaches_a_paper_to_another_dossier_with_its_audit_entry(ix: impl Raw) {
    let (mut ix, land, _, _) = filled(ix);
    let e = ix
        .record_reuse(
            land,
            "000.00.10.H59-221123-0007",
            Some("000.00.10.H59"),
            None,
            &audit(Action::Reuse, "component 1"),
        )
        .unwrap();
    assert_eq!(e.seq, 4);
    let in_new = ix
        .find(&Query {
            dossier_code: Some("000.00.10.H59-221123-0007".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(ids(&in_new), [land]);
    assert_eq!(in_new[0].reuses, 1);
    let err = ix
        .record_reuse(999, "x", None, None, &audit(Action::Reuse, "component 999"))
        .unwrap_err();
    assert!(err.to_string().contains("no component 999"), "{err}");
    // the failed reuse wrote no audit entry
    assert_eq!(ix.audit_log().unwrap().len(), 4);
}

fn a_failed_change_leaves_neither_rows_nor_audit_entry(ix: impl Raw) {
    let (mut ix, _, _, _) = filled(ix);
    let mut bad = paper("decision", "001203004567", "QUYẾT ĐỊNH", None);
    bad.rescan_of = Some(4242); // no such component: the foreign key refuses it
    assert!(ix.add_component(&bad, &audit(Action::Store, "")).is_err());
    assert_eq!(ix.audit_log().unwrap().len(), 3);
    assert!(ix
        .find(&Query {
            person_id: Some("001203004567".into()),
            ..Default::default()
        })
        .unwrap()
        .is_empty());
}

fn the_audit_log_in_the_database_detects_tampering<I: Raw>(ix: I) {
    let (mut ix, _, _, _) = filled(ix);
    ix.append_audit(&audit(Action::Download, "component 1"))
        .unwrap();
    let log = ix.audit_log().unwrap();
    assert!(verify(&log).intact());
    assert_eq!(log[0].subject, "component 1");
    ix.raw("UPDATE audit_log SET actor = 'x' WHERE seq = 2");
    assert_eq!(
        verify(&ix.audit_log().unwrap()).first_break,
        Some(Break::Edited { seq: 2 })
    );
    ix.raw("UPDATE audit_log SET actor = 'canbo.an' WHERE seq = 2");
    assert!(verify(&ix.audit_log().unwrap()).intact());
    ix.raw("DELETE FROM audit_log WHERE seq = 2");
    assert_eq!(
        verify(&ix.audit_log().unwrap()).first_break,
        Some(Break::Deleted {
            after_seq: 1,
            next_seq: 3
        })
    );
}

#[test]
fn the_schema_is_versioned_and_reopening_keeps_it_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.sqlite");
    schema_is_versioned_and_reopening_keeps_it(|| SqliteIndex::open(&path));
}

#[test]
fn the_schema_is_versioned_and_reopening_keeps_it_on_postgres() {
    if let Some(url) = crate::testing::fresh_pg_database() {
        schema_is_versioned_and_reopening_keeps_it(|| PgIndex::connect(&url));
    }
}

fn schema_is_versioned_and_reopening_keeps_it<I: Raw>(open: impl Fn() -> Result<I, IndexError>) {
    {
        let mut ix = open().unwrap();
        assert_eq!(ix.version(), super::schema::latest());
        ix.add_component(
            &paper("decision", "001203004567", "QUYẾT ĐỊNH", None),
            &audit(Action::Store, ""),
        )
        .unwrap();
    }
    let mut ix = open().unwrap();
    assert_eq!(ix.referenced_blobs().unwrap().len(), 2);
    let sha = format!("{:064x}", "QUYẾT ĐỊNH".len());
    assert_eq!(ix.component_by_source(&sha, 1).unwrap(), Some(1));
    assert_eq!(ix.component_by_source(&sha, 2).unwrap(), None);
    ix.raw("INSERT INTO schema_migrations VALUES (99, 'future', 'x')");
    drop(ix);
    let err = open().err().unwrap();
    assert!(err.to_string().contains("newer than this build"), "{err}");
}

/// A stored likeness signature as `similar` writes it (one page).
fn likeness(phash: u64, numbers: &[&str]) -> String {
    json!({"pages": [{"phash": phash, "dhash": phash, "shingles": [], "numbers": numbers}]})
        .to_string()
}

fn probe(phash: u64, numbers: &[&str]) -> LikenessKeys {
    LikenessKeys::from_json(&likeness(phash, numbers)).expect("keys")
}

/// Flips `bits` distinct bits of `h`, chosen by `state`.
fn flip(h: u64, bits: u32, rng: &mut crate::testing::Rng) -> u64 {
    let mut out = h;
    while (out ^ h).count_ones() < bits {
        out ^= 1 << rng.below(64);
    }
    out
}

fn near_phash_finds_every_hash_within_eleven_bits_and_none_beyond<I: Raw>(mut ix: I) {
    let mut rng = crate::testing::Rng::new(0x9E37_79B9_7F4A_7C15);
    let centre = rng.next();
    // 3 papers at each distance 0..=14 from the centre, bits spread over all four bands
    let mut expected = Vec::new();
    for d in 0..=14u32 {
        for k in 0..3 {
            let h = flip(centre, d, &mut rng);
            let mut c = paper("citizen_id", "001085012345", &format!("the {d} {k}"), None);
            c.source_sha256 = format!("{:064x}", d * 10 + k);
            c.likeness_json = Some(likeness(h, &[]));
            let (id, _) = ix.add_component(&c, &audit(Action::Store, "")).unwrap();
            if d <= 11 {
                expected.push(id);
            }
        }
    }
    let found = ix.near_phash(centre, 11, 1000).unwrap();
    let mut ids: Vec<i64> = found.iter().map(|&(id, _)| id).collect();
    ids.sort();
    assert_eq!(ids, expected);
    assert!(found.windows(2).all(|w| w[0].1 <= w[1].1), "nearest first");
    // a smaller radius finds fewer, and only those within it
    let near = ix.near_phash(centre, 3, 1000).unwrap();
    assert_eq!(near.len(), 12);
    assert!(near.iter().all(|&(_, d)| d <= 3));
}

fn likeness_candidates_come_from_shared_numbers_or_a_near_phash_of_the_same_type<I: Raw>(
    mut ix: I,
) {
    let add = |ix: &mut I, n: usize, ty: &str, h: u64, numbers: &[&str]| {
        let mut c = paper(ty, "001085012345", &format!("paper {n}"), None);
        c.source_sha256 = format!("{n:064x}");
        c.likeness_json = Some(likeness(h, numbers));
        ix.add_component(&c, &audit(Action::Store, "")).unwrap().0
    };
    let by_number = add(&mut ix, 1, "citizen_id", 0, &["001085012345", "2021-04-10"]);
    let by_hash = add(
        &mut ix,
        2,
        "citizen_id",
        u64::MAX ^ 0b111,
        &["999999999999"],
    );
    let other_type = add(&mut ix, 3, "decision", 0, &["001085012345"]);
    let unrelated = add(
        &mut ix,
        4,
        "citizen_id",
        0x5555_0000_5555_0000,
        &["123456789012"],
    );
    // short numbers (page numbers, amounts) are not keys
    let short = add(&mut ix, 5, "citizen_id", 0x0F0F_0F0F_0F0F_0F0F, &["123"]);
    let got: Vec<i64> = ix
        .likeness_candidates("citizen_id", &probe(u64::MAX, &["001085012345", "123"]))
        .unwrap()
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(got, vec![by_number, by_hash]);
    assert!(!got.contains(&other_type) && !got.contains(&unrelated) && !got.contains(&short));
}

#[test]
fn migration_two_indexes_the_papers_stored_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.sqlite");
    {
        // a database at version 1 holding one paper with a likeness signature
        let conn = rusqlite::Connection::open(&path).unwrap();
        let m = &super::schema::MIGRATIONS[0];
        conn.execute_batch(&format!(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,
             applied_at TEXT NOT NULL);
             {} {}
             INSERT INTO schema_migrations VALUES (1, 'v1', '2026-01-01T00:00:00Z');
             INSERT INTO units (code) VALUES ('U');",
            m.common, m.sqlite
        ))
        .unwrap();
        conn.execute(
            "INSERT INTO components (unit_code, type_code, confidence, review_state, pages,
             source_sha256, source_page, fields_json, ocr_text, likeness_json, created_at)
             VALUES ('U', 'citizen_id', 1.0, 'auto', 1, 'ab', 1, '[]', '', ?1, 'now')",
            [likeness(42, &["001085012345"])],
        )
        .unwrap();
    }
    let mut ix = SqliteIndex::open(&path).unwrap();
    assert_eq!(ix.schema_version().unwrap(), super::schema::latest());
    assert_eq!(
        ix.likeness_candidates("citizen_id", &probe(!42, &["001085012345"]))
            .unwrap()
            .len(),
        1
    );
    assert_eq!(ix.near_phash(42, 0, 10).unwrap().len(), 1);
}

fn broad_text_searches_give_the_newest_and_rare_words_are_ranked<I: Raw>(mut ix: I) {
    // more papers than BROAD_TEXT carry the template's words; three also a rare one
    let n = super::sqlite::BROAD_TEXT as usize + 10;
    let items: Vec<(NewComponent, AuditRequest)> = (0..n)
        .map(|i| {
            let rare = if i % 2000 == 7 {
                " Thửa đất số 1234"
            } else {
                ""
            };
            let mut c = paper(
                if i % 2 == 0 { "decision" } else { "permit" },
                "001085012345",
                &format!("GIẤY CHỨNG NHẬN số {i}{rare}"),
                None,
            );
            c.source_sha256 = format!("{i:064x}");
            (c, audit(Action::Store, ""))
        })
        .collect();
    let ids = ix.add_components(&items).unwrap();
    assert_eq!(ids.len(), n);
    let text = |t: &str, ty: Option<&str>| Query {
        text: Some(t.into()),
        type_code: ty.map(String::from),
        limit: 20,
        ..Query::default()
    };
    // broad: the newest 20, unranked
    let got = ix.find(&text("giay chung nhan", None)).unwrap();
    let want: Vec<i64> = ids.iter().rev().take(20).copied().collect();
    assert_eq!(got.iter().map(|c| c.id).collect::<Vec<_>>(), want);
    assert!(got.iter().all(|c| c.rank.is_none()));
    // broad with another criterion: still the newest of that type
    let got = ix.find(&text("giấy chứng nhận", Some("permit"))).unwrap();
    assert_eq!(got.len(), 20);
    assert!(got.iter().all(|c| c.type_code == "permit"));
    assert!(got.windows(2).all(|w| w[0].id > w[1].id));
    // a rare word narrows it to the three papers that print it, ranked
    let got = ix.find(&text("giấy chứng nhận thửa đất", None)).unwrap();
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(got.iter().all(|c| c.rank.is_some()));
    // a word on no paper: nothing
    assert!(ix.find(&text("giấy khai sinh", None)).unwrap().is_empty());
    // newer papers of another kind: the template's words are on none of the newest 2,100 (on
    // PostgreSQL the count goes through the GIN index) and still on more than BROAD_TEXT: the
    // newest 20 that carry them, found walking back past the others
    let newer: Vec<(NewComponent, AuditRequest)> = (0..2_100)
        .map(|i| {
            let mut c = paper("request", "001085012345", &format!("ĐƠN ĐỀ NGHỊ {i}"), None);
            c.source_sha256 = format!("{:064x}", n + i);
            (c, audit(Action::Store, ""))
        })
        .collect();
    ix.add_components(&newer).unwrap();
    let got = ix.find(&text("giay chung nhan", None)).unwrap();
    assert_eq!(got.iter().map(|c| c.id).collect::<Vec<_>>(), want);
    // words on every one of the newest papers but on fewer than BROAD_TEXT in all: ranked
    let got = ix.find(&text("đơn đề nghị", None)).unwrap();
    assert_eq!(got.len(), 20);
    assert!(got.iter().all(|c| c.rank.is_some()), "{got:?}");
}

fn the_holder_is_the_first_full_name_read_that_passed_its_check<I: Raw>(mut ix: I) {
    use crate::index::holder_name;
    let fields = r#"[
        {"kind": "person_id", "value": "001085012345", "check": {"state": "valid"}},
        {"kind": "full_name", "value": "Nguyen Van", "check": {"state": "invalid", "reason": "one word"}},
        {"kind": "full_name", "value": "Nguyễn Văn An", "check": {"state": "valid"}},
        {"kind": "full_name", "value": "Trần Thị Bình", "check": {"state": "valid"}}
    ]"#;
    assert_eq!(holder_name(fields).as_deref(), Some("Nguyễn Văn An"));
    // a reviewer's fields carry no check
    assert_eq!(
        holder_name(r#"[{"kind": "full_name", "value": "Lê Văn Cường"}]"#).as_deref(),
        Some("Lê Văn Cường")
    );
    assert_eq!(holder_name("[]"), None);
    assert_eq!(holder_name("not json"), None);
    // and the index hands it out with the paper
    let mut p = paper("citizen_id", "001085012345", "CĂN CƯỚC", None);
    p.fields_json = fields.into();
    let (id, _) = ix.add_component(&p, &audit(Action::Store, "")).unwrap();
    assert_eq!(
        ix.component(id).unwrap().unwrap().holder_name.as_deref(),
        Some("Nguyễn Văn An")
    );
}

fn a_papers_blank_backs_are_counted_with_it<I: Raw>(mut ix: I) {
    let mut duplex = paper("decision", "001203004567", "QUYẾT ĐỊNH", None);
    duplex.pages = 2;
    duplex.blank_pages = 2;
    let (id, _) = ix
        .add_component(&duplex, &audit(Action::Store, ""))
        .unwrap();
    let row = ix.component(id).unwrap().unwrap();
    assert_eq!((row.pages, row.blank_pages), (2, 2));
}

/// One of everything through every role: the journal, the register, the outbox, reviews,
/// renewals, the report's counts (the statements whose parameters PostgreSQL types strictly).
fn every_role_answers_the_same_on_each_backend<I: Raw>(ix: I) {
    let (mut ix, land, card, _) = filled(ix);
    let unit = "000.00.10.H59";
    // the journal
    let job = |key: &str| JobRow {
        job_key: key.into(),
        unit_code: unit.into(),
        dossier_code: None,
        label: format!("{unit}/{key}.jpg"),
        files_json: "[]".into(),
        state: JobState::Processing,
        attempts: 0,
        message: None,
        papers: 0,
        first_seen: "2026-11-22T02:00:00Z".into(),
        updated_at: "2026-11-22T02:00:00Z".into(),
    };
    assert_eq!(ix.job_begin(&job("a")).unwrap(), 1);
    assert_eq!(ix.job_begin(&job("a")).unwrap(), 2);
    ix.job_begin(&job("b")).unwrap();
    ix.job_finish("a", JobState::Stored, None, 3, "2026-11-22T02:01:00Z")
        .unwrap();
    assert_eq!(ix.jobs(None, 10).unwrap().len(), 2);
    let stored = ix.jobs(Some(JobState::Stored), 10).unwrap();
    assert_eq!((stored.len(), stored[0].papers), (1, 3));
    // a batch another node holds a live lease on is not interrupted; one whose lease ran out is
    ix.job_begin(&job("c")).unwrap();
    assert!(ix.claim("c", "node-2", 1000, 1060, "t").unwrap());
    assert!(ix.claim("b", "node-1", 1000, 1001, "t").unwrap());
    assert_eq!(
        ix.jobs_interrupted("2026-11-22T02:02:00Z", 1030).unwrap(),
        1
    );
    assert_eq!(
        ix.jobs(Some(JobState::Interrupted), 10).unwrap()[0].job_key,
        "b"
    );
    // leases: one holder at a time; taken over once run out; renewed; released
    assert!(!ix.claim("c", "node-1", 1030, 1090, "t").unwrap());
    assert!(
        ix.claim("c", "node-2", 1030, 1090, "t").unwrap(),
        "the holder claims again"
    );
    assert_eq!(
        ix.renew_leases("node-2", &["c".into(), "z".into()], 1040, 1100)
            .unwrap(),
        ["z"]
    );
    assert!(!ix.claim("c", "node-1", 1099, 1150, "t").unwrap());
    assert!(
        ix.claim("c", "node-1", 1100, 1150, "t").unwrap(),
        "run out: taken over"
    );
    assert_eq!(
        ix.renew_leases("node-2", &["c".into()], 1101, 1160)
            .unwrap(),
        ["c"],
        "the old holder learns it lost it"
    );
    // (b's lease ran out at 1001: the renewals swept it away)
    let l = ix.leases().unwrap();
    assert_eq!(
        (l.len(), l[0].node.as_str(), l[0].expires_at),
        (1, "node-1", 1150)
    );
    ix.release("c", "node-2").unwrap();
    assert_eq!(ix.leases().unwrap().len(), 1, "only the holder releases");
    ix.release("c", "node-1").unwrap();
    assert!(ix.leases().unwrap().is_empty());
    // the register: consecutive numbers per unit and year
    let c1 = ix
        .reserve_certification(
            unit,
            2026,
            "2026/SCT/BS",
            land,
            "canbo.an",
            "t1",
            &audit(Action::Certify, "c"),
        )
        .unwrap();
    let c2 = ix
        .reserve_certification(
            unit,
            2026,
            "2026/SCT/BS",
            card,
            "canbo.an",
            "t2",
            &audit(Action::Certify, "c"),
        )
        .unwrap();
    assert_eq!((c1.number, c2.number), (1, 2));
    let copy = paper("citizen_id", "008065771935", "BẢN SAO", None);
    let copy_id = ix
        .complete_certification(c1.id, &copy, &audit(Action::Certify, ""))
        .unwrap()
        .expect("completed");
    assert_eq!(
        ix.complete_certification(c1.id, &copy, &audit(Action::Certify, ""))
            .unwrap(),
        None
    );
    assert_eq!(ix.certifications(None, None).unwrap().len(), 2);
    assert_eq!(ix.certifications(Some(unit), Some(2026)).unwrap().len(), 2);
    assert!(ix.certifications(Some("other"), None).unwrap().is_empty());
    assert_eq!(ix.pending_certifications("t9").unwrap().len(), 1);
    assert_eq!(
        ix.component(copy_id)
            .unwrap()
            .unwrap()
            .certified_copy
            .unwrap()
            .number,
        1
    );
    // the outbox
    let ev = |id: &str| crate::index::NewEvent {
        event_id: id.into(),
        kind: "paper.stored".into(),
        payload: "{}".into(),
        created_at: "t".into(),
    };
    ix.webhook_fill("http://r", &[], 0).unwrap();
    ix.enqueue(&[ev("e1"), ev("e2"), ev("e1")]).unwrap();
    assert_eq!(ix.webhook_fill("http://r", &[], 100).unwrap(), 2);
    assert_eq!(ix.webhook_due("http://r", 100, 10).unwrap().len(), 2);
    ix.webhook_attempted(
        "e1",
        "http://r",
        &crate::index::Attempt::Dead {
            error: "410".into(),
        },
        "t",
    )
    .unwrap();
    ix.webhook_attempted(
        "e2",
        "http://r",
        &crate::index::Attempt::Failed {
            error: "503".into(),
            next_at: 200,
        },
        "t",
    )
    .unwrap();
    assert_eq!(ix.webhook_deliveries(None, 10).unwrap().len(), 2);
    assert_eq!(
        ix.webhook_deliveries(Some(crate::index::DeliveryState::Dead), 10)
            .unwrap()
            .len(),
        1
    );
    assert!(ix.webhook_due("http://r", 150, 10).unwrap().is_empty());
    assert!(ix.webhook_retry("e1", "http://r", 150).unwrap());
    assert_eq!(
        ix.webhook_due("http://r", 150, 10).unwrap()[0].event_id,
        "e1"
    );
    // reviews
    let mut p = paper("decision", "001203004567", "QUYẾT ĐỊNH", None);
    p.review_state = ReviewState::NeedsReview;
    let (rid, _) = ix.add_component(&p, &audit(Action::Store, "")).unwrap();
    assert_eq!(ids(&ix.review_queue(&[unit.into()], 10).unwrap()), [rid]);
    assert!(ix.review_queue(&["other".into()], 10).unwrap().is_empty());
    let review = Review {
        state: ReviewState::Corrected,
        type_code: "permit".into(),
        fields_json: "[]".into(),
        owner_ids: vec!["001203004568".into()],
        tax_codes: vec!["0100109106".into()],
        issue_date: None,
        valid_until: Some("2030-01-01".into()),
    };
    ix.review_component(rid, &review, &audit(Action::Review, ""))
        .unwrap();
    assert!(ix.review_queue(&[], 10).unwrap().is_empty());
    assert_eq!(
        ix.reviewed_examples().unwrap(),
        [("permit".to_string(), "QUYẾT ĐỊNH".to_string())]
    );
    assert_eq!(
        ix.component(rid).unwrap().unwrap().owner_ids,
        ["001203004568"]
    );
    // renewals, scans, blobs
    let old = ix.component(land).unwrap().unwrap().signed_sha256.unwrap();
    let new = format!("{:064x}", 7);
    assert!(ix
        .renew_component(land, &old, &new, "B-LTA", &audit(Action::Renew, ""))
        .unwrap()
        .is_some());
    assert!(ix
        .renew_component(land, &old, &new, "B-LTA", &audit(Action::Renew, ""))
        .unwrap()
        .is_none());
    assert!(ix.referenced_blobs().unwrap().contains(&old));
    assert!(ix.signed_papers().unwrap().contains(&(land, new)));
    let scans = vec!["ab".to_string()];
    assert!(!ix.scans_ingested(&scans).unwrap());
    ix.mark_scans_ingested(&scans, "t").unwrap();
    ix.mark_scans_ingested(&scans, "t").unwrap();
    assert!(ix.scans_ingested(&scans).unwrap());
    assert_eq!(
        ix.dossier("000.00.10.H59-221122-0001")
            .unwrap()
            .unwrap()
            .unit_code,
        unit
    );
    assert!(ix
        .component_detail(land)
        .unwrap()
        .unwrap()
        .1
        .contains("QUYỀN"));
    // the report's counts: papers created 2026-11-22T09:00+07:00 are in November at +07:00
    let counts = ix.report_counts(420).unwrap();
    assert!(
        counts
            .components
            .iter()
            .any(|(u, m, n)| u == unit && m == "2026-11" && *n >= 4),
        "{:?}",
        counts.components
    );
    assert!(!counts.signed.is_empty() && !counts.dossiers_received.is_empty());
    // a paper's history
    let about = ix
        .audit_about(&[format!("component {land}")], &[], 100)
        .unwrap();
    assert!(!about.is_empty());
    assert!(verify(&ix.audit_log().unwrap()).intact());
}

#[test]
fn a_copy_handles_every_table_of_the_schema() {
    let mut ix = SqliteIndex::open_in_memory().unwrap();
    let rows = ix
        .db
        .conn()
        .rows(
            "SELECT name FROM sqlite_master WHERE type = 'table'
             AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'component_text_%' ORDER BY name",
            &[],
        )
        .unwrap();
    let mut schema: Vec<String> = rows.iter().map(|r| r.text(0).unwrap()).collect();
    let mut known: Vec<String> = super::copy::known_tables()
        .into_iter()
        .map(String::from)
        .collect();
    schema.sort();
    known.sort();
    assert_eq!(
        schema, known,
        "a table the copy (sohoa migrate) does not know of"
    );
}
