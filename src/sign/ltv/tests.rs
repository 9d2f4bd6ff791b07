//! The DSS revision builder and the long-term level rules, without I/O.

use std::io::Cursor;

use super::dss::{self, Material};
use crate::decode::tests::fixtures::{pdf_file, pdf_head};
use crate::pdf::{Limits, Object, PdfFile};
use crate::sign::Level;

fn page() -> Vec<u8> {
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>".to_vec()
}

fn one_page() -> Vec<u8> {
    let mut objs = pdf_head(1, "");
    objs.push(page());
    pdf_file(&objs, "")
}

fn open(bytes: &[u8]) -> PdfFile<Cursor<Vec<u8>>> {
    PdfFile::open(Cursor::new(bytes.to_vec()), Limits::default()).unwrap()
}

/// The decoded streams of the newest revision's /DSS /KEY.
fn dss_items(bytes: &[u8], key: &[u8]) -> Vec<Vec<u8>> {
    let mut pdf = open(bytes);
    let cat = pdf.catalog().unwrap();
    let dss = pdf.get_dict(cat.get(b"DSS").unwrap()).unwrap().unwrap();
    let Some(Object::Array(list)) = dss.get(key).map(|o| pdf.resolve(o).unwrap()) else {
        return Vec::new();
    };
    list.iter()
        .map(|o| match pdf.resolve(o).unwrap() {
            Object::Stream(s) => pdf.stream_decoded(&s).unwrap(),
            other => panic!("not a stream: {other:?}"),
        })
        .collect()
}

fn appended(bytes: &[u8], m: &Material) -> Option<Vec<u8>> {
    let mut pdf = open(bytes);
    dss::build(&mut pdf, m).unwrap().map(|r| {
        let mut out = bytes.to_vec();
        out.extend_from_slice(&r.bytes);
        out
    })
}

#[test]
fn a_dss_revision_adds_each_item_once_and_keeps_what_the_file_holds() {
    let base = one_page();
    let first = Material {
        certs: vec![b"cert-1".to_vec(), b"cert-2".to_vec()],
        crls: vec![b"crl-1".to_vec()],
        ocsps: vec![],
    };
    let one = appended(&base, &first).expect("a revision");
    assert_eq!(dss_items(&one, b"Certs"), first.certs);
    assert_eq!(dss_items(&one, b"CRLs"), first.crls);
    assert!(dss_items(&one, b"OCSPs").is_empty());
    // The same again: nothing to write.
    assert!(appended(&one, &first).is_none());
    // One new OCSP response and a known certificate: only the response is added.
    let second = Material {
        certs: vec![b"cert-2".to_vec()],
        crls: vec![],
        ocsps: vec![b"ocsp-1".to_vec()],
    };
    let two = appended(&one, &second).expect("a revision");
    assert_eq!(dss_items(&two, b"Certs"), first.certs);
    assert_eq!(dss_items(&two, b"OCSPs"), second.ocsps);
    // The earlier revision is untouched (an incremental update).
    assert!(two.starts_with(&one));
}

#[test]
fn a_dss_written_directly_in_the_catalog_is_moved_to_its_own_object_and_kept() {
    let mut objs = pdf_head(1, "");
    objs[0] = b"<< /Type /Catalog /Pages 2 0 R /DSS << /Certs [4 0 R] >> >>".to_vec();
    objs.push(page());
    objs.push(crate::decode::tests::fixtures::pdf_stream("", b"old-cert"));
    let base = pdf_file(&objs, "");
    let m = Material {
        certs: vec![b"new-cert".to_vec()],
        ..Default::default()
    };
    let out = appended(&base, &m).expect("a revision");
    assert_eq!(
        dss_items(&out, b"Certs"),
        vec![b"old-cert".to_vec(), b"new-cert".to_vec()]
    );
    let mut pdf = open(&out);
    assert!(pdf
        .catalog()
        .unwrap()
        .get(b"DSS")
        .unwrap()
        .as_ref()
        .is_some());
}

#[test]
fn levels_read_and_order_as_the_standard_names_them() {
    for (s, l) in [
        ("B-B", Level::BB),
        ("b-t", Level::BT),
        ("B-LT", Level::BLt),
        ("B-LTA", Level::BLta),
    ] {
        assert_eq!(Level::from_name(s), Some(l));
        assert_eq!(Level::from_name(l.name()), Some(l));
    }
    assert_eq!(Level::from_name("LTA"), None);
    assert!(Level::BB < Level::BT && Level::BT < Level::BLt && Level::BLt < Level::BLta);
    assert!(!Level::BB.timestamped() && Level::BLt.timestamped());
}
