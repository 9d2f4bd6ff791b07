//! The change-after-signing rules that real signing tools need (VGCA's, iText, Aspose, Adobe) and
//! their limits: each test appends to one of our own signed files the revision a tool writes,
//! or the attack just beside it, and checks the rule the verdict names. The real files these
//! rules come from are in the corpus tests (`verify_corpus`).

use sohoa::pdf::{Dict, ObjRef, Object, PdfFile};

use crate::helpers::*;

/// (rule, allowed) of every change signature `i` reports.
fn rules(report: &serde_json::Value, i: usize) -> Vec<(String, bool)> {
    report["signatures"][i]["modifications"]["changes"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| {
                    (
                        c["rule"].as_str().unwrap_or_default().to_string(),
                        c["allowed"].as_bool().unwrap_or(false),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn level(report: &serde_json::Value, i: usize) -> &str {
    report["signatures"][i]["modifications"]["level"]
        .as_str()
        .unwrap_or_default()
}

fn page_dict<R: std::io::Read + std::io::Seek>(pdf: &mut PdfFile<R>) -> (ObjRef, Dict) {
    let page = pdf.pages().unwrap()[0];
    let d = pdf.get(page).unwrap().as_dict().unwrap().clone();
    (page, d)
}

fn name_dict(pairs: &[(&str, Object)]) -> Object {
    let mut d = Dict::new();
    for (k, v) in pairs {
        d.set(k.as_bytes(), v.clone());
    }
    Object::Dict(d)
}

/// A form XObject (ISO 32000-1 §8.10) with `bbox` drawing `data`.
fn form_xobject(w: &mut sohoa::pdf::IncrementalWriter, r: ObjRef, bbox: &[i64], data: &[u8]) {
    let mut form = Dict::new();
    form.set(b"Type", Object::name("XObject"));
    form.set(b"Subtype", Object::name("Form"));
    form.set(b"BBox", ints(bbox));
    w.add_stream(r, &form, data);
}

/// Where the signature of field `name` is in a report.
fn index_of(report: &serde_json::Value, name: &str) -> usize {
    report["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .position(|s| s["field"] == name)
        .unwrap_or_else(|| panic!("no signature {name}: {report:#}"))
}

#[test]
fn a_transparency_group_added_to_a_page_with_a_widget_is_allowed() {
    let d = tmp();
    let signed = signed_sample(d.path());
    let out = d.path().join("group.pdf");
    append_revision(&signed, &out, |pdf, w, _| {
        let (page, mut pd) = page_dict(pdf);
        pd.set(
            b"Group",
            name_dict(&[
                ("Type", Object::name("Group")),
                ("S", Object::name("Transparency")),
                ("CS", Object::name("DeviceRGB")),
            ]),
        );
        w.add(page, &Object::Dict(pd));
    });
    let (code, report) = verify_json(&out, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert!(rules(&report, 0).contains(&("page.group-added".into(), true)));
}

#[test]
fn a_page_rewritten_with_its_keys_reordered_is_no_change() {
    let d = tmp();
    let signed = signed_sample(d.path());
    let out = d.path().join("reordered.pdf");
    append_revision(&signed, &out, |pdf, w, _| {
        let (page, pd) = page_dict(pdf);
        let mut rev = Dict::new();
        for (k, v) in pd.iter().collect::<Vec<_>>().into_iter().rev() {
            rev.set(k, v.clone());
        }
        w.add(page, &Object::Dict(rev));
    });
    let (code, report) = verify_json(&out, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert!(rules(&report, 0).is_empty(), "{report:#}");
}

#[test]
fn a_page_rotated_after_signing_is_disallowed() {
    let d = tmp();
    let signed = signed_sample(d.path());
    let out = d.path().join("rotated.pdf");
    append_revision(&signed, &out, |pdf, w, _| {
        let (page, mut pd) = page_dict(pdf);
        pd.set(b"Rotate", Object::Int(90));
        w.add(page, &Object::Dict(pd));
    });
    let (code, report) = verify_json(&out, &[]);
    assert_eq!(code, 1);
    assert!(rules(&report, 0).contains(&("page.other-keys".into(), false)));
}

/// Appends a revision that edits the first page's /Resources with `f`.
fn edit_resources(signed: &std::path::Path, out: &std::path::Path, f: impl FnOnce(&mut Dict, u32)) {
    append_revision(signed, out, |pdf, w, next| {
        let (page, mut pd) = page_dict(pdf);
        let mut res = pdf
            .get_dict(pd.get(b"Resources").unwrap())
            .unwrap()
            .unwrap();
        f(&mut res, next);
        let xobject = ObjRef::new(next, 0);
        form_xobject(w, xobject, &[0, 0, 10, 10], b"0 0 m 10 10 l S");
        pd.set(b"Resources", Object::Dict(res));
        w.add(page, &Object::Dict(pd));
    });
}

#[test]
fn a_resource_name_the_signed_content_never_uses_may_be_added() {
    let d = tmp();
    let signed = signed_sample(d.path());
    let out = d.path().join("res-added.pdf");
    edit_resources(&signed, &out, |res, next| {
        res.set(
            b"XObject",
            name_dict(&[("SigImg0", Object::Ref(ObjRef::new(next, 0)))]),
        );
    });
    let (code, report) = verify_json(&out, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert!(rules(&report, 0).contains(&("page.resources-added".into(), true)));
}

#[test]
fn an_existing_resource_name_pointed_elsewhere_is_disallowed() {
    let d = tmp();
    let signed = signed_sample(d.path());
    let out = d.path().join("res-rebound.pdf");
    edit_resources(&signed, &out, |res, next| {
        res.set(
            b"Font",
            name_dict(&[("F1", Object::Ref(ObjRef::new(next, 0)))]),
        );
    });
    let (code, report) = verify_json(&out, &[]);
    assert_eq!(code, 1);
    assert!(rules(&report, 0).contains(&("page.resources-rebound".into(), false)));
}

#[test]
fn a_resource_the_signed_content_used_while_undefined_is_disallowed() {
    // Shadow "hide" by resources: the signed page draws /Im9, which does not exist when signed;
    // a later revision defines it.
    let d = tmp();
    let input = d.path().join("in.pdf");
    let prepared = d.path().join("prepared.pdf");
    let signed = d.path().join("signed.pdf");
    simple_pdf(&input, 1);
    append_revision(&input, &prepared, |pdf, w, next| {
        let (page, mut pd) = page_dict(pdf);
        let draw = ObjRef::new(next, 0);
        w.add_stream(draw, &Dict::new(), b"q /Im9 Do Q");
        let first = pd.get(b"Contents").unwrap().clone();
        pd.set(b"Contents", Object::Array(vec![first, Object::Ref(draw)]));
        w.add(page, &Object::Dict(pd));
    });
    sign_ok(&prepared, &signed, &[]);
    let out = d.path().join("filled.pdf");
    edit_resources(&signed, &out, |res, next| {
        res.set(
            b"XObject",
            name_dict(&[("Im9", Object::Ref(ObjRef::new(next, 0)))]),
        );
    });
    let (code, report) = verify_json(&out, &[]);
    assert_eq!(code, 1, "{report:#}");
    assert!(
        rules(&report, 0).contains(&("page.resources-fills-used-name".into(), false)),
        "{report:#}"
    );
}

fn with_version(signed: &std::path::Path, out: &std::path::Path, v: &str) {
    append_revision(signed, out, |pdf, w, _| {
        let root = pdf.trailer().get(b"Root").and_then(Object::as_ref).unwrap();
        let mut cat = pdf.catalog().unwrap();
        cat.set(b"Version", Object::name(v));
        w.add(root, &Object::Dict(cat));
    });
}

#[test]
fn the_pdf_version_may_be_raised_but_not_lowered() {
    let d = tmp();
    let signed = signed_sample(d.path());
    let up = d.path().join("v20.pdf");
    with_version(&signed, &up, "2.0");
    let (code, report) = verify_json(&up, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert!(rules(&report, 0).contains(&("catalog.version-raised".into(), true)));
    // A catalog that declared 1.7 at signing time, lowered to 1.4 later.
    let v17 = d.path().join("v17.pdf");
    let v17_signed = d.path().join("v17-signed.pdf");
    let input = d.path().join("in17.pdf");
    simple_pdf_with_catalog(&input, 1, "/Version /1.7 ");
    sign_ok(&input, &v17_signed, &[]);
    with_version(&v17_signed, &v17, "1.4");
    let (code, report) = verify_json(&v17, &[]);
    assert_eq!(code, 1);
    assert!(rules(&report, 0).contains(&("catalog.other-keys".into(), false)));
}

/// A signed one-page file with a structure tree: root → /Document element → one marked-content
/// kid, and an empty parent tree.
fn tagged_signed(dir: &std::path::Path) -> (std::path::PathBuf, ObjRef) {
    let input = dir.join("in.pdf");
    let prepared = dir.join("tagged.pdf");
    let signed = dir.join("tagged-signed.pdf");
    simple_pdf(&input, 1);
    let mut tree_root = ObjRef::new(0, 0);
    append_revision(&input, &prepared, |pdf, w, next| {
        let root = pdf.trailer().get(b"Root").and_then(Object::as_ref).unwrap();
        let (page, _) = page_dict(pdf);
        let (str_root, elem, parents) = (
            ObjRef::new(next, 0),
            ObjRef::new(next + 1, 0),
            ObjRef::new(next + 2, 0),
        );
        tree_root = str_root;
        w.add(
            str_root,
            &name_dict(&[
                ("Type", Object::name("StructTreeRoot")),
                ("K", Object::Array(vec![Object::Ref(elem)])),
                ("ParentTree", Object::Ref(parents)),
                ("ParentTreeNextKey", Object::Int(1)),
            ]),
        );
        w.add(
            elem,
            &name_dict(&[
                ("Type", Object::name("StructElem")),
                ("S", Object::name("Document")),
                ("P", Object::Ref(str_root)),
                ("Pg", Object::Ref(page)),
                ("K", Object::Array(vec![Object::Int(0)])),
            ]),
        );
        w.add(
            parents,
            &name_dict(&[(
                "Nums",
                Object::Array(vec![Object::Int(0), Object::Array(vec![Object::Ref(elem)])]),
            )]),
        );
        let mut cat = pdf.catalog().unwrap();
        cat.set(b"StructTreeRoot", Object::Ref(str_root));
        cat.set(b"MarkInfo", name_dict(&[("Marked", Object::Bool(true))]));
        w.add(root, &Object::Dict(cat));
    });
    sign_ok(&prepared, &signed, &[]);
    (signed, tree_root)
}

#[test]
fn the_structure_tree_may_attach_a_new_signature_widget_and_nothing_else() {
    let d = tmp();
    let (signed, str_root) = tagged_signed(d.path());
    // A second signature (our signer adds its widget), then the tool tags it: the root's /K
    // gains an /OBJR to the widget and /ParentTreeNextKey grows.
    let twice = d.path().join("twice.pdf");
    sign_ok(&signed, &twice, &["--field", "Seal"]);
    let (code, report) = verify_json(&twice, &[]);
    assert_eq!(code, 0, "{report:#}");
    let widget = report["signatures"][1]["field"].clone();
    assert_eq!(widget, "Seal");
    let attached = d.path().join("attached.pdf");
    let mut widget_ref = None;
    append_revision(&twice, &attached, |pdf, w, next| {
        let (_, pd) = page_dict(pdf);
        let annots = pdf.resolve(pd.get(b"Annots").unwrap()).unwrap();
        let last = annots.as_array().unwrap().last().unwrap().clone();
        widget_ref = last.as_ref();
        let mut root = pdf.get(str_root).unwrap().as_dict().unwrap().clone();
        let objr = ObjRef::new(next, 0);
        w.add(
            objr,
            &name_dict(&[("Type", Object::name("OBJR")), ("Obj", last)]),
        );
        let mut k = root.get(b"K").unwrap().as_array().unwrap().to_vec();
        k.push(Object::Ref(objr));
        root.set(b"K", Object::Array(k));
        root.set(b"ParentTreeNextKey", Object::Int(2));
        w.add(str_root, &Object::Dict(root));
    });
    assert!(widget_ref.is_some());
    let (code, report) = verify_json(&attached, &[]);
    assert_eq!(code, 0, "{report:#}");
    for i in 0..2 {
        assert!(
            rules(&report, i).contains(&("structure.attach-widgets".into(), true)),
            "signature {i}: {report:#}"
        );
    }
    // The same tool removing the signed document element instead: not allowed.
    let removed = d.path().join("removed.pdf");
    append_revision(&signed, &removed, |pdf, w, _| {
        let mut root = pdf.get(str_root).unwrap().as_dict().unwrap().clone();
        root.set(b"K", Object::Array(vec![]));
        w.add(str_root, &Object::Dict(root));
    });
    let (code, report) = verify_json(&removed, &[]);
    assert_eq!(code, 1);
    assert!(rules(&report, 0).contains(&("structure.other".into(), false)));
    assert_eq!(level(&report, 0), "disallowed");
}

/// A one-page file with an empty signature field "Later" whose appearance is stream `ap`,
/// optionally also referenced from the catalog as /FooBar (as pyHanko's "sneaky" fixtures).
fn with_empty_field(dir: &std::path::Path, shared: bool) -> std::path::PathBuf {
    let input = dir.join("in.pdf");
    let prepared = dir.join(if shared { "shared.pdf" } else { "field.pdf" });
    simple_pdf(&input, 1);
    append_revision(&input, &prepared, |pdf, w, next| {
        let root = pdf.trailer().get(b"Root").and_then(Object::as_ref).unwrap();
        let (page, mut pd) = page_dict(pdf);
        let (field, ap) = (ObjRef::new(next, 0), ObjRef::new(next + 1, 0));
        form_xobject(w, ap, &[0, 0, 100, 20], b"");
        w.add(
            field,
            &name_dict(&[
                ("Type", Object::name("Annot")),
                ("Subtype", Object::name("Widget")),
                ("FT", Object::name("Sig")),
                ("T", Object::String(b"Later".to_vec())),
                ("F", Object::Int(4)),
                ("P", Object::Ref(page)),
                ("Rect", ints(&[72, 72, 172, 92])),
                ("AP", name_dict(&[("N", Object::Ref(ap))])),
            ]),
        );
        pd.set(b"Annots", Object::Array(vec![Object::Ref(field)]));
        w.add(page, &Object::Dict(pd));
        let mut cat = pdf.catalog().unwrap();
        cat.set(
            b"AcroForm",
            name_dict(&[("Fields", Object::Array(vec![Object::Ref(field)]))]),
        );
        if shared {
            cat.set(b"FooBar", Object::Ref(ap));
        }
        w.add(root, &Object::Dict(cat));
    });
    prepared
}

/// Signs `prepared` with a new field, then a later revision gives the empty field "Later" a
/// value and rewrites its appearance stream in place.
fn fill_later_in_place(dir: &std::path::Path, prepared: &std::path::Path) -> serde_json::Value {
    let signed = dir.join(format!(
        "{}-signed.pdf",
        prepared.file_stem().unwrap().to_string_lossy()
    ));
    sign_ok(prepared, &signed, &["--field", "First"]);
    let out = dir.join(format!(
        "{}-filled.pdf",
        prepared.file_stem().unwrap().to_string_lossy()
    ));
    append_revision(&signed, &out, |pdf, w, next| {
        let (_, pd) = page_dict(pdf);
        let annots = pdf.resolve(pd.get(b"Annots").unwrap()).unwrap();
        let later = annots.as_array().unwrap()[0].as_ref().unwrap();
        let mut fd = pdf.get(later).unwrap().as_dict().unwrap().clone();
        let ap = pdf
            .get_dict(fd.get(b"AP").unwrap())
            .unwrap()
            .unwrap()
            .get(b"N")
            .and_then(Object::as_ref)
            .unwrap();
        let value = ObjRef::new(next, 0);
        w.add(
            value,
            &name_dict(&[
                ("Type", Object::name("Sig")),
                ("Filter", Object::name("Adobe.PPKLite")),
                ("SubFilter", Object::name("adbe.pkcs7.detached")),
            ]),
        );
        fd.set(b"V", Object::Ref(value));
        w.add(later, &Object::Dict(fd));
        let old = pdf.get(ap).unwrap();
        let Object::Stream(s) = old else {
            panic!("appearance is a stream")
        };
        w.add_stream(ap, &s.dict, b"0 0 1 rg 0 0 100 20 re f");
    });
    verify_json(&out, &[]).1
}

#[test]
fn a_field_s_own_appearance_may_be_rewritten_in_place_but_not_one_used_elsewhere() {
    // (shared with the catalog's /FooBar, as pyHanko's "sneaky" fixtures; level; rule)
    for (shared, want, rule) in [
        (false, "allowed", ("form.appearance-rewritten", true)),
        (true, "disallowed", ("form.shared-appearance", false)),
    ] {
        let d = tmp();
        let prepared = with_empty_field(d.path(), shared);
        let report = fill_later_in_place(d.path(), &prepared);
        let first = index_of(&report, "First");
        assert_eq!(level(&report, first), want, "{report:#}");
        assert!(
            rules(&report, first).contains(&(rule.0.into(), rule.1)),
            "{report:#}"
        );
    }
}

#[test]
fn a_text_field_filled_in_after_an_approval_signature_is_disallowed() {
    // Shadow "replace" by form filling: the field shows over the signed page afterwards.
    let d = tmp();
    let input = d.path().join("in.pdf");
    let prepared = d.path().join("text-field.pdf");
    simple_pdf(&input, 1);
    append_revision(&input, &prepared, |pdf, w, next| {
        let root = pdf.trailer().get(b"Root").and_then(Object::as_ref).unwrap();
        let (page, mut pd) = page_dict(pdf);
        let field = ObjRef::new(next, 0);
        w.add(
            field,
            &name_dict(&[
                ("Type", Object::name("Annot")),
                ("Subtype", Object::name("Widget")),
                ("FT", Object::name("Tx")),
                ("T", Object::String(b"Amount".to_vec())),
                ("P", Object::Ref(page)),
                ("Rect", ints(&[72, 600, 300, 620])),
            ]),
        );
        pd.set(b"Annots", Object::Array(vec![Object::Ref(field)]));
        w.add(page, &Object::Dict(pd));
        let mut cat = pdf.catalog().unwrap();
        cat.set(
            b"AcroForm",
            name_dict(&[("Fields", Object::Array(vec![Object::Ref(field)]))]),
        );
        w.add(root, &Object::Dict(cat));
    });
    let signed = d.path().join("signed.pdf");
    sign_ok(&prepared, &signed, &[]);
    let filled = d.path().join("filled.pdf");
    append_revision(&signed, &filled, |pdf, w, _| {
        let (_, pd) = page_dict(pdf);
        let annots = pdf.resolve(pd.get(b"Annots").unwrap()).unwrap();
        let r = annots.as_array().unwrap()[0].as_ref().unwrap();
        let mut fd = pdf.get(r).unwrap().as_dict().unwrap().clone();
        fd.set(b"V", Object::String(b"1.000.000.000 VND".to_vec()));
        w.add(r, &Object::Dict(fd));
    });
    let (code, report) = verify_json(&filled, &[]);
    assert_eq!(code, 1, "{report:#}");
    assert!(rules(&report, 0).contains(&("form.filled-without-permission".into(), false)));
}
