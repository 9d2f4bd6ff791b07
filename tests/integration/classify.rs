//! `sohoa classify` end to end on the labelled scanned batches of `samples/dossiers` (real
//! Tesseract, real QR decoding): exact dossiers, papers, types and identity numbers on fixed
//! pages — a batch of two dossiers, an upside-down page, papers with misread tone marks, a
//! cover sheet whose QR code is damaged — and the quality targets of `sohoa eval classify`.

use std::path::PathBuf;

use serde_json::Value;

use crate::helpers::*;

fn batch(name: &str) -> PathBuf {
    root().join("samples/dossiers").join(name)
}

fn labels(file: &str) -> Value {
    let all: Value =
        serde_json::from_slice(&read(&batch("labels.json"))).expect("labels.json parses");
    all["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["file"] == file)
        .unwrap_or_else(|| panic!("{file} in labels.json"))
        .clone()
}

/// Trains the model from samples/train into `dir` and returns its path.
fn train(dir: &std::path::Path) -> PathBuf {
    let model = dir.join("model.json");
    let o = sohoa(&[
        "classify",
        "train",
        root().join("samples/train").to_str().unwrap(),
        "-o",
        model.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    model
}

fn classify_json(file: &str, extra: &[&str]) -> (Value, String) {
    let path = batch(file);
    let mut args = vec!["classify", "--json"];
    args.extend_from_slice(extra);
    args.push(path.to_str().unwrap());
    let o = sohoa(&args);
    assert!(o.status.success(), "{}", text(&o));
    let v = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    (v, String::from_utf8_lossy(&o.stderr).into_owned())
}

/// (dossier, type, first page, last page, sorted valid person ids) of every paper.
type Paper = (Option<String>, String, u64, u64, Vec<String>);

fn papers_found(v: &Value) -> Vec<Paper> {
    let mut out = Vec::new();
    for d in v["dossiers"].as_array().expect("dossiers") {
        for c in d["components"].as_array().expect("components") {
            let pages = c["pages"].as_array().expect("pages");
            let mut ids: Vec<String> = c["owner_ids"]
                .as_array()
                .expect("owner_ids")
                .iter()
                .map(|x| x.as_str().unwrap().to_string())
                .collect();
            ids.sort();
            out.push((
                d["code"].as_str().map(String::from),
                c["type_code"].as_str().unwrap().to_string(),
                pages[0]["page"].as_u64().unwrap(),
                pages[pages.len() - 1]["page"].as_u64().unwrap(),
                ids,
            ));
        }
    }
    out
}

fn papers_labelled(l: &Value) -> Vec<Paper> {
    l["components"]
        .as_array()
        .expect("components")
        .iter()
        .map(|c| {
            let mut ids: Vec<String> = c["fields"]["person_id"]
                .as_array()
                .map(|a| a.iter().map(|x| x.as_str().unwrap().to_string()).collect())
                .unwrap_or_default();
            ids.sort();
            (
                c["dossier"].as_str().map(String::from),
                c["type"].as_str().unwrap().to_string(),
                c["pages"][0].as_u64().unwrap(),
                c["pages"][1].as_u64().unwrap(),
                ids,
            )
        })
        .collect()
}

fn paper_at(v: &Value, page: u64) -> Value {
    v["dossiers"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["components"].as_array().unwrap().iter())
        .find(|c| c["pages"][0]["page"] == page)
        .unwrap_or_else(|| panic!("a paper starting on page {page}"))
        .clone()
}

fn field_values(paper: &Value, kind: &str) -> Vec<String> {
    paper["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == kind && f["check"]["state"] == "valid")
        .map(|f| f["value"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_batch_of_two_dossiers_is_split_by_its_cover_sheets() {
    let (v, _) = classify_json("batch-02.pdf", &[]);
    let l = labels("batch-02.pdf");
    let codes: Vec<&str> = v["dossiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().expect("a dossier code read from the QR"))
        .collect();
    assert_eq!(
        codes,
        ["000.00.12.H59-230315-0042", "000.00.12.H59-230315-0043"]
    );
    for (d, cover) in v["dossiers"].as_array().unwrap().iter().zip([1, 6]) {
        assert_eq!(d["code_source"], "cover_sheet");
        assert_eq!(
            d["cover_page"]["page"], cover,
            "the cover sheet is not a paper"
        );
    }
    assert_eq!(papers_found(&v), papers_labelled(&l));
    // the upside-down second page of the land-use certificate stays with its first page
    let land = paper_at(&v, 9);
    assert_eq!(land["type_code"], "land_use_certificate");
    assert_eq!(land["pages"].as_array().unwrap().len(), 2);
}

#[test]
fn an_upside_down_page_is_read_and_kept_with_its_paper() {
    // batch-01 page 5 was scanned upside down: the second page of a land-transfer contract
    let (v, _) = classify_json("batch-01.tif", &[]);
    let l = labels("batch-01.tif");
    assert_eq!(l["pages"][4]["rotation"], 180);
    let p = paper_at(&v, 4);
    assert_eq!(p["type_code"], "contract");
    assert_eq!(p["needs_review"], false);
    let pages: Vec<u64> = p["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["page"].as_u64().unwrap())
        .collect();
    assert_eq!(pages, [4, 5]);
    assert_eq!(papers_found(&v), papers_labelled(&l));
    // the two ID cards of husband and wife, one after the other, are two papers
    assert_eq!(paper_at(&v, 6)["type_code"], "citizen_id");
    assert_eq!(paper_at(&v, 7)["type_code"], "citizen_id");
}

#[test]
fn papers_with_misread_tone_marks_are_still_classified() {
    let (v, stderr) = classify_json("batch-05.pdf", &[]);
    let l = labels("batch-05.pdf");
    // "ĐƠN ĐÊ NGHI" (for ĐƠN ĐỀ NGHỊ) and a land-use certificate printed without diacritics
    assert!(l["pages"][5]["note"]
        .as_str()
        .unwrap()
        .contains("misread tone marks"));
    assert_eq!(paper_at(&v, 6)["type_code"], "application");
    let land = paper_at(&v, 7);
    assert_eq!(land["type_code"], "land_use_certificate");
    assert_eq!(field_values(&land, "full_name")[0], "Nguyen Van Hung");
    // no cover sheet: one dossier of unknown code, said so
    assert_eq!(v["dossiers"].as_array().unwrap().len(), 1);
    assert!(v["dossiers"][0]["code"].is_null());
    assert!(stderr.contains("dossier code is unknown"), "{stderr}");
    assert_eq!(papers_found(&v), papers_labelled(&l));
}

#[test]
fn a_damaged_qr_code_is_reported_and_not_guessed() {
    let (v, stderr) = classify_json("batch-04.tif", &[]);
    let l = labels("batch-04.tif");
    assert_eq!(l["pages"][0]["qr"], "damaged");
    let d = &v["dossiers"][0];
    assert!(d["code"].is_null(), "a code was guessed: {}", d["code"]);
    assert_eq!(d["code_source"], "none");
    assert_eq!(d["cover_page"]["page"], 1);
    // the printed code is offered to the operator to confirm, not used
    let printed = l["pages"][0]["dossier"].as_str().unwrap();
    assert!(
        stderr.contains("could not be read") && stderr.contains(printed),
        "{stderr}"
    );
    let want: Vec<Paper> = papers_labelled(&l)
        .into_iter()
        .map(|(_, t, a, b, ids)| (None, t, a, b, ids))
        .collect();
    assert_eq!(papers_found(&v), want);
}

#[test]
fn the_operators_folder_wins_over_the_cover_sheet_with_a_warning() {
    let (v, stderr) = classify_json("batch-02.pdf", &["--dossier", "000.00.12.H59-230315-0099"]);
    for d in v["dossiers"].as_array().unwrap() {
        assert_eq!(d["code"], "000.00.12.H59-230315-0099");
        assert_eq!(d["code_source"], "folder");
    }
    assert!(stderr.contains("the folder wins"), "{stderr}");
    let o = sohoa(&[
        "classify",
        "--dossier",
        "H59-1",
        batch("batch-06.jpg").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("not shaped like a dossier code"),
        "{}",
        text(&o)
    );
}

#[test]
fn eval_classify_meets_the_targets_on_the_samples() {
    let dir = tmp();
    let model = train(dir.path());
    let o = sohoa(&[
        "eval",
        "classify",
        "--json",
        "--model",
        model.to_str().unwrap(),
        batch("").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let e: Value = serde_json::from_slice(&o.stdout).expect("json");
    let f = |k: &str| e[k].as_f64().unwrap();
    let n = |k: &str| e[k].as_u64().unwrap();
    assert!(f("macro_f1") >= 0.95, "{e:#}");
    assert!(
        n("ids_correct") as f64 >= 0.98 * n("ids_total") as f64,
        "{e:#}"
    );
    assert_eq!(n("ids_extra"), 0, "{e:#}");
    assert_eq!(n("covers_read"), n("covers_readable"), "{e:#}");
    assert_eq!(n("covers_damaged_reported"), n("covers_damaged"), "{e:#}");
    assert_eq!(n("wrong_dossier"), 0, "{e:#}");
    assert!(n("components") >= 30 && n("pages") >= 50, "{e:#}");
    // every default type is represented
    assert_eq!(e["per_type"].as_object().unwrap().len(), 11, "{e:#}");
}

#[test]
fn training_refuses_examples_of_an_unknown_type() {
    let dir = tmp();
    let t = dir.path().join("train");
    std::fs::create_dir_all(t.join("quyet_dinh")).unwrap();
    std::fs::write(t.join("quyet_dinh/1.txt"), "QUYẾT ĐỊNH").unwrap();
    let o = sohoa(&[
        "classify",
        "train",
        t.to_str().unwrap(),
        "-o",
        dir.path().join("m.json").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("\"quyet_dinh\", which is not a configured document type"),
        "{}",
        text(&o)
    );
    assert!(!dir.path().join("m.json").exists());
    // a labels.tsv may not point outside its folder
    std::fs::write(t.join("labels.tsv"), "../../etc/passwd\tdecision\n").unwrap();
    let o = sohoa(&["classify", "train", t.to_str().unwrap(), "-o", "/dev/null"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("must stay inside"), "{}", text(&o));
}

/// The `seal` fields of every paper of `scan`, classified alone, and the warnings.
fn seals(scan: &std::path::Path) -> (Vec<String>, String) {
    let o = sohoa(&["classify", "--json", scan.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let seals = v["dossiers"][0]["components"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["fields"].as_array().unwrap().clone())
        .filter(|f| f["kind"] == "seal")
        .map(|f| f["value"].as_str().unwrap().to_owned())
        .collect();
    (seals, String::from_utf8_lossy(&o.stderr).into_owned())
}

#[test]
fn a_birth_certificate_shows_its_red_seal_or_is_flagged_for_lacking_one() {
    // the sample scan (a colour JPEG, 200 dpi) has no seal: flagged
    let scan = root().join("samples/scans/khai-sinh.jpg");
    let (found, warned) = seals(&scan);
    assert_eq!(found, ["absent"]);
    assert!(warned.contains("no red seal"), "{warned}");
    let dir = tmp();
    let sealed = sealed_copy(&scan, &dir.path().join("khai-sinh-sealed.tif"));
    let (found, warned) = seals(&sealed);
    assert_eq!(found, ["present"], "{warned}");
    assert!(!warned.contains("no red seal"), "{warned}");
}
