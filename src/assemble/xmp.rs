//! Assemble stage, metadata: the XMP packet (ISO 16684-1; PDF/A-2 §6.6) and the matching
//! Info dictionary strings (dates as ISO 8601 and as PDF dates, ISO 32000-1 §7.9.4).
//!
//! The sources' SHA-256 values go in `dc:relation` (an unordered array of URIs, predefined
//! by the Dublin Core schema, so no PDF/A extension schema is needed), each as an RFC 6920
//! `nih:sha-256;<hex>` URI. `dc:source` would fit the meaning ("derived from") but holds a
//! single value; a custom namespace would need a `pdfaExtension` schema block, which
//! validators handle unevenly.

use std::time::SystemTime;

use super::DocumentInfo;

/// A moment as written in XMP and in the Info dictionary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Stamp {
    /// `2024-05-01T10:20:30+07:00`.
    pub xmp: String,
    /// `D:20240501102030+07'00'`.
    pub pdf: String,
}

/// `t` in local time at `offset_minutes` from UTC (|offset| ≤ 14 h; years 0–9999), as XMP
/// and the Info dictionary write it.
pub(crate) fn stamp(t: SystemTime, offset_minutes: i32) -> Result<Stamp, crate::time::TimeError> {
    Ok(Stamp {
        xmp: crate::time::xmp_date(t, offset_minutes)?,
        pdf: crate::time::pdf_date(t, offset_minutes)?,
    })
}

/// Text without the characters XML 1.0 forbids (C0 controls other than tab/LF/CR,
/// U+FFFE, U+FFFF), so that XMP and Info carry the same string.
pub(crate) fn clean_text(s: &str) -> String {
    s.chars()
        .filter(|&c| {
            !((c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}'))
        })
        .collect()
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\r' => o.push_str("&#13;"),
            _ => o.push(c),
        }
    }
    o
}

/// `uuid:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` from the 16 ID bytes.
pub(crate) fn uuid(id: &[u8; 16]) -> String {
    let h = hex::encode(id);
    format!(
        "uuid:{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// Lower-case hex of each SHA-256, checked (64 hex digits).
pub(crate) fn source_hashes(info: &DocumentInfo) -> Result<Vec<String>, super::InfoError> {
    info.source_sha256
        .iter()
        .map(|h| {
            let h = h.trim().to_ascii_lowercase();
            if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) {
                Ok(h)
            } else {
                Err(super::InfoError::SourceHash(h))
            }
        })
        .collect()
}

/// The XMP packet, UTF-8, no `bytes`/`encoding` attributes (PDF/A-2 §6.6.2.1).
pub(crate) fn packet(info: &DocumentInfo, created: &Stamp, hashes: &[String]) -> Vec<u8> {
    let title = clean_text(&info.title);
    let id = uuid(&info.document_id);
    let mut p = String::from(
        "<?xpacket begin=\"\u{FEFF}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n\
         <x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n\
         <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n\
         <rdf:Description rdf:about=\"\"\n \
         xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\"\n \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n \
         xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"\n \
         xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\"\n \
         xmlns:xmpMM=\"http://ns.adobe.com/xap/1.0/mm/\">\n\
         <pdfaid:part>2</pdfaid:part>\n\
         <pdfaid:conformance>U</pdfaid:conformance>\n\
         <dc:format>application/pdf</dc:format>\n",
    );
    if !title.is_empty() {
        p += &format!(
            "<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">{}</rdf:li></rdf:Alt></dc:title>\n",
            esc(&title)
        );
    }
    if !hashes.is_empty() {
        p += "<dc:relation><rdf:Bag>\n";
        for h in hashes {
            p += &format!("<rdf:li>nih:sha-256;{h}</rdf:li>\n");
        }
        p += "</rdf:Bag></dc:relation>\n";
    }
    for tag in ["CreateDate", "ModifyDate", "MetadataDate"] {
        p += &format!("<xmp:{tag}>{}</xmp:{tag}>\n", created.xmp);
    }
    p += &format!(
        "<pdf:Producer>{}</pdf:Producer>\n\
         <xmpMM:DocumentID>{id}</xmpMM:DocumentID>\n\
         <xmpMM:InstanceID>{id}</xmpMM:InstanceID>\n\
         </rdf:Description>\n</rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"w\"?>",
        esc(&clean_text(&info.producer))
    );
    p.into_bytes()
}

/// A PDF text string (§7.9.2.2): PDFDocEncoding when printable ASCII, else UTF-16BE + BOM.
pub(crate) fn text_string(s: &str) -> Vec<u8> {
    if s.bytes().all(|b| (0x20..0x7F).contains(&b)) {
        return s.as_bytes().to_vec();
    }
    let mut v = vec![0xFE, 0xFF];
    for u in s.encode_utf16() {
        v.extend_from_slice(&u.to_be_bytes());
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn dates() {
        // 2024-02-29T23:30:00Z
        let t = UNIX_EPOCH + Duration::from_secs(1_709_249_400);
        let s = stamp(t, 420).unwrap();
        assert_eq!(s.xmp, "2024-03-01T06:30:00+07:00");
        assert_eq!(s.pdf, "D:20240301063000+07'00'");
        let s = stamp(t, -150).unwrap();
        assert_eq!(s.xmp, "2024-02-29T21:00:00-02:30");
        assert_eq!(stamp(UNIX_EPOCH, 0).unwrap().pdf, "D:19700101000000+00'00'");
        let before = UNIX_EPOCH - Duration::from_secs(86_400 * 365);
        assert_eq!(stamp(before, 0).unwrap().xmp, "1969-01-01T00:00:00+00:00");
        assert!(stamp(t, 15 * 60).is_err());
    }

    #[test]
    fn strings_and_ids() {
        assert_eq!(text_string("Ho so"), b"Ho so");
        assert_eq!(text_string("Hồ"), [0xFE, 0xFF, 0, b'H', 0x1E, 0xD3]);
        assert_eq!(esc("a<b&\"c\""), "a&lt;b&amp;&quot;c&quot;");
        assert_eq!(clean_text("a\u{1}b\u{FFFE}\tc"), "ab\tc");
        assert_eq!(
            uuid(&[0xAB; 16]),
            "uuid:abababab-abab-abab-abab-abababababab"
        );
    }
}
