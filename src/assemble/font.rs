//! Assemble stage, text layer: Tesseract's glyphless TrueType font (`pdf.ttf`, one blank glyph
//! at GID 1) as a Type0/CIDFontType2 font with /Identity-H, a /CIDToGIDMap sending every CID
//! to GID 1, and a /ToUnicode CMap (ISO 32000-1 §9.7, §9.10.3) so that each 2-byte code
//! extracts as the UTF-16 unit it equals.
//!
//! Characters outside the BMP cannot be their own 2-byte code (a surrogate pair would be two
//! codes, each mapping to a lone surrogate): each distinct one gets a code in 0xD800–0xDFFF,
//! mapped by a `bfchar` to its surrogate pair. Past 2,048 distinct ones, U+FFFD is shown.

use std::path::Path;

use crate::pdf::{Dict, Object};

use super::AssembleError;

/// Largest font file read (pdf.ttf is 572 bytes).
const MAX_FONT_BYTES: u64 = 1 << 20;
/// Codes available for characters outside the BMP.
const NON_BMP_CODES: usize = 0x800;

/// Metrics read from the font's `head`, `hhea`, `maxp` and `hmtx` tables, in 1/1000 em.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Metrics {
    /// Advance width of GID 1, the glyph every CID shows.
    pub width: i64,
    pub bbox: [i64; 4],
    pub ascent: i64,
    pub descent: i64,
}

/// The font program, its metrics and the non-BMP code allocation of this document.
pub(crate) struct GlyphlessFont {
    pub program: Vec<u8>,
    pub metrics: Metrics,
    non_bmp: Vec<char>,
}

impl GlyphlessFont {
    pub fn load(path: &Path) -> Result<Self, AssembleError> {
        use std::io::Read;
        let missing = |source| AssembleError::FontMissing {
            path: path.to_path_buf(),
            source,
        };
        let mut program = Vec::new();
        std::fs::File::open(path)
            .map_err(missing)?
            .take(MAX_FONT_BYTES + 1)
            .read_to_end(&mut program)
            .map_err(missing)?;
        if program.len() as u64 > MAX_FONT_BYTES {
            return Err(AssembleError::BadFont {
                path: path.to_path_buf(),
                msg: format!("larger than {MAX_FONT_BYTES} bytes; not the glyphless font"),
            });
        }
        let metrics = parse_metrics(&program).map_err(|e| AssembleError::BadFont {
            path: path.to_path_buf(),
            msg: e.to_string(),
        })?;
        Ok(Self {
            program,
            metrics,
            non_bmp: Vec::new(),
        })
    }

    /// Advance of one code, as a fraction of the font size.
    pub fn advance(&self) -> f64 {
        self.metrics.width as f64 / 1000.0
    }

    /// Appends the codes showing `text` (NFC). Controls, U+FEFF, U+FFFE and U+FFFF are
    /// dropped: level U forbids mapping to U+0000, U+FEFF or U+FFFE, and CID 0 is .notdef.
    pub fn encode(&mut self, text: &str, out: &mut Vec<u16>) {
        for c in text.chars() {
            let u = c as u32;
            if u < 0x20 || (0x7F..=0x9F).contains(&u) || matches!(u, 0xFEFF | 0xFFFE | 0xFFFF) {
                continue;
            }
            if let Ok(code) = u16::try_from(u) {
                out.push(code);
                continue;
            }
            let idx = match self.non_bmp.iter().position(|&k| k == c) {
                Some(i) => i,
                None if self.non_bmp.len() < NON_BMP_CODES => {
                    self.non_bmp.push(c);
                    self.non_bmp.len() - 1
                }
                None => {
                    out.push(0xFFFD);
                    continue;
                }
            };
            // idx < 0x800, so the code stays in 0xD800..=0xDFFF.
            out.push(0xD800 + idx as u16);
        }
    }

    /// The /ToUnicode CMap: 248 `bfrange`s (one per first byte, never crossing it; rows
    /// 0xD8–0xDF left to `bfchar`s), codes 0x0000, 0xFEFF, 0xFFFE and 0xFFFF unmapped.
    pub fn to_unicode(&self) -> Vec<u8> {
        let mut ranges: Vec<(u16, u16)> = Vec::new();
        for hi in (0x00u16..=0xD7).chain(0xE0..=0xFF) {
            let first = if hi == 0 { 0x0001 } else { hi << 8 };
            let last = match hi {
                0xFE => 0xFEFE,
                0xFF => 0xFFFD,
                _ => (hi << 8) | 0xFF,
            };
            ranges.push((first, last));
        }
        let mut s = String::from(
            "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
             /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
             /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
             1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
        );
        for chunk in ranges.chunks(100) {
            s += &format!("{} beginbfrange\n", chunk.len());
            for (a, b) in chunk {
                s += &format!("<{a:04X}> <{b:04X}> <{a:04X}>\n");
            }
            s += "endbfrange\n";
        }
        let chars: Vec<(usize, &char)> = self.non_bmp.iter().enumerate().collect();
        for chunk in chars.chunks(100) {
            s += &format!("{} beginbfchar\n", chunk.len());
            for (i, c) in chunk {
                let mut units = [0u16; 2];
                let utf16: String = c
                    .encode_utf16(&mut units)
                    .iter()
                    .map(|u| format!("{u:04X}"))
                    .collect();
                s += &format!("<{:04X}> <{utf16}>\n", 0xD800 + i);
            }
            s += "endbfchar\n";
        }
        s += "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n";
        s.into_bytes()
    }

    /// The FontDescriptor (without /FontFile2, which the writer adds).
    pub fn descriptor(&self) -> Dict {
        let m = &self.metrics;
        let mut d = Dict::new();
        d.set(b"Type", Object::name("FontDescriptor"));
        d.set(b"FontName", Object::name("GlyphLessFont"));
        d.set(b"Flags", Object::Int(5)); // FixedPitch | Symbolic
        d.set(
            b"FontBBox",
            Object::Array(m.bbox.iter().map(|&v| Object::Int(v)).collect()),
        );
        d.set(b"ItalicAngle", Object::Int(0));
        d.set(b"Ascent", Object::Int(m.ascent));
        // pdf.ttf says 0; readers (poppler) take 0 as "unknown" and use -0.35 em, which
        // would hang the word boxes below the baseline. -1 (Tesseract's value) is exact enough.
        d.set(b"Descent", Object::Int(m.descent.min(-1)));
        d.set(b"CapHeight", Object::Int(m.ascent));
        d.set(b"StemV", Object::Int(80));
        d
    }
}

/// The /CIDToGIDMap data: every CID (0–65535) to GID 1, two big-endian bytes each.
pub(crate) fn cid_to_gid_map() -> Vec<u8> {
    [0u8, 1].repeat(0x10000)
}

/// Why a font program is not the glyphless TrueType font (ISO/IEC 14496-22 tables).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum FontError {
    #[error("truncated at offset {0}")]
    Truncated(usize),
    #[error("{0} tables; not the glyphless font")]
    TooManyTables(usize),
    #[error("table {0} out of bounds")]
    TableBounds(String),
    #[error("no {0} table")]
    NoTable(String),
    #[error("not a TrueType font")]
    NotTrueType,
    #[error("unitsPerEm {0} out of range")]
    UnitsPerEm(i64),
    #[error("{glyphs} glyphs, {metrics} metrics; GID 1 is needed")]
    NoGid1 { glyphs: u16, metrics: usize },
    #[error("GID 1 has no advance width")]
    NoAdvance,
}

fn be16(d: &[u8], at: usize) -> Result<u16, FontError> {
    d.get(at..at + 2)
        .map(|b| u16::from_be_bytes([b[0], b[1]]))
        .ok_or(FontError::Truncated(at))
}

fn be32(d: &[u8], at: usize) -> Result<u32, FontError> {
    d.get(at..at + 4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or(FontError::Truncated(at))
}

/// The bytes of table `tag`, from the table directory (bounded: at most 64 tables).
fn table<'a>(d: &'a [u8], tag: &[u8; 4]) -> Result<&'a [u8], FontError> {
    let n = usize::from(be16(d, 4)?);
    if n > 64 {
        return Err(FontError::TooManyTables(n));
    }
    for i in 0..n {
        let rec = 12 + 16 * i;
        if d.get(rec..rec + 4) == Some(&tag[..]) {
            let off = be32(d, rec + 8)? as usize;
            let len = be32(d, rec + 12)? as usize;
            return off
                .checked_add(len)
                .and_then(|end| d.get(off..end))
                .ok_or_else(|| FontError::TableBounds(String::from_utf8_lossy(tag).into()));
        }
    }
    Err(FontError::NoTable(String::from_utf8_lossy(tag).into()))
}

/// Reads unitsPerEm and the bbox (`head`), ascender/descender and numberOfHMetrics
/// (`hhea`), numGlyphs (`maxp`) and the advance of GID 1 (`hmtx`).
pub(crate) fn parse_metrics(d: &[u8]) -> Result<Metrics, FontError> {
    if !matches!(be32(d, 0)?, 0x0001_0000 | 0x7472_7565) {
        return Err(FontError::NotTrueType);
    }
    let head = table(d, b"head")?;
    let upem = i64::from(be16(head, 18)?);
    if !(16..=16384).contains(&upem) {
        return Err(FontError::UnitsPerEm(upem));
    }
    let signed = |t: &[u8], at| be16(t, at).map(|v| i64::from(v as i16));
    let scale = |v: i64| (v * 1000 + upem / 2).div_euclid(upem);
    let bbox = [
        scale(signed(head, 36)?),
        scale(signed(head, 38)?),
        scale(signed(head, 40)?),
        scale(signed(head, 42)?),
    ];
    let hhea = table(d, b"hhea")?;
    let (ascent, descent) = (scale(signed(hhea, 4)?), scale(signed(hhea, 6)?));
    let metrics_count = usize::from(be16(hhea, 34)?);
    let glyphs = be16(table(d, b"maxp")?, 4)?;
    if glyphs < 2 || metrics_count == 0 {
        return Err(FontError::NoGid1 {
            glyphs,
            metrics: metrics_count,
        });
    }
    let hmtx = table(d, b"hmtx")?;
    let advance = i64::from(be16(hmtx, 4 * 1.min(metrics_count - 1))?);
    if advance == 0 {
        return Err(FontError::NoAdvance);
    }
    Ok(Metrics {
        width: scale(advance),
        bbox,
        ascent,
        descent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn font() -> GlyphlessFont {
        GlyphlessFont::load(Path::new(super::super::DEFAULT_GLYPHLESS_FONT))
            .expect("tesseract-ocr's pdf.ttf is installed")
    }

    #[test]
    fn tesseract_font_metrics() {
        let f = font();
        assert_eq!(f.metrics.width, 500);
        assert_eq!(f.metrics.bbox, [0, 0, 500, 1000]);
        assert_eq!((f.metrics.ascent, f.metrics.descent), (1000, 0));
        let p = f.program.clone();
        for n in 0..p.len() {
            let _ = parse_metrics(&p[..n]); // no panic on truncation
        }
        let missing = GlyphlessFont::load(Path::new("/nonexistent/pdf.ttf"));
        let msg = missing.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(msg.contains("install tesseract-ocr"), "{msg}");
    }

    #[test]
    fn codes_and_cmap() {
        let mut f = font();
        let mut v = Vec::new();
        f.encode("Hường\u{0}\u{feff}\t😀a😀𠀀", &mut v);
        assert_eq!(
            v,
            [0x48, 0x1B0, 0x1EDD, 0x6E, 0x67, 0xD800, 0x61, 0xD800, 0xD801]
        );
        let cmap = String::from_utf8(f.to_unicode()).unwrap();
        assert!(cmap.contains("<0001> <00FF> <0001>\n"));
        assert!(cmap.contains("<1E00> <1EFF> <1E00>\n"));
        assert!(cmap.contains("<FF00> <FFFD> <FF00>\n"));
        assert!(!cmap.contains("<D800> <D8FF>"));
        assert!(cmap.contains("<D800> <D83DDE00>\n"));
        assert!(cmap.contains("<D801> <D840DC00>\n"));
        assert_eq!(cmap.matches("beginbfrange").count(), 3);
        assert_eq!(cid_to_gid_map().len(), 131072);
    }
}
