//! Errors of the PDF reader and writer: each says what is wrong and where (offset, object).

use super::object::ObjRef;
use std::fmt;

/// `12 0` (object number and generation, without the `R`), for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObjId(pub ObjRef);

impl fmt::Display for ObjId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.0.num, self.0.gen)
    }
}

/// A byte size for messages: `256 MiB` when it is a whole number of MiB, else `N bytes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Size(pub u64);

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const MIB: u64 = 1 << 20;
        const GIB: u64 = 1 << 30;
        match self.0 {
            n if n >= GIB && n % GIB == 0 => write!(f, "{} GiB", n / GIB),
            n if n >= MIB && n % MIB == 0 => write!(f, "{} MiB", n / MIB),
            n => write!(f, "{n} bytes"),
        }
    }
}

/// Everything that can go wrong reading or writing a PDF (ISO 32000-1 §7).
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error("file is {size} bytes, above the {limit} limit", limit = Size(*.limit))]
    FileTooLarge { size: u64, limit: u64 },
    #[error("no startxref found in the last {0} bytes")]
    NoStartxref(u64),
    /// Input ended inside a token or object (also used internally to grow read windows).
    #[error("unexpected end of data at offset {offset}")]
    Truncated { offset: u64 },
    #[error("syntax error at offset {offset}: {msg}")]
    Syntax { offset: u64, msg: String },
    #[error("nesting deeper than {limit} at offset {offset}")]
    TooDeep { offset: u64, limit: usize },
    #[error("object {obj} at offset {offset}: {msg}", obj = ObjId(*.obj))]
    Object {
        obj: ObjRef,
        offset: u64,
        msg: String,
    },
    #[error("xref section at offset {offset}: {msg}")]
    Xref { offset: u64, msg: String },
    #[error("xref stream {obj}: {msg}", obj = ObjId(*.obj))]
    XrefStream { obj: ObjRef, msg: String },
    #[error("/Prev chain of cross-reference sections loops back to offset {0}")]
    XrefLoop(u64),
    #[error("object number {num} is at or above the limit of {limit} objects")]
    TooManyObjects { num: u64, limit: u32 },
    #[error("{what} decodes past the {limit} limit", limit = Size(*.limit))]
    TooLarge { what: String, limit: u64 },
    #[error("{what}: {msg}")]
    Filter { what: String, msg: String },
    #[error("object stream {obj}: {msg}", obj = ObjId(*.obj))]
    ObjStm { obj: ObjRef, msg: String },
    #[error("offset {offset} + {len} bytes is past the end of the data ({end} bytes)")]
    OutOfRange { offset: u64, len: u64, end: u64 },
    /// The document structure (catalog, page tree, reference chains) is malformed.
    #[error("{0}")]
    Structure(String),
    #[error("file could not be repaired: {0}")]
    Unrepairable(String),
}

impl PdfError {
    pub(crate) fn syntax(offset: u64, msg: impl Into<String>) -> Self {
        PdfError::Syntax {
            offset,
            msg: msg.into(),
        }
    }

    /// Whether this is [`PdfError::Truncated`] (more input might let parsing succeed).
    pub fn is_truncated(&self) -> bool {
        matches!(self, PdfError::Truncated { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_and_where() {
        let e = PdfError::Object {
            obj: ObjRef::new(12, 0),
            offset: 3456,
            msg: "expected 'obj'".into(),
        };
        assert_eq!(e.to_string(), "object 12 0 at offset 3456: expected 'obj'");
        let e = PdfError::TooLarge {
            what: "stream of object 5 0".into(),
            limit: 256 << 20,
        };
        assert_eq!(
            e.to_string(),
            "stream of object 5 0 decodes past the 256 MiB limit"
        );
        let e = PdfError::XrefStream {
            obj: ObjRef::new(7, 0),
            msg: "predictor 15 not supported".into(),
        };
        assert_eq!(e.to_string(), "xref stream 7 0: predictor 15 not supported");
        assert_eq!(
            PdfError::NoStartxref(1024).to_string(),
            "no startxref found in the last 1024 bytes"
        );
        assert_eq!(Size(1000).to_string(), "1000 bytes");
        assert_eq!(Size(4 << 30).to_string(), "4 GiB");
    }
}
