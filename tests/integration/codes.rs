//! Cover-sheet codes and blank backs as cheap scanners deliver them (issue 17 items 1, 3 and 6):
//! the quick subsets of `scripts/bench_codes.py` and `scripts/bench_blank.py`, run against this
//! build. Each script exits 1 when its bar is missed, and prints its table.

use std::process::Command;

use crate::helpers::*;

/// Runs `scripts/<script> --quick` with this build's `sohoa`; its report, asserted successful.
fn quick_bench(script: &str, out: &str) -> String {
    let out = root().join("target").join(out);
    let _ = std::fs::remove_dir_all(&out);
    let o = Command::new(venv_bin("python"))
        .arg(root().join("scripts").join(script))
        .args(["--quick", "--out"])
        .arg(&out)
        .arg("--sohoa")
        .arg(env!("CARGO_BIN_EXE_sohoa"))
        .output()
        .unwrap_or_else(|e| panic!("run {script}: {e}"));
    let report = text(&o);
    eprintln!("{report}");
    assert!(o.status.success(), "{report}");
    report
}

/// QR with 0.5 mm modules at 150, 200 and 300 dpi, JPEG quality 40 and 90, turned up to 5°,
/// blurred or not; Data Matrix and Code 128 made by zint. sohoa reads at least as many QR codes
/// as `zbarimg` in every cell, every Data Matrix and Code 128 symbol, and never returns a
/// payload other than the one drawn.
#[test]
fn cover_sheet_codes_read_at_least_as_often_as_zbar_and_never_misread() {
    let report = quick_bench("bench_codes.py", "test-codes");
    assert!(!report.contains("MISREAD by sohoa"), "{report}");
}

/// Blank backs with show-through, dust and edge shadows against the same backs carrying only
/// a page number, a signature, a stamp, a red seal or one line: no page with content is called
/// blank, and at least 95% of the blank ones are.
#[test]
fn blank_backs_are_told_from_pages_with_one_small_mark() {
    let report = quick_bench("bench_blank.py", "test-blank");
    assert!(report.contains("precision 1.000"), "{report}");
}
