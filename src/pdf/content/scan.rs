//! Foundation `pdf`, content streams: a cheap scan (ISO 32000-1 §7.8.2, operators of §8–9)
//! that tells which XObjects a page draws and whether it also shows text, paints paths or
//! carries inline images — enough to decide if the page is "one scanned image".

/// What a content stream does, as far as the decode stage cares.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Content {
    /// Names given to `Do`, in order.
    pub drawn: Vec<Vec<u8>>,
    /// A text object (`BT`) or text-showing operator.
    pub text: bool,
    /// A path painted (fill, stroke) or a shading drawn (`sh`).
    pub painting: bool,
    /// An inline image (`BI … ID … EI`).
    pub inline_image: bool,
}

/// More `Do` than this is not a scanned page anyway.
const MAX_DRAWN: usize = 64;

fn is_space(c: u8) -> bool {
    matches!(c, 0 | b'\t' | b'\n' | 0x0C | b'\r' | b' ')
}

fn is_delim(c: u8) -> bool {
    matches!(
        c,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

/// End of the regular-character run starting at `i`.
pub(crate) fn word_end(d: &[u8], mut i: usize) -> usize {
    while d.get(i).is_some_and(|&c| !is_space(c) && !is_delim(c)) {
        i += 1;
    }
    i
}

/// Index after the literal string whose `(` is at `i` (nested parentheses, `\` escapes).
fn skip_string(d: &[u8], mut i: usize) -> usize {
    let mut depth = 0usize;
    while let Some(&c) = d.get(i) {
        i += 1;
        match c {
            b'\\' => i += 1,
            b'(' => depth += 1,
            b')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    break;
                }
            }
            _ => {}
        }
    }
    i
}

/// Index after an inline image's data: after `EI` preceded by white space and followed by
/// white space or the end (§8.9.7); `from` is just after `ID`.
pub(crate) fn skip_inline_data(d: &[u8], from: usize) -> usize {
    let mut i = from.saturating_add(1);
    while let Some(w) = d.get(i..i.saturating_add(2)) {
        if w == b"EI"
            && d.get(i.wrapping_sub(1)).is_some_and(|&c| is_space(c))
            && d.get(i + 2).is_none_or(|&c| is_space(c))
        {
            return i + 2;
        }
        i += 1;
    }
    d.len()
}

/// Scans `d`; never fails (unknown syntax is skipped).
pub(crate) fn scan(d: &[u8]) -> Content {
    let mut out = Content::default();
    let mut last_name: Option<&[u8]> = None;
    let mut i = 0usize;
    while let Some(&c) = d.get(i) {
        match c {
            _ if is_space(c) => i += 1,
            b'%' => {
                while d.get(i).is_some_and(|&c| c != b'\n' && c != b'\r') {
                    i += 1;
                }
            }
            b'(' => i = skip_string(d, i),
            b'<' if d.get(i + 1) == Some(&b'<') => i += 2,
            b'<' => {
                while d.get(i).is_some_and(|&c| c != b'>') {
                    i += 1;
                }
                i += 1;
            }
            b'>' | b'[' | b']' | b'{' | b'}' | b')' => i += 1,
            b'/' => {
                let end = word_end(d, i + 1);
                last_name = d.get(i + 1..end);
                i = end;
            }
            _ => {
                let end = word_end(d, i);
                let word = d.get(i..end).unwrap_or_default();
                i = end;
                let first = word.first().copied().unwrap_or(b'0');
                if first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.') {
                    continue;
                }
                match word {
                    b"Do" => {
                        if let Some(n) = last_name {
                            if out.drawn.len() < MAX_DRAWN {
                                out.drawn.push(n.to_vec());
                            }
                        }
                    }
                    b"BT" | b"Tj" | b"TJ" | b"'" | b"\"" => out.text = true,
                    b"S" | b"s" | b"f" | b"F" | b"f*" | b"B" | b"B*" | b"b" | b"b*" | b"sh" => {
                        out.painting = true
                    }
                    b"BI" => {
                        out.inline_image = true;
                        while i < d.len() {
                            let end = word_end(d, i);
                            if d.get(i..end) == Some(&b"ID"[..]) {
                                i = skip_inline_data(d, end);
                                break;
                            }
                            i = end.max(i + 1);
                        }
                    }
                    // A stray delimiter such as `)` can make an empty word: step over it.
                    b"" => i += 1,
                    _ => {}
                }
                last_name = None;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scanned_page() {
        let c = scan(b"q 1700 0 0 2200 0 0 cm /Im0 Do Q");
        assert_eq!(c.drawn, vec![b"Im0".to_vec()]);
        assert!(!c.text && !c.painting && !c.inline_image);
    }

    #[test]
    fn text_paths_inline_images() {
        let c = scan(b"BT /F1 12 Tf (a (nested) \\) Do) Tj ET q /Im1 Do Q");
        assert!(c.text);
        assert_eq!(c.drawn, vec![b"Im1".to_vec()]);
        let c = scan(b"0 0 m 10 10 l S % /X Do\n<< /A 1 >> BDC EMC");
        assert!(c.painting && c.drawn.is_empty() && !c.text);
        let c = scan(b"0 0 612 792 re W n /Im0 Do");
        assert!(!c.painting);
        let c = scan(b"BI /W 2 /H 1 /BPC 8 /CS /G ID \x00BT\xff EI Q /Im2 Do");
        assert!(c.inline_image && !c.text);
        assert_eq!(c.drawn, vec![b"Im2".to_vec()]);
    }

    #[test]
    fn hostile_input_ends() {
        for d in [
            &b"(unclosed"[..],
            b"<abc",
            b"BI ID",
            b"/",
            b")))",
            b"%",
            b"<<",
            b"BI /W 1",
        ] {
            let _ = scan(d);
        }
        let many = b"/I Do ".repeat(1000);
        assert_eq!(scan(&many).drawn.len(), MAX_DRAWN);
        assert!(scan(b"1 2 Do").drawn.is_empty());
    }
}
