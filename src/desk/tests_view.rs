//! Desk floor, what the pages show: a dossier's papers in scan order with those reused into it
//! and its history from the audit log (verifications left out, another unit refused); a
//! preview page rendered from checked bytes, its page range, and the view logged; the report
//! over a period and the targets of each unit's level.

use std::sync::Mutex;

use super::tests::{at, officer_of, Rig, HANOI};
use super::*;
use crate::audit::Action;
use crate::config::{ReportConfig, TargetRates};
use crate::index::tests::{audit, paper};
use crate::index::{AuditTrail, Decisions, Papers};
use crate::preview::{PageImage, PageRenderer, PreviewError};
use crate::time::Clock;

const D: &str = "000.00.10.H59-261201-0007";
const E: &str = "000.00.10.H59-261115-0003";

fn in_dossier(rig: &mut Rig, dossier: &str, type_code: &str, text: &str) -> i64 {
    let mut p = paper(type_code, "001085012345", text, None);
    p.dossier_code = Some(dossier.into());
    rig.index
        .add_component(&p, &audit(Action::Store, ""))
        .expect("add")
        .0
}

#[test]
fn a_dossier_shows_its_papers_in_scan_order_those_reused_into_it_and_its_history() {
    let mut rig = Rig::new();
    let earlier = in_dossier(&mut rig, E, "citizen_id", "CĂN CƯỚC CÔNG DÂN");
    let a = in_dossier(&mut rig, D, "application", "ĐƠN ĐỀ NGHỊ");
    let b = in_dossier(&mut rig, D, "birth_certificate", "GIẤY KHAI SINH");
    let c = in_dossier(&mut rig, D, "residence", "XÁC NHẬN CƯ TRÚ");
    let mut r = audit(Action::Reuse, &format!("component {earlier}"));
    r.details = serde_json::json!({"dossier": D});
    rig.index
        .record_reuse(earlier, D, Some("000.00.10.H59"), None, &r)
        .expect("reuse in");
    let mut r = audit(Action::Reuse, &format!("component {a}"));
    r.details = serde_json::json!({"dossier": "000.00.10.H59-261202-0001"});
    rig.index
        .record_reuse(a, "000.00.10.H59-261202-0001", None, None, &r)
        .expect("reuse out");
    for (action, id, details) in [
        (Action::Download, b, serde_json::json!({"to": "x"})),
        (Action::Verify, c, serde_json::json!({"valid": true})),
        (Action::Certify, c, serde_json::json!({"step": "reserved"})),
        (
            Action::Certify,
            c,
            serde_json::json!({"step": "issued", "number": 4}),
        ),
        // the earlier paper's own history is not this dossier's
        (Action::Download, earlier, serde_json::json!({"to": "y"})),
    ] {
        let mut e = audit(action, &format!("component {id}"));
        e.details = details;
        rig.index.append_audit(&e).expect("audit");
    }
    let clock = Clock::fixed(at("2026-12-03T08:00:00Z"), HANOI);
    let officer = officer_of("000.00.10.H59");
    let mut desk = rig.desk(&clock, &officer);
    let v = desk.dossier(&format!(" {D} ")).expect("dossier");
    assert_eq!(v.code, D);
    let ids = |f: &[Found]| f.iter().map(|f| f.component.id).collect::<Vec<_>>();
    assert_eq!(ids(&v.papers), [a, b, c]);
    assert_eq!(ids(&v.reused), [earlier]);
    // every paper is badged (its signed file is not in the store: "missing", not "invalid")
    assert!(v.papers.iter().all(|f| f.signature == Some(Badge::Missing)));
    let story: Vec<(Happened, Option<i64>)> = v
        .history
        .iter()
        .map(|h| (h.happened, h.component))
        .collect();
    assert_eq!(
        story,
        [
            (Happened::Received, None),
            (Happened::Digitized, Some(a)),
            (Happened::Digitized, Some(b)),
            (Happened::Digitized, Some(c)),
            (Happened::ReusedHere, Some(earlier)),
            (Happened::ReusedElsewhere, Some(a)),
            (Happened::Downloaded, Some(b)),
            (Happened::Certified, Some(c)),
        ]
    );
    assert_eq!(v.history[7].details["number"], 4);
    // an officer of another unit may not open it; an unknown code is named
    let other = officer_of("000.00.11.H59");
    let e = rig.desk(&clock, &other).dossier(D).unwrap_err();
    assert!(matches!(e, DeskError::NotYourUnit { .. }), "{e}");
    let e = rig
        .desk(&clock, &officer)
        .dossier("000.00.10.H59-261201-9999")
        .unwrap_err();
    assert!(
        matches!(e, DeskError::NoDossier { .. }) && e.to_string().contains("261201-9999"),
        "{e}"
    );
}

/// A renderer that keeps what it was given and returns a fixed picture.
#[derive(Default)]
struct Recorder(Mutex<Vec<(Vec<u8>, u32, u32)>>);

impl PageRenderer for Recorder {
    fn render(
        &self,
        _name: &str,
        pdf: &[u8],
        page: u32,
        side: u32,
    ) -> Result<PageImage, PreviewError> {
        self.0.lock().unwrap().push((pdf.to_vec(), page, side));
        Ok(PageImage {
            jpeg: vec![0xFF, 0xD8, 0xFF, 0xD9],
        })
    }
}

#[test]
fn a_preview_page_is_rendered_from_checked_bytes_within_the_paper_and_logged() {
    let mut rig = Rig::new();
    let id = rig.paper_with_file("000.00.10.H59", b"%PDF-1.7 the signed paper", None);
    let clock = Clock::fixed(at("2026-12-03T08:00:00Z"), HANOI);
    let officer = officer_of("000.00.10.H59");
    let r = Recorder::default();
    let mut desk = rig.desk(&clock, &officer);
    let img = desk.page_image(id, 1, 900, &r).expect("page 1");
    assert_eq!(img.jpeg, [0xFF, 0xD8, 0xFF, 0xD9]);
    assert_eq!(
        r.0.lock().unwrap().as_slice(),
        [(b"%PDF-1.7 the signed paper".to_vec(), 1, 900)]
    );
    let last = desk.index.audit_log().expect("log").pop().expect("entry");
    assert_eq!(last.action, Action::View);
    assert_eq!(last.subject, format!("component {id}"));
    assert!(last.details.contains("\"page\":1"), "{}", last.details);
    // the paper has one page: page 2 and page 0 are refused before anything is read
    for page in [0, 2] {
        let e = desk.page_image(id, page, 900, &r).unwrap_err();
        assert!(matches!(e, DeskError::BadQuery { what: "page", .. }), "{e}");
    }
    assert_eq!(r.0.lock().unwrap().len(), 1);
    // another unit's paper is not shown
    let theirs = rig.paper_with_file("000.00.11.H59", b"%PDF-1.7 theirs", None);
    let e = rig
        .desk(&clock, &officer)
        .page_image(theirs, 1, 900, &r)
        .unwrap_err();
    assert!(matches!(e, DeskError::NotYourUnit { .. }), "{e}");
    // bit rot: refused, nothing rendered, nothing logged
    let sha = rig
        .index
        .component(id)
        .unwrap()
        .unwrap()
        .signed_sha256
        .unwrap();
    rig.rot(&sha, b"%PDF-1.7 the signed papeR");
    let entries = rig.index.audit_log().unwrap().len();
    let e = rig
        .desk(&clock, &officer)
        .page_image(id, 1, 900, &r)
        .unwrap_err();
    assert!(matches!(e, DeskError::Damaged { .. }), "{e}");
    assert_eq!(r.0.lock().unwrap().len(), 1);
    assert_eq!(rig.index.audit_log().unwrap().len(), entries);
}

#[test]
fn the_report_keeps_the_months_of_the_period_and_refuses_one_backwards() {
    let mut rig = Rig::new();
    for (month, text) in [("2026-09", "A"), ("2026-10", "BB"), ("2026-11", "CCC")] {
        let mut p = paper("citizen_id", "001085012345", text, None);
        p.dossier_code = Some(format!(
            "000.00.10.H59-{}15-0001",
            &month[2..].replace('-', "")
        ));
        p.created_at = format!("{month}-15T09:00:00+07:00");
        rig.index
            .add_component(&p, &audit(Action::Store, ""))
            .expect("add");
    }
    let clock = Clock::fixed(at("2026-12-03T08:00:00Z"), HANOI);
    let all = Actor::all_units("auditor");
    let mut desk = rig.desk(&clock, &all);
    let months =
        |rows: Vec<report::UnitMonth>| rows.into_iter().map(|r| r.month).collect::<Vec<_>>();
    let all_months = months(desk.report_period(None, None, None).unwrap());
    assert_eq!(all_months, ["2026-09", "2026-10", "2026-11"]);
    assert_eq!(
        months(
            desk.report_period(None, Some("2026-10"), Some("2026-11"))
                .unwrap()
        ),
        ["2026-10", "2026-11"]
    );
    assert_eq!(
        months(desk.report_period(None, None, Some("2026-09")).unwrap()),
        ["2026-09"]
    );
    assert_eq!(
        months(desk.report(None, Some("2026-10")).unwrap()),
        ["2026-10"]
    );
    let e = desk
        .report_period(None, Some("2026-11"), Some("2026-10"))
        .unwrap_err();
    assert!(
        matches!(e, DeskError::BadQuery { what: "period", .. }),
        "{e}"
    );
    let e = desk.report_period(None, Some("2026-9"), None).unwrap_err();
    assert!(
        matches!(e, DeskError::BadQuery { what: "month", .. }),
        "{e}"
    );
}

#[test]
fn targets_follow_the_units_level_else_the_default_level() {
    let rates = |d: f64, r: Option<f64>| TargetRates {
        digitization_rate: Some(d),
        signing_rate: None,
        reuse_rate: r,
    };
    let cfg = ReportConfig {
        default_level: Some("district".into()),
        unit_levels: [("000.00.25.H59".to_string(), "commune".to_string())].into(),
        targets: [
            ("district".to_string(), rates(40.0, Some(80.0))),
            ("commune".to_string(), rates(25.0, None)),
        ]
        .into(),
    };
    let t = report::targets(&cfg, ["000.00.10.H59", "000.00.25.H59"]);
    assert_eq!(t["000.00.10.H59"].level, "district");
    assert_eq!(t["000.00.10.H59"].digitization_rate, Some(0.4));
    assert_eq!(t["000.00.10.H59"].reuse_rate, Some(0.8));
    assert_eq!(t["000.00.25.H59"].level, "commune");
    assert_eq!(t["000.00.25.H59"].digitization_rate, Some(0.25));
    assert_eq!(t["000.00.25.H59"].signing_rate, None);
    // no default level: a unit not named has no targets
    let named_only = ReportConfig {
        default_level: None,
        ..cfg
    };
    let t = report::targets(&named_only, ["000.00.10.H59", "000.00.25.H59"]);
    assert_eq!(t.keys().collect::<Vec<_>>(), ["000.00.25.H59"]);
}
