//! Stage `store`, index: finding papers by person, tax code, text without diacritics, dossier,
//! type and validity; changes and their audit entries in one transaction; the schema version.

use serde_json::json;

use super::*;
use crate::audit::{verify, Break};

fn audit(what: Action, subject: &str) -> AuditRequest {
    AuditRequest {
        time: "2026-11-22T09:00:00+07:00".into(),
        actor: "canbo.an".into(),
        action: what,
        subject: subject.into(),
        details: json!({}),
    }
}

fn paper(type_code: &str, owner: &str, text: &str, valid_until: Option<&str>) -> NewComponent {
    NewComponent {
        unit_code: "000.00.10.H59".into(),
        dossier_code: Some("000.00.10.H59-221122-0001".into()),
        type_code: type_code.into(),
        confidence: 0.97,
        review_state: ReviewState::Auto,
        pages: 1,
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

fn filled() -> (SqliteIndex, i64, i64, i64) {
    let mut ix = SqliteIndex::open_in_memory().unwrap();
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

fn ids(rows: &[ComponentRow]) -> Vec<i64> {
    rows.iter().map(|r| r.id).collect()
}

#[test]
fn papers_are_found_by_person_type_validity_and_tax_code() {
    let (mut ix, land, card, wife) = filled();
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

#[test]
fn text_search_ignores_diacritics_and_case() {
    let (mut ix, land, card, wife) = filled();
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

#[test]
fn reuse_attaches_a_paper_to_another_dossier_with_its_audit_entry() {
    let (mut ix, land, _, _) = filled();
    let e = ix
        .record_reuse(
            land,
            "000.00.10.H59-221123-0007",
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
        .record_reuse(999, "x", None, &audit(Action::Reuse, "component 999"))
        .unwrap_err();
    assert!(err.to_string().contains("no component 999"), "{err}");
    // the failed reuse wrote no audit entry
    assert_eq!(ix.audit_log().unwrap().len(), 4);
}

#[test]
fn a_failed_change_leaves_neither_rows_nor_audit_entry() {
    let (mut ix, _, _, _) = filled();
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

#[test]
fn the_audit_log_in_the_database_detects_tampering() {
    let (mut ix, _, _, _) = filled();
    ix.append_audit(&audit(Action::Download, "component 1"))
        .unwrap();
    let log = ix.audit_log().unwrap();
    assert!(verify(&log).intact());
    assert_eq!(log[0].subject, "component 1");
    ix.conn
        .execute("UPDATE audit_log SET actor = 'x' WHERE seq = 2", [])
        .unwrap();
    assert_eq!(
        verify(&ix.audit_log().unwrap()).first_break,
        Some(Break::Edited { seq: 2 })
    );
    let (mut ix, _, _, _) = filled();
    ix.conn
        .execute("DELETE FROM audit_log WHERE seq = 2", [])
        .unwrap();
    assert_eq!(
        verify(&ix.audit_log().unwrap()).first_break,
        Some(Break::Deleted {
            after_seq: 1,
            next_seq: 3
        })
    );
}

#[test]
fn the_schema_is_versioned_and_reopening_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.sqlite");
    {
        let mut ix = SqliteIndex::open(&path).unwrap();
        assert_eq!(ix.schema_version().unwrap(), 1);
        ix.add_component(
            &paper("decision", "001203004567", "QUYẾT ĐỊNH", None),
            &audit(Action::Store, ""),
        )
        .unwrap();
    }
    let mut ix = SqliteIndex::open(&path).unwrap();
    assert_eq!(ix.schema_version().unwrap(), 1);
    assert_eq!(ix.referenced_blobs().unwrap().len(), 2);
    let sha = format!("{:064x}", "QUYẾT ĐỊNH".len());
    assert_eq!(ix.component_by_source(&sha, 1).unwrap(), Some(1));
    assert_eq!(ix.component_by_source(&sha, 2).unwrap(), None);
    ix.conn
        .execute(
            "INSERT INTO schema_migrations VALUES (99, 'future', 'x')",
            [],
        )
        .unwrap();
    drop(ix);
    let err = SqliteIndex::open(&path).err().unwrap();
    assert!(err.to_string().contains("newer than this build"), "{err}");
}
