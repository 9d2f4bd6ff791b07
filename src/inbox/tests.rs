//! Service `inbox`: the planner's rules (complete files only, the folder convention, refused
//! entries) and the moves (never over a file; re-queue stays inside `failed/`).

use std::time::Duration;

use super::plan::{is_temporary, Kind, Planner, Seen};

const UNIT: &str = "000.00.10.H59";
const DOSSIER: &str = "000.00.10.H59-240521-0015";

fn file(rel: &[&str], size: u64, mtime: u128) -> Seen {
    Seen {
        rel: rel.iter().map(|s| s.to_string()).collect(),
        kind: Kind::File,
        size,
        mtime_ns: mtime,
    }
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn free(_: &[String]) -> bool {
    false
}

#[test]
fn a_file_is_taken_only_after_it_stopped_changing_for_the_delay() {
    let mut p = Planner::new("000.00.00.H00", secs(5));
    let l = vec![file(&[UNIT, "a.jpg"], 100, 1)];
    assert!(p.plan(&l, secs(100), &free).ready.is_empty());
    // still growing: the clock restarts
    let l = vec![file(&[UNIT, "a.jpg"], 200, 2)];
    let plan = p.plan(&l, secs(104), &free);
    assert!(plan.ready.is_empty());
    assert_eq!(plan.waiting, 1);
    assert!(p.plan(&l, secs(108), &free).ready.is_empty());
    let plan = p.plan(&l, secs(109), &free);
    assert_eq!(plan.ready.len(), 1);
    assert_eq!(plan.ready[0].unit, UNIT);
    assert_eq!(plan.ready[0].dossier, None);
    // a busy file is left alone
    let busy = |_: &[String]| true;
    assert!(p.plan(&l, secs(200), &busy).ready.is_empty());
}

#[test]
fn a_file_its_writer_closed_is_taken_after_the_settle_delay_unless_written_again() {
    let ms = Duration::from_millis;
    let ns = |d: Duration| d.as_nanos();
    let mut p = Planner::new("000.00.00.H00", secs(5)).with_settle(ms(500));
    // written at 100 s, closed at 100.01 s: taken at 100.51 s, not at 105 s
    let l = vec![file(&[UNIT, "a.png"], 100, ns(secs(100)))];
    p.note_closed(vec![UNIT.into(), "a.png".into()], secs(100) + ms(10));
    assert!(p.plan(&l, secs(100) + ms(20), &free).ready.is_empty());
    assert_eq!(p.next_due(secs(100) + ms(20)), Some(ms(490)));
    assert_eq!(p.plan(&l, secs(100) + ms(510), &free).ready.len(), 1);
    // written again after the close (a writer that reopened it): the stability rule again
    let mut p = Planner::new("000.00.00.H00", secs(5)).with_settle(ms(500));
    p.note_closed(vec![UNIT.into(), "b.tif".into()], secs(100));
    let l = vec![file(&[UNIT, "b.tif"], 300, ns(secs(101)))];
    assert!(p.plan(&l, secs(101), &free).ready.is_empty());
    assert!(p.plan(&l, secs(103), &free).ready.is_empty());
    assert_eq!(p.plan(&l, secs(106), &free).ready.len(), 1);
    // a dossier folder: every file closed and settled
    let mut p = Planner::new("000.00.00.H00", secs(5)).with_settle(ms(500));
    let l = vec![
        file(&[UNIT, DOSSIER, "1.jpg"], 10, ns(secs(100))),
        file(&[UNIT, DOSSIER, "2.jpg"], 10, ns(secs(100))),
    ];
    p.note_closed(vec![UNIT.into(), DOSSIER.into(), "1.jpg".into()], secs(100));
    assert!(p.plan(&l, secs(101), &free).ready.is_empty());
    p.note_closed(vec![UNIT.into(), DOSSIER.into(), "2.jpg".into()], secs(101));
    assert_eq!(p.plan(&l, secs(101) + ms(600), &free).ready.len(), 1);
    // without a close the settle delay means nothing
    let mut p = Planner::new("000.00.00.H00", secs(5)).with_settle(ms(500));
    let l = vec![file(&[UNIT, "c.jpg"], 10, ns(secs(100)))];
    assert!(p.plan(&l, secs(100), &free).ready.is_empty());
    assert!(p.plan(&l, secs(102), &free).ready.is_empty());
}

#[test]
fn a_dossier_folder_is_one_batch_once_all_its_files_are_quiet() {
    let mut p = Planner::new("000.00.00.H00", secs(5));
    let a = file(&[UNIT, DOSSIER, "01.tif"], 10, 1);
    let b = file(&[UNIT, DOSSIER, "02.tif"], 10, 1);
    p.plan(&[a.clone(), b.clone()], secs(0), &free);
    // a third page arrives: the folder waits for it
    let c = file(&[UNIT, DOSSIER, "03.tif"], 10, 1);
    let plan = p.plan(&[a.clone(), b.clone(), c.clone()], secs(6), &free);
    assert!(plan.ready.is_empty(), "{plan:?}");
    let plan = p.plan(&[a, b, c], secs(11), &free);
    assert_eq!(plan.ready.len(), 1);
    let job = &plan.ready[0];
    assert_eq!(job.dossier.as_deref(), Some(DOSSIER));
    assert_eq!(job.files.len(), 3);
    assert_eq!(job.files[0].last().unwrap(), "01.tif");
    assert_eq!(job.label(), format!("{UNIT}/{DOSSIER}"));
}

#[test]
fn temporary_names_are_ignored_and_odd_entries_refused_with_a_reason() {
    for n in [
        "scan.tmp",
        "~scan.jpg",
        ".scan.jpg",
        "scan.jpg.part",
        "x.PART",
    ] {
        assert!(is_temporary(n), "{n}");
    }
    assert!(!is_temporary("scan.jpg"));
    let mut p = Planner::new("000.00.00.H00", secs(0));
    let mut link = file(&[UNIT, "link.jpg"], 10, 1);
    link.kind = Kind::Symlink;
    let l = vec![
        file(&[UNIT, "scan.tmp"], 10, 1),
        link,
        file(&[UNIT, "..\\..\\evil.png"], 10, 1),
        file(&["not-a-unit", "a.jpg"], 10, 1),
        file(&[UNIT, "not-a-dossier", "a.jpg"], 10, 1),
        file(&[UNIT, DOSSIER, "deeper", "a.jpg"], 10, 1),
        file(&["loose.jpg"], 10, 1),
    ];
    let plan = p.plan(&l, secs(1), &free);
    let reasons: Vec<String> = plan.refused.iter().map(|r| r.reason.clone()).collect();
    assert_eq!(plan.refused.len(), 5, "{reasons:#?}");
    assert!(reasons[0].contains("symbolic link"));
    assert!(reasons[1].contains(".."));
    assert!(reasons[2].contains("not a unit code"));
    assert!(reasons[3].contains("not a dossier code"));
    assert!(reasons[4].contains("too deep"));
    // a refused entry under a bad unit folder goes to the default unit's failed folder
    assert_eq!(plan.refused[2].unit, "000.00.00.H00");
    // a loose file in the inbox belongs to the default unit
    assert_eq!(plan.ready.len(), 1);
    assert_eq!(plan.ready[0].unit, "000.00.00.H00");
}

#[test]
fn moves_never_overwrite_and_requeue_stays_inside_failed() {
    let dir = tempfile::tempdir().unwrap();
    let paths = super::InboxPaths {
        inbox: dir.path().join("inbox"),
        processed: dir.path().join("processed"),
        failed: dir.path().join("failed"),
    };
    std::fs::create_dir_all(&paths.inbox).unwrap();
    let a = paths.inbox.join("a.jpg");
    std::fs::write(&a, b"one").unwrap();
    let d = paths.failed.join(UNIT);
    let first = super::moves::move_into(&a, &d, "a.jpg").unwrap();
    std::fs::write(&a, b"two").unwrap();
    let second = super::moves::move_into(&a, &d, "a.jpg").unwrap();
    assert_eq!(first.file_name().unwrap(), "a.jpg");
    assert_eq!(second.file_name().unwrap(), "a (2).jpg");
    assert_eq!(std::fs::read(&first).unwrap(), b"one");
    assert_eq!(std::fs::read(&second).unwrap(), b"two");
    super::moves::write_error_note(&first, "why").unwrap();
    // back to the inbox, note removed
    let back = super::job::requeue(&paths, &format!("{UNIT}/a.jpg")).unwrap();
    assert_eq!(back, paths.inbox.join(UNIT).join("a.jpg"));
    assert!(!d.join("a.jpg.error.txt").exists());
    for bad in [
        "../inbox/x",
        "/etc/passwd",
        "",
        &format!("{UNIT}/a (2).jpg.error.txt"),
    ] {
        assert!(super::job::requeue(&paths, bad).is_err(), "{bad}");
    }
}

#[test]
fn processed_files_are_filed_under_the_desks_day_not_utcs() {
    use crate::time::Clock;
    let paths = super::InboxPaths {
        inbox: "/x/inbox".into(),
        processed: "/x/processed".into(),
        failed: "/x/failed".into(),
    };
    // 17:30 UTC on 31 December is 00:30 on 1 January in Hà Nội
    let t =
        std::time::UNIX_EPOCH + crate::time::parse_rfc3339("2026-12-31T17:30:00Z").expect("time");
    let hanoi = Clock::fixed(t, 420);
    assert_eq!(
        super::job::processed_dir(&paths, "000.00.10.H59", None, &hanoi),
        std::path::Path::new("/x/processed/000.00.10.H59/2027-01-01")
    );
    assert_eq!(
        super::job::processed_dir(
            &paths,
            "000.00.10.H59",
            Some("000.00.10.H59-270101-0001"),
            &Clock::fixed(t, 0)
        ),
        std::path::Path::new("/x/processed/000.00.10.H59/2026-12-31/000.00.10.H59-270101-0001")
    );
}
