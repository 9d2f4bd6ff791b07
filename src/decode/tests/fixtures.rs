//! Test fixtures of the decode stage, made with the crates themselves: PNG (with a pHYs chunk
//! spliced in), JPEG (with JFIF density), TIFF (the `tiff` encoder, or a raw directory), and
//! hand-written PDFs with a correct cross-reference table.

use flate2::Crc;
use image::codecs::jpeg::{JpegEncoder, PixelDensity};
use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, GrayImage, ImageEncoder, RgbImage};
use std::path::{Path, PathBuf};

/// A gray test pattern whose pixels differ along both axes.
pub fn gray_pattern(w: u32, h: u32) -> GrayImage {
    GrayImage::from_fn(w, h, |x, y| image::Luma([((x * 7 + y * 13) % 256) as u8]))
}

pub fn rgb_pattern(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 5 % 256) as u8, (y * 3 % 256) as u8, 128])
    })
}

/// A PNG chunk with its CRC (PNG spec §5.3).
pub fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = (data.len() as u32).to_be_bytes().to_vec();
    c.extend_from_slice(kind);
    c.extend_from_slice(data);
    let mut crc = Crc::new();
    crc.update(kind);
    crc.update(data);
    c.extend_from_slice(&crc.sum().to_be_bytes());
    c
}

/// Encodes with `image`, then inserts pHYs (`ppm` pixels per metre) after IHDR.
pub fn png_encode(
    data: &[u8],
    w: u32,
    h: u32,
    color: ExtendedColorType,
    ppm: Option<u32>,
) -> Vec<u8> {
    let mut out = Vec::new();
    PngEncoder::new(&mut out)
        .write_image(data, w, h, color)
        .unwrap();
    if let Some(ppm) = ppm {
        let mut phys = ppm.to_be_bytes().to_vec();
        phys.extend_from_slice(&ppm.to_be_bytes());
        phys.push(1);
        let chunk = png_chunk(b"pHYs", &phys);
        out.splice(33..33, chunk);
    }
    out
}

pub fn png_gray(w: u32, h: u32, ppm: Option<u32>) -> Vec<u8> {
    png_encode(
        gray_pattern(w, h).as_raw(),
        w,
        h,
        ExtendedColorType::L8,
        ppm,
    )
}

/// A PNG whose IHDR claims `w × h` (valid CRC) with a tiny IDAT: a decompression bomb header.
pub fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(png_chunk(b"IHDR", &ihdr));
    png.extend(png_chunk(
        b"IDAT",
        &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    png.extend(png_chunk(b"IEND", &[]));
    png
}

pub fn jpeg_encode(
    data: &[u8],
    w: u32,
    h: u32,
    color: ExtendedColorType,
    density: Option<PixelDensity>,
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = JpegEncoder::new_with_quality(&mut out, 90);
    if let Some(d) = density {
        enc.set_pixel_density(d);
    }
    enc.encode(data, w, h, color).unwrap();
    out
}

pub fn jpeg_rgb(w: u32, h: u32, dpi: Option<u16>) -> Vec<u8> {
    jpeg_encode(
        rgb_pattern(w, h).as_raw(),
        w,
        h,
        ExtendedColorType::Rgb8,
        dpi.map(PixelDensity::dpi),
    )
}

pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// One little-endian TIFF IFD written by hand: `(tag, type, values)` entries sorted by tag,
/// values of SHORT (3) or LONG (4), `strip` placed after the directory and pointed to by
/// StripOffsets / StripByteCounts (added here).
pub fn tiff_raw(mut entries: Vec<(u16, u16, Vec<u32>)>, strip: &[u8]) -> Vec<u8> {
    entries.push((273, 4, vec![0]));
    entries.push((279, 4, vec![strip.len() as u32]));
    entries.sort_by_key(|e| e.0);
    let n = entries.len() as u32;
    let mut extra_at = 8 + 2 + n * 12 + 4;
    let mut extra = Vec::new();
    let mut ifd = (n as u16).to_le_bytes().to_vec();
    let mut offsets_slot = 0;
    for (tag, ty, vals) in &entries {
        let size = if *ty == 3 { 2 } else { 4 };
        let mut bytes = Vec::new();
        for v in vals {
            if *ty == 3 {
                bytes.extend_from_slice(&(*v as u16).to_le_bytes());
            } else {
                bytes.extend_from_slice(&v.to_le_bytes());
            }
        }
        ifd.extend_from_slice(&tag.to_le_bytes());
        ifd.extend_from_slice(&ty.to_le_bytes());
        ifd.extend_from_slice(&(vals.len() as u32).to_le_bytes());
        if *tag == 273 {
            offsets_slot = ifd.len();
        }
        if vals.len() * size <= 4 {
            bytes.resize(4, 0);
            ifd.extend_from_slice(&bytes);
        } else {
            ifd.extend_from_slice(&extra_at.to_le_bytes());
            extra_at += bytes.len() as u32;
            extra.extend(bytes);
        }
    }
    ifd.extend_from_slice(&[0; 4]);
    ifd.splice(offsets_slot..offsets_slot + 4, extra_at.to_le_bytes());
    let mut t = b"II*\0\x08\0\0\0".to_vec();
    t.extend(ifd);
    t.extend(extra);
    t.extend_from_slice(strip);
    t
}

/// `<< dict /Length n >> stream … endstream`.
pub fn pdf_stream(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut s = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
    s.extend_from_slice(data);
    s.extend_from_slice(b"\nendstream");
    s
}

/// A PDF of `objects` numbered from 1 (object 1 is the catalog), with `trailer_extra`.
pub fn pdf_file(objects: &[Vec<u8>], trailer_extra: &str) -> Vec<u8> {
    let mut f = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(f.len());
        f.extend(format!("{} 0 obj\n", i + 1).into_bytes());
        f.extend_from_slice(body);
        f.extend_from_slice(b"\nendobj\n");
    }
    let xref = f.len();
    f.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).into_bytes());
    for o in offsets {
        f.extend(format!("{o:010} 00000 n \n").into_bytes());
    }
    let trailer = format!(
        "trailer\n<< /Size {} /Root 1 0 R {trailer_extra} >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    );
    f.extend(trailer.into_bytes());
    f
}

/// Catalog and page tree for pages at objects 3, 4, …: objects 1 and 2.
pub fn pdf_head(pages: usize, pages_extra: &str) -> Vec<Vec<u8>> {
    let kids: Vec<String> = (0..pages).map(|i| format!("{} 0 R", 3 + i)).collect();
    vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        format!(
            "<< /Type /Pages /Kids [{}] /Count {pages} {pages_extra} >>",
            kids.join(" ")
        )
        .into_bytes(),
    ]
}

pub fn zlib(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// CCITT Group 4 data for an 8 × 2 image whose rows are white, white, black ×3, white ×3,
/// coded by hand (ITU-T T.6): row 1 horizontal mode (white 2, black 3) then V0; row 2 three V0;
/// then EOFB.
pub const G4_8X2: [u8; 5] = [0x2F, 0x78, 0x00, 0x80, 0x08];
pub const G4_8X2_ROW: [u8; 8] = [255, 255, 0, 0, 0, 255, 255, 255];

/// A tiny deterministic generator for mutation tests.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}
