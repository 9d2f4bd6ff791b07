//! Object parser over the lexer (ISO 32000-1 §7.3 objects, §7.3.10 indirect objects,
//! §7.3.8 stream headers). Depth-limited recursion; never panics.

use super::error::PdfError;
use super::lexer::{Lexer, Token};
use super::object::{Dict, ObjRef, Object, Stream};

/// An indirect object as parsed from its header (ISO 32000-1 §7.3.10).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Indirect {
    pub r: ObjRef,
    /// For a stream, `data_len` is still 0 until `fetch::stream_length` runs.
    pub obj: Object,
    /// Whether `obj` is a stream whose length is still to be determined.
    pub is_stream: bool,
    /// Absolute offset just after `endobj` (or after the data start for a stream, or where
    /// parsing stopped when `endobj` is missing).
    pub end: u64,
}

/// Hard cap on nesting whatever [`super::Limits`] says (recursion uses the stack).
pub const MAX_DEPTH_CAP: usize = 256;

pub(crate) struct Parser<'a> {
    pub(crate) lex: Lexer<'a>,
    max_depth: usize,
}

impl<'a> Parser<'a> {
    /// `max_depth` is capped at [`MAX_DEPTH_CAP`] to protect the stack.
    pub(crate) fn new(buf: &'a [u8], base: u64, partial: bool, max_depth: usize) -> Self {
        Self {
            lex: Lexer::new(buf, base, partial),
            max_depth: max_depth.min(MAX_DEPTH_CAP),
        }
    }

    fn need(&mut self) -> Result<Token<'a>, PdfError> {
        let t = self.lex.next_token()?;
        t.ok_or_else(|| self.lex.truncated())
    }

    /// One direct object (with `n g R` references).
    pub(crate) fn parse_object(&mut self) -> Result<Object, PdfError> {
        let tok = self.need()?;
        self.object_from(tok, 0)
    }

    fn object_from(&mut self, tok: Token<'a>, depth: usize) -> Result<Object, PdfError> {
        let start = self.lex.offset();
        Ok(match tok {
            Token::Int(n) => self.maybe_ref(n)?,
            Token::Real(r) => Object::Real(r),
            Token::String(s) => Object::String(s),
            Token::Name(n) => Object::Name(n),
            Token::ArrayOpen => Object::Array(self.array(depth + 1)?),
            Token::DictOpen => Object::Dict(self.dict(depth + 1)?),
            Token::Keyword(b"true") => Object::Bool(true),
            Token::Keyword(b"false") => Object::Bool(false),
            Token::Keyword(b"null") => Object::Null,
            Token::Keyword(k) => {
                let k = String::from_utf8_lossy(k.get(..32).unwrap_or(k));
                return Err(PdfError::syntax(start, format!("unexpected '{k}'")));
            }
            Token::ArrayClose => return Err(PdfError::syntax(start, "unexpected ']'")),
            Token::DictClose => return Err(PdfError::syntax(start, "unexpected '>>'")),
        })
    }

    /// After an integer: `n g R` becomes a reference, otherwise the integer stands alone.
    fn maybe_ref(&mut self, n: i64) -> Result<Object, PdfError> {
        let (Ok(num), save) = (u32::try_from(n), self.lex.pos()) else {
            return Ok(Object::Int(n));
        };
        let gen = match self.lex.next_token()? {
            Some(Token::Int(g)) => u16::try_from(g).ok(),
            _ => None,
        };
        let is_r = matches!(self.lex.next_token()?, Some(Token::Keyword(b"R")));
        match gen {
            Some(gen) if is_r => Ok(Object::Ref(ObjRef::new(num, gen))),
            _ => {
                self.lex.set_pos(save);
                Ok(Object::Int(n))
            }
        }
    }

    fn check_depth(&self, depth: usize) -> Result<(), PdfError> {
        if depth > self.max_depth {
            return Err(PdfError::TooDeep {
                offset: self.lex.offset(),
                limit: self.max_depth,
            });
        }
        Ok(())
    }

    fn array(&mut self, depth: usize) -> Result<Vec<Object>, PdfError> {
        self.check_depth(depth)?;
        let mut v = Vec::new();
        loop {
            match self.need()? {
                Token::ArrayClose => return Ok(v),
                tok => v.push(self.object_from(tok, depth)?),
            }
        }
    }

    fn dict(&mut self, depth: usize) -> Result<Dict, PdfError> {
        self.check_depth(depth)?;
        let mut d = Dict::new();
        loop {
            let at = self.lex.offset();
            match self.need()? {
                Token::DictClose => return Ok(d),
                Token::Name(key) => {
                    // `<< /Key >>`: a key without value is read as null.
                    let value = match self.need()? {
                        Token::DictClose => {
                            d.0.push((key, Object::Null));
                            return Ok(d);
                        }
                        tok => self.object_from(tok, depth)?,
                    };
                    d.0.push((key, value));
                }
                _ => return Err(PdfError::syntax(at, "dictionary key is not a name")),
            }
        }
    }

    /// `n g obj <object> endobj`, or a stream header `n g obj <<...>> stream EOL`.
    pub(crate) fn parse_indirect(&mut self) -> Result<Indirect, PdfError> {
        let at = self.lex.offset();
        let header = (self.need()?, self.need()?, self.need()?);
        let r = match header {
            (Token::Int(n), Token::Int(g), Token::Keyword(b"obj")) => {
                match (u32::try_from(n), u16::try_from(g)) {
                    (Ok(n), Ok(g)) => ObjRef::new(n, g),
                    _ => return Err(PdfError::syntax(at, "object number out of range")),
                }
            }
            (Token::Int(_), Token::Int(_), _) => {
                return Err(PdfError::syntax(at, "expected 'obj'"))
            }
            _ => return Err(PdfError::syntax(at, "expected 'N G obj'")),
        };
        let obj = self.parse_object().map_err(|e| in_object(e, r, at))?;
        let save = self.lex.pos();
        match self.lex.next_token().map_err(|e| in_object(e, r, at))? {
            Some(Token::Keyword(b"endobj")) => Ok(Indirect {
                r,
                obj,
                is_stream: false,
                end: self.lex.offset(),
            }),
            Some(Token::Keyword(b"stream")) => {
                let Object::Dict(dict) = obj else {
                    return Err(object_err(r, at, "'stream' after a non-dictionary"));
                };
                let data_offset = self.stream_data_start()?;
                Ok(Indirect {
                    r,
                    obj: Object::Stream(Stream {
                        dict,
                        data_offset,
                        data_len: 0,
                    }),
                    is_stream: true,
                    end: data_offset,
                })
            }
            // Missing `endobj`: tolerated, the object ends here.
            _ => {
                self.lex.set_pos(save);
                Ok(Indirect {
                    r,
                    obj,
                    is_stream: false,
                    end: self.lex.offset(),
                })
            }
        }
    }

    /// After `stream`: skip the EOL (CRLF or LF; a lone CR or spaces are tolerated).
    fn stream_data_start(&mut self) -> Result<u64, PdfError> {
        let buf = self.lex.buf();
        let mut p = self.lex.pos();
        while matches!(buf.get(p), Some(b' ' | b'\t')) {
            p += 1;
        }
        match (buf.get(p), buf.get(p + 1)) {
            (Some(b'\r'), Some(b'\n')) => p += 2,
            (Some(b'\r'), None) if self.lex.is_partial() => return Err(self.lex.truncated()),
            (Some(b'\r' | b'\n'), _) => p += 1,
            (None, _) if self.lex.is_partial() => return Err(self.lex.truncated()),
            _ => {}
        }
        self.lex.set_pos(p);
        Ok(self.lex.offset_of(p))
    }
}

fn object_err(r: ObjRef, offset: u64, msg: impl Into<String>) -> PdfError {
    PdfError::Object {
        obj: r,
        offset,
        msg: msg.into(),
    }
}

/// Adds the object to a syntax error's message (keeps `Truncated` as is).
fn in_object(e: PdfError, r: ObjRef, at: u64) -> PdfError {
    match e {
        PdfError::Syntax { offset, msg } => object_err(r, at, format!("at offset {offset}: {msg}")),
        other => other,
    }
}

/// Parses one object from a complete buffer (no references resolved).
pub fn parse_object(buf: &[u8], max_depth: usize) -> Result<Object, PdfError> {
    Parser::new(buf, 0, false, max_depth).parse_object()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(s: &[u8]) -> Object {
        parse_object(s, 64).unwrap()
    }

    #[test]
    fn objects_and_refs() {
        assert_eq!(obj(b"12 0 R"), Object::Ref(ObjRef::new(12, 0)));
        assert_eq!(obj(b"12"), Object::Int(12));
        assert_eq!(
            obj(b"[1 2 R 3 4 5 R 6]"),
            Object::Array(vec![
                Object::Ref(ObjRef::new(1, 2)),
                Object::Int(3),
                Object::Ref(ObjRef::new(4, 5)),
                Object::Int(6),
            ])
        );
        let d = obj(b"<</Type/Page/Kids[3 0 R]/N -1.5/B true/X null/S(a)/H<61>/E>>");
        let d = d.as_dict().unwrap();
        assert_eq!(d.name(b"Type"), Some(&b"Page"[..]));
        assert_eq!(d.get(b"N"), Some(&Object::Real(-1.5)));
        assert_eq!(d.get(b"B"), Some(&Object::Bool(true)));
        assert_eq!(d.get(b"X"), Some(&Object::Null));
        assert_eq!(d.get(b"E"), Some(&Object::Null));
        assert_eq!(d.get(b"H"), Some(&Object::String(b"a".to_vec())));
    }

    #[test]
    fn bad_input_is_an_error() {
        for s in [
            &b"<< 1 2 >>"[..],
            b"]",
            b">>",
            b"foo",
            b"[1 2",
            b"<< /A",
            b"-x",
        ] {
            assert!(
                parse_object(s, 64).is_err(),
                "{:?}",
                String::from_utf8_lossy(s)
            );
        }
        let deep = [b"[".repeat(100), b"]".repeat(100)].concat();
        assert!(matches!(
            parse_object(&deep, 64),
            Err(PdfError::TooDeep { .. })
        ));
        let ok = [b"[".repeat(64), b"]".repeat(64)].concat();
        assert!(parse_object(&ok, 64).is_ok());
    }

    #[test]
    fn indirect_and_stream_header() {
        let src = b"7 0 obj\n<< /Length 5 >>\nstream\r\nhello\nendstream\nendobj\n";
        let ind = Parser::new(src, 1000, false, 64).parse_indirect().unwrap();
        assert_eq!(ind.r, ObjRef::new(7, 0));
        assert!(ind.is_stream);
        match ind.obj {
            Object::Stream(s) => assert_eq!(s.data_offset, 1000 + 32),
            o => panic!("{o:?}"),
        }
        let ind = Parser::new(b"3 1 obj (x) endobj", 0, false, 64)
            .parse_indirect()
            .unwrap();
        assert_eq!(ind.obj, Object::String(b"x".to_vec()));
        assert_eq!(ind.end, 18);
        let e = Parser::new(b"3 1 (x) endobj", 0, false, 64).parse_indirect();
        assert!(e.is_err());
        let e = Parser::new(b"3 0 obj << /A 1 ", 0, true, 64).parse_indirect();
        assert!(e.unwrap_err().is_truncated());
    }
}
