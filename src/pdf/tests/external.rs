//! Cross-checks against real tools when installed (qpdf, pdfinfo); skipped otherwise.

use super::files::open;
use super::fixtures::{classic, compressed};
use crate::pdf::{IncrementalWriter, ObjRef, Object, PrevInfo, XrefEntry};
use std::path::Path;
use std::process::{Command, Output};

fn tool(name: &str) -> bool {
    let ok = Command::new(name)
        .arg(if name == "pdfinfo" { "-v" } else { "--version" })
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("note: {name} is not installed; skipping this check");
    }
    ok
}

fn run(cmd: &str, args: &[&str]) -> Output {
    Command::new(cmd).args(args).output().unwrap()
}

/// `qpdf --show-xref` lines: `1/0: uncompressed; offset = 15`,
/// `2/0: compressed; stream = 1, index = 0`.
fn qpdf_xref(path: &Path) -> Vec<(u32, XrefEntry)> {
    let out = run("qpdf", &["--show-xref", path.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    let mut v = Vec::new();
    for line in text.lines() {
        let Some((id, rest)) = line.split_once(": ") else {
            continue;
        };
        let num: u32 = id.split('/').next().unwrap().parse().unwrap();
        let nums: Vec<u64> = rest
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|s| s.parse().ok())
            .collect();
        let e = if rest.starts_with("uncompressed") {
            XrefEntry::InUse {
                offset: nums[0],
                gen: 0,
            }
        } else if rest.starts_with("compressed") {
            XrefEntry::Compressed {
                stream: nums[0] as u32,
                index: nums[1] as u32,
            }
        } else {
            continue;
        };
        v.push((num, e));
    }
    v
}

#[test]
fn files_written_by_qpdf() {
    if !tool("qpdf") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.pdf");
    std::fs::write(&input, classic()).unwrap();
    let variants: [&[&str]; 4] = [
        &["--object-streams=generate"],
        &["--linearize"],
        &["--object-streams=generate", "--linearize"],
        &[
            "--object-streams=generate",
            "--compress-streams=y",
            "--recompress-flate",
        ],
    ];
    for (i, args) in variants.iter().enumerate() {
        let out = dir.path().join(format!("out{i}.pdf"));
        let mut all: Vec<&str> = args.to_vec();
        all.extend([input.to_str().unwrap(), out.to_str().unwrap()]);
        assert!(run("qpdf", &all).status.success(), "qpdf {args:?}");
        let bytes = std::fs::read(&out).unwrap();
        let mut f = open(&bytes);
        assert!(!f.repaired(), "{args:?}");
        let pages = f.pages().unwrap();
        assert_eq!(pages.len(), 2, "{args:?}");
        for (num, e) in qpdf_xref(&out) {
            let ours = f.entries().get(&num).copied();
            let same = match (ours, e) {
                (Some(XrefEntry::InUse { offset, .. }), XrefEntry::InUse { offset: o, .. }) => {
                    offset == o
                }
                (Some(a), b) => a == b,
                (None, _) => false,
            };
            assert!(same, "{args:?}: object {num}: ours {ours:?}, qpdf {e:?}");
            assert!(!f.get(ObjRef::new(num, 0)).unwrap().is_null());
        }
        let page = f.get(pages[0]).unwrap();
        let contents = page.as_dict().unwrap().get(b"Contents").cloned().unwrap();
        let Object::Stream(s) = f.resolve(&contents).unwrap() else {
            panic!()
        };
        assert_eq!(f.stream_decoded(&s).unwrap(), super::fixtures::CONTENT);
        let last = f.revisions().last().unwrap().end;
        assert_eq!(last, bytes.len() as u64, "{args:?}");
    }
}

#[test]
fn our_files_pass_qpdf_check() {
    if !tool("qpdf") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (i, base) in [classic(), compressed(false), compressed(true)]
        .into_iter()
        .enumerate()
    {
        let mut f = open(&base);
        let prev = PrevInfo::from_file(&mut f).unwrap();
        let mut info = f
            .get(ObjRef::new(6, 0))
            .unwrap()
            .as_dict()
            .cloned()
            .unwrap();
        info.set(b"Title", Object::String(b"Updated".to_vec()));
        let mut w = IncrementalWriter::new();
        w.add(ObjRef::new(6, 0), &Object::Dict(info));
        let mut both = base.clone();
        both.extend(w.finish(base.len() as u64, &prev));
        for (name, bytes) in [("base", &base), ("updated", &both)] {
            let path = dir.path().join(format!("{name}{i}.pdf"));
            std::fs::write(&path, bytes).unwrap();
            let p = path.to_str().unwrap();
            let out = run("qpdf", &["--check", p]);
            let text = String::from_utf8_lossy(&out.stdout).to_string()
                + &String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{name}{i}: {text}");
            assert!(!text.contains("WARNING"), "{name}{i}: {text}");
            if name == "updated" && tool("pdfinfo") {
                let out = run("pdfinfo", &[p]);
                let info = String::from_utf8_lossy(&out.stdout);
                assert!(out.status.success() && info.contains("Updated"), "{info}");
                let pages = info.lines().find(|l| l.starts_with("Pages:"));
                assert!(pages.is_some_and(|l| l.ends_with(" 2")), "{info}");
            }
        }
    }
}

#[test]
fn update_of_a_linearized_file() {
    if !tool("qpdf") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (input, lin) = (dir.path().join("in.pdf"), dir.path().join("lin.pdf"));
    std::fs::write(&input, classic()).unwrap();
    let args = [
        "--linearize",
        input.to_str().unwrap(),
        lin.to_str().unwrap(),
    ];
    assert!(run("qpdf", &args).status.success());
    let base = std::fs::read(&lin).unwrap();
    let mut f = open(&base);
    assert_eq!(f.revisions().len(), 2);
    assert_eq!(f.revisions()[1].end, base.len() as u64);
    let prev = PrevInfo::from_file(&mut f).unwrap();
    let mut w = IncrementalWriter::new();
    let info_ref = f.trailer().get(b"Info").and_then(Object::as_ref).unwrap();
    let mut info = f.get(info_ref).unwrap().as_dict().cloned().unwrap();
    info.set(b"Title", Object::String(b"Signed".to_vec()));
    w.add(info_ref, &Object::Dict(info));
    let mut both = base.clone();
    both.extend(w.finish(base.len() as u64, &prev));
    let path = dir.path().join("updated.pdf");
    std::fs::write(&path, &both).unwrap();
    let out = run("qpdf", &["--check", path.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let mut f = open(&both);
    assert_eq!(f.pages().unwrap().len(), 2);
    let ends: Vec<u64> = f.revisions().iter().map(|r| r.end).collect();
    assert_eq!(ends.len(), 3);
    assert_eq!(&ends[1..], &[base.len() as u64, both.len() as u64]);
    let cur = std::io::Cursor::new(both);
    let limits = crate::pdf::Limits::default();
    let mut old = crate::pdf::PdfFile::open_prefix(cur, base.len() as u64, limits).unwrap();
    assert!(!old.repaired());
    assert_eq!(old.revisions().len(), 2);
    assert_eq!(old.pages().unwrap().len(), 2);
}
