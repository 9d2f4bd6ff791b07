//! `sohoa eval ocr DIR`: character error rate of decode + ocr against the ground truth beside
//! each scan (`NAME.gt.txt`, pages separated by form feeds), per file and overall.

use std::path::{Path, PathBuf};

use unicode_normalization::UnicodeNormalization;

use super::{list_inputs, order, recognize_page, DigitizeError, DigitizeOptions};

/// NFC, whitespace runs folded to one space, trimmed: the comparison ignores layout.
pub fn normalize(s: &str) -> Vec<char> {
    let nfc: String = s.nfc().collect();
    let mut out = Vec::with_capacity(nfc.len());
    let mut space = false;
    for c in nfc.trim().chars() {
        if c.is_whitespace() {
            space = true;
        } else {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        }
    }
    out
}

/// Levenshtein distance over characters (two rows, O(n·m) time, O(m) memory).
pub fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Errors and reference length for one page.
pub fn page_errors(reference: &str, hypothesis: &str) -> (usize, usize) {
    let r = normalize(reference);
    let h = normalize(hypothesis);
    (edit_distance(&r, &h), r.len())
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct FileScore {
    pub file: String,
    pub pages: usize,
    pub reference_chars: usize,
    pub errors: usize,
    pub cer: f64,
    pub seconds: f64,
    /// Per page: (rotation applied, skew corrected, CER).
    pub page_details: Vec<(u16, f32, f64)>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct EvalReport {
    pub files: Vec<FileScore>,
    pub reference_chars: usize,
    pub errors: usize,
    pub cer: f64,
}

/// The ground truth file of a scan: `dir/NAME.ext` → `dir/NAME.gt.txt`.
pub fn ground_truth_path(scan: &Path) -> PathBuf {
    scan.with_extension("gt.txt")
}

fn ratio(errors: usize, chars: usize) -> f64 {
    if chars == 0 {
        0.0
    } else {
        errors as f64 / chars as f64
    }
}

/// Scores every scan in `dir` that has a ground truth beside it.
pub fn eval_dir(dir: &Path, opts: &DigitizeOptions) -> Result<EvalReport, DigitizeError> {
    let io = |source| DigitizeError::Io {
        file: dir.display().to_string(),
        source,
    };
    let mut scans: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            let name = p.to_string_lossy();
            p.is_file()
                && !name.ends_with(".gt.txt")
                && !name.ends_with(".json")
                && ground_truth_path(p).is_file()
        })
        .collect();
    scans.sort();
    let mut files = Vec::new();
    opts.progress.begin("files", scans.len() as u64);
    for scan in scans {
        let truth = std::fs::read_to_string(ground_truth_path(&scan)).map_err(|source| {
            DigitizeError::Io {
                file: ground_truth_path(&scan).display().to_string(),
                source,
            }
        })?;
        let truth_pages: Vec<&str> = truth.split('\u{c}').collect();
        // Pages that already carry text are not scans: nothing to score.
        let pages: Vec<_> = list_inputs(std::slice::from_ref(&scan), &opts.limits)?
            .into_iter()
            .filter(|p| !matches!(p, crate::decode::PageRef::Pdf { has_text: true, .. }))
            .collect();
        let workers = super::workers(opts);
        let mut score = FileScore {
            file: scan.display().to_string(),
            pages: pages.len(),
            reference_chars: 0,
            errors: 0,
            cer: 0.0,
            seconds: 0.0,
            page_details: Vec::new(),
        };
        let mut index = 0usize;
        let board = super::board_for(&pages, workers);
        order::run_ordered(
            pages,
            workers,
            workers * 2,
            || super::worker_engine(opts, &board),
            |engine, page| recognize_page(engine, &page, opts),
            |engine| super::worker_done(engine, &board),
            |result| {
                let (page, seconds) = result?;
                let reference = truth_pages.get(index).copied().unwrap_or_default();
                let (errors, chars) = page_errors(reference, &page.text);
                score.reference_chars += chars;
                score.errors += errors;
                score.seconds += seconds;
                score
                    .page_details
                    .push((page.rotation, page.skew_degrees, ratio(errors, chars)));
                index += 1;
                Ok(())
            },
        )?;
        score.cer = ratio(score.errors, score.reference_chars);
        let name = Path::new(&score.file)
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        opts.progress.step(&format!("{name} CER {:.3}", score.cer));
        files.push(score);
    }
    opts.progress.end();
    let reference_chars = files.iter().map(|f| f.reference_chars).sum();
    let errors = files.iter().map(|f| f.errors).sum();
    Ok(EvalReport {
        files,
        reference_chars,
        errors,
        cer: ratio(errors, reference_chars),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_texts_have_no_errors_whatever_the_layout() {
        let (errors, chars) = page_errors(
            "Họ và tên:\n  Nguyễn Thị Hường",
            "Họ và tên: Nguyễn   Thị Hường\n",
        );
        assert_eq!(
            (errors, chars),
            (0, "Họ và tên: Nguyễn Thị Hường".chars().count())
        );
    }

    #[test]
    fn nfd_and_nfc_compare_equal() {
        let nfd: String = "quyền sử dụng đất".nfd().collect();
        assert_eq!(page_errors("quyền sử dụng đất", &nfd).0, 0);
    }

    #[test]
    fn a_misread_tone_mark_is_one_error() {
        assert_eq!(page_errors("Hường", "Hưởng").0, 1);
        assert_eq!(page_errors("đất", "dất").0, 1);
        assert_eq!(edit_distance(&['a', 'b'], &[]), 2);
    }
}
