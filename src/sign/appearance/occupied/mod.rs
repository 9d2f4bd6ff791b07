//! Stage `sign`, visible stamps: what a page already shows, so a stamp does not cover it. Reads
//! the page's content (ISO 32000-1 §8, §9): text runs (the OCR layer of a scan included),
//! painted paths, images (a scan's own ink, found from its pixels: `ink`), form XObjects,
//! inline images (`walk`) and the widgets already there, into a grid of taken cells over the
//! page with running sums, so any rectangle is checked in constant time.

mod ink;
mod walk;

pub use ink::KnownImage;

use std::io::{Read, Seek};

use crate::pdf::{Dict, Object, PdfError, PdfFile};

use super::layout::Rect;
use walk::{Walker, IDENTITY};

/// Cell of the grid, points (larger on pages too large for 1,500 cells a side).
const CELL: f64 = 2.0;
const MAX_CELLS_PER_SIDE: f64 = 1500.0;
/// Operators read per page at most (a page past it counts as taken where unread).
const MAX_OPS: usize = 2_000_000;
/// Most content bytes (page and forms) read per page.
const MAX_CONTENT_BYTES: usize = 256 << 20;
/// Largest image whose pixels are read (more: its whole box is taken).
const MAX_INK_PIXELS: u64 = 40_000_000;
/// A pixel is ink below this luminance (0–255): scans' paper is 200 and up.
const INK_LUMA: u8 = 150;
/// An image covering this share of the page is a scan: its pixels are read, not its box.
const SCAN_SHARE: f64 = 0.5;

/// Taken cells over the page, with running sums for constant-time rectangle queries.
pub struct Occupancy {
    page: Rect,
    cell: f64,
    cols: usize,
    rows: usize,
    marks: Vec<u32>,
    sums: Vec<u32>,
}

impl Occupancy {
    pub fn new(page: Rect) -> Self {
        let side = page.width().max(page.height());
        let cell = if side.is_finite() {
            CELL.max(side / MAX_CELLS_PER_SIDE)
        } else {
            CELL
        };
        let cols =
            ((page.width() / cell).ceil().max(1.0) as usize).min(MAX_CELLS_PER_SIDE as usize + 1);
        let rows =
            ((page.height() / cell).ceil().max(1.0) as usize).min(MAX_CELLS_PER_SIDE as usize + 1);
        Self {
            page,
            cell,
            cols,
            rows,
            marks: vec![0; cols * rows],
            sums: Vec::new(),
        }
    }

    fn cell_range(&self, r: &Rect) -> Option<(usize, usize, usize, usize)> {
        let c0 = ((r.x0 - self.page.x0) / self.cell).floor();
        let c1 = ((r.x1 - self.page.x0) / self.cell).ceil();
        let r0 = ((r.y0 - self.page.y0) / self.cell).floor();
        let r1 = ((r.y1 - self.page.y0) / self.cell).ceil();
        if !(c0.is_finite() && c1.is_finite() && r0.is_finite() && r1.is_finite()) {
            return None;
        }
        let clamp = |v: f64, n: usize| v.clamp(0.0, n as f64) as usize;
        let (c0, c1) = (clamp(c0, self.cols), clamp(c1, self.cols));
        let (r0, r1) = (clamp(r0, self.rows), clamp(r1, self.rows));
        (c0 < c1 && r0 < r1).then_some((c0, c1, r0, r1))
    }

    /// Marks every cell `r` touches as taken.
    pub fn mark(&mut self, r: &Rect) {
        if let Some((c0, c1, r0, r1)) = self.cell_range(r) {
            for row in r0..r1 {
                for col in c0..c1 {
                    self.marks[row * self.cols + col] = 1;
                }
            }
            self.sums.clear();
        }
    }

    fn mark_point(&mut self, x: f64, y: f64, weight: u32) {
        let col = (x - self.page.x0) / self.cell;
        let row = (y - self.page.y0) / self.cell;
        if col >= 0.0 && row >= 0.0 && (col as usize) < self.cols && (row as usize) < self.rows {
            let i = row as usize * self.cols + col as usize;
            self.marks[i] = self.marks[i].saturating_add(weight);
        }
    }

    fn finish_counts(&mut self, threshold: u32, from: &[u32]) {
        for (m, &before) in self.marks.iter_mut().zip(from) {
            let added = m.saturating_sub(before);
            *m = u32::from(before > 0 || added >= threshold);
        }
        self.sums.clear();
    }

    fn build_sums(&mut self) {
        let (w, h) = (self.cols + 1, self.rows + 1);
        let mut s = vec![0u32; w * h];
        for r in 0..self.rows {
            for c in 0..self.cols {
                let v = u32::from(self.marks[r * self.cols + c] > 0);
                s[(r + 1) * w + c + 1] = v + s[r * w + c + 1] + s[(r + 1) * w + c] - s[r * w + c];
            }
        }
        self.sums = s;
    }

    /// Does `r` cover no taken cell? Outside the page counts as free (the caller keeps
    /// stamps inside).
    pub fn is_free(&mut self, r: &Rect) -> bool {
        if self.sums.is_empty() {
            self.build_sums();
        }
        let Some((c0, c1, r0, r1)) = self.cell_range(r) else {
            return true;
        };
        let w = self.cols + 1;
        let s = &self.sums;
        s[r1 * w + c1] + s[r0 * w + c0] - s[r0 * w + c1] - s[r1 * w + c0] == 0
    }

    /// Share of the page taken (0–1), for reports and tests.
    pub fn taken_share(&self) -> f64 {
        self.marks.iter().filter(|&&m| m > 0).count() as f64 / self.marks.len().max(1) as f64
    }
}

/// A page attribute, inherited from the page tree (ISO 32000-1 §7.7.3.4), bounded.
pub(crate) fn inherited<R: Read + Seek>(
    pdf: &mut PdfFile<R>,
    page: &Dict,
    key: &[u8],
) -> Result<Option<Object>, PdfError> {
    let mut d = page.clone();
    for _ in 0..32 {
        if let Some(v) = d.get(key) {
            return Ok(Some(pdf.resolve(v)?));
        }
        match d.get(b"Parent").cloned() {
            Some(p) => match pdf.get_dict(&p)? {
                Some(next) => d = next,
                None => return Ok(None),
            },
            None => return Ok(None),
        }
    }
    Ok(None)
}

/// The page's visible box: /CropBox within /MediaBox (A4 when absent or malformed).
pub(crate) fn page_box<R: Read + Seek>(
    pdf: &mut PdfFile<R>,
    page: &Dict,
) -> Result<Rect, PdfError> {
    let read = |o: Option<Object>| -> Option<Rect> {
        let a = o?;
        let a = a.as_array()?;
        let n: Vec<f64> = a.iter().filter_map(Object::as_number).collect();
        (n.len() == 4).then(|| Rect::new(n[0], n[1], n[2], n[3]))
    };
    let media =
        read(inherited(pdf, page, b"MediaBox")?).unwrap_or(Rect::new(0.0, 0.0, 595.0, 842.0));
    Ok(match read(inherited(pdf, page, b"CropBox")?) {
        Some(c) => Rect::new(
            c.x0.max(media.x0),
            c.y0.max(media.y0),
            c.x1.min(media.x1),
            c.y1.min(media.y1),
        ),
        None => media,
    })
}

/// What `page` shows, as taken cells; the pixels of `known` images are not decoded again.
pub fn page_occupancy<R: Read + Seek>(
    pdf: &mut PdfFile<R>,
    page: &Dict,
    known: &[KnownImage],
) -> Result<Occupancy, PdfError> {
    let area = page_box(pdf, page)?;
    let mut occ = Occupancy::new(area);
    let resources = match inherited(pdf, page, b"Resources")? {
        Some(Object::Dict(d)) => d,
        _ => Dict::new(),
    };
    let mut content = Vec::new();
    let streams = match page.get(b"Contents").map(|c| pdf.resolve(c)).transpose()? {
        Some(Object::Array(a)) => a,
        Some(o) => vec![o],
        None => Vec::new(),
    };
    for s in streams {
        if let Object::Stream(s) = pdf.resolve(&s)? {
            content.extend_from_slice(&pdf.stream_decoded(&s)?);
            content.push(b'\n');
        }
    }
    let mut w = Walker {
        occ: &mut occ,
        page: area,
        ops: 0,
        bytes: content.len(),
        cmap_left: walk::CMAP_BUDGET,
        known,
    };
    w.walk(pdf, &content, &resources, IDENTITY, 0)?;
    // The widgets (earlier stamps) already on the page.
    if let Some(Object::Array(annots)) = page.get(b"Annots").map(|a| pdf.resolve(a)).transpose()? {
        for a in annots.iter().take(10_000) {
            let Some(d) = pdf.get_dict(a)? else { continue };
            let Some(r) = d.get(b"Rect").map(|r| pdf.resolve(r)).transpose()? else {
                continue;
            };
            let n: Vec<f64> = r
                .as_array()
                .unwrap_or(&[])
                .iter()
                .filter_map(Object::as_number)
                .collect();
            if n.len() == 4 {
                let r = Rect::new(n[0], n[1], n[2], n[3]);
                if r.area() > 0.0 {
                    occ.mark(&r);
                }
            }
        }
    }
    Ok(occ)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assemble::{DocumentInfo, PdfAWriter};
    use crate::decode::{DpiSource, Raster, ScannedPage};
    use crate::ocr::RecognizedPage;
    use crate::pdf::Limits;
    use std::io::Cursor;
    use std::sync::Arc;

    /// A one-page PDF/A of `raster` (embedded as the JPEG `jpeg` when given, else Flate), and
    /// the SHA-256 of its image stream.
    fn pdf_of(raster: &Raster, jpeg: Option<Vec<u8>>) -> (Vec<u8>, [u8; 32]) {
        let (width, height) = (raster.width(), raster.height());
        let page = RecognizedPage {
            scanned: ScannedPage {
                source: "scan.png".into(),
                page_index: 0,
                raster: raster.clone(),
                dpi: (100.0, 100.0),
                dpi_source: DpiSource::File,
                jpeg,
                png: None,
            },
            rotation: 0,
            skew_degrees: 0.0,
            width,
            height,
            words: Vec::new(),
            text: String::new(),
            mean_confidence: 0.0,
        };
        let info = DocumentInfo {
            title: "t".into(),
            producer: "sohoa test".into(),
            created: std::time::UNIX_EPOCH,
            utc_offset_minutes: 0,
            source_sha256: Vec::new(),
            document_id: [0; 16],
        };
        let mut w = PdfAWriter::new(Vec::new(), info).unwrap();
        let stats = w.add_page(&page).unwrap();
        (w.finish().unwrap(), stats.image_sha256)
    }

    fn occupancy(pdf: &[u8], known: &[KnownImage]) -> Occupancy {
        let mut pdf = PdfFile::open(Cursor::new(pdf.to_vec()), Limits::default()).unwrap();
        let page = pdf.pages().unwrap()[0];
        let Ok(Object::Dict(page)) = pdf.get(page) else {
            panic!("no page dict")
        };
        page_occupancy(&mut pdf, &page, known).unwrap()
    }

    /// An A5-ish page at 100 dpi with a dark block and a line of "text" bars.
    fn page_raster() -> image::RgbImage {
        image::RgbImage::from_fn(580, 820, |x, y| {
            let block = (400..520).contains(&x) && (60..140).contains(&y);
            let bars = (60..500).contains(&x) && (300..312).contains(&y) && x % 9 < 6;
            image::Rgb(if block || bars {
                [20, 30, 160]
            } else {
                [250, 248, 240]
            })
        })
    }

    #[test]
    fn known_page_pixels_give_the_occupancy_decoding_gives() {
        let rgb = page_raster();
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 85)
            .encode_image(&rgb)
            .unwrap();
        let decoded = image::load_from_memory(&jpeg).unwrap().to_rgb8();
        for (raster, jpeg) in [
            (Raster::Rgb(rgb.clone()), None),
            (Raster::Rgb(decoded), Some(jpeg)),
            (
                Raster::Gray(image::DynamicImage::ImageRgb8(rgb).to_luma8()),
                None,
            ),
        ] {
            let dct = jpeg.is_some();
            let (pdf, sha) = pdf_of(&raster, jpeg);
            // the JPEG is embedded as it is (the DCT path), the others as Flate
            let has_dct = pdf.windows(10).any(|w| w == b"/DCTDecode");
            assert_eq!(has_dct, dct);
            let raster = Arc::new(raster);
            let decoded = occupancy(&pdf, &[]);
            assert!(decoded.taken_share() > 0.01, "dct {dct}");
            let known = KnownImage {
                stream_sha256: sha,
                raster: Arc::clone(&raster),
            };
            assert!(
                decoded.marks == occupancy(&pdf, &[known]).marks,
                "dct {dct}"
            );
            // the hint is used: a blank raster under the same hash leaves the page free
            let blank = match &*raster {
                Raster::Rgb(i) => Raster::Rgb(image::RgbImage::from_pixel(
                    i.width(),
                    i.height(),
                    image::Rgb([255; 3]),
                )),
                Raster::Gray(i) => Raster::Gray(image::GrayImage::from_pixel(
                    i.width(),
                    i.height(),
                    image::Luma([255]),
                )),
            };
            let lie = KnownImage {
                stream_sha256: sha,
                raster: Arc::new(blank),
            };
            assert_eq!(occupancy(&pdf, &[lie]).taken_share(), 0.0, "dct {dct}");
            // and only under its own hash
            let other = KnownImage {
                stream_sha256: [7; 32],
                raster: Arc::new(Raster::Gray(image::GrayImage::new(1, 1))),
            };
            assert!(
                decoded.marks == occupancy(&pdf, &[other]).marks,
                "dct {dct}"
            );
        }
    }

    #[test]
    fn marked_cells_make_a_rectangle_taken_and_its_neighbours_free() {
        let mut o = Occupancy::new(Rect::new(0.0, 0.0, 595.0, 842.0));
        o.mark(&Rect::new(100.0, 700.0, 300.0, 720.0));
        assert!(!o.is_free(&Rect::new(150.0, 705.0, 160.0, 710.0)));
        assert!(!o.is_free(&Rect::new(0.0, 0.0, 595.0, 842.0)));
        assert!(o.is_free(&Rect::new(100.0, 730.0, 300.0, 760.0)));
        assert!(o.is_free(&Rect::new(310.0, 700.0, 400.0, 720.0)));
        assert!(o.taken_share() > 0.0 && o.taken_share() < 0.02);
    }
}
