//! Canonical serialization of objects (ISO 32000-1 §7.3), indirect objects (§7.3.10) and
//! streams (§7.3.8), as used by the incremental writer.

use super::object::{Dict, ObjRef, Object};

/// Writes `o` in canonical form. A [`Object::Stream`] is written as its dictionary only
/// (use [`write_stream`] for the whole stream).
pub fn write_object(out: &mut Vec<u8>, o: &Object) {
    match o {
        Object::Null => out.extend_from_slice(b"null"),
        Object::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Object::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Object::Real(r) => write_real(out, *r),
        Object::String(s) => write_string(out, s),
        Object::Name(n) => write_name(out, n),
        Object::Array(a) => {
            out.push(b'[');
            for (i, item) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                write_object(out, item);
            }
            out.push(b']');
        }
        Object::Dict(d) => write_dict(out, d),
        Object::Stream(s) => write_dict(out, &s.dict),
        Object::Ref(r) => out.extend_from_slice(format!("{} {} R", r.num, r.gen).as_bytes()),
    }
}

/// `<< /K v /K2 v2 >>` (`<< >>` when empty).
pub fn write_dict(out: &mut Vec<u8>, d: &Dict) {
    out.extend_from_slice(b"<<");
    for (k, v) in d.iter() {
        out.push(b' ');
        write_name(out, k);
        out.push(b' ');
        write_object(out, v);
    }
    out.extend_from_slice(b" >>");
}

/// A real without exponent, at most 6 decimals, trailing zeros trimmed (§7.3.3).
/// Non-finite values (which PDF cannot represent) are written as `0`.
pub fn write_real(out: &mut Vec<u8>, r: f64) {
    if !r.is_finite() {
        out.push(b'0');
        return;
    }
    let s = format!("{r:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    out.extend_from_slice(if s == "-0" { "0" } else { s }.as_bytes());
}

/// `/Name` with `#xx` for delimiters, white space, `#` and bytes outside `!`..`~` (§7.3.5).
pub fn write_name(out: &mut Vec<u8>, n: &[u8]) {
    out.push(b'/');
    for &b in n {
        let plain = (0x21..=0x7e).contains(&b) && b != b'#' && !super::lexer::is_delimiter(b);
        if plain {
            out.push(b);
        } else {
            out.extend_from_slice(format!("#{b:02X}").as_bytes());
        }
    }
}

/// A literal string with escapes, or a hex string when the bytes are binary (§7.3.4).
pub fn write_string(out: &mut Vec<u8>, s: &[u8]) {
    let binary = s
        .iter()
        .any(|&b| b >= 0x80 || (b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x08 | 0x0c)));
    if binary {
        out.push(b'<');
        out.extend_from_slice(hex::encode_upper(s).as_bytes());
        out.push(b'>');
        return;
    }
    out.push(b'(');
    for &b in s {
        match b {
            b'(' | b')' | b'\\' => out.extend_from_slice(&[b'\\', b]),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            _ => out.push(b),
        }
    }
    out.push(b')');
}

/// `n g obj\n<object>\nendobj\n`.
pub fn write_indirect(out: &mut Vec<u8>, r: ObjRef, o: &Object) {
    out.extend_from_slice(format!("{} {} obj\n", r.num, r.gen).as_bytes());
    write_object(out, o);
    out.extend_from_slice(b"\nendobj\n");
}

/// `n g obj\n<<dict with /Length>>\nstream\n<data>\nendstream\nendobj\n`.
pub fn write_stream(out: &mut Vec<u8>, r: ObjRef, dict: &Dict, data: &[u8]) {
    let mut d = dict.clone();
    d.set(b"Length", Object::Int(data.len() as i64));
    out.extend_from_slice(format!("{} {} obj\n", r.num, r.gen).as_bytes());
    write_dict(out, &d);
    out.extend_from_slice(b"\nstream\n");
    out.extend_from_slice(data);
    out.extend_from_slice(b"\nendstream\nendobj\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::object::Stream;
    use crate::pdf::parser::parse_object;

    fn w(o: &Object) -> String {
        let mut v = Vec::new();
        write_object(&mut v, o);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn canonical_forms() {
        assert_eq!(w(&Object::Real(1.5)), "1.5");
        assert_eq!(w(&Object::Real(-0.0000001)), "0");
        assert_eq!(w(&Object::Real(3.0)), "3");
        assert_eq!(w(&Object::Real(1e20)), "100000000000000000000");
        assert_eq!(w(&Object::Real(0.1234567)), "0.123457");
        assert_eq!(w(&Object::Real(f64::NAN)), "0");
        assert_eq!(
            w(&Object::Name(b"A B#/(x)".to_vec())),
            "/A#20B#23#2F#28x#29"
        );
        assert_eq!(
            w(&Object::String(b"a(b)\\\n".to_vec())),
            "(a\\(b\\)\\\\\\n)"
        );
        assert_eq!(w(&Object::String(vec![0xfe, 0xff, 0, 0x41])), "<FEFF0041>");
        assert_eq!(w(&Object::Dict(Dict::new())), "<< >>");
        let mut d = Dict::new();
        d.set(b"Type", Object::name("Page"));
        d.set(
            b"Kids",
            Object::Array(vec![Object::Ref(ObjRef::new(3, 0)), Object::Null]),
        );
        assert_eq!(
            w(&Object::Dict(d.clone())),
            "<< /Type /Page /Kids [3 0 R null] >>"
        );
        let s = Object::Stream(Stream {
            dict: d,
            data_offset: 9,
            data_len: 9,
        });
        assert_eq!(w(&s), "<< /Type /Page /Kids [3 0 R null] >>");
    }

    #[test]
    fn round_trip_all_kinds() {
        let mut inner = Dict::new();
        inner.set(b"K#ey with space", Object::Bool(false));
        inner.set(b"", Object::Int(-7));
        let all = Object::Array(vec![
            Object::Null,
            Object::Bool(true),
            Object::Int(i64::MIN + 1),
            Object::Int(42),
            Object::Real(-12.25),
            Object::Real(0.5),
            Object::String(b"plain (nested) \\ text\r\n\t\x08\x0c".to_vec()),
            Object::String((0u8..=255).collect()),
            Object::String(Vec::new()),
            Object::Name(b"N\x00\xff/%".to_vec()),
            Object::Name(Vec::new()),
            Object::Array(vec![Object::Array(vec![]), Object::Int(1)]),
            Object::Dict(inner),
            Object::Ref(ObjRef::new(4_000_000_000, 65535)),
        ]);
        let mut buf = Vec::new();
        write_object(&mut buf, &all);
        assert_eq!(parse_object(&buf, 64).unwrap(), all);
        let mut ind = Vec::new();
        write_indirect(&mut ind, ObjRef::new(5, 0), &all);
        assert!(ind.starts_with(b"5 0 obj\n") && ind.ends_with(b"\nendobj\n"));
    }
}
