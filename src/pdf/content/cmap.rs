//! Foundation `pdf`, content streams: ToUnicode CMaps (ISO 32000-1 §9.10.3; Adobe TN 5014 / 5411
//! syntax): `codespacerange`, `bfchar` and `bfrange` (offset and array forms), kept as ranges so
//! that a `<0000> <FFFF>` range costs one entry, with a cap on the entries of one map.

use std::collections::HashMap;

use super::ops::{Item, Ops};
use crate::pdf::Object;

/// Most `bfchar` entries plus `bfrange` ranges plus array elements in one CMap.
pub(crate) const MAX_CMAP_ENTRIES: usize = 200_000;

/// One `bfrange`: codes `lo..=hi` map either to `base` with its last UTF-16 unit advanced by
/// `code - lo`, or to the `code - lo`-th string of an array.
#[derive(Debug)]
enum Target {
    Offset(Vec<u16>),
    Array(Vec<String>),
}

/// A parsed ToUnicode map.
#[derive(Debug, Default)]
pub(crate) struct ToUnicode {
    /// (byte length, lo, hi) of each code space range.
    pub(crate) spaces: Vec<(usize, u32, u32)>,
    chars: HashMap<u32, String>,
    ranges: Vec<(u32, u32, Target)>,
    /// Entries read (for the per-page cap).
    pub(crate) entries: usize,
}

/// A CMap source code string as a number (at most 4 bytes).
fn code_of(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 4 {
        return None;
    }
    Some(b.iter().fold(0u32, |a, &x| a << 8 | u32::from(x)))
}

fn utf16_units(b: &[u8]) -> Vec<u16> {
    b.chunks(2)
        .map(|c| {
            u16::from_be_bytes([
                c.first().copied().unwrap_or(0),
                c.get(1).copied().unwrap_or(0),
            ])
        })
        .collect()
}

fn utf16_string(b: &[u8]) -> String {
    String::from_utf16_lossy(&utf16_units(b))
}

/// Error: the map has more than [`MAX_CMAP_ENTRIES`] entries.
#[derive(Debug)]
pub(crate) struct TooLarge;

impl ToUnicode {
    /// Parses a decoded CMap stream; unknown syntax is skipped.
    pub(crate) fn parse(data: &[u8]) -> Result<Self, TooLarge> {
        let mut m = ToUnicode::default();
        let mut ops = Ops::new(data);
        let mut operands: Vec<Object> = Vec::new();
        // Inside which begin…end section we are.
        let mut section: &[u8] = b"";
        while let Some(item) = ops.next_item() {
            match item {
                Item::Operand(o) => {
                    operands.push(o);
                    match section {
                        b"bfchar" if operands.len() == 2 => {
                            m.add_char(&operands[0], &operands[1]);
                            operands.clear();
                        }
                        b"bfrange" if operands.len() == 3 => {
                            m.add_range(&operands[0], &operands[1], &operands[2]);
                            operands.clear();
                        }
                        b"codespacerange" if operands.len() == 2 => {
                            if let (Some(lo), Some(hi)) =
                                (operands[0].as_string(), operands[1].as_string())
                            {
                                if let (Some(l), Some(h)) = (code_of(lo), code_of(hi)) {
                                    if m.spaces.len() < 64 {
                                        m.spaces.push((lo.len().max(hi.len()), l, h));
                                    }
                                }
                            }
                            operands.clear();
                        }
                        _ if operands.len() > 64 => operands.clear(),
                        _ => {}
                    }
                }
                Item::Operator(op) => {
                    operands.clear();
                    section = match op {
                        b"beginbfchar" => b"bfchar",
                        b"beginbfrange" => b"bfrange",
                        b"begincodespacerange" => b"codespacerange",
                        _ => b"",
                    };
                }
            }
            if m.entries > MAX_CMAP_ENTRIES {
                return Err(TooLarge);
            }
        }
        Ok(m)
    }

    fn add_char(&mut self, src: &Object, dst: &Object) {
        if let (Some(code), Some(d)) = (src.as_string().and_then(code_of), dst.as_string()) {
            self.chars.insert(code, utf16_string(d));
            self.entries += 1;
        }
    }

    fn add_range(&mut self, lo: &Object, hi: &Object, dst: &Object) {
        let (Some(lo), Some(hi)) = (
            lo.as_string().and_then(code_of),
            hi.as_string().and_then(code_of),
        ) else {
            return;
        };
        if hi < lo {
            return;
        }
        let target = match dst {
            Object::String(s) => Target::Offset(utf16_units(s)),
            Object::Array(a) => {
                self.entries += a.len();
                Target::Array(
                    a.iter()
                        .map(|o| o.as_string().map(utf16_string).unwrap_or_default())
                        .collect(),
                )
            }
            _ => return,
        };
        self.entries += 1;
        self.ranges.push((lo, hi, target));
    }

    /// The text of `code`, if the map has it.
    pub(crate) fn get(&self, code: u32) -> Option<String> {
        if let Some(s) = self.chars.get(&code) {
            return Some(s.clone());
        }
        // Later ranges win, as later definitions do in a CMap.
        for (lo, hi, t) in self.ranges.iter().rev() {
            if (*lo..=*hi).contains(&code) {
                let k = code - lo;
                return match t {
                    Target::Array(a) => a.get(k as usize).cloned(),
                    Target::Offset(base) => {
                        let mut units = base.clone();
                        let last = units.last_mut()?;
                        *last = u16::try_from(u32::from(*last).checked_add(k)?).ok()?;
                        Some(String::from_utf16_lossy(&units))
                    }
                };
            }
        }
        None
    }

    /// The byte length of the code starting with `bytes`, from the code space ranges.
    pub(crate) fn code_len(&self, bytes: &[u8]) -> Option<usize> {
        self.spaces.iter().find_map(|&(n, lo, hi)| {
            let c = code_of(bytes.get(..n)?)?;
            (lo..=hi).contains(&c).then_some(n)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chars_ranges_arrays_and_ligatures() {
        let m = ToUnicode::parse(
            b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n\
              1 begincodespacerange <0000> <FFFF> endcodespacerange\n\
              2 beginbfchar <0003> <0020> <0041> <00660069> endbfchar\n\
              2 beginbfrange <0010> <0012> <1EA0> <0020> <0022> [<0061> <0062> <D83DDE00>] endbfrange\n\
              endcmap CMapName currentdict /CMap defineresource pop end end",
        )
        .unwrap();
        assert_eq!(m.get(3).as_deref(), Some(" "));
        assert_eq!(m.get(0x41).as_deref(), Some("fi"));
        assert_eq!(m.get(0x11).as_deref(), Some("\u{1EA1}"));
        assert_eq!(m.get(0x22).as_deref(), Some("\u{1F600}"));
        assert_eq!(m.get(0x21).as_deref(), Some("b"));
        assert_eq!(m.get(0x13), None);
        assert_eq!(m.code_len(&[0, 5]), Some(2));
        assert_eq!(m.code_len(&[0]), None);
    }

    #[test]
    fn oversized_maps_are_refused() {
        let mut s = b"beginbfchar ".to_vec();
        for i in 0..=MAX_CMAP_ENTRIES as u32 {
            s.extend(format!("<{:06X}> <0041> ", i).into_bytes());
        }
        assert!(ToUnicode::parse(&s).is_err());
        // An overflowing range end does not wrap.
        let m = ToUnicode::parse(b"beginbfrange <00> <FF> <FFFF> endbfrange").unwrap();
        assert_eq!(m.get(0), Some("\u{FFFF}".into()));
        assert_eq!(m.get(1), None);
    }
}
