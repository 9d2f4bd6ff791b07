//! Stage `classify`, field extraction: enterprise and tax codes (mã số doanh nghiệp, mã số thuế):
//! 10 digits, or 10 + 3 for a dependent unit (branch), written NNNNNNNNNN-NNN.

use std::sync::LazyLock;

use regex::Regex;

use super::scan::{digit_run_at, label_regex, value_after, Doc, Hit};
use super::{Check, FieldKind};

/// Weights of the check digit of a 10-digit tax code, applied to digits 1–9.
///
/// Circular 105/2020/TT-BTC (art. 5) fixes the structure — N1N2 the range code, N3–N9 a
/// sequence, N10 a check digit, N11–N13 the dependent unit's number from 001 to 999 — but does
/// not print how N10 is computed. The weights and the rule of [`tax_check_digit`] are the
/// General Department of Taxation's modulus-11 scheme as implemented by public validators
/// (e.g. 0100109106 and 0300588569 check out); they could not be confirmed from the circular's
/// text and are kept in this one table so they can be changed in one place.
pub const TAX_CHECK_WEIGHTS: [u32; 9] = [31, 29, 23, 19, 17, 13, 7, 5, 3];

/// The check digit for the first nine digits of a tax code: `10 - (Σ dᵢ·wᵢ mod 11)` with
/// [`TAX_CHECK_WEIGHTS`]; `None` when that is 10 (no tax code can start with these nine
/// digits) or when `first9` is not nine ASCII digits.
pub fn tax_check_digit(first9: &str) -> Option<u32> {
    if first9.len() != 9 || !first9.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = first9
        .bytes()
        .zip(TAX_CHECK_WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    let c = 10 - sum % 11;
    (c < 10).then_some(c)
}

/// Checks a tax code written `NNNNNNNNNN` or `NNNNNNNNNN-NNN` (Circular 105/2020/TT-BTC art. 5):
/// shape, the dependent unit's number 001–999, and the check digit ([`tax_check_digit`]).
pub fn check_tax_code(s: &str) -> Check {
    let s = s.trim();
    let (main, branch) = match s.split_once('-') {
        Some((m, b)) => (m.trim(), Some(b.trim())),
        None => (s, None),
    };
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if !digits(main) || main.len() != 10 {
        return invalid(if digits(main) {
            format!(
                "has {} digits before the branch part; a tax code has 10",
                main.len()
            )
        } else {
            "has characters other than digits; a tax code is 10 digits (NNNNNNNNNN-NNN for a \
             branch)"
                .to_string()
        });
    }
    if let Some(b) = branch {
        if !digits(b) || b.len() != 3 {
            return invalid(format!(
                "branch part '{b}' should be 3 digits (NNNNNNNNNN-NNN)"
            ));
        }
        if b == "000" {
            return invalid("branch part 000 is not used; branches are numbered 001–999".into());
        }
    }
    let given = u32::from(main.as_bytes()[9] - b'0');
    match tax_check_digit(&main[..9]) {
        Some(c) if c == given => Check::Valid,
        Some(c) => invalid(format!(
            "check digit (10th digit) is {given} but the first nine digits give {c}; a digit \
             was probably misread"
        )),
        None => invalid(
            "no tax code can start with these nine digits (their check digit would be 10); a \
             digit was probably misread"
                .into(),
        ),
    }
}

fn invalid(reason: String) -> Check {
    Check::Invalid { reason }
}

static LABEL: LazyLock<Regex> = LazyLock::new(|| {
    label_regex(&[
        "ma so doanh nghiep ma so thue",
        "ma so doanh nghiep",
        "ma so chi nhanh",
        "ma so thue",
        "mst",
    ])
});

static BRANCH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*[-–]\s*([0-9]{3})\b").expect("constant pattern"));

/// Finds TaxCode fields: after a label (same line, or the next one when the label ends its
/// line), a run of 8–13 digits (spaces or dots between groups allowed), with an optional
/// `-NNN` branch part. 13 digits in a row are read as 10 + 3. Value: `NNNNNNNNNN` or
/// `NNNNNNNNNN-NNN`.
pub(super) fn find(doc: &Doc<'_>, hits: &mut Vec<Hit>) {
    for (li, line) in doc.lines.iter().enumerate() {
        for m in LABEL.find_iter(&line.folded) {
            let Some((vl, vp)) = value_after(doc, li, m.end()) else {
                continue;
            };
            let vf = &doc.lines[vl].folded;
            let Some(run) = digit_run_at(vf, vp) else {
                continue;
            };
            if !(8..=13).contains(&run.digits.len()) {
                continue;
            }
            let mut end = run.end;
            let value = if run.digits.len() == 13 {
                format!("{}-{}", &run.digits[..10], &run.digits[10..])
            } else if let Some(b) = BRANCH.captures(&vf[run.end..]) {
                end = run.end + b.get(0).map_or(0, |g| g.end());
                let branch = b.get(1).map_or("", |g| g.as_str());
                format!("{}-{branch}", run.digits)
            } else {
                run.digits.clone()
            };
            let check = check_tax_code(&value);
            hits.push(Hit::at(
                doc,
                FieldKind::TaxCode,
                vl,
                run.start,
                end,
                value,
                check,
            ));
        }
    }
}
