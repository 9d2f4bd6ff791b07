//! Long commands say how far they are on standard error: plain lines when it is a file or a
//! pipe (a stage's first line, its last, at most one every 2 s between), a bar with an ETA
//! when it is a terminal (a real pseudo-terminal, from util-linux's `script`).

use std::process::Command;

use crate::helpers::*;
use crate::ingest::run;

#[test]
fn long_commands_print_plain_progress_lines_when_not_on_a_terminal() {
    let dir = tmp();
    let out = dir.path().join("d.pdf");
    let batch = root().join("samples/dossiers/batch-02.pdf");
    let o = sohoa(&[
        "digitize",
        batch.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("sohoa: pages 0/12 (0%), ETA -"), "{err}");
    assert!(err.contains("sohoa: pages 12/12 (100%), done in "), "{err}");
    assert!(!err.contains('\u{1b}'), "escape codes in a log: {err:?}");

    // a folder of two batches: the batches are counted; then the store re-hashed
    let cfg = store_config(dir.path(), "000.00.10.H59", "");
    let folder = dir.path().join("scans");
    for (sub, file) in [("a", "cccd-ban-sao.png"), ("b", "khai-sinh.jpg")] {
        std::fs::create_dir_all(folder.join(sub)).unwrap();
        std::fs::copy(
            root().join("samples/scans").join(file),
            folder.join(sub).join(file),
        )
        .unwrap();
    }
    let o = run(
        &cfg,
        &[
            "ingest",
            folder.join("a").to_str().unwrap(),
            folder.join("b").to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("sohoa: batches 2/2 (100%), done in "), "{err}");
    let o = run(&cfg, &["store", "check", "--rehash"]);
    assert!(o.status.success(), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    // two scans and two signed papers
    assert!(err.contains("sohoa: blobs re-hashed 4/4 (100%)"), "{err}");
}

#[test]
fn on_a_terminal_digitize_draws_a_bar_with_an_eta() {
    let dir = tmp();
    let out = dir.path().join("d.pdf");
    let batch = root().join("samples/dossiers/batch-02.pdf");
    let cmd = format!(
        "{} digitize {} -o {}",
        env!("CARGO_BIN_EXE_sohoa"),
        batch.display(),
        out.display()
    );
    // script(1) runs the command on a pseudo-terminal and copies what it drew
    let o = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .current_dir(root())
        .output()
        .expect("script (util-linux)");
    assert!(o.status.success(), "{}", text(&o));
    let drawn = String::from_utf8_lossy(&o.stdout);
    assert!(drawn.contains("\u{1b}[2K"), "no bar drawn: {drawn:?}");
    assert!(
        drawn.contains("pages [") && drawn.contains("ETA "),
        "{drawn:?}"
    );
    assert!(drawn.contains("sohoa: pages 12/12 done in "), "{drawn:?}");
    assert!(out.is_file());
}
