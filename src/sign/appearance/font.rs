//! Stage `sign`, visible stamps: the stamp's TrueType font, shaped by rustybuzz (kerning, and
//! the marks of decomposed Vietnamese letters placed by the font's GPOS) and subset by
//! `subsetter` into a Type0 / CIDFontType2 font (ISO 32000-1 §9.7.4) with /Identity-H, CIDs
//! equal to the subset's glyph ids, a /W array and a /ToUnicode CMap (§9.10.3), so that the
//! stamp renders alike everywhere and `pdftotext` reads it back.

use std::collections::BTreeMap;
use std::path::Path;

use rustybuzz::ttf_parser;
use unicode_normalization::UnicodeNormalization;

use crate::pdf::{Dict, Object};

use super::AppearanceError;

/// Largest font file read (Liberation Serif: 400 KB; CJK fonts are larger than stamps need).
const MAX_FONT_BYTES: u64 = 32 << 20;

/// A TrueType font file, checked once, shaped per line.
pub struct StampFont {
    data: Vec<u8>,
    /// Where it came from, for messages.
    pub label: String,
    /// PostScript name, for /BaseFont.
    pub ps_name: String,
    upem: f64,
    ascent: f64,
    descent: f64,
    cap_height: f64,
    bbox: [f64; 4],
    italic_angle: f64,
}

/// One shaped glyph, in 1/1000 em.
#[derive(Clone, Debug)]
pub struct Glyph {
    pub gid: u16,
    pub advance: f64,
    pub x_offset: f64,
    pub y_offset: f64,
    /// The characters this glyph stands for (its cluster's, on the cluster's first glyph).
    pub text: String,
}

/// A line of text after shaping.
#[derive(Clone, Debug)]
pub struct ShapedLine {
    pub glyphs: Vec<Glyph>,
    /// Sum of the advances, 1/1000 em.
    pub width: f64,
}

/// The font's PDF objects: the Type0 font refers to the others by the numbers given.
pub struct FontObjects {
    pub type0: Dict,
    pub cid_font: Dict,
    pub descriptor: Dict,
    /// The subset TrueType program (/FontFile2, uncompressed: the writer deflates it).
    pub program: Vec<u8>,
    pub to_unicode: Vec<u8>,
    /// Old glyph id → CID (subset glyph id), for the content stream.
    pub cids: BTreeMap<u16, u16>,
}

impl StampFont {
    /// Reads and checks a font file (TrueType outlines, embedding allowed).
    pub fn load(path: &Path) -> Result<Self, AppearanceError> {
        let label = path.display().to_string();
        let bad = |why: String| AppearanceError::Font {
            font: label.clone(),
            why,
        };
        let meta = std::fs::metadata(path).map_err(|e| bad(e.to_string()))?;
        if meta.len() > MAX_FONT_BYTES {
            return Err(bad(format!(
                "{} bytes, more than the {MAX_FONT_BYTES} read",
                meta.len()
            )));
        }
        let data = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
        Self::from_bytes(data, &label)
    }

    pub fn from_bytes(data: Vec<u8>, label: &str) -> Result<Self, AppearanceError> {
        let bad = |why: &str| AppearanceError::Font {
            font: label.to_string(),
            why: why.to_string(),
        };
        let face = ttf_parser::Face::parse(&data, 0)
            .map_err(|e| bad(&format!("not a TrueType/OpenType font ({e})")))?;
        if rustybuzz::Face::from_slice(&data, 0).is_none() {
            return Err(bad("cannot be read for shaping"));
        }
        if face.tables().glyf.is_none() {
            return Err(bad(
                "has no TrueType outlines (glyf); stamps embed TrueType fonts",
            ));
        }
        if matches!(
            face.permissions(),
            Some(ttf_parser::Permissions::Restricted)
        ) {
            return Err(bad(
                "forbids embedding (OS/2 fsType: restricted license); choose another font",
            ));
        }
        let upem = f64::from(face.units_per_em().max(16));
        let scale = 1000.0 / upem;
        let bb = face.global_bounding_box();
        let ps_name = face
            .names()
            .into_iter()
            .find(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
            .and_then(|n| n.to_string())
            .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
            .unwrap_or_else(|| "StampFont".into());
        let out = Self {
            label: label.to_string(),
            ps_name,
            upem,
            ascent: f64::from(face.ascender()) * scale,
            descent: f64::from(face.descender()) * scale,
            cap_height: f64::from(face.capital_height().unwrap_or(face.ascender())) * scale,
            bbox: [
                f64::from(bb.x_min) * scale,
                f64::from(bb.y_min) * scale,
                f64::from(bb.x_max) * scale,
                f64::from(bb.y_max) * scale,
            ],
            italic_angle: f64::from(face.italic_angle()),
            data,
        };
        // Vietnamese must be there: a font without "ệ" would draw boxes on every stamp.
        let missing: String = "ĐđƯưƠơẠạẾếỆệỜờỮữ"
            .chars()
            .filter(|&c| out.face().glyph_index(c).is_none())
            .collect();
        if !missing.is_empty() {
            return Err(bad(&format!(
                "has no glyphs for the Vietnamese letters {missing}"
            )));
        }
        Ok(out)
    }

    fn face(&self) -> rustybuzz::Face<'_> {
        // Checked in from_bytes: parsing the same bytes again cannot fail.
        rustybuzz::Face::from_slice(&self.data, 0).unwrap_or_else(|| unreachable!())
    }

    /// The advance of `gid` as the embedded font's /W gives it, 1/1000 em.
    pub fn width(&self, gid: u16) -> f64 {
        let adv = self
            .face()
            .glyph_hor_advance(ttf_parser::GlyphId(gid))
            .unwrap_or(0);
        (f64::from(adv) * 1000.0 / self.upem).round()
    }

    /// Ascender and descender, 1/1000 em (descender negative).
    pub fn vertical(&self) -> (f64, f64) {
        (self.ascent, self.descent)
    }

    /// Shapes one line (NFC first: precomposed Vietnamese letters where the font has them).
    pub fn shape(&self, text: &str) -> Result<ShapedLine, AppearanceError> {
        let text: String = text.nfc().collect();
        let face = self.face();
        let mut buf = rustybuzz::UnicodeBuffer::new();
        buf.push_str(&text);
        let shaped = rustybuzz::shape(&face, &[], buf);
        let scale = 1000.0 / self.upem;
        let infos = shaped.glyph_infos();
        let positions = shaped.glyph_positions();
        let mut glyphs = Vec::with_capacity(infos.len());
        let mut width = 0.0;
        for (i, (info, pos)) in infos.iter().zip(positions).enumerate() {
            let gid = u16::try_from(info.glyph_id).unwrap_or(0);
            if gid == 0 {
                let ch = text
                    .get(info.cluster as usize..)
                    .and_then(|t| t.chars().next())
                    .unwrap_or('?');
                return Err(AppearanceError::Font {
                    font: self.label.clone(),
                    why: format!("has no glyph for {ch:?} (U+{:04X})", ch as u32),
                });
            }
            let first_of_cluster = i == 0 || infos[i - 1].cluster != info.cluster;
            let text_of = if first_of_cluster {
                let end = infos[i..]
                    .iter()
                    .map(|g| g.cluster)
                    .find(|&c| c != info.cluster)
                    .map(|c| c as usize)
                    .filter(|&e| e > info.cluster as usize)
                    .unwrap_or(text.len());
                text.get(info.cluster as usize..end)
                    .unwrap_or("")
                    .to_string()
            } else {
                String::new()
            };
            let advance = f64::from(pos.x_advance) * scale;
            width += advance;
            glyphs.push(Glyph {
                gid,
                advance,
                x_offset: f64::from(pos.x_offset) * scale,
                y_offset: f64::from(pos.y_offset) * scale,
                text: text_of,
            });
        }
        Ok(ShapedLine { glyphs, width })
    }

    /// The font's objects for the glyphs `lines` use (GID 0 always kept, as fonts need).
    pub fn embed(&self, lines: &[ShapedLine]) -> Result<FontObjects, AppearanceError> {
        let mut remap = subsetter::GlyphRemapper::new();
        let mut texts: BTreeMap<u16, String> = BTreeMap::new();
        for g in lines.iter().flat_map(|l| &l.glyphs) {
            let cid = remap.remap(g.gid);
            if !g.text.is_empty() {
                texts.entry(cid).or_insert_with(|| g.text.clone());
            }
        }
        let program =
            subsetter::subset(&self.data, 0, &remap).map_err(|e| AppearanceError::Font {
                font: self.label.clone(),
                why: format!("could not be subset ({e:?})"),
            })?;
        let mut cids = BTreeMap::new();
        let mut widths = vec![0.0f64; usize::from(remap.num_gids())];
        for old in remap.remapped_gids() {
            let Some(new) = remap.get(old) else { continue };
            cids.insert(old, new);
            if let Some(w) = widths.get_mut(usize::from(new)) {
                *w = self.width(old);
            }
        }
        // A subset's name carries a six-letter tag from what it holds (ISO 32000-1 §9.6.4).
        let digest = crate::pki::digest::DigestAlg::Sha256.digest(&program);
        let tag: String = digest[..6]
            .iter()
            .map(|b| char::from(b'A' + b % 26))
            .collect();
        let base = format!("{tag}+{}", self.ps_name);

        let mut descriptor = Dict::new();
        descriptor.set(b"Type", Object::name("FontDescriptor"));
        descriptor.set(b"FontName", Object::name(&base));
        descriptor.set(b"Flags", Object::Int(4));
        descriptor.set(
            b"FontBBox",
            Object::Array(
                self.bbox
                    .iter()
                    .map(|v| Object::Int(v.round() as i64))
                    .collect(),
            ),
        );
        descriptor.set(b"ItalicAngle", Object::Real(self.italic_angle));
        descriptor.set(b"Ascent", Object::Int(self.ascent.round() as i64));
        descriptor.set(b"Descent", Object::Int(self.descent.round() as i64));
        descriptor.set(b"CapHeight", Object::Int(self.cap_height.round() as i64));
        descriptor.set(b"StemV", Object::Int(80));

        let mut sysinfo = Dict::new();
        sysinfo.set(b"Registry", Object::String(b"Adobe".to_vec()));
        sysinfo.set(b"Ordering", Object::String(b"Identity".to_vec()));
        sysinfo.set(b"Supplement", Object::Int(0));
        let mut cid_font = Dict::new();
        cid_font.set(b"Type", Object::name("Font"));
        cid_font.set(b"Subtype", Object::name("CIDFontType2"));
        cid_font.set(b"BaseFont", Object::name(&base));
        cid_font.set(b"CIDSystemInfo", Object::Dict(sysinfo));
        cid_font.set(b"CIDToGIDMap", Object::name("Identity"));
        cid_font.set(
            b"W",
            Object::Array(vec![
                Object::Int(0),
                Object::Array(widths.iter().map(|w| Object::Int(*w as i64)).collect()),
            ]),
        );
        let mut type0 = Dict::new();
        type0.set(b"Type", Object::name("Font"));
        type0.set(b"Subtype", Object::name("Type0"));
        type0.set(b"BaseFont", Object::name(&base));
        type0.set(b"Encoding", Object::name("Identity-H"));
        Ok(FontObjects {
            type0,
            cid_font,
            descriptor,
            program,
            to_unicode: to_unicode_cmap(&texts),
            cids,
        })
    }
}

/// A ToUnicode CMap (ISO 32000-1 §9.10.3) with one `bfchar` per CID.
fn to_unicode_cmap(texts: &BTreeMap<u16, String>) -> Vec<u8> {
    let mut s = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
         1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    let entries: Vec<(&u16, &String)> = texts.iter().collect();
    for chunk in entries.chunks(100) {
        s.push_str(&format!("{} beginbfchar\n", chunk.len()));
        for (cid, text) in chunk {
            let hex: String = text.encode_utf16().map(|u| format!("{u:04X}")).collect();
            s.push_str(&format!("<{cid:04X}> <{hex}>\n"));
        }
        s.push_str("endbfchar\n");
    }
    s.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    s.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn font() -> Option<StampFont> {
        let p = Path::new(super::super::DEFAULT_FONT);
        assert!(
            p.exists(),
            "{} is missing: run scripts/setup.sh (fonts-liberation2)",
            p.display()
        );
        Some(StampFont::load(p).unwrap())
    }

    #[test]
    fn vietnamese_line_shapes_to_one_glyph_per_letter_with_its_text() {
        let Some(f) = font() else { return };
        // Decomposed input (e + combining circumflex + dot below) comes out precomposed.
        let l = f.shape("Nguye\u{302}\u{303}n Thị Hường").unwrap();
        let text: String = l.glyphs.iter().map(|g| g.text.as_str()).collect();
        assert_eq!(text, "Nguyễn Thị Hường");
        assert_eq!(l.glyphs.len(), text.chars().count());
        assert!(l.width > 5000.0 && l.width < 9000.0, "{}", l.width);
    }

    #[test]
    fn subset_keeps_only_the_glyphs_used_and_maps_each_back_to_its_text() {
        let Some(f) = font() else { return };
        let l = f.shape("Đà Lạt").unwrap();
        let o = f.embed(&[l]).unwrap();
        assert!(o.program.len() < 20_000, "{}", o.program.len());
        let cmap = String::from_utf8(o.to_unicode).unwrap();
        assert!(cmap.contains("<0110>"), "Đ is U+0110: {cmap}");
        assert!(cmap.contains("<1EA1>"), "ạ is U+1EA1: {cmap}");
        // six distinct glyphs (Đ à space L ạ t) and .notdef
        assert_eq!(o.cids.len(), 7);
    }

    #[test]
    fn a_font_without_vietnamese_or_not_truetype_is_refused_by_name() {
        let e = StampFont::from_bytes(b"not a font".to_vec(), "x.ttf")
            .err()
            .unwrap();
        assert!(e.to_string().contains("x.ttf"), "{e}");
    }
}
