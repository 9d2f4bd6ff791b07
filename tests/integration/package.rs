//! `sohoa export` and `sohoa verify-package` end to end: a dossier ingested from the samples is
//! exported as a package; it verifies offline, its manifest's detached signature also for
//! `openssl cms`; one byte changed in any member (raw in the archive, or inside a re-written,
//! well-formed archive) makes the check fail and name that member; an added member, a removed
//! one and a file that is not a ZIP are each reported.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::helpers::*;
use crate::ingest::{json, run};

const DOSSIER: &str = "000.00.10.H59-240521-0015";

/// A store holding the dossier of `batch-04.tif`, exported to `pkg.zip` with the portal view.
fn exported(dir: &Path) -> (PathBuf, PathBuf, Value) {
    let cfg = store_config(
        dir,
        "000.00.10.H59",
        "[export]\ncomponent_codes = { residence = \"TP-CT01\" }\n",
    );
    let batch = root().join("samples/dossiers/batch-04.tif");
    json(
        &cfg,
        &[
            "ingest",
            "--json",
            "--dossier",
            DOSSIER,
            batch.to_str().unwrap(),
        ],
    );
    let pkg = dir.join("pkg.zip");
    let done = json(
        &cfg,
        &[
            "export",
            "--json",
            "--portal",
            "--procedure",
            "1.001612.000.00.00.H59",
            "--dossier",
            DOSSIER,
            "-o",
            pkg.to_str().unwrap(),
        ],
    );
    (cfg, pkg, done)
}

fn check(cfg: &Path, pkg: &Path) -> (i32, Value) {
    let o = run(cfg, &["verify-package", "--json", pkg.to_str().unwrap()]);
    let v = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    (o.status.code().unwrap_or(-1), v)
}

fn problems(report: &Value) -> String {
    let mut all: Vec<String> = report["problems"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| p.as_str().unwrap_or_default().to_string())
        .collect();
    for m in report["members"].as_array().into_iter().flatten() {
        for p in m["problems"].as_array().into_iter().flatten() {
            all.push(format!("{}: {}", m["name"].as_str().unwrap_or("?"), p));
        }
    }
    all.join("\n")
}

/// Checking `pkg` fails (exit 1) and a problem names member `name` exactly (`name:`, so
/// `manifest.json.p7s` does not stand for `manifest.json`).
fn fails_naming(cfg: &Path, pkg: &Path, name: &str) {
    let (code, report) = check(cfg, pkg);
    assert_eq!(code, 1, "{name}: {report:#}");
    let all = problems(&report);
    assert!(all.contains(&format!("{name}:")), "{name}: {all}");
}

/// (name, data start, data length) of every member.
fn members(pkg: &Path) -> Vec<(String, u64, u64)> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(pkg).unwrap()).unwrap();
    (0..z.len())
        .map(|i| {
            let f = z.by_index_raw(i).unwrap();
            (
                f.name().unwrap().to_string(),
                f.data_start().unwrap(),
                f.compressed_size(),
            )
        })
        .collect()
}

fn member_bytes(pkg: &Path, name: &str) -> Vec<u8> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(pkg).unwrap()).unwrap();
    let mut v = Vec::new();
    z.by_name(name).unwrap().read_to_end(&mut v).unwrap();
    v
}

/// A copy of `pkg` whose members are re-written by `edit` (name, bytes) → new bytes or `None`
/// to drop it; `extra` members are added. A well-formed archive: only the content differs.
fn rewritten(
    pkg: &Path,
    out: &Path,
    mut edit: impl FnMut(&str, Vec<u8>) -> Option<Vec<u8>>,
    extra: &[(&str, &[u8])],
) {
    let mut z = zip::ZipArchive::new(std::fs::File::open(pkg).unwrap()).unwrap();
    let mut w = zip::ZipWriter::new(std::fs::File::create(out).unwrap());
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let mut v = Vec::new();
        f.read_to_end(&mut v).unwrap();
        if let Some(v) = edit(&name, v) {
            w.start_file(name, opts).unwrap();
            w.write_all(&v).unwrap();
        }
    }
    for (name, bytes) in extra {
        w.start_file(*name, opts).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap();
}

#[test]
fn an_exported_dossier_verifies_offline_and_one_changed_byte_in_any_member_is_named() {
    let dir = tmp();
    let (cfg, pkg, done) = exported(dir.path());
    let found = json(&cfg, &["find", "--json", "--dossier", DOSSIER]);
    let n = found.as_array().unwrap().len();
    assert!(n >= 2, "{found}");
    assert_eq!(done["papers"], n, "{done}");

    // the package verifies, and says what it holds
    let (code, report) = check(&cfg, &pkg);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["valid"], true);
    let m = &report["manifest"];
    assert_eq!(m["dossier"]["code"], DOSSIER);
    assert_eq!(m["dossier"]["unit"], "000.00.10.H59");
    assert_eq!(m["dossier"]["procedure_code"], "1.001612.000.00.00.H59");
    let papers = m["papers"].as_array().unwrap();
    assert_eq!(papers.len(), n);
    for p in papers {
        let pdf = member_bytes(&pkg, p["file"].as_str().unwrap());
        let sha = hex::encode(sohoa::pki::digest::DigestAlg::Sha256.digest(&pdf));
        assert_eq!(p["sha256"], sha.as_str(), "{p}");
        assert!(!p["signers"].as_array().unwrap().is_empty(), "{p}");
        let want = if p["type_code"] == "residence" {
            Value::from("TP-CT01")
        } else {
            Value::Null
        };
        assert_eq!(p["component_code"], want, "{p}");
    }
    assert!(papers.iter().any(|p| p["type_code"] == "residence"), "{m}");
    assert_eq!(
        report["manifest_signature"]["valid"], true,
        "{:#}",
        report["manifest_signature"]
    );

    // the portal view carries the dossier with the portal's names
    let portal: Value = serde_json::from_slice(&member_bytes(&pkg, "portal.json")).unwrap();
    assert_eq!(portal["service"], "DongBoHoSoMC");
    assert_eq!(portal["madonvi"], "000.00.10.H59");
    let rec = &portal["data"][0];
    assert_eq!(rec["MaHoSo"], DOSSIER);
    assert_eq!(rec["MaTTHC"], "1.001612.000.00.00.H59");
    assert_eq!(rec["NgayTiepNhan"].as_str().unwrap().len(), 14, "{rec}");
    assert_eq!(rec["TaiLieuNop"].as_array().unwrap().len(), n);

    // an independent check of the manifest's detached signature
    let manifest = dir.path().join("manifest.json");
    let p7s = dir.path().join("manifest.json.p7s");
    std::fs::write(&manifest, member_bytes(&pkg, "manifest.json")).unwrap();
    std::fs::write(&p7s, member_bytes(&pkg, "manifest.json.p7s")).unwrap();
    let o = openssl_cms_verify_detached(&p7s, &manifest);
    assert!(o.status.success(), "openssl cms: {}", text(&o));

    // one byte flipped inside each member's data, raw in the archive
    let original = read(&pkg);
    let all = members(&pkg);
    assert_eq!(all.len(), n + 3, "{all:?}");
    for (name, start, len) in &all {
        let mut bytes = original.clone();
        let at = usize::try_from(start + len / 2).unwrap();
        bytes[at] ^= 0x01;
        let bad = dir.path().join("flipped.zip");
        std::fs::write(&bad, &bytes).unwrap();
        fails_naming(&cfg, &bad, name);
    }

    // one byte changed inside each member of a well-formed archive (CRCs right)
    for (name, _, _) in &all {
        let bad = dir.path().join("edited.zip");
        rewritten(
            &pkg,
            &bad,
            |n, mut v| {
                if n == name {
                    let at = v.len() / 2;
                    v[at] ^= 0x20;
                }
                Some(v)
            },
            &[],
        );
        fails_naming(&cfg, &bad, name);
    }

    // a member the manifest does not list, and a listed one taken out
    let bad = dir.path().join("added.zip");
    rewritten(
        &pkg,
        &bad,
        |_, v| Some(v),
        &[("papers/99-extra.pdf", b"%PDF-1.7\n")],
    );
    let (code, report) = check(&cfg, &bad);
    assert_eq!(code, 1, "{report:#}");
    assert!(
        problems(&report).contains("papers/99-extra.pdf"),
        "{}",
        problems(&report)
    );
    let gone = papers[0]["file"].as_str().unwrap();
    rewritten(&pkg, &bad, |n, v| (n != gone).then_some(v), &[]);
    let (code, report) = check(&cfg, &bad);
    assert_eq!(code, 1, "{report:#}");
    assert!(problems(&report).contains(gone), "{}", problems(&report));

    // not a ZIP at all: could not check
    let (code, report) = check(&cfg, &manifest);
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(report["valid"], false);

    // the export is in the audit log and the dossier's history
    let o = run(&cfg, &["audit", "verify"]);
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn a_dossier_with_no_papers_or_an_existing_output_is_refused() {
    let dir = tmp();
    let (cfg, pkg, _) = exported(dir.path());
    let o = run(
        &cfg,
        &["export", "--dossier", DOSSIER, "-o", pkg.to_str().unwrap()],
    );
    assert!(!o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("writing its package"), "{}", text(&o));
    let o = run(
        &cfg,
        &[
            "export",
            "--dossier",
            "000.00.10.H59-240521-9999",
            "-o",
            dir.path().join("none.zip").to_str().unwrap(),
        ],
    );
    assert!(!o.status.success(), "{}", text(&o));
    assert!(!dir.path().join("none.zip").exists());
}
