//! Tokenizer for PDF syntax over a byte slice (ISO 32000-1 §7.2 lexical conventions, §7.3).
//!
//! Never panics: every access is checked. A slice may be a *partial* window of a larger
//! file; then running out of bytes (or a token touching the end) yields
//! [`PdfError::Truncated`], telling the caller to retry with a larger window.

use super::error::PdfError;

mod strings;
use strings::parse_number;

/// One token (ISO 32000-1 §7.2).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Token<'a> {
    Int(i64),
    Real(f64),
    /// Literal or hex string, decoded.
    String(Vec<u8>),
    /// Name without `/`, `#xx` decoded.
    Name(Vec<u8>),
    ArrayOpen,
    ArrayClose,
    DictOpen,
    DictClose,
    /// Any other run of regular characters (`true`, `obj`, `R`, `stream`, ...), or `{` / `}`.
    Keyword(&'a [u8]),
}

/// White-space characters (ISO 32000-1 §7.2.2, Table 1).
pub(crate) fn is_whitespace(b: u8) -> bool {
    matches!(b, 0 | b'\t' | b'\n' | 0x0c | b'\r' | b' ')
}

/// Delimiter characters (ISO 32000-1 §7.2.2, Table 2).
pub(crate) fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

pub(crate) fn is_regular(b: u8) -> bool {
    !is_whitespace(b) && !is_delimiter(b)
}

pub(crate) fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// A cursor over `buf`, whose first byte lies at absolute offset `base` in the file.
pub(crate) struct Lexer<'a> {
    buf: &'a [u8],
    pos: usize,
    base: u64,
    partial: bool,
}

impl<'a> Lexer<'a> {
    /// `partial`: `buf` is a window and the file continues after it.
    pub(crate) fn new(buf: &'a [u8], base: u64, partial: bool) -> Self {
        Self {
            buf,
            pos: 0,
            base,
            partial,
        }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn set_pos(&mut self, pos: usize) {
        self.pos = pos.min(self.buf.len());
    }

    pub(crate) fn buf(&self) -> &'a [u8] {
        self.buf
    }

    pub(crate) fn is_partial(&self) -> bool {
        self.partial
    }

    /// Absolute file offset of `pos`.
    pub(crate) fn offset_of(&self, pos: usize) -> u64 {
        self.base.saturating_add(pos as u64)
    }

    pub(crate) fn offset(&self) -> u64 {
        self.offset_of(self.pos)
    }

    fn peek_byte(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    fn byte_at(&self, pos: usize) -> Option<u8> {
        self.buf.get(pos).copied()
    }

    pub(crate) fn truncated(&self) -> PdfError {
        PdfError::Truncated {
            offset: self.offset_of(self.buf.len()),
        }
    }

    fn err(&self, pos: usize, msg: impl Into<String>) -> PdfError {
        PdfError::syntax(self.offset_of(pos), msg)
    }

    /// Skips white space and comments (`%` to end of line).
    pub(crate) fn skip_ws(&mut self) {
        while let Some(b) = self.peek_byte() {
            if is_whitespace(b) {
                self.pos += 1;
            } else if b == b'%' {
                while let Some(c) = self.peek_byte() {
                    if c == b'\r' || c == b'\n' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    /// The next token; `Ok(None)` at the end of a complete buffer, `Truncated` at the end
    /// of a partial one.
    pub(crate) fn next_token(&mut self) -> Result<Option<Token<'a>>, PdfError> {
        self.skip_ws();
        let start = self.pos;
        let Some(b) = self.peek_byte() else {
            return if self.partial {
                Err(self.truncated())
            } else {
                Ok(None)
            };
        };
        let tok = match b {
            b'[' => {
                self.pos += 1;
                Token::ArrayOpen
            }
            b']' => {
                self.pos += 1;
                Token::ArrayClose
            }
            b'{' | b'}' => {
                self.pos += 1;
                Token::Keyword(self.buf.get(start..start + 1).unwrap_or_default())
            }
            b'(' => Token::String(self.literal_string()?),
            b'/' => Token::Name(self.name()?),
            b'<' => match self.byte_at(start + 1) {
                Some(b'<') => {
                    self.pos += 2;
                    Token::DictOpen
                }
                None if self.partial => return Err(self.truncated()),
                _ => Token::String(self.hex_string()?),
            },
            b'>' => match self.byte_at(start + 1) {
                Some(b'>') => {
                    self.pos += 2;
                    Token::DictClose
                }
                None if self.partial => return Err(self.truncated()),
                _ => return Err(self.err(start, "stray '>'")),
            },
            b')' => return Err(self.err(start, "unbalanced ')'")),
            _ => {
                let run = self.regular_run()?;
                match run.first() {
                    Some(b'0'..=b'9' | b'+' | b'-' | b'.') => {
                        parse_number(run).ok_or_else(|| self.err(start, "malformed number"))?
                    }
                    _ => Token::Keyword(run),
                }
            }
        };
        Ok(Some(tok))
    }

    /// A run of regular characters; `Truncated` if it touches the end of a partial buffer.
    fn regular_run(&mut self) -> Result<&'a [u8], PdfError> {
        let start = self.pos;
        while self.peek_byte().is_some_and(is_regular) {
            self.pos += 1;
        }
        if self.pos >= self.buf.len() && self.partial {
            return Err(self.truncated());
        }
        Ok(self.buf.get(start..self.pos).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every token of `s` (shared with the string lexer's tests).
    pub(super) fn tokens(s: &[u8]) -> Vec<Token<'_>> {
        let mut lx = Lexer::new(s, 0, false);
        let mut v = Vec::new();
        while let Some(t) = lx.next_token().unwrap() {
            v.push(t);
        }
        v
    }

    #[test]
    fn whitespace_comments_keywords() {
        let t = tokens(b"\0\x0c true%comment\r\nfalse null R obj{}");
        assert_eq!(
            t,
            vec![
                Token::Keyword(b"true"),
                Token::Keyword(b"false"),
                Token::Keyword(b"null"),
                Token::Keyword(b"R"),
                Token::Keyword(b"obj"),
                Token::Keyword(b"{"),
                Token::Keyword(b"}"),
            ]
        );
    }

    #[test]
    fn delimiters_and_errors() {
        let t = tokens(b"<<[]>>");
        assert_eq!(
            t,
            vec![
                Token::DictOpen,
                Token::ArrayOpen,
                Token::ArrayClose,
                Token::DictClose
            ]
        );
        assert!(Lexer::new(b")", 0, false).next_token().is_err());
        assert!(Lexer::new(b"> ", 0, false).next_token().is_err());
    }

    #[test]
    fn partial_windows_report_truncation() {
        let mut lx = Lexer::new(b"12 0 ob", 100, true);
        assert_eq!(lx.next_token().unwrap(), Some(Token::Int(12)));
        assert_eq!(lx.next_token().unwrap(), Some(Token::Int(0)));
        match lx.next_token() {
            Err(PdfError::Truncated { offset }) => assert_eq!(offset, 107),
            other => panic!("{other:?}"),
        }
        assert!(Lexer::new(b"<", 0, true)
            .next_token()
            .unwrap_err()
            .is_truncated());
        assert!(Lexer::new(b"", 0, true)
            .next_token()
            .unwrap_err()
            .is_truncated());
        assert_eq!(Lexer::new(b"", 0, false).next_token().unwrap(), None);
    }
}
