//! Temporary.
use crate::pdf::{Limits, ObjRef, Object, PdfFile, XrefEntry};
#[test]
fn adhoc_real_files() {
    let Ok(dir) = std::env::var("PDF_ADHOC_DIR") else {
        return;
    };
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let f = std::fs::File::open(&p).unwrap();
        let mut pdf = match PdfFile::open(std::io::BufReader::new(f), Limits::default()) {
            Ok(x) => x,
            Err(e) => {
                eprintln!("{}: OPEN ERROR {e}", p.display());
                continue;
            }
        };
        let pages = pdf.pages().map(|p| p.len());
        let out = std::process::Command::new("qpdf")
            .args(["--show-xref", p.to_str().unwrap()])
            .output()
            .unwrap();
        let mut mism = 0;
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let Some((id, rest)) = line.split_once(": ") else {
                continue;
            };
            let num: u32 = id.split('/').next().unwrap().parse().unwrap();
            let nums: Vec<u64> = rest
                .split(|c: char| !c.is_ascii_digit())
                .filter_map(|s| s.parse().ok())
                .collect();
            let ours = pdf.entries().get(&num).copied();
            let ok = match ours {
                Some(XrefEntry::InUse { offset, .. }) => {
                    rest.starts_with("uncompressed") && nums[0] == offset
                }
                Some(XrefEntry::Compressed { stream, index }) => {
                    rest.starts_with("compressed") && nums == vec![stream as u64, index as u64]
                }
                _ => false,
            };
            if !ok {
                mism += 1;
                if mism < 4 {
                    eprintln!("  {num}: ours {ours:?} qpdf {rest}");
                }
            }
        }
        let nums: Vec<u32> = pdf.entries().keys().copied().collect();
        let (mut errs, mut streams, mut unsupported) = (0, 0, 0);
        for n in nums {
            match pdf.get(ObjRef::new(n, 0)) {
                Ok(Object::Stream(s)) => {
                    streams += 1;
                    if let Err(e) = pdf.stream_decoded(&s) {
                        if e.to_string().contains("not supported") {
                            unsupported += 1
                        } else {
                            errs += 1;
                            eprintln!("  stream {n}: {e}");
                        }
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    errs += 1;
                    eprintln!("  get {n}: {e}");
                }
            }
        }
        let revs: Vec<(u64, u64)> = pdf
            .revisions()
            .iter()
            .map(|r| (r.xref_offset, r.end))
            .collect();
        eprintln!("{}: len {} pages {:?} entries {} mismatches {mism} streams {streams} unsupported {unsupported} errs {errs} repaired {} revs {revs:?}", p.display(), pdf.len(), pages, pdf.entries().len(), pdf.repaired());
    }
}
