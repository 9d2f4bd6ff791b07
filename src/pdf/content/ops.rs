//! Foundation `pdf`, content streams: a content stream (or CMap) as operands and operators
//! (ISO 32000-1 §7.8.2 content streams, §9.10.3 CMap syntax), over the `pdf` parser's objects.
//! Operands are parsed by [`crate::pdf::parser::Parser`]; only operator words and the inline
//! image data skip (§8.9.7, shared with `scan`) are handled here.

use super::scan::{skip_inline_data, word_end};
use crate::pdf::parser::Parser;
use crate::pdf::Object;

/// Deepest array/dictionary nesting accepted in an operand.
const MAX_OPERAND_DEPTH: usize = 32;

/// One lexical item of a content stream.
pub(crate) enum Item<'a> {
    Operand(Object),
    Operator(&'a [u8]),
}

/// A cursor over a complete, decoded content stream. Never panics; stops at the first operand
/// it cannot parse (the rest of a damaged stream is not guessed at).
pub(crate) struct Ops<'a> {
    p: Parser<'a>,
    buf: &'a [u8],
}

impl<'a> Ops<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self {
            p: Parser::new(buf, 0, false, MAX_OPERAND_DEPTH),
            buf,
        }
    }

    fn pos(&self) -> usize {
        self.p.lex.pos()
    }

    fn set_pos(&mut self, pos: usize) {
        self.p.lex.set_pos(pos);
    }

    /// The next operand or operator; `None` at the end (or at unparseable data).
    pub(crate) fn next_item(&mut self) -> Option<Item<'a>> {
        loop {
            self.p.lex.skip_ws();
            let pos = self.pos();
            let b = *self.buf.get(pos)?;
            match b {
                // Stray closing delimiters and PostScript braces: step over.
                b')' | b'>' | b']' | b'{' | b'}' => self.set_pos(pos + 1),
                b'(' | b'<' | b'[' | b'/' => return self.p.parse_object().ok().map(Item::Operand),
                b'0'..=b'9' | b'+' | b'-' | b'.' => match self.p.parse_object() {
                    Ok(o) => return Some(Item::Operand(o)),
                    // A malformed number: skip its run of characters.
                    Err(_) => self.set_pos(word_end(self.buf, pos + 1)),
                },
                _ => {
                    let end = word_end(self.buf, pos).max(pos + 1);
                    self.set_pos(end);
                    let word = self.buf.get(pos..end)?;
                    return Some(match word {
                        b"true" => Item::Operand(Object::Bool(true)),
                        b"false" => Item::Operand(Object::Bool(false)),
                        b"null" => Item::Operand(Object::Null),
                        w => Item::Operator(w),
                    });
                }
            }
        }
    }

    /// The next operator, its operands pushed onto `args` (at most `max` kept; the caller
    /// clears `args` once it has used them); `None` at the end.
    pub(crate) fn next_operator(&mut self, args: &mut Vec<Object>, max: usize) -> Option<&'a [u8]> {
        loop {
            match self.next_item()? {
                Item::Operand(o) => {
                    if args.len() < max {
                        args.push(o);
                    }
                }
                Item::Operator(op) => return Some(op),
            }
        }
    }

    /// After `BI`: skips the image dictionary and its data, up to and including `EI`.
    pub(crate) fn skip_inline_image(&mut self) {
        while let Some(item) = self.next_item() {
            if let Item::Operator(b"ID") = item {
                let end = skip_inline_data(self.buf, self.pos());
                self.set_pos(end);
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ops(s: &[u8]) -> Vec<String> {
        let mut o = Ops::new(s);
        let mut v = Vec::new();
        while let Some(i) = o.next_item() {
            v.push(match i {
                Item::Operand(x) => format!("{x:?}"),
                Item::Operator(w) => String::from_utf8_lossy(w).into_owned(),
            });
            if v.last().is_some_and(|l| l == "BI") {
                o.skip_inline_image();
            }
        }
        v
    }

    #[test]
    fn operands_operators_inline_images() {
        let v =
            ops(b"1 0 0 1 5 6 cm/F1 12 Tf[(a)-300(b)]TJ T* (x)' 1 2(y)\" BI /W 1 ID \x00ET EI Q");
        assert_eq!(v[6], "cm");
        assert_eq!(v[9], "Tf");
        assert_eq!(v[11], "TJ");
        assert_eq!(v[12], "T*");
        assert_eq!(v[14], "'");
        assert_eq!(v[18], "\"");
        assert_eq!(v[19], "BI");
        assert_eq!(v[20], "Q");
        assert_eq!(v.len(), 21);
    }

    #[test]
    fn damaged_streams_end_cleanly() {
        for s in [
            &b"(unclosed"[..],
            b"<ab",
            b"[1 2",
            b"- -- .x Tj",
            b")))>>",
            b"BI /W 1 ID",
            b"<<",
        ] {
            let _ = ops(s);
        }
        assert_eq!(ops(b"-- 5 Tj"), vec!["Int(5)", "Tj"]);
    }
}
