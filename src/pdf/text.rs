//! PDF text strings (ISO 32000-1 §7.9.2.2, ISO 32000-2 §7.9.2.2): UTF-16BE with BOM, UTF-8 with
//! BOM (PDF 2.0), or PDFDocEncoding, decoded for reports and field names.

/// PDFDocEncoding code points 0x80..=0xA0 that differ from Latin-1 (ISO 32000-1 Annex D.2).
const PDFDOC_HIGH: [char; 33] = [
    '\u{2022}', '\u{2020}', '\u{2021}', '\u{2026}', '\u{2014}', '\u{2013}', '\u{0192}', '\u{2044}',
    '\u{2039}', '\u{203A}', '\u{2212}', '\u{2030}', '\u{201E}', '\u{201C}', '\u{201D}', '\u{2018}',
    '\u{2019}', '\u{201A}', '\u{2122}', '\u{FB01}', '\u{FB02}', '\u{0141}', '\u{0152}', '\u{0160}',
    '\u{0178}', '\u{017D}', '\u{0131}', '\u{0142}', '\u{0153}', '\u{0161}', '\u{017E}', '\u{FFFD}',
    '\u{20AC}',
];

/// Decodes a PDF text string; invalid sequences become U+FFFD, nothing panics.
pub fn decode_text(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        let units: Vec<u16> = rest
            .chunks(2)
            .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
            .collect();
        return String::from_utf16_lossy(&units);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8_lossy(rest).into_owned();
    }
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0xA0 => PDFDOC_HIGH[(b - 0x80) as usize],
            _ => b as char,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_vietnamese_name_decodes() {
        let s = "Nguyễn Thị Hường";
        let mut b = vec![0xFE, 0xFF];
        for u in s.encode_utf16() {
            b.extend_from_slice(&u.to_be_bytes());
        }
        assert_eq!(decode_text(&b), s);
    }

    #[test]
    fn odd_length_utf16_does_not_panic() {
        assert_eq!(decode_text(&[0xFE, 0xFF, 0x00]), "\u{0}");
    }

    #[test]
    fn pdfdoc_bullet_and_latin1() {
        assert_eq!(decode_text(&[0x80, b'A', 0xE9]), "\u{2022}Aé");
    }
}
