//! BER to DER for signature containers (X.690 §8 BER, §10 DER): some signing tools write CMS
//! SignedData with indefinite lengths and constructed (chunked) strings. The BER is decoded by
//! `asn1-rs`; this module only writes each element back with a definite, minimal length and
//! joins chunked strings, so the `der`-based CMS code reads it and the signed attributes are
//! checked over their DER encoding (RFC 5652 §5.4). Primitive contents are kept byte for byte
//! (certificates embedded in a BER CMS are DER themselves and their signatures must still hold).

use asn1_rs::{Any, Class, FromBer, Header, Length, Tag, ToDer};

/// Deepest nesting converted (CMS with certificates and timestamps is well under 30).
const MAX_DEPTH: usize = 48;

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BerError {
    #[error("not BER either: {0}")]
    Malformed(String),
    #[error("nested more than {MAX_DEPTH} levels deep")]
    TooDeep,
    #[error("a chunked string holds an element of another type")]
    BadChunk,
}

/// Converts the first BER element of `input` to DER. Returns the DER and how many input bytes
/// the element took (what follows is, in a PDF's /Contents, zero padding).
pub fn to_der(input: &[u8]) -> Result<(Vec<u8>, usize), BerError> {
    let (rest, any) = Any::from_ber(input).map_err(|e| BerError::Malformed(e.to_string()))?;
    let mut out = Vec::with_capacity(input.len());
    write(&any, 0, &mut out)?;
    Ok((out, input.len() - rest.len()))
}

/// Universal types whose BER encoding may be constructed from chunks (X.690 §8.6, §8.7, §8.23).
fn is_string(tag: Tag) -> bool {
    matches!(tag.0, 3 | 4 | 12 | 18..=30)
}

fn header_der(class: Class, constructed: bool, tag: Tag, len: usize) -> Result<Vec<u8>, BerError> {
    Header::new(class, constructed, tag, Length::Definite(len))
        .to_der_vec()
        .map_err(|e| BerError::Malformed(e.to_string()))
}

fn children(data: &[u8]) -> Result<Vec<Any<'_>>, BerError> {
    let mut rest = data;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let (r, child) = Any::from_ber(rest).map_err(|e| BerError::Malformed(e.to_string()))?;
        rest = r;
        out.push(child);
    }
    Ok(out)
}

/// The content octets of a (possibly chunked) string of type `tag`.
fn string_content(any: &Any, tag: Tag, depth: usize, out: &mut Vec<u8>) -> Result<(), BerError> {
    if depth > MAX_DEPTH {
        return Err(BerError::TooDeep);
    }
    if !any.header.is_constructed() {
        out.extend_from_slice(any.data);
        return Ok(());
    }
    for c in children(any.data)? {
        if c.header.class() != Class::Universal || c.header.tag() != tag {
            return Err(BerError::BadChunk);
        }
        string_content(&c, tag, depth + 1, out)?;
    }
    Ok(())
}

fn write(any: &Any, depth: usize, out: &mut Vec<u8>) -> Result<(), BerError> {
    if depth > MAX_DEPTH {
        return Err(BerError::TooDeep);
    }
    let (class, tag) = (any.header.class(), any.header.tag());
    if !any.header.is_constructed() {
        out.extend(header_der(class, false, tag, any.data.len())?);
        out.extend_from_slice(any.data);
        return Ok(());
    }
    if class == Class::Universal && is_string(tag) {
        let mut content = Vec::new();
        if tag == Tag::BitString {
            // Each chunk starts with its unused-bits count; only the last may be non-zero.
            let mut unused = 0u8;
            for c in children(any.data)? {
                if c.header.class() != Class::Universal || c.header.tag() != tag {
                    return Err(BerError::BadChunk);
                }
                let mut seg = Vec::new();
                string_content(&c, tag, depth + 1, &mut seg)?;
                let (&u, bits) = seg.split_first().ok_or(BerError::BadChunk)?;
                if unused != 0 {
                    return Err(BerError::BadChunk);
                }
                unused = u;
                content.extend_from_slice(bits);
            }
            content.insert(0, unused);
        } else {
            string_content(any, tag, depth, &mut content)?;
        }
        out.extend(header_der(class, false, tag, content.len())?);
        out.extend(content);
        return Ok(());
    }
    let mut inner = Vec::with_capacity(any.data.len());
    for c in children(any.data)? {
        write(&c, depth + 1, &mut inner)?;
    }
    out.extend(header_der(class, true, tag, inner.len())?);
    out.extend(inner);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_input_comes_back_unchanged() {
        // SEQUENCE { INTEGER 5, OCTET STRING "ab", [0] { BOOLEAN TRUE } }
        let der = [
            0x30, 0x0c, 0x02, 0x01, 0x05, 0x04, 0x02, b'a', b'b', 0xa0, 0x03, 0x01, 0x01, 0xff,
        ];
        let (out, used) = to_der(&der).unwrap();
        assert_eq!(out, der);
        assert_eq!(used, der.len());
    }

    #[test]
    fn indefinite_lengths_and_chunked_octet_strings_become_der() {
        // SEQUENCE (indefinite) { OCTET STRING (constructed, indefinite) { "ab", "c" }, NULL }
        let ber = [
            0x30, 0x80, 0x24, 0x80, 0x04, 0x02, b'a', b'b', 0x04, 0x01, b'c', 0x00, 0x00, 0x05,
            0x00, 0x00, 0x00, 0, 0, 0,
        ];
        let (out, used) = to_der(&ber).unwrap();
        assert_eq!(out, [0x30, 0x07, 0x04, 0x03, b'a', b'b', b'c', 0x05, 0x00]);
        assert_eq!(
            used, 17,
            "the zero padding after the element is not part of it"
        );
    }

    #[test]
    fn chunked_bit_strings_keep_the_last_unused_bits() {
        let ber = [
            0x23, 0x80, 0x03, 0x02, 0x00, 0xaa, 0x03, 0x02, 0x04, 0xb0, 0x00, 0x00,
        ];
        let (out, _) = to_der(&ber).unwrap();
        assert_eq!(out, [0x03, 0x03, 0x04, 0xaa, 0xb0]);
    }

    #[test]
    fn truncated_and_foreign_chunks_are_errors_not_panics() {
        assert!(to_der(&[0x30, 0x80, 0x02, 0x01]).is_err());
        assert!(to_der(&[]).is_err());
        // an OCTET STRING chunk inside a constructed BIT STRING
        assert_eq!(
            to_der(&[0x23, 0x80, 0x04, 0x01, 0x00, 0x00, 0x00]),
            Err(BerError::BadChunk)
        );
        // 200 nested indefinite SEQUENCEs
        let mut deep = vec![];
        for _ in 0..200 {
            deep.extend([0x30, 0x80]);
        }
        for _ in 0..200 {
            deep.extend([0x00, 0x00]);
        }
        assert!(to_der(&deep).is_err());
    }
}
