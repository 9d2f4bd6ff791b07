//! Visible signatures and certified copies: stamps where the rules put them (checked on pages
//! rendered by poppler's `pdftoppm`: ink inside the stamp's box, none of the page's own ink
//! under it, nothing else changed), read back by `pdftotext`, accepted by pyHanko, pdfsig and
//! qpdf, PDF/A kept; a stamp moved off content; a stamp naming someone else flagged; the
//! certification register without gaps or duplicates across units, concurrent runs and
//! `kill -9`.

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::helpers::*;

/// A page rendered at 72 dpi in gray: one pixel per point.
struct Gray {
    w: usize,
    h: usize,
    px: Vec<u8>,
}

fn render(pdf: &Path, page: usize) -> Gray {
    let d = tmp();
    let stem = d.path().join("p");
    let o = Command::new("pdftoppm")
        .args([
            "-r",
            "72",
            "-gray",
            "-f",
            &page.to_string(),
            "-l",
            &page.to_string(),
        ])
        .arg(pdf)
        .arg(&stem)
        .output()
        .expect("pdftoppm (poppler-utils)");
    assert!(o.status.success(), "{}", text(&o));
    let file = std::fs::read_dir(d.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "pgm"))
        .expect("a .pgm page");
    let data = std::fs::read(file).unwrap();
    // P5 <w> <h> <max> <pixels>
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while data[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !data[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(String::from_utf8_lossy(&data[start..at]).into_owned());
    }
    assert_eq!(fields[0], "P5");
    let (w, h) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    Gray {
        w,
        h,
        px: data[at + 1..].to_vec(),
    }
}

impl Gray {
    /// Pixels darker than 128 inside `[x0 y0 x1 y1]` (PDF points, origin bottom left).
    fn ink(&self, r: [f64; 4]) -> usize {
        let (x0, x1) = (
            r[0].floor().max(0.0) as usize,
            (r[2].ceil() as usize).min(self.w),
        );
        let (y0, y1) = (
            (self.h as f64 - r[3]).floor().max(0.0) as usize,
            ((self.h as f64 - r[1]).ceil() as usize).min(self.h),
        );
        (y0..y1)
            .flat_map(|y| (x0..x1).map(move |x| (x, y)))
            .filter(|&(x, y)| self.px[y * self.w + x] < 128)
            .count()
    }

    /// Pixels that differ by more than 40 from `other`'s outside every box in `keep`.
    fn changed_outside(&self, other: &Gray, keep: &[[f64; 4]]) -> usize {
        assert_eq!((self.w, self.h), (other.w, other.h));
        let inside = |x: usize, y: usize| {
            let (px, py) = (x as f64 + 0.5, self.h as f64 - y as f64 - 0.5);
            keep.iter().any(|r| {
                px >= r[0] - 2.0 && px <= r[2] + 2.0 && py >= r[1] - 2.0 && py <= r[3] + 2.0
            })
        };
        (0..self.h)
            .flat_map(|y| (0..self.w).map(move |x| (x, y)))
            .filter(|&(x, y)| {
                let i = y * self.w + x;
                self.px[i].abs_diff(other.px[i]) > 40 && !inside(x, y)
            })
            .count()
    }
}

fn rect(v: &Value) -> [f64; 4] {
    let a = v["appearance"]["rect"]
        .as_array()
        .unwrap_or_else(|| panic!("no stamp: {v}"));
    [0, 1, 2, 3].map(|i| a[i].as_f64().unwrap())
}

fn lines(v: &Value) -> Vec<String> {
    v["appearance"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_string())
        .collect()
}

/// The text `pdftotext` reads inside `r` on page 1, one string per non-empty line.
fn text_in(pdf: &Path, r: [f64; 4], page_h: f64) -> Vec<String> {
    let o = Command::new("pdftotext")
        .args(["-f", "1", "-l", "1", "-layout"])
        .args(["-x", &format!("{}", r[0].floor())])
        .args(["-y", &format!("{}", (page_h - r[3]).floor())])
        .args(["-W", &format!("{}", (r[2] - r[0]).ceil() + 1.0)])
        .args(["-H", &format!("{}", (r[3] - r[1]).ceil() + 1.0)])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext");
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect()
}

fn overlap(a: [f64; 4], b: [f64; 4]) -> bool {
    a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]
}

fn sign_json(input: &Path, output: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["--json"];
    args.extend_from_slice(extra);
    let o = sign_ok(input, output, &args);
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)))
}

#[test]
fn digitizer_and_agency_stamps_sit_where_the_circulars_say_and_read_back_exactly() {
    let d = tmp();
    let plain = d.path().join("plain.pdf");
    let o = sohoa(&[
        "digitize",
        root().join("samples/scans/khai-sinh.jpg").to_str().unwrap(),
        "-o",
        plain.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let one = d.path().join("one.pdf");
    let two = d.path().join("two.pdf");
    let a = sign_json(&plain, &one, &["--stamp", "digitizer"]);
    let b = sign_json(&one, &two, &["--signer", "org", "--stamp", "agency"]);
    let (ra, rb) = (rect(&a), rect(&b));

    let before = render(&plain, 1);
    let after = render(&two, 1);
    let (w, h) = (before.w as f64, before.h as f64);
    // Circular 01/2023 art. 8: top left of page 1; Decree 30/2020: top right
    assert!(
        ra[0] < 0.1 * w && ra[3] > h - 40.0 && ra[2] < w / 2.0,
        "{ra:?}"
    );
    assert!(
        rb[2] > 0.9 * w && rb[3] > h - 40.0 && rb[0] > w / 2.0,
        "{rb:?}"
    );
    assert!(!overlap(ra, rb), "{ra:?} {rb:?}");
    for r in [ra, rb] {
        assert_eq!(
            before.ink(r),
            0,
            "the page has ink under the stamp at {r:?}"
        );
        assert!(
            after.ink(r) > 200,
            "no stamp drawn at {r:?}: {}",
            after.ink(r)
        );
    }
    assert_eq!(
        after.changed_outside(&before, &[ra, rb]),
        0,
        "ink outside the stamps"
    );

    // what pdftotext reads in each box is the stamp's lines: name and time, diacritics kept
    let cn_a = "Nguyễn Thị Hường (TEST)";
    assert_eq!(text_in(&two, ra, h), lines(&a));
    assert_eq!(lines(&a)[0], format!("Người số hóa: {cn_a}"));
    assert!(lines(&a)[1].starts_with("Thời gian ký: 20") && lines(&a)[1].ends_with("+07:00"));
    assert_eq!(text_in(&two, rb, h), lines(&b));
    assert_eq!(lines(&b)[0], "Sở Nông nghiệp và PTNT (TEST)");

    // independent validators accept both visible signatures
    let (code, out) = pyhanko_validate(&two, &certs("root-ca.pem"));
    assert_eq!(code, 0, "{out}");
    let sig = pdfsig(&two);
    assert_eq!(sig.matches("Signature is Valid").count(), 2, "{sig}");
    assert!(qpdf_check(&two).0, "{}", qpdf_check(&two).1);
    // PDF/A: pikepdf finds nothing but the level-U declaration it cannot check (as before)
    // and that it does not check forms (it says "unsupported", not a violation)
    let findings = pikepdf_pdfa_findings(&two);
    let lines: Vec<&str> = findings
        .lines()
        .filter(|l| !(l.starts_with("unsupported") && l.contains("/AcroForm")))
        .collect();
    assert_eq!(lines.len(), 1, "{findings}");
    assert!(lines[0].contains("6.6.4-3"), "{findings}");

    // our verify reports both appearances, each naming its signer
    let (code, v) = verify_json(&two, &[]);
    assert_eq!(code, 0, "{v}");
    for (i, r) in [(0, ra), (1, rb)] {
        let ap = &v["signatures"][i]["appearance"];
        assert_eq!(ap["visible"], true, "{v}");
        assert_eq!(ap["page"], 1, "{v}");
        assert_eq!(ap["names_signer"], true, "{v}");
        let got: Vec<f64> = ap["rect"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        assert!(
            got.iter().zip(r).all(|(g, w)| (g - w).abs() < 0.01),
            "{got:?} {r:?}"
        );
    }
}

/// A page whose top left holds a letterhead: the stamp goes to the nearest free area and
/// the outcome says so.
#[test]
fn a_stamp_whose_corner_shows_text_moves_to_the_nearest_free_area() {
    let d = tmp();
    let page = d.path().join("letterhead.pdf");
    simple_pdf(&page, 1);
    let mut bytes = read(&page);
    // the sample's one line of 18 pt text, moved from (72, 750) into the top left corner
    let at = find(&bytes, b"72 750 Td").unwrap();
    bytes[at..at + 9].copy_from_slice(b"14 808 Td");
    std::fs::write(&page, bytes).unwrap();
    let out = d.path().join("signed.pdf");
    let v = sign_json(&page, &out, &["--stamp", "digitizer"]);
    let moved = v["appearance"]["moved"]
        .as_str()
        .unwrap_or_else(|| panic!("{v}"));
    assert!(moved.contains("top left corner shows content"), "{moved}");
    let r = rect(&v);
    let before = render(&page, 1);
    assert!(
        before.ink([14.0, 800.0, 200.0, 826.0]) > 100,
        "the letterhead is where meant"
    );
    assert_eq!(before.ink(r), 0, "moved onto ink: {r:?}");
    assert!(render(&out, 1).ink(r) > 200);
    // still near the corner it was meant for
    assert!(r[0] < 100.0 && r[3] > 700.0, "{r:?}");
}

/// A stamp that names someone other than the certificate's holder is a finding; an
/// invisible signature says it shows nothing.
#[test]
fn verify_flags_a_stamp_that_names_someone_else_and_reports_invisible_ones() {
    let d = tmp();
    let cfg = store_config(
        d.path(),
        "000.00.10.H59",
        "[signers.official.stamp]\nvisible = true\nlines = [\"Người ký: Trần Văn Bình\", \"{time}\"]\n",
    );
    let input = d.path().join("in.pdf");
    simple_pdf(&input, 1);
    let forged = d.path().join("forged.pdf");
    let o = sohoa(&[
        "--config",
        cfg.to_str().unwrap(),
        "sign",
        input.to_str().unwrap(),
        "-o",
        forged.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let (_, v) = verify_json(&forged, &[]);
    let s = &v["signatures"][0];
    assert_eq!(s["appearance"]["visible"], true, "{v}");
    assert_eq!(s["appearance"]["names_signer"], false, "{v}");
    assert!(
        s["warnings"]
            .to_string()
            .contains("does not name the signer"),
        "{v}"
    );

    let plain = d.path().join("invisible.pdf");
    sign_ok(&input, &plain, &["--invisible"]);
    let (code, v) = verify_json(&plain, &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["signatures"][0]["appearance"]["visible"], false, "{v}");
}

const UNIT_A: &str = "000.00.10.H59";
const UNIT_B: &str = "000.00.11.H59";

fn certify_config(dir: &Path) -> std::path::PathBuf {
    store_config(
        dir,
        UNIT_A,
        &format!(
            "[certify]\nofficer_signer = \"official\"\nagency_signer = \"org\"\n\
             [signers.org]\npkcs12 = \"{}\"\npassphrase_file = \"{}\"\nsub_filter = \"adbe.pkcs7.detached\"\n",
            certs("org-signer.p12").display(),
            passphrase_file().display()
        ),
    )
}

fn run_json(cfg: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--config", cfg.to_str().unwrap()];
    all.extend_from_slice(args);
    let o = sohoa(&all);
    assert!(o.status.success(), "{args:?}: {}", text(&o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)))
}

/// `sohoa store get ID -o OUT` with `cfg`, which must succeed.
fn store_get(cfg: &Path, id: i64, out: &Path) -> std::path::PathBuf {
    let o = sohoa(&[
        "--config",
        cfg.to_str().unwrap(),
        "store",
        "get",
        &id.to_string(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    out.to_path_buf()
}

fn certify_cmd(cfg: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sohoa"));
    c.args(["--config", cfg.to_str().unwrap(), "certify"])
        .args(args)
        .current_dir(root())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

/// Three papers of two units certified at once, then certifications killed at random
/// moments and resumed: every unit's register runs 1, 2, 3 … with no gap and no duplicate,
/// every entry done, each copy stored once, verifying with the digitizer's, the certifying
/// officer's and the agency's signatures, listed among the citizen's papers as a copy.
#[test]
fn certify_numbers_without_gaps_across_units_concurrent_runs_and_kill_9() {
    let d = tmp();
    let cfg = certify_config(d.path());
    let scans = root().join("samples/scans");
    let mut ids = Vec::new();
    for (unit, files) in [
        (UNIT_A, vec!["khai-sinh.jpg", "cu-tru.jpg"]),
        (UNIT_B, vec!["cccd-ban-sao.png"]),
    ] {
        let mut args = vec!["ingest", "--json", "--unit", unit];
        let paths: Vec<String> = files
            .iter()
            .map(|f| scans.join(f).display().to_string())
            .collect();
        args.extend(paths.iter().map(String::as_str));
        let v = run_json(&cfg, &args);
        for p in v[0]["papers"].as_array().unwrap() {
            ids.push((unit, p["component_id"].as_i64().unwrap()));
        }
    }
    assert_eq!(ids.len(), 3, "{ids:?}");

    // three at once, one process each
    let t = std::time::Instant::now();
    let children: Vec<_> = ids
        .iter()
        .map(|(_, id)| certify_cmd(&cfg, &[&id.to_string()]).spawn().unwrap())
        .collect();
    for c in children {
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let full = t.elapsed();

    // then runs killed at random moments
    let mut next = kill_rng(&format!("certify kill test (three at once took {full:?})"));
    let mut killed = 0;
    for i in 0..8 {
        let (_, id) = ids[i % ids.len()];
        let at = full.mul_f64((next() % 1000) as f64 / 1000.0);
        let mut child = certify_cmd(&cfg, &[&id.to_string()]).spawn().unwrap();
        let started = std::time::Instant::now();
        while started.elapsed() < at {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            killed += 1;
        }
        child.wait().unwrap();
    }
    eprintln!("{killed} of 8 certify runs killed");
    let resumed = run_json(&cfg, &["certify", "--resume", "--json"]);
    assert_eq!(resumed["failed"].as_array().unwrap().len(), 0, "{resumed}");

    let register = run_json(&cfg, &["certify", "--register", "--json"]);
    let rows = register.as_array().unwrap();
    assert!(rows.len() >= 3, "{register}");
    for unit in [UNIT_A, UNIT_B] {
        let mut numbers: Vec<i64> = rows
            .iter()
            .filter(|r| r["unit_code"] == unit)
            .map(|r| r["number"].as_i64().unwrap())
            .collect();
        numbers.sort();
        let want: Vec<i64> = (1..=numbers.len() as i64).collect();
        assert_eq!(numbers, want, "{unit}: a gap or a duplicate: {register}");
    }
    assert!(rows.iter().all(|r| r["state"] == "done"), "{register}");
    let mut copies: Vec<i64> = rows
        .iter()
        .map(|r| r["copy_id"].as_i64().unwrap())
        .collect();
    copies.sort();
    copies.dedup();
    assert_eq!(copies.len(), rows.len(), "a copy indexed twice: {register}");
    // the audit log has a reservation and an issue per number, and its chain holds
    let audit = run_json(&cfg, &["audit", "verify", "--json"]);
    assert!(audit["first_break"].is_null(), "{audit}");

    // every copy verifies with its three signatures, the certification stamp on it
    for r in rows.iter().take(4) {
        let copy = r["copy_id"].as_i64().unwrap();
        let out = store_get(&cfg, copy, &d.path().join(format!("copy-{copy}.pdf")));
        let (code, v) = verify_json(&out, &[]);
        assert_eq!(code, 0, "{v}");
        let sigs = v["signatures"].as_array().unwrap();
        assert_eq!(sigs.len(), 3, "{v}");
        let stamp = sigs[1]["appearance"]["text"].as_str().unwrap_or_default();
        assert!(
            stamp.contains("CHỨNG THỰC BẢN SAO ĐÚNG VỚI BẢN CHÍNH")
                && stamp.contains(&format!("Số chứng thực: {}", r["number"]))
                && stamp.contains(&format!("Quyển số: {}", r["book"].as_str().unwrap())),
            "{stamp}"
        );
        assert!(
            sigs.iter().all(|s| s["appearance"]["visible"] == true),
            "{v}"
        );
        let sig = pdfsig(&out);
        assert_eq!(sig.matches("Signature is Valid").count(), 3, "{sig}");
    }
    // the copies are the citizen's papers too, marked as certified copies
    let found = run_json(&cfg, &["find", "--json", "--text", "khai sinh"]);
    let listed = found.to_string();
    assert!(listed.contains("\"certified_copy\":{"), "{found}");
}

/// `[store] agency_signer`: ingest signs each paper as the digitizer, then as the agency;
/// both stamps on page 1, each in its corner, neither over the other.
#[test]
fn ingest_with_an_agency_signer_stores_papers_with_both_stamps() {
    let d = tmp();
    let cfg = store_config(
        d.path(),
        UNIT_A,
        &format!(
            "agency_signer = \"org\"\n\
             [signers.org]\npkcs12 = \"{}\"\npassphrase_file = \"{}\"\nsub_filter = \"adbe.pkcs7.detached\"\n",
            certs("org-signer.p12").display(),
            passphrase_file().display()
        ),
    );
    let scan = root().join("samples/scans/khai-sinh.jpg");
    let v = run_json(&cfg, &["ingest", "--json", scan.to_str().unwrap()]);
    let id = v[0]["papers"][0]["component_id"].as_i64().unwrap();
    let out = store_get(&cfg, id, &d.path().join("paper.pdf"));
    let (code, v) = verify_json(&out, &[]);
    assert_eq!(code, 0, "{v}");
    let sigs = v["signatures"].as_array().unwrap();
    assert_eq!(sigs.len(), 2, "{v}");
    let r = |i: usize| -> [f64; 4] {
        let a = sigs[i]["appearance"]["rect"].as_array().unwrap();
        [0, 1, 2, 3].map(|k| a[k].as_f64().unwrap())
    };
    let (digitizer, agency) = (r(0), r(1));
    assert!(digitizer[0] < 60.0 && digitizer[3] > 790.0, "{digitizer:?}");
    assert!(agency[2] > 535.0 && agency[3] > 790.0, "{agency:?}");
    assert!(!overlap(digitizer, agency));
    assert!(
        sigs.iter().all(|s| s["appearance"]["names_signer"] == true),
        "{v}"
    );
}

/// A seal PNG with transparency is drawn at the stamp's left; the signature stays valid for
/// poppler and the stamp's text still reads back.
#[test]
fn a_stamp_with_a_transparent_seal_renders_and_verifies() {
    let d = tmp();
    // a red ring on a transparent square (made here with the image crate)
    let seal = d.path().join("seal.png");
    let mut img = image::RgbaImage::new(120, 120);
    for (x, y, p) in img.enumerate_pixels_mut() {
        let r = ((x as f64 - 59.5).powi(2) + (y as f64 - 59.5).powi(2)).sqrt();
        *p = if (45.0..58.0).contains(&r) {
            image::Rgba([200, 0, 0, 255])
        } else {
            image::Rgba([0, 0, 0, 0])
        };
    }
    img.save(&seal).unwrap();
    let cfg = store_config(
        d.path(),
        UNIT_A,
        &format!(
            "[signers.official.stamp]\nvisible = true\nlayout = \"agency\"\nseal = \"{}\"\n",
            seal.display()
        ),
    );
    let input = d.path().join("in.pdf");
    simple_pdf(&input, 1);
    let out = d.path().join("sealed.pdf");
    let o = sohoa(&[
        "--config",
        cfg.to_str().unwrap(),
        "sign",
        "--json",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let r = rect(&v);
    let page = render(&out, 1);
    let h = r[3] - r[1];
    // the seal sits in the left square of the stamp, the text to its right
    assert!(
        page.ink([r[0] + 3.0, r[1] + 3.0, r[0] + h - 3.0, r[3] - 3.0]) > 30,
        "{r:?}"
    );
    assert_eq!(
        text_in(&out, [r[0] + h, r[1], r[2], r[3]], page.h as f64),
        lines(&v)
    );
    assert!(pdfsig(&out).contains("Signature is Valid"));
    assert!(qpdf_check(&out).0);
}

/// A page shown turned a quarter (/Rotate 90, set by qpdf): the stamp is at the reader's top
/// left and reads upright there.
#[test]
fn a_stamp_on_a_turned_page_sits_at_the_readers_corner_and_reads_upright() {
    let d = tmp();
    let flat = d.path().join("flat.pdf");
    simple_pdf(&flat, 1);
    let turned = d.path().join("turned.pdf");
    let o = Command::new("qpdf")
        .arg(&flat)
        .arg("--rotate=+90")
        .arg(&turned)
        .output()
        .expect("qpdf");
    assert!(o.status.success(), "{}", text(&o));
    let out = d.path().join("signed.pdf");
    let v = sign_json(&turned, &out, &["--stamp", "digitizer"]);
    assert!(v["appearance"]["moved"].is_null(), "{v}");
    let shown = render(&out, 1);
    assert_eq!((shown.w, shown.h), (842, 595), "shown landscape");
    // the reader's top left: x < 250, the top 40 points (y measured from the bottom)
    let h = shown.h as f64;
    assert!(
        shown.ink([0.0, h - 40.0, 250.0, h]) > 200,
        "no stamp at the reader's top left"
    );
    // upright: pdftotext reads the lines in order, as it reads a horizontal line
    let o = Command::new("pdftotext")
        .arg(&out)
        .arg("-")
        .output()
        .unwrap();
    let all = String::from_utf8(o.stdout).unwrap();
    let want = lines(&v);
    let at: Vec<usize> = want
        .iter()
        .map(|l| {
            all.find(l.as_str())
                .unwrap_or_else(|| panic!("{l:?} not read in {all:?}"))
        })
        .collect();
    assert!(at[0] < at[1], "{all}");
    let (code, report) = verify_json(&out, &[]);
    assert_eq!(code, 0, "{report}");
}
