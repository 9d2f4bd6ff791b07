//! Stage `ocr`, after recognition: list numbers. On 200-dpi pages Tesseract's line recogniser
//! often drops the digit of a list number at a line start ("1. Họ…" comes out as ". Họ…").
//! Such a line starts with a lone dot close before a word; the digit sits just left of the dot.
//! [`crop`] cuts that spot out (with a white border) for a single-line re-read, [`accept`]
//! keeps the re-read only when it is a list number.

use image::{GrayImage, Luma};

use super::Word;

/// Index of each word that is a lone `.`/`,` starting a line and followed on that line by a
/// word close to it: a list number whose digits were dropped.
pub fn suspects(words: &[Word]) -> Vec<usize> {
    let key = |w: &Word| (w.block, w.paragraph, w.line);
    (0..words.len().saturating_sub(1))
        .filter(|&i| {
            let (w, next) = (&words[i], &words[i + 1]);
            let first = i == 0 || key(&words[i - 1]) != key(w);
            let h = next.bbox[3] - next.bbox[1];
            first
                && matches!(w.text.as_str(), "." | ",")
                && key(next) == key(w)
                && next.bbox[0] - w.bbox[2] < h
                && next.text.chars().next().is_some_and(char::is_alphabetic)
        })
        .collect()
}

/// The spot from a few digit widths left of the dot at `i` to the end of the next word (the
/// word gives the recogniser context: alone, a digit tends to be read as letters), copied onto
/// a white canvas with a margin; and the crop's offset in page pixels minus the margin.
pub fn crop(img: &GrayImage, words: &[Word], i: usize) -> Option<(GrayImage, [f32; 2])> {
    let (dot, next) = (&words[i], words.get(i + 1)?);
    let h = next.bbox[3] - next.bbox[1];
    let x0 = (dot.bbox[0] - 1.6 * h).max(0.0) as u32;
    let x1 = ((next.bbox[2] + 0.15 * h) as u32).min(img.width());
    let y0 = (next.bbox[1] - 0.2 * h).max(0.0) as u32;
    let y1 = ((next.bbox[3] + 0.2 * h) as u32).min(img.height());
    if x1 <= x0 || y1 <= y0 {
        return None;
    }
    let pad = h.max(8.0) as u32;
    let mut out = GrayImage::from_pixel(x1 - x0 + 2 * pad, y1 - y0 + 2 * pad, Luma([255]));
    for y in y0..y1 {
        for x in x0..x1 {
            out.put_pixel(x - x0 + pad, y - y0 + pad, *img.get_pixel(x, y));
        }
    }
    let p = pad as f32;
    Some((out, [x0 as f32 - p, y0 as f32 - p]))
}

/// The re-read words (boxes in crop pixels) that end by the dot, as a list number replacing
/// `dot`: text `N.` (one or two digits then the dot or `)`), box their union on the page.
pub fn accept(dot: &Word, reread: &[Word], offset: [f32; 2]) -> Option<Word> {
    let h = dot.bbox[3] - dot.bbox[1];
    let reread: Vec<&Word> = reread
        .iter()
        .filter(|w| w.bbox[2] + offset[0] <= dot.bbox[2] + 2.0 * h.max(4.0))
        .collect();
    let text: String = reread.iter().map(|w| w.text.as_str()).collect();
    let digits = text.trim_end_matches(['.', ')']);
    let ok = (1..=2).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && text.len() == digits.len() + 1;
    if !ok {
        return None;
    }
    let b = reread
        .iter()
        .fold([f32::MAX, f32::MAX, 0.0f32, 0.0f32], |a, w| {
            [
                a[0].min(w.bbox[0]),
                a[1].min(w.bbox[1]),
                a[2].max(w.bbox[2]),
                a[3].max(w.bbox[3]),
            ]
        });
    let conf = reread.iter().map(|w| w.confidence).fold(100.0f32, f32::min);
    Some(Word {
        text,
        bbox: [
            b[0] + offset[0],
            b[1] + offset[1],
            b[2] + offset[0],
            b[3] + offset[1],
        ],
        confidence: conf,
        ..dot.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(text: &str, line: u32, bbox: [f32; 4]) -> Word {
        Word {
            text: text.to_owned(),
            bbox,
            confidence: 90.0,
            block: 1,
            paragraph: 1,
            line,
        }
    }

    /// ". Họ, chữ" then "Ngày ." then "5. Nơi": only the first line lost its digit.
    fn page() -> Vec<Word> {
        vec![
            word(".", 1, [259.0, 589.0, 263.0, 593.0]),
            word("Họ,", 1, [280.0, 569.0, 329.0, 599.0]),
            word("chữ", 1, [345.0, 567.0, 404.0, 593.0]),
            word("Ngày", 2, [280.0, 610.0, 360.0, 640.0]),
            word(".", 2, [370.0, 630.0, 374.0, 634.0]),
            word("5.", 3, [240.0, 650.0, 263.0, 680.0]),
            word("Nơi", 3, [280.0, 650.0, 340.0, 680.0]),
        ]
    }

    #[test]
    fn dropped_list_digit_is_a_suspect() {
        assert_eq!(suspects(&page()), [0]);
    }

    #[test]
    fn list_number_crop_reaches_left_of_the_dot_and_maps_back() {
        let img = GrayImage::from_pixel(1000, 1000, Luma([255]));
        let words = page();
        let (crop, offset) = crop(&img, &words, 0).expect("crop");
        // 30 px high line: 48 px left of the dot, to the end of "Họ,", 30 px margin
        assert_eq!(offset, [211.0 - 30.0, 563.0 - 30.0]);
        assert_eq!(crop.dimensions(), (333 - 211 + 60, 605 - 563 + 60));
    }

    #[test]
    fn reread_list_number_replaces_the_dot_with_a_page_box() {
        let words = page();
        let offset = [181.0, 533.0];
        let reread = [
            word("1.", 1, [60.0, 56.0, 83.0, 66.0]),
            word("Họ,", 1, [99.0, 36.0, 148.0, 66.0]),
        ];
        let w = accept(&words[0], &reread, offset).expect("a list number");
        assert_eq!(w.text, "1.");
        assert_eq!(w.bbox, [241.0, 589.0, 264.0, 599.0]);
        assert_eq!((w.block, w.paragraph, w.line), (1, 1, 1));
        // a digit read as letters is no list number: the dot stays
        let letters = [word("ĐỀ", 1, [60.0, 36.0, 83.0, 66.0])];
        assert_eq!(accept(&words[0], &letters, offset), None);
    }
}
