//! Stage `sign`, visible stamps: the layouts the regulations give, as defaults a signer
//! profile's `[signers.NAME.stamp]` table may override line by line.

use serde::{Deserialize, Serialize};

use super::{Corner, StampPage};

/// Whose signature a stamp shows, and so which rule lays it out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum StampRole {
    /// The official who digitizes: name and time, top left of page 1 (Circular 01/2023/TT-VPCP
    /// art. 8).
    Digitizer,
    /// The agency: its name and the time in ISO 8601 with the offset, top right of page 1,
    /// Times New Roman 10, blue (Decree 30/2020/NĐ-CP, appendix I).
    Agency,
    /// The certifying officer of a certified copy: the certification text, number, book,
    /// date and name (Decree 23/2015/NĐ-CP art. 20, electronic form per Decree 45/2020/NĐ-CP),
    /// bottom right of the last page, where paper certifications put it.
    Certifier,
}

impl StampRole {
    pub fn name(self) -> &'static str {
        match self {
            Self::Digitizer => "digitizer",
            Self::Agency => "agency",
            Self::Certifier => "certifier",
        }
    }
}

/// A layout: where, what, how large.
#[derive(Clone, Debug, PartialEq)]
pub struct Preset {
    pub corner: Corner,
    pub page: StampPage,
    pub lines: Vec<String>,
    pub size: f64,
    pub color: [f64; 3],
    pub margin_mm: f64,
    pub border: bool,
}

/// Dark blue, as agencies' stamps are printed (Decree 30/2020: "màu xanh").
pub const BLUE: [f64; 3] = [0.0, 0.0, 0.8];

pub fn preset(role: StampRole) -> Preset {
    let lines = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
    match role {
        StampRole::Digitizer => Preset {
            corner: Corner::TopLeft,
            page: StampPage::First,
            lines: lines(&["Người số hóa: {name}", "Thời gian ký: {time}"]),
            size: 9.0,
            color: BLUE,
            margin_mm: 4.0,
            border: true,
        },
        StampRole::Agency => Preset {
            corner: Corner::TopRight,
            page: StampPage::First,
            lines: lines(&["{name}", "Thời gian ký: {time}"]),
            size: 10.0,
            color: BLUE,
            margin_mm: 4.0,
            border: true,
        },
        StampRole::Certifier => Preset {
            corner: Corner::BottomRight,
            page: StampPage::Last,
            lines: lines(&[
                "CHỨNG THỰC BẢN SAO ĐÚNG VỚI BẢN CHÍNH",
                "Số chứng thực: {number}   Quyển số: {book}",
                "Ngày {date}",
                "Người chứng thực: {name}",
            ]),
            size: 10.0,
            color: BLUE,
            margin_mm: 6.0,
            border: true,
        },
    }
}

/// `#RRGGBB` as RGB 0–1.
pub fn parse_color(s: &str) -> Option<[f64; 3]> {
    let h = s.strip_prefix('#')?;
    if h.len() != 6 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let c = |i: usize| {
        u8::from_str_radix(&h[i..i + 2], 16)
            .ok()
            .map(|v| f64::from(v) / 255.0)
    };
    Some([c(0)?, c(2)?, c(4)?])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_parse_and_bad_ones_do_not() {
        assert_eq!(parse_color("#0000FF"), Some([0.0, 0.0, 1.0]));
        assert_eq!(parse_color("0000FF"), None);
        assert_eq!(parse_color("#00zz00"), None);
    }
}
