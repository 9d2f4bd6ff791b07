//! Stage `classify`, input side: the recognised text of one page as classification sees it —
//! lines of words with their boxes on the upright page, and any codes (QR) read from the image.
//! Built from an OCR result ([`PageText::from_recognized`]); no image, so it is cheap to keep a
//! whole batch of them in memory.

use crate::ocr::RecognizedPage;

/// One word, NFC, with its box `[x0, y0, x1, y1]` in upright-page pixels (origin top-left).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PageWord {
    pub text: String,
    pub bbox: [f32; 4],
}

/// One text line in reading order. `text` is the words joined by single spaces, so a byte
/// range of `text` maps back to words through [`PageLine::bbox_of_range`].
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PageLine {
    pub text: String,
    pub words: Vec<PageWord>,
    pub bbox: [f32; 4],
}

/// A code read from the page image (a QR code on a dossier cover sheet, a patch code on a
/// separator sheet).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum CodeRead {
    /// Decoded: the payload text and where it sits on the page.
    Decoded { text: String, bbox: [f32; 4] },
    /// Something shaped like a QR code was found but could not be decoded (damaged, cut,
    /// smudged); `reason` says why. Reported, never guessed.
    Unreadable { reason: String, bbox: [f32; 4] },
    /// A Kodak patch code: its bars from the sheet's nearer edge inwards, `N` narrow and `W`
    /// wide (`NWNW` is patch T, the separator sheet; see [`super::patch`]).
    Patch { bars: String, bbox: [f32; 4] },
}

/// The recognised content of one page of a batch.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PageText {
    /// Source file name as shown to people (no directories).
    pub source: String,
    /// 1-based page within its source file.
    pub source_page: usize,
    /// Upright page size in pixels.
    pub width: u32,
    pub height: u32,
    pub lines: Vec<PageLine>,
    pub codes: Vec<CodeRead>,
    /// Mean OCR word confidence, 0–100.
    pub mean_confidence: f32,
    /// Clockwise rotation that was applied to read the page.
    pub rotation: u16,
    /// No mark on the page (a blank back of a duplex scan, see [`super::blank`]).
    #[serde(default)]
    pub blank: bool,
    /// Scanned in colour: whether a red seal shows is known.
    #[serde(default)]
    pub colour: bool,
    /// Where a red seal is ([`super::seal`]), upright-page pixels.
    #[serde(default)]
    pub seal: Option<[f32; 4]>,
}

impl PageLine {
    /// Builds a line from words (empty words are dropped).
    pub fn from_words(words: Vec<PageWord>) -> Self {
        let words: Vec<PageWord> = words
            .into_iter()
            .filter(|w| !w.text.trim().is_empty())
            .collect();
        let text = words
            .iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let bbox = union(words.iter().map(|w| w.bbox)).unwrap_or([0.0; 4]);
        Self { text, words, bbox }
    }

    /// The union of the boxes of the words that overlap bytes `start..end` of `text`.
    pub fn bbox_of_range(&self, start: usize, end: usize) -> Option<[f32; 4]> {
        let mut pos = 0usize;
        let mut boxes = Vec::new();
        for w in &self.words {
            let (ws, we) = (pos, pos + w.text.len());
            if ws < end && start < we {
                boxes.push(w.bbox);
            }
            pos = we + 1;
        }
        union(boxes.into_iter())
    }
}

impl PageText {
    /// Groups an OCR result's words into lines (Tesseract's block/paragraph/line numbers).
    pub fn from_recognized(source: &str, source_page: usize, r: &RecognizedPage) -> Self {
        let mut lines = Vec::new();
        let mut current: Vec<PageWord> = Vec::new();
        let mut key = None;
        for w in &r.words {
            let k = (w.block, w.paragraph, w.line);
            if key.is_some() && key != Some(k) && !current.is_empty() {
                lines.push(PageLine::from_words(std::mem::take(&mut current)));
            }
            key = Some(k);
            current.push(PageWord {
                text: w.text.clone(),
                bbox: w.bbox,
            });
        }
        if !current.is_empty() {
            lines.push(PageLine::from_words(current));
        }
        lines.retain(|l| !l.words.is_empty());
        Self {
            source: source.to_string(),
            source_page,
            width: r.width,
            height: r.height,
            lines,
            codes: Vec::new(),
            mean_confidence: r.mean_confidence,
            rotation: r.rotation,
            blank: false,
            colour: false,
            seal: None,
        }
    }

    /// A page from plain text, one line per `\n`, words spaced on a nominal grid
    /// (for tests and for text taken from elsewhere). Page size is A4 at 100 px per inch.
    pub fn from_plain_text(source: &str, source_page: usize, text: &str) -> Self {
        let (width, height) = (827u32, 1169u32);
        let mut lines = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let y0 = 40.0 + i as f32 * 24.0;
            let mut x = 60.0f32;
            let words = line
                .split_whitespace()
                .map(|t| {
                    let w = 9.0 * t.chars().count() as f32;
                    let b = [x, y0, x + w, y0 + 18.0];
                    x += w + 9.0;
                    PageWord {
                        text: t.to_string(),
                        bbox: b,
                    }
                })
                .collect();
            let l = PageLine::from_words(words);
            if !l.words.is_empty() {
                lines.push(l);
            }
        }
        Self {
            source: source.to_string(),
            source_page,
            width,
            height,
            lines,
            codes: Vec::new(),
            mean_confidence: 90.0,
            rotation: 0,
            blank: false,
            colour: false,
            seal: None,
        }
    }

    /// All lines joined by `\n`.
    pub fn text(&self) -> String {
        self.lines
            .iter()
            .map(|l| l.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn union(mut boxes: impl Iterator<Item = [f32; 4]>) -> Option<[f32; 4]> {
    let first = boxes.next()?;
    Some(boxes.fold(first, |a, b| {
        [
            a[0].min(b[0]),
            a[1].min(b[1]),
            a[2].max(b[2]),
            a[3].max(b[3]),
        ]
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_maps_back_to_the_words_it_touches() {
        let p = PageText::from_plain_text("t.png", 1, "Số định danh: 001203004567 xong");
        let l = &p.lines[0];
        let start = l.text.find("001203004567").unwrap();
        let b = l.bbox_of_range(start, start + 12).unwrap();
        assert_eq!(b, l.words[3].bbox);
    }
}
