//! ByteRange checks (ISO 32000-1 §12.8.1): the signed ranges must start at 0, leave exactly the
//! /Contents hex string uncovered, end at the end of a revision, and not overlap. Pure.

use super::report::ByteRangeCheck;

/// Facts gathered from the file for one signature.
pub struct RangeFacts<'a> {
    pub byte_range: &'a [i64],
    pub file_len: u64,
    /// Ends of every revision (offset after `%%EOF`, with and without its EOL).
    pub revision_ends: &'a [u64],
    /// The bytes between the two ranges, as read from the file.
    pub gap: Option<&'a [u8]>,
    /// Offset of the signature dictionary's `N G obj`, if it is a plain object.
    pub sig_object_offset: Option<u64>,
}

/// The four numbers, if they are well formed: `[a b c d]` with `a = 0`, `b < c`.
pub fn ranges(br: &[i64]) -> Option<(u64, u64, u64, u64)> {
    match br {
        [a, b, c, d] if *a >= 0 && *b >= 0 && *c >= 0 && *d >= 0 => {
            Some((*a as u64, *b as u64, *c as u64, *d as u64))
        }
        _ => None,
    }
}

/// Decodes the hex digits of `<…>` (whitespace allowed), as ISO 32000-1 §7.3.4.3 reads it.
pub fn decode_hex_gap(gap: &[u8]) -> Option<Vec<u8>> {
    let inner = gap.strip_prefix(b"<")?.strip_suffix(b">")?;
    let digits: Vec<u8> = inner
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let mut padded = digits;
    if padded.len() % 2 == 1 {
        padded.push(b'0');
    }
    hex::decode(padded).ok()
}

pub fn check(f: &RangeFacts) -> ByteRangeCheck {
    let mut problems = Vec::new();
    let value = f.byte_range.to_vec();
    let Some((a, b, c, d)) = ranges(f.byte_range) else {
        return ByteRangeCheck {
            value,
            ok: false,
            problems: vec!["the ByteRange is not four non-negative integers".into()],
        };
    };
    if a != 0 {
        problems.push(format!("the signed range starts at byte {a}, not at 0"));
    }
    let first_end = a.saturating_add(b);
    if c < first_end {
        problems.push("the two signed ranges overlap".into());
    }
    let end = c.saturating_add(d);
    if end > f.file_len {
        problems.push(format!(
            "the signed range ends at byte {end}, past the end of the file ({})",
            f.file_len
        ));
    } else if !f.revision_ends.contains(&end) {
        problems.push(format!(
            "the signed range ends at byte {end}, which is not the end of a revision"
        ));
    }
    match f.gap {
        Some(gap) if c >= first_end => {
            if gap.first() != Some(&b'<') || gap.last() != Some(&b'>') {
                problems.push(
                    "the unsigned gap is not exactly the /Contents hex string (it starts or ends elsewhere)"
                        .into(),
                );
            } else if decode_hex_gap(gap).is_none() {
                problems.push("the unsigned gap holds more than hexadecimal digits".into());
            }
        }
        _ => problems.push("the unsigned gap could not be read".into()),
    }
    if let Some(off) = f.sig_object_offset {
        if off >= first_end {
            problems.push("the signature dictionary does not enclose the unsigned gap".into());
        }
    }
    ByteRangeCheck {
        value,
        ok: problems.is_empty(),
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(br: &'a [i64], gap: &'a [u8], ends: &'a [u64]) -> RangeFacts<'a> {
        RangeFacts {
            byte_range: br,
            file_len: 1000,
            revision_ends: ends,
            gap: Some(gap),
            sig_object_offset: Some(50),
        }
    }

    #[test]
    fn a_clean_range_passes() {
        let r = check(&facts(&[0, 100, 106, 894], b"<00AB>", &[500, 1000]));
        assert!(r.ok, "{:?}", r.problems);
    }

    #[test]
    fn byte_range_not_starting_at_zero_is_rejected() {
        let r = check(&facts(&[1, 99, 106, 894], b"<00AB>", &[1000]));
        assert!(!r.ok);
        assert!(r.problems[0].contains("not at 0"));
    }

    #[test]
    fn byte_range_not_ending_at_a_revision_is_rejected() {
        let r = check(&facts(&[0, 100, 106, 800], b"<00AB>", &[1000]));
        assert!(r
            .problems
            .iter()
            .any(|p| p.contains("not the end of a revision")));
    }

    #[test]
    fn gap_larger_than_contents_is_rejected() {
        let r = check(&facts(&[0, 100, 110, 890], b"<00AB> /X", &[1000]));
        assert!(r
            .problems
            .iter()
            .any(|p| p.contains("not exactly the /Contents")));
    }

    #[test]
    fn overlapping_ranges_are_rejected() {
        let r = check(&facts(&[0, 100, 90, 910], b"", &[1000]));
        assert!(r.problems.iter().any(|p| p.contains("overlap")));
    }

    #[test]
    fn negative_or_short_byte_range_is_rejected() {
        assert!(!check(&facts(&[0, -1, 5, 5], b"<>", &[10])).ok);
        assert!(!check(&facts(&[0, 5, 5], b"<>", &[10])).ok);
    }
}
