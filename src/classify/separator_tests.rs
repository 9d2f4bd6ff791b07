//! Stage `classify`, tests: separator sheets (patch code T, a `PATCHT` code) end the paper
//! before them and are not stored; a mark on a page full of text is doubted, not obeyed; blank
//! backs are left out of their paper's pages and counted with it; a cover sheet's printed code
//! cross-checks its QR code; a paper that bears a seal shows it or is flagged.

use super::{Classifier, CodeRead, PageText};

fn page(n: usize, text: &str) -> PageText {
    PageText::from_plain_text("batch.tif", n, text)
}

fn marked(n: usize, text: &str, code: CodeRead) -> PageText {
    let mut p = page(n, text);
    p.codes.push(code);
    p
}

fn patch(bars: &str) -> CodeRead {
    CodeRead::Patch {
        bars: bars.into(),
        bbox: [0.0; 4],
    }
}

const SHEET: &str = "TỜ PHÂN CÁCH GIẤY TỜ\nTrang này không được lưu";
/// A page with no title: on its own it continues the paper before it.
const NO_TITLE: &str = "một trang không rõ nội dung\nkính gửi";
const DECISION: &str = "QUYẾT ĐỊNH\nVề việc cấp giấy phép\nCăn cứ Luật\nĐiều 1.";

fn papers(pages: &[PageText]) -> Vec<Vec<usize>> {
    let b = Classifier::default_rules().classify(pages, Some("000.00.10.H59-221122-0001"));
    b.dossiers
        .iter()
        .flat_map(|d| &d.components)
        .map(|c| c.pages.iter().map(|p| p.page).collect())
        .collect()
}

#[test]
fn a_patch_t_sheet_ends_the_paper_and_is_not_stored() {
    let pages = [
        page(1, DECISION),
        page(2, NO_TITLE),
        marked(3, SHEET, patch("NWNW")),
        page(4, NO_TITLE),
    ];
    // without the sheet, pages 2 and 4 would both continue the decision
    assert_eq!(
        papers(&[page(1, DECISION), page(2, NO_TITLE), page(4, NO_TITLE)]),
        [vec![1, 2, 4]]
    );
    assert_eq!(papers(&pages), [vec![1, 2], vec![4]]);
    let b = Classifier::default_rules().classify(&pages, None);
    let seps: Vec<usize> = b.separator_pages.iter().map(|p| p.page).collect();
    assert_eq!(seps, [3]);
}

#[test]
fn a_code_reading_patcht_separates_as_paperless_ngx_does() {
    let code = CodeRead::Decoded {
        text: " patchT\n".into(),
        bbox: [0.0; 4],
    };
    let pages = [page(1, DECISION), marked(2, "", code), page(3, NO_TITLE)];
    assert_eq!(papers(&pages), [vec![1], vec![3]]);
}

#[test]
fn other_patch_codes_and_marks_on_full_pages_do_not_separate() {
    // patch 3 (the bars of T read the other way) is not a separator
    let p3 = [page(1, DECISION), marked(2, NO_TITLE, patch("WNWN"))];
    assert_eq!(papers(&p3), [vec![1, 2]]);
    // a page with a mark and a page's worth of text is a paper, kept with a warning
    let long = format!("{NO_TITLE}\n{}", "chữ trên trang ".repeat(30));
    let pages = [page(1, DECISION), marked(2, &long, patch("NWNW"))];
    assert_eq!(papers(&pages), [vec![1, 2]]);
    let b = Classifier::default_rules().classify(&pages, None);
    assert!(b.separator_pages.is_empty());
    let warned = b.dossiers[0].components[0].warnings.join("\n");
    assert!(
        warned.contains("page 2: a separator mark on a page with 98 words"),
        "{warned}"
    );
}

fn blank(n: usize) -> PageText {
    let mut p = page(n, "");
    p.blank = true;
    p
}

#[test]
fn blank_backs_are_counted_with_the_paper_they_follow_not_stored_in_it() {
    let pages = [
        page(1, DECISION),
        blank(2),
        page(3, NO_TITLE),
        blank(4),
        marked(5, SHEET, patch("NWNW")),
        blank(6),
        page(7, DECISION),
    ];
    let b = Classifier::default_rules().classify(&pages, None);
    let comps: Vec<_> = b.dossiers.iter().flat_map(|d| &d.components).collect();
    let ids = |v: &[super::PageId]| v.iter().map(|p| p.page).collect::<Vec<_>>();
    assert_eq!(comps.len(), 2);
    // a blank back does not end the paper: page 3 still continues the decision
    assert_eq!(ids(&comps[0].pages), [1, 3]);
    assert_eq!(ids(&comps[0].blank_pages), [2, 4]);
    assert_eq!(ids(&comps[1].pages), [7]);
    assert!(comps[1].blank_pages.is_empty());
    // the separator sheet's back belongs to no paper
    assert_eq!(ids(&b.separator_pages), [5]);
    assert_eq!(ids(&b.blank_pages), [6]);
}

#[test]
fn a_cover_sheets_printed_code_cross_checks_its_qr_code() {
    let cover = |printed: &str, qr: &str| {
        marked(
            1,
            &format!("TỜ BÌA HỒ SƠ\nMã hồ sơ: {printed}"),
            CodeRead::Decoded {
                text: qr.into(),
                bbox: [0.0; 4],
            },
        )
    };
    let warnings = |pages: &[PageText]| {
        let b = Classifier::default_rules().classify(pages, None);
        (
            b.dossiers[0].code.clone(),
            b.dossiers[0].warnings.join("\n"),
        )
    };
    let (a, b) = ("000.00.10.H59-261207-0042", "000.00.10.H59-261207-0043");
    let (code, w) = warnings(&[cover(a, a), page(2, DECISION)]);
    assert_eq!(code.as_deref(), Some(a));
    assert!(!w.contains("QR code says"), "{w}");
    let (code, w) = warnings(&[cover(b, a), page(2, DECISION)]);
    assert_eq!(code.as_deref(), Some(a), "the QR code's, not a guess");
    assert!(
        w.contains(&format!("the QR code says {a} but the sheet prints {b}")),
        "{w}"
    );
}

#[test]
fn a_paper_that_bears_a_seal_shows_it_or_is_flagged_unless_a_gray_scan_hides_it() {
    use super::fields::{Check, FieldKind};
    let decision = |colour: bool, seal: Option<[f32; 4]>| {
        let mut p = page(1, DECISION);
        (p.colour, p.seal) = (colour, seal);
        let b = Classifier::default_rules().classify(&[p], None);
        let c = b.dossiers[0].components[0].clone();
        assert_eq!(c.type_code, "decision");
        let seal: Vec<_> = c
            .fields
            .into_iter()
            .filter(|f| f.kind == FieldKind::Seal)
            .collect();
        (seal, c.warnings.join("\n"))
    };
    let (seal, _) = decision(true, Some([10.0, 20.0, 300.0, 310.0]));
    assert_eq!(seal[0].value, "present");
    assert_eq!(seal[0].bbox, Some([10.0, 20.0, 300.0, 310.0]));
    let (seal, warned) = decision(true, None);
    assert_eq!(seal[0].value, "absent");
    assert!(matches!(seal[0].check, Check::Invalid { .. }));
    assert!(warned.contains("no red seal"), "{warned}");
    let (seal, warned) = decision(false, None);
    assert!(seal.is_empty(), "a gray scan cannot tell: {seal:?}");
    assert!(!warned.contains("seal"), "{warned}");
}
