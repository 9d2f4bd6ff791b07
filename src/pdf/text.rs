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

/// Parses a PDF date `D:YYYYMMDDHHmmSSOHH'mm'` (ISO 32000-1 §7.9.4; every part after the year
/// optional, the `D:` prefix too) into seconds since the Unix epoch, UTC.
pub fn parse_date(s: &str) -> Option<u64> {
    let s = s.trim();
    let s = s.strip_prefix("D:").unwrap_or(s);
    let digits = |from: usize, len: usize, default: u32| -> Option<u32> {
        match s.get(from..from + len) {
            Some(d) if d.bytes().all(|b| b.is_ascii_digit()) => d.parse().ok(),
            Some(_) => None,
            None => Some(default),
        }
    };
    let year = digits(0, 4, 0)?;
    if s.len() < 4 {
        return None;
    }
    let month = digits(4, 2, 1)?;
    let day = digits(6, 2, 1)?;
    let hour = digits(8, 2, 0)?;
    let minute = digits(10, 2, 0)?;
    let second = digits(12, 2, 0)?;
    let dt = der::DateTime::new(
        u16::try_from(year).ok()?,
        u8::try_from(month).ok()?,
        u8::try_from(day).ok()?,
        u8::try_from(hour).ok()?,
        u8::try_from(minute).ok()?,
        u8::try_from(second.min(59)).ok()?,
    )
    .ok()?;
    let mut t = dt.unix_duration().as_secs() as i64;
    let rest = s.get(14..).unwrap_or("");
    let mut chars = rest.chars();
    // 'Z' or nothing after the time means UTC.
    if let Some(sign @ ('+' | '-')) = chars.next() {
        let tz: String = chars.filter(|c| c.is_ascii_digit()).collect();
        let h: i64 = tz.get(0..2).and_then(|x| x.parse().ok()).unwrap_or(0);
        let m: i64 = tz.get(2..4).and_then(|x| x.parse().ok()).unwrap_or(0);
        let off = h * 3600 + m * 60;
        t += if sign == '+' { -off } else { off };
    }
    u64::try_from(t).ok()
}

#[cfg(test)]
mod date_tests {
    use super::parse_date;

    #[test]
    fn vietnam_offset_is_converted_to_utc() {
        // 2026-11-22 10:12:54 +07:00 = 03:12:54Z
        assert_eq!(parse_date("D:20261122101254+07'00'"), Some(1_795_317_174));
        assert_eq!(parse_date("D:20261122031254Z"), Some(1_795_317_174));
    }

    #[test]
    fn partial_and_broken_dates() {
        assert_eq!(parse_date("D:2020"), Some(1_577_836_800));
        assert_eq!(parse_date("D:20201301"), None);
        assert_eq!(parse_date("garbage"), None);
        assert_eq!(parse_date(""), None);
    }
}
