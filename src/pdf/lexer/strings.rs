//! Decoding of the lexer's string, name and number tokens (ISO 32000-1 §7.3.3 numbers,
//! §7.3.4 strings, §7.3.5 names), bounds-checked.

use super::{hex_val, is_whitespace, Lexer, Token};
use crate::pdf::error::PdfError;

impl Lexer<'_> {
    /// Name object (ISO 32000-1 §7.3.5); the cursor is on `/`.
    pub(super) fn name(&mut self) -> Result<Vec<u8>, PdfError> {
        self.pos += 1;
        let run = self.regular_run()?;
        let mut out = Vec::with_capacity(run.len());
        let mut i = 0;
        while let Some(&c) = run.get(i) {
            let hex = (c == b'#')
                .then(|| {
                    let hi = hex_val(*run.get(i + 1)?)?;
                    let lo = hex_val(*run.get(i + 2)?)?;
                    Some(hi << 4 | lo)
                })
                .flatten();
            match hex {
                Some(v) => {
                    out.push(v);
                    i += 3;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        }
        Ok(out)
    }

    /// Literal string (ISO 32000-1 §7.3.4.2); the cursor is on `(`.
    pub(super) fn literal_string(&mut self) -> Result<Vec<u8>, PdfError> {
        self.pos += 1;
        let mut out = Vec::new();
        let mut depth = 1usize;
        loop {
            let Some(c) = self.peek_byte() else {
                return Err(self.truncated());
            };
            self.pos += 1;
            match c {
                b'(' => {
                    depth += 1;
                    out.push(c);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(out);
                    }
                    out.push(c);
                }
                b'\r' => {
                    // An unescaped EOL is a single LF.
                    if self.peek_byte() == Some(b'\n') {
                        self.pos += 1;
                    }
                    out.push(b'\n');
                }
                b'\\' => self.escape(&mut out)?,
                _ => out.push(c),
            }
        }
    }

    fn escape(&mut self, out: &mut Vec<u8>) -> Result<(), PdfError> {
        let Some(e) = self.peek_byte() else {
            return Err(self.truncated());
        };
        self.pos += 1;
        match e {
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'b' => out.push(0x08),
            b'f' => out.push(0x0c),
            b'0'..=b'7' => {
                let mut v = u32::from(e - b'0');
                for _ in 0..2 {
                    match self.peek_byte() {
                        Some(d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            self.pos += 1;
                        }
                        _ => break,
                    }
                }
                // High-order overflow is ignored (§7.3.4.2).
                out.push((v & 0xff) as u8);
            }
            b'\r' => {
                // Line continuation: backslash + EOL produce nothing.
                if self.peek_byte() == Some(b'\n') {
                    self.pos += 1;
                }
            }
            b'\n' => {}
            // `\(`, `\)`, `\\` and unknown escapes: the backslash is ignored.
            other => out.push(other),
        }
        Ok(())
    }

    /// Hexadecimal string (ISO 32000-1 §7.3.4.3); the cursor is on `<`.
    pub(super) fn hex_string(&mut self) -> Result<Vec<u8>, PdfError> {
        self.pos += 1;
        let mut out = Vec::new();
        let mut hi: Option<u8> = None;
        loop {
            let Some(c) = self.peek_byte() else {
                return Err(self.truncated());
            };
            self.pos += 1;
            if c == b'>' {
                break;
            }
            if is_whitespace(c) {
                continue;
            }
            let v = hex_val(c).ok_or_else(|| self.err(self.pos - 1, "bad hex string digit"))?;
            match hi.take() {
                Some(h) => out.push(h << 4 | v),
                None => hi = Some(v),
            }
        }
        // An odd number of digits: the last one is followed by 0.
        if let Some(h) = hi {
            out.push(h << 4);
        }
        Ok(out)
    }
}

/// Integer or real (ISO 32000-1 §7.3.3): `+1`, `-3.`, `.5`; integers too big for i64
/// become reals.
pub(super) fn parse_number(run: &[u8]) -> Option<Token<'static>> {
    let (neg, digits) = match run.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, run),
    };
    let dot = digits.iter().position(|&b| b == b'.');
    let (int_part, frac_part) = match dot {
        Some(i) => (digits.get(..i)?, digits.get(i + 1..)?),
        None => (digits, &[][..]),
    };
    let all_digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    if !all_digits(int_part) || !all_digits(frac_part) || int_part.len() + frac_part.len() == 0 {
        return None;
    }
    if dot.is_none() {
        let mut v: i64 = 0;
        let mut overflow = false;
        for &d in int_part {
            match v
                .checked_mul(10)
                .and_then(|x| x.checked_add(i64::from(d - b'0')))
            {
                Some(n) => v = n,
                None => overflow = true,
            }
        }
        if !overflow {
            return Some(Token::Int(if neg { -v } else { v }));
        }
    }
    let text = format!(
        "{}{}.{}",
        if neg { "-" } else { "" },
        if int_part.is_empty() {
            "0"
        } else {
            std::str::from_utf8(int_part).ok()?
        },
        if frac_part.is_empty() {
            "0"
        } else {
            std::str::from_utf8(frac_part).ok()?
        },
    );
    text.parse::<f64>().ok().map(Token::Real)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::pdf::lexer::tests::tokens;

    #[test]
    fn numbers() {
        let t = tokens(b"0 +1 -3. .5 -.002 123456789012 99999999999999999999 4.25");
        assert_eq!(t[0], Token::Int(0));
        assert_eq!(t[1], Token::Int(1));
        assert_eq!(t[2], Token::Real(-3.0));
        assert_eq!(t[3], Token::Real(0.5));
        assert_eq!(t[4], Token::Real(-0.002));
        assert_eq!(t[5], Token::Int(123_456_789_012));
        assert_eq!(t[6], Token::Real(1e20));
        assert_eq!(t[7], Token::Real(4.25));
        assert!(Lexer::new(b"1.2.3", 0, false).next_token().is_err());
        assert!(Lexer::new(b"-", 0, false).next_token().is_err());
    }

    #[test]
    fn literal_strings() {
        let t = tokens(b"(a\\n\\r\\t\\b\\f\\(\\)\\\\) (\\101\\0533\\7) (x\\\r\ny\\\nz) (p(q)r) (l\r\nm\rn) (\\q)");
        assert_eq!(t[0], Token::String(b"a\n\r\t\x08\x0c()\\".to_vec()));
        assert_eq!(t[1], Token::String(b"A+3\x07".to_vec()));
        assert_eq!(t[2], Token::String(b"xyz".to_vec()));
        assert_eq!(t[3], Token::String(b"p(q)r".to_vec()));
        assert_eq!(t[4], Token::String(b"l\nm\nn".to_vec()));
        assert_eq!(t[5], Token::String(b"q".to_vec()));
        assert_eq!(tokens(b"(\\777)")[0], Token::String(vec![0xff]));
        assert!(Lexer::new(b"(abc", 0, false).next_token().is_err());
    }

    #[test]
    fn hex_strings_and_names() {
        let t = tokens(b"<48 65\n6c6C 6f> <123> <> /Name /A#20B /#2F /a#zz / /x");
        assert_eq!(t[0], Token::String(b"Hello".to_vec()));
        assert_eq!(t[1], Token::String(vec![0x12, 0x30]));
        assert_eq!(t[2], Token::String(vec![]));
        assert_eq!(t[3], Token::Name(b"Name".to_vec()));
        assert_eq!(t[4], Token::Name(b"A B".to_vec()));
        assert_eq!(t[5], Token::Name(b"/".to_vec()));
        assert_eq!(t[6], Token::Name(b"a#zz".to_vec()));
        assert_eq!(t[7], Token::Name(vec![]));
        assert_eq!(t[8], Token::Name(b"x".to_vec()));
        assert!(Lexer::new(b"<12x4>", 0, false).next_token().is_err());
    }
}
