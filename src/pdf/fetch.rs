//! Reading one indirect object from the file through a growing window, and finding where a
//! stream's data ends (ISO 32000-1 §7.3.8.1: `/Length`, else the `endstream` keyword).

use super::error::PdfError;
use super::lexer::is_whitespace;
use super::object::ObjRef;
use super::parser::{Indirect, Parser};
use super::source::Source;
use std::io::{Read, Seek};

/// The largest window used to parse a single (non-stream-data) object.
pub(crate) const MAX_OBJECT_WINDOW: usize = 64 << 20;

/// Parses the indirect object whose header is at `offset`. For streams `data_len` is 0
/// until [`stream_length`] is applied.
pub(crate) fn read_indirect<R: Read + Seek>(
    src: &mut Source<R>,
    offset: u64,
    max_depth: usize,
) -> Result<Indirect, PdfError> {
    src.with_window(offset, MAX_OBJECT_WINDOW, |buf, partial| {
        Parser::new(buf, offset, partial, max_depth).parse_indirect()
    })
}

/// The raw length of the stream data at `data_offset`: `declared` when `endstream` follows
/// it (after optional white space), else found by scanning for `endstream` (one EOL before
/// it is not data). Scans at most `max_len` bytes.
pub(crate) fn stream_length<R: Read + Seek>(
    src: &mut Source<R>,
    r: ObjRef,
    data_offset: u64,
    declared: Option<u64>,
    max_len: u64,
) -> Result<u64, PdfError> {
    if let Some(len) = declared {
        if let Some(at) = data_offset.checked_add(len) {
            if at <= src.len() && endstream_at(src, at)? {
                return Ok(len);
            }
        }
    }
    let limit = data_offset
        .saturating_add(max_len)
        .saturating_add(16)
        .min(src.len());
    let Some(p) = src.find(data_offset, limit, b"endstream")? else {
        return Err(PdfError::Object {
            obj: r,
            offset: data_offset,
            msg: "stream has no valid /Length and no 'endstream' was found".into(),
        });
    };
    let mut len = p - data_offset;
    let tail_from = p.saturating_sub(2).max(data_offset);
    let tail = src.read_upto(tail_from, (p - tail_from) as usize)?;
    len -= match tail.as_slice() {
        [.., b'\r', b'\n'] => 2,
        [.., b'\n'] | [.., b'\r'] => 1,
        _ => 0,
    };
    Ok(len)
}

fn endstream_at<R: Read + Seek>(src: &mut Source<R>, at: u64) -> Result<bool, PdfError> {
    let buf = src.read_upto(at, 64)?;
    let p = buf.iter().position(|&b| !is_whitespace(b));
    Ok(p.and_then(|p| buf.get(p..))
        .is_some_and(|rest| rest.starts_with(b"endstream")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::object::Object;
    use std::io::Cursor;

    #[test]
    fn length_direct_wrong_and_missing() {
        let file = b"1 0 obj\n<< /Length 5 >>\nstream\nhello\nendstream\nendobj\n".to_vec();
        let mut src = Source::new(Cursor::new(file), None).unwrap();
        let ind = read_indirect(&mut src, 0, 64).unwrap();
        let Object::Stream(s) = ind.obj else { panic!() };
        let r = ObjRef::new(1, 0);
        assert_eq!(
            stream_length(&mut src, r, s.data_offset, Some(5), 100).unwrap(),
            5
        );
        assert_eq!(
            stream_length(&mut src, r, s.data_offset, Some(3), 100).unwrap(),
            5
        );
        assert_eq!(
            stream_length(&mut src, r, s.data_offset, None, 100).unwrap(),
            5
        );
        assert_eq!(
            stream_length(&mut src, r, s.data_offset, Some(1 << 40), 100).unwrap(),
            5
        );
        let file = b"1 0 obj\n<< >>\nstream\nhello".to_vec();
        let mut src = Source::new(Cursor::new(file), None).unwrap();
        let e = stream_length(&mut src, r, 22, None, 100).unwrap_err();
        assert!(e.to_string().contains("no 'endstream'"), "{e}");
    }

    #[test]
    fn window_grows_for_big_objects() {
        let mut file = b"2 0 obj\n[".to_vec();
        for i in 0..5000 {
            file.extend_from_slice(format!("{i} ").as_bytes());
        }
        file.extend_from_slice(b"]\nendobj\n");
        let mut src = Source::new(Cursor::new(file), None).unwrap();
        let ind = read_indirect(&mut src, 0, 64).unwrap();
        assert_eq!(ind.obj.as_array().map(<[Object]>::len), Some(5000));
    }
}
