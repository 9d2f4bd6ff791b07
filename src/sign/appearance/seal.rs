//! Stage `sign`, visible stamps: the agency's seal (a PNG with transparency) as an image
//! XObject with a soft mask (ISO 32000-1 §8.9.5, §11.6.5.3; PDF/A-2 allows /SMask).

use std::io::Write;
use std::path::Path;

use flate2::{write::ZlibEncoder, Compression};

use crate::pdf::{Dict, Object};

use super::AppearanceError;

/// Largest seal file read, and largest raster: a seal is a small picture.
const MAX_SEAL_BYTES: u64 = 8 << 20;
const MAX_SEAL_PIXELS: u64 = 4_000_000;

/// An image XObject's dictionary (without /Length) and its Flate data.
pub type ImageStream = (Dict, Vec<u8>);

/// A decoded seal: the colour samples and, if the PNG had transparency, the alpha samples.
pub struct Seal {
    pub width: u32,
    pub height: u32,
    rgb: Vec<u8>,
    alpha: Option<Vec<u8>>,
}

impl Seal {
    pub fn load(path: &Path) -> Result<Self, AppearanceError> {
        let label = path.display().to_string();
        let bad = |why: String| AppearanceError::Seal {
            file: label.clone(),
            why,
        };
        let meta = std::fs::metadata(path).map_err(|e| bad(e.to_string()))?;
        if meta.len() > MAX_SEAL_BYTES {
            return Err(bad(format!(
                "{} bytes, more than the {MAX_SEAL_BYTES} read",
                meta.len()
            )));
        }
        let bytes = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
        Self::from_png(&bytes).map_err(bad)
    }

    pub fn from_png(bytes: &[u8]) -> Result<Self, String> {
        let mut reader =
            image::ImageReader::with_format(std::io::Cursor::new(bytes), image::ImageFormat::Png);
        let mut limits = image::Limits::default();
        limits.max_alloc = Some(MAX_SEAL_PIXELS * 8);
        reader.limits(limits);
        let img = reader
            .decode()
            .map_err(|e| format!("not a readable PNG ({e})"))?;
        let (w, h) = (img.width(), img.height());
        if u64::from(w) * u64::from(h) > MAX_SEAL_PIXELS {
            return Err(format!("{w}×{h} pixels, more than a seal needs"));
        }
        let rgba = img.to_rgba8();
        let mut rgb = Vec::with_capacity((w * h * 3) as usize);
        let mut alpha = Vec::with_capacity((w * h) as usize);
        for p in rgba.pixels() {
            rgb.extend_from_slice(&p.0[..3]);
            alpha.push(p.0[3]);
        }
        let opaque = alpha.iter().all(|&a| a == 255);
        Ok(Self {
            width: w,
            height: h,
            rgb,
            alpha: (!opaque).then_some(alpha),
        })
    }

    /// The image XObject (dictionary, Flate data) and its soft mask, if any. The mask is
    /// referred to by the caller, who numbers the objects.
    pub fn xobjects(&self) -> (ImageStream, Option<ImageStream>) {
        let dict = |cs: &str| {
            let mut d = Dict::new();
            d.set(b"Type", Object::name("XObject"));
            d.set(b"Subtype", Object::name("Image"));
            d.set(b"Width", Object::Int(i64::from(self.width)));
            d.set(b"Height", Object::Int(i64::from(self.height)));
            d.set(b"ColorSpace", Object::name(cs));
            d.set(b"BitsPerComponent", Object::Int(8));
            d.set(b"Filter", Object::name("FlateDecode"));
            d
        };
        let image = (dict("DeviceRGB"), deflate(&self.rgb));
        let mask = self
            .alpha
            .as_ref()
            .map(|a| (dict("DeviceGray"), deflate(a)));
        (image, mask)
    }
}

pub(super) fn deflate(data: &[u8]) -> Vec<u8> {
    let mut z = ZlibEncoder::new(Vec::new(), Compression::default());
    // Writing into a Vec cannot fail.
    let _ = z.write_all(data);
    z.finish().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transparent_png_gets_a_soft_mask_and_an_opaque_one_none() {
        let mut img = image::RgbaImage::new(4, 3);
        img.put_pixel(1, 1, image::Rgba([200, 0, 0, 255]));
        let mut png = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let s = Seal::from_png(&png).unwrap();
        assert_eq!((s.width, s.height), (4, 3));
        assert!(s.xobjects().1.is_some());

        let opaque = image::RgbaImage::from_pixel(2, 2, image::Rgba([0, 0, 255, 255]));
        let mut png = Vec::new();
        opaque
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        assert!(Seal::from_png(&png).unwrap().xobjects().1.is_none());
        assert!(Seal::from_png(b"\x89PNG garbage").is_err());
    }
}
