//! Stage `ocr`, after recognition: Tesseract's TSV output to [`Word`]s, the page text (lines
//! joined by `\n`, blocks by a blank line) and the mean word confidence, all NFC.

use unicode_normalization::UnicodeNormalization;

use super::Word;

/// Words, text and mean confidence of one recognised page.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Parsed {
    pub words: Vec<Word>,
    pub text: String,
    pub mean_confidence: f32,
}

/// Parses `level page block par line word left top width height conf text` rows; only level 5
/// rows with a confidence ≥ 0 and non-blank text are words. Other rows (the header the
/// command-line renderer adds, layout levels, malformed lines) are skipped.
pub fn parse(tsv: &str) -> Parsed {
    let mut words = Vec::new();
    for row in tsv.lines() {
        let cols: Vec<&str> = row.splitn(12, '\t').collect();
        if cols.len() < 12 || cols[0].trim() != "5" {
            continue;
        }
        let num = |i: usize| cols[i].trim().parse::<i64>().ok();
        let (Some(block), Some(par), Some(line)) = (num(2), num(3), num(4)) else {
            continue;
        };
        let (Some(left), Some(top), Some(width), Some(height)) = (num(6), num(7), num(8), num(9))
        else {
            continue;
        };
        let Ok(conf) = cols[10].trim().parse::<f32>() else {
            continue;
        };
        let text: String = cols[11].trim().nfc().collect();
        if conf < 0.0 || text.is_empty() || width <= 0 || height <= 0 {
            continue;
        }
        let u = |v: i64| u32::try_from(v.max(0)).unwrap_or(u32::MAX);
        words.push(Word {
            text,
            bbox: [
                left as f32,
                top as f32,
                (left + width) as f32,
                (top + height) as f32,
            ],
            confidence: conf.clamp(0.0, 100.0),
            block: u(block),
            paragraph: u(par),
            line: u(line),
        });
    }
    from_words(words)
}

/// Text and mean confidence of `words` (in reading order).
pub fn from_words(words: Vec<Word>) -> Parsed {
    let text = page_text(&words);
    let mean_confidence = if words.is_empty() {
        0.0
    } else {
        words.iter().map(|w| w.confidence).sum::<f32>() / words.len() as f32
    };
    Parsed {
        words,
        text,
        mean_confidence,
    }
}

/// Words of a line joined by a space, lines by `\n`, blocks by a blank line.
fn page_text(words: &[Word]) -> String {
    let mut out = String::new();
    let mut prev: Option<(u32, u32, u32)> = None;
    for w in words {
        let key = (w.block, w.paragraph, w.line);
        match prev {
            None => {}
            Some(p) if p == key => out.push(' '),
            Some(p) if p.0 != key.0 => out.push_str("\n\n"),
            Some(_) => out.push('\n'),
        }
        out.push_str(&w.text);
        prev = Some(key);
    }
    out.nfc().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext
1\t1\t0\t0\t0\t0\t0\t0\t1000\t800\t-1\t
2\t1\t1\t0\t0\t0\t10\t10\t500\t60\t-1\t
5\t1\t1\t1\t1\t1\t10\t10\t120\t40\t96.5\tC\u{1ed8}NG
5\t1\t1\t1\t1\t2\t140\t10\t100\t40\t91\tHO\u{300}A
5\t1\t1\t1\t2\t1\t10\t60\t80\t40\t90\tX\u{e3}
5\t1\t2\t1\t1\t1\t10\t200\t80\t40\t-1\t
5\t1\t2\t1\t1\t2\t10\t200\t80\t40\t80.5\tH\u{1ecd}
5\t1\t2\t1\t1\t3\t100\t200\t80\t40\t70\t   
garbage";

    #[test]
    fn words_lines_blocks() {
        let p = parse(SAMPLE);
        let texts: Vec<&str> = p.words.iter().map(|w| w.text.as_str()).collect();
        // the decomposed "HÒA" comes out composed
        assert_eq!(texts, ["CỘNG", "HÒA", "Xã", "Họ"]);
        assert_eq!(p.text, "CỘNG HÒA\nXã\n\nHọ");
        assert_eq!(p.words[1].bbox, [140.0, 10.0, 240.0, 50.0]);
        assert_eq!(
            (p.words[3].block, p.words[3].paragraph, p.words[3].line),
            (2, 1, 1)
        );
        let mean = (96.5 + 91.0 + 90.0 + 80.5) / 4.0;
        assert!((p.mean_confidence - mean).abs() < 1e-4);
    }

    #[test]
    fn empty_output_is_an_empty_page() {
        let p = parse("");
        assert!(p.words.is_empty());
        assert_eq!(p.text, "");
        assert_eq!(p.mean_confidence, 0.0);
    }
}
