//! Whole-file tests: classic, xref stream + object stream, hybrid, repair, revisions.

use super::fixtures::{classic, compressed, Builder, CONTENT};
use crate::pdf::{
    IncrementalWriter, Limits, ObjRef, Object, PdfError, PdfFile, PrevInfo, XrefEntry, XrefKind,
};
use std::io::Cursor;

pub fn open(bytes: &[u8]) -> PdfFile<Cursor<Vec<u8>>> {
    PdfFile::open(Cursor::new(bytes.to_vec()), Limits::default()).unwrap()
}

fn title(f: &mut PdfFile<Cursor<Vec<u8>>>) -> Vec<u8> {
    let info = f.trailer().get(b"Info").cloned().unwrap();
    let d = f.get_dict(&info).unwrap().unwrap();
    d.get(b"Title")
        .and_then(Object::as_string)
        .unwrap()
        .to_vec()
}

/// Common checks: two pages, content decodes, Info title.
fn check_document(f: &mut PdfFile<Cursor<Vec<u8>>>) {
    assert_eq!(f.catalog().unwrap().name(b"Type"), Some(&b"Catalog"[..]));
    let pages = f.pages().unwrap();
    assert_eq!(pages, vec![ObjRef::new(3, 0), ObjRef::new(4, 0)]);
    let page = f.get(pages[0]).unwrap();
    let contents = page.as_dict().unwrap().get(b"Contents").cloned().unwrap();
    let Object::Stream(s) = f.resolve(&contents).unwrap() else {
        panic!("contents is not a stream")
    };
    assert_eq!(f.stream_decoded(&s).unwrap(), CONTENT);
    assert!(!f.is_encrypted());
}

#[test]
fn classic_table() {
    let bytes = classic();
    let mut f = open(&bytes);
    assert!(!f.repaired());
    assert_eq!(f.len(), bytes.len() as u64);
    assert_eq!(f.revisions().len(), 1);
    let rev = &f.revisions()[0];
    assert_eq!((rev.kind, rev.end), (XrefKind::Table, bytes.len() as u64));
    assert_eq!(f.entries().get(&0), Some(&XrefEntry::Free));
    check_document(&mut f);
    assert_eq!(title(&mut f), b"Old");
    assert_eq!(f.get(ObjRef::new(99, 0)).unwrap(), Object::Null);
    assert_eq!(f.get(ObjRef::new(0, 65535)).unwrap(), Object::Null);
    // Generation mismatch is tolerated.
    assert!(f.get(ObjRef::new(1, 3)).unwrap().as_dict().is_some());
}

#[test]
fn xref_stream_and_object_stream() {
    let bytes = compressed(false);
    let mut f = open(&bytes);
    assert!(!f.repaired());
    assert_eq!(f.revisions()[0].kind, XrefKind::Stream);
    assert_eq!(f.revisions()[0].end, bytes.len() as u64);
    assert_eq!(f.trailer().name(b"Type"), Some(&b"XRef"[..]));
    assert_eq!(
        f.entries().get(&3),
        Some(&XrefEntry::Compressed {
            stream: 7,
            index: 2
        })
    );
    check_document(&mut f);
    assert_eq!(title(&mut f), b"Old");
}

#[test]
fn hybrid_file() {
    let bytes = compressed(true);
    let mut f = open(&bytes);
    assert_eq!(f.revisions()[0].kind, XrefKind::Hybrid);
    assert!(matches!(f.entries().get(&5), Some(XrefEntry::InUse { .. })));
    assert!(matches!(
        f.entries().get(&1),
        Some(XrefEntry::Compressed { .. })
    ));
    check_document(&mut f);
}

fn append(base: &[u8], new_title: &str) -> Vec<u8> {
    let mut f = open(base);
    let prev = PrevInfo::from_file(&mut f).unwrap();
    let mut info = f
        .get(ObjRef::new(6, 0))
        .unwrap()
        .as_dict()
        .cloned()
        .unwrap();
    info.set(b"Title", Object::String(new_title.as_bytes().to_vec()));
    let mut w = IncrementalWriter::new();
    w.add(ObjRef::new(6, 0), &Object::Dict(info));
    w.add(ObjRef::new(12, 0), &Object::Int(12));
    w.add(ObjRef::new(0, 0), &Object::Null);
    let mut out = base.to_vec();
    out.extend(w.finish(base.len() as u64, &prev));
    out
}

fn two_revisions(base: Vec<u8>, kind: XrefKind) -> Vec<u8> {
    let both = append(&base, "New");
    let mut f = open(&both);
    assert!(!f.repaired());
    assert_eq!(title(&mut f), b"New");
    assert_eq!(f.get(ObjRef::new(12, 0)).unwrap(), Object::Int(12));
    check_document(&mut f);
    let revs = f.revisions().to_vec();
    assert_eq!(revs.len(), 2);
    assert_eq!(revs[0].end, base.len() as u64);
    assert_eq!(revs[1].end, both.len() as u64);
    assert_eq!(revs[1].kind, kind);
    assert_eq!(
        revs[1].trailer.int(b"Prev"),
        Some(revs[0].xref_offset as i64)
    );
    let cur = Cursor::new(both.clone());
    let mut old = PdfFile::open_prefix(cur, revs[0].end, Limits::default()).unwrap();
    assert_eq!(old.len(), base.len() as u64);
    assert_eq!(old.revisions(), &revs[..1]);
    assert_eq!(title(&mut old), b"Old");
    assert_eq!(old.get(ObjRef::new(12, 0)).unwrap(), Object::Null);
    // A third revision on top keeps the chain.
    let three = append(&both, "Third");
    let mut f = open(&three);
    assert_eq!(f.revisions().len(), 3);
    assert_eq!(f.revisions()[1].end, both.len() as u64);
    assert_eq!(title(&mut f), b"Third");
    both
}

#[test]
fn incremental_update_over_table() {
    two_revisions(classic(), XrefKind::Table);
}

#[test]
fn incremental_update_over_xref_stream() {
    two_revisions(compressed(false), XrefKind::Stream);
}

#[test]
fn base_without_final_eol() {
    let mut base = classic();
    base.pop();
    let both = append(&base, "New");
    let mut f = open(&both);
    assert_eq!(title(&mut f), b"New");
    // The EOL the writer had to add after "%%EOF" belongs to the first revision.
    assert_eq!(f.revisions()[0].end, base.len() as u64 + 1);
}

#[test]
fn broken_startxref_is_repaired() {
    for base in [classic(), compressed(false), compressed(true)] {
        let mut bytes = base.clone();
        let at = bytes.windows(9).rposition(|w| w == b"startxref").unwrap();
        bytes[at + 10] = b'9';
        bytes[at + 11] = b'9';
        let mut f = open(&bytes);
        assert!(f.repaired());
        assert_eq!(f.revisions()[0].kind, XrefKind::Repaired);
        check_document(&mut f);
        // No startxref at all.
        let mut f = open(&base[..at]);
        assert!(f.repaired());
        check_document(&mut f);
    }
    let mut looped = classic();
    let xref_at = open(&looped).revisions()[0].xref_offset;
    let at = looped.windows(7).rposition(|w| w == b"trailer").unwrap();
    looped.splice(at + 11..at + 11, format!("/Prev {xref_at} ").bytes());
    let mut f = open(&looped);
    assert!(f.repaired(), "a /Prev loop must be repaired");
    check_document(&mut f);
}

#[test]
fn wrong_offsets_are_repaired() {
    let mut bytes = classic();
    // Shift every object by inserting bytes after the header.
    bytes.splice(15..15, b"% inserted junk line\n".iter().copied());
    let mut f = open(&bytes);
    assert!(f.repaired());
    check_document(&mut f);
}

#[test]
fn lengths_indirect_missing_and_wrong() {
    let mut b = Builder::new();
    b.obj(1, "<< /Type /Catalog /Pages 2 0 R >>");
    b.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>");
    b.offsets.insert(3, b.buf.len() as u64);
    b.buf.extend_from_slice(
        b"3 0 obj\n<< /Length 4 0 R >>\nstream\r\nabcdef\r\nendstream\nendobj\n",
    );
    b.obj(4, "6");
    b.offsets.insert(5, b.buf.len() as u64);
    b.buf
        .extend_from_slice(b"5 0 obj\n<< /Length 99 >>\nstream\nabc\nendstream\nendobj\n");
    b.offsets.insert(6, b.buf.len() as u64);
    b.buf
        .extend_from_slice(b"6 0 obj\n<< >>\nstream\nxy\r\nendstream\nendobj\n");
    b.offsets.insert(7, b.buf.len() as u64);
    b.buf
        .extend_from_slice(b"7 0 obj\n<< /Length 7 0 R >>\nstream\nxyz\nendstream\nendobj\n");
    b.table("/Root 1 0 R");
    let mut f = open(&b.buf);
    assert!(f.pages().unwrap().is_empty());
    for (n, want) in [(3, &b"abcdef"[..]), (5, b"abc"), (6, b"xy"), (7, b"xyz")] {
        let Object::Stream(s) = f.get(ObjRef::new(n, 0)).unwrap() else {
            panic!()
        };
        assert_eq!(f.stream_raw(&s).unwrap(), want, "object {n}");
    }
}

#[test]
fn page_tree_loops_and_bad_roots() {
    let mut b = Builder::new();
    b.obj(1, "<< /Type /Catalog /Pages 2 0 R >>");
    b.obj(2, "<< /Type /Pages /Kids [3 0 R] >>");
    b.obj(3, "<< /Type /Pages /Kids [2 0 R] >>");
    b.obj(4, "4 0 R");
    b.table("/Root 1 0 R");
    let mut f = open(&b.buf);
    let e = f.pages().unwrap_err();
    assert!(e.to_string().contains("loop"), "{e}");
    assert!(f.resolve(&Object::Ref(ObjRef::new(4, 0))).is_err());
    let mut b = Builder::new();
    b.obj(1, "[1 2]");
    b.table("/Root 1 0 R");
    let mut f = open(&b.buf);
    assert!(!f.repaired());
    let e = f.catalog().unwrap_err();
    assert_eq!(e.to_string(), "trailer /Root is not a dictionary");
}

#[test]
fn limits_are_enforced() {
    let bytes = classic();
    let small = Limits {
        max_file_size: 100,
        ..Limits::default()
    };
    let r = PdfFile::open(Cursor::new(bytes.clone()), small);
    assert!(matches!(r, Err(PdfError::FileTooLarge { .. })));
    let tiny = Limits {
        max_decoded_stream: 4,
        ..Limits::default()
    };
    let mut f = PdfFile::open(Cursor::new(bytes), tiny).unwrap();
    let Object::Stream(s) = f.get(ObjRef::new(5, 0)).unwrap() else {
        panic!()
    };
    assert!(matches!(
        f.stream_decoded(&s),
        Err(PdfError::TooLarge { .. })
    ));
    let e = PdfFile::open(Cursor::new(b"not a pdf".to_vec()), Limits::default());
    assert!(matches!(e, Err(PdfError::NoStartxref(1024))));
}

#[test]
fn bad_offsets_name_the_object() {
    let mut b = Builder::new();
    b.obj(1, "<< /Type /Catalog /Pages 2 0 R >>");
    b.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
    b.obj(3, "<< /Type /Page /MediaBox [0 0 612 792] >>");
    let inside = b.buf.windows(7).position(|w| w == b"0 0 612").unwrap() as u64;
    b.offsets.insert(4, inside);
    b.offsets.insert(5, b.offsets[&3]);
    b.table("/Root 1 0 R");
    let mut f = open(&b.buf);
    assert!(!f.repaired());
    let e = f.get(ObjRef::new(4, 0)).unwrap_err().to_string();
    assert_eq!(e, format!("object 4 0 at offset {inside}: expected 'obj'"));
    let e = f.get(ObjRef::new(5, 0)).unwrap_err().to_string();
    assert!(e.ends_with("found object 3 0 instead"), "{e}");
}
