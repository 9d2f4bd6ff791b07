//! Stage `similar` (beside `classify`, used by `store`/`find`): unit tests of the hashes, the
//! text measures, the verdict and the serialised form.

use image::{GrayImage, Luma};

use super::phash::{dhash, hamming, hashes, phash};
use super::text::{fnv1a64, jaccard, numbers, shingles, text_similarity};
use super::*;

use crate::testing::Rng;

/// A text-like page at `scale` (1.0 ≈ 100 dpi A5-ish): lines of "words" made of strokes, as
/// laid out by `layout` (seed of line lengths, indents), with the content at `offset`.
fn page(layout: u64, scale: f32, offset: (u32, u32), canvas: (u32, u32), paper: u8) -> GrayImage {
    let mut img = GrayImage::from_pixel(canvas.0, canvas.1, Luma([paper]));
    let mut rng = Rng::new(layout);
    let s = |v: f32| (v * scale).round() as u32;
    let mut y = 0.0f32;
    for line in 0..24 {
        let indent = if line % 6 == 0 { 60.0 } else { 0.0 } + rng.below(3) as f32 * 10.0;
        let len = 120.0 + rng.below(360) as f32;
        let mut x = indent;
        while x < indent + len {
            let word = 14.0 + rng.below(40) as f32;
            let mut sx = x;
            while sx < x + word {
                let tall = if rng.below(4) == 0 { 13.0 } else { 9.0 };
                for yy in s(y + 13.0 - tall)..s(y + 13.0) {
                    for xx in s(sx)..s(sx + 2.0) {
                        let (px, py) = (offset.0 + xx, offset.1 + yy);
                        if px < canvas.0 && py < canvas.1 {
                            img.put_pixel(px, py, Luma([25]));
                        }
                    }
                }
                sx += 4.0;
            }
            x += word + 7.0;
        }
        y += if line % 5 == 4 { 30.0 } else { 20.0 };
    }
    img
}

fn add_noise(img: &mut GrayImage, seed: u64, amplitude: i32) {
    let mut rng = Rng::new(seed);
    for p in img.pixels_mut() {
        let d = rng.below(2 * amplitude as u64 + 1) as i32 - amplitude;
        p.0[0] = (i32::from(p.0[0]) + d).clamp(0, 255) as u8;
    }
}

fn jpeg_roundtrip(img: &GrayImage, quality: u8) -> GrayImage {
    let mut buf = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut buf, quality)
        .encode_image(img)
        .expect("encode");
    image::load_from_memory(&buf).expect("decode").to_luma8()
}

fn dist(a: &GrayImage, b: &GrayImage) -> (u32, u32) {
    let (pa, da) = hashes(a);
    let (pb, db) = hashes(b);
    (hamming(pa, pb), hamming(da, db))
}

#[test]
fn hashes_survive_shift_rescale_jpeg_noise_and_tint() {
    let base = page(7, 1.0, (40, 50), (620, 620), 250);
    // shifted on a larger bed, paper tinted
    let shifted = page(7, 1.0, (90, 20), (700, 680), 232);
    // typeset at 1.5x the resolution (another dpi)
    let big = page(7, 1.5, (60, 75), (930, 930), 245);
    // JPEG q 40 with noise
    let mut noisy = base.clone();
    add_noise(&mut noisy, 99, 12);
    let jpeg = jpeg_roundtrip(&noisy, 40);
    for (what, other) in [("shifted", &shifted), ("rescaled", &big), ("jpeg", &jpeg)] {
        let (p, d) = dist(&base, other);
        assert!(p <= 6, "{what}: pHash distance {p}");
        assert!(d <= 8, "{what}: dHash distance {d}");
    }
}

#[test]
fn hashes_ignore_a_dark_scanner_border() {
    let base = page(11, 1.0, (60, 50), (640, 640), 248);
    let mut bordered = base.clone();
    for y in 0..640 {
        for x in 0..22 {
            bordered.put_pixel(x, y, Luma([35]));
        }
    }
    for x in 0..640 {
        for y in 630..640 {
            bordered.put_pixel(x, y, Luma([40]));
        }
    }
    let (p, d) = dist(&base, &bordered);
    assert!(p <= 4 && d <= 6, "border changed the hashes: {p} {d}");
}

#[test]
fn different_layouts_are_far() {
    let a = page(7, 1.0, (40, 50), (620, 620), 250);
    let b = page(12345, 1.0, (40, 50), (620, 620), 250);
    // a card-like page: one dense block in the upper third
    let mut card = GrayImage::from_pixel(620, 620, Luma([250]));
    for y in 40..260 {
        for x in 40..580 {
            if (x / 3 + y / 7) % 3 == 0 || !(44..=575).contains(&x) || !(44..=255).contains(&y) {
                card.put_pixel(x, y, Luma([30]));
            }
        }
    }
    let (p, _) = dist(&a, &b);
    assert!(p >= 12, "two text layouts only {p} bits apart");
    let (p, d) = dist(&a, &card);
    assert!(p >= 20 && d >= 16, "text page vs card: {p} {d}");
}

#[test]
fn blank_page_hashes_to_zero() {
    let mut blank = GrayImage::from_pixel(300, 400, Luma([240]));
    add_noise(&mut blank, 5, 3);
    assert_eq!(phash(&blank), 0);
    assert_eq!(dhash(&blank), 0);
}

const TEMPLATE: &str = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n\
TỜ KHAI THAY ĐỔI THÔNG TIN CƯ TRÚ\nKính gửi: Công an phường Minh Xuân\n\
1. Họ, chữ đệm và tên: Nguyễn Văn Hùng\n2. Ngày, tháng, năm sinh: 12/03/1985\n\
4. Số định danh cá nhân: 008085123456\n5. Số điện thoại liên hệ: 0912 345 678\n\
8. Nội dung đề nghị: Đăng ký thường trú tại số 45 đường Tân Trào, tổ 12\n";

#[test]
fn text_similarity_tolerates_ocr_noise() {
    let clean = format!("{TEMPLATE}Minh Xuân, ngày 22 tháng 4 năm 2024\nNGƯỜI KÊ KHAI");
    // wrong tone marks (folded away), one word split, one misread word, a stray mark
    let noisy = clean
        .replace("THAY ĐỔI", "THAY ĐÔI")
        .replace("Kính gửi", "Kinh gửi")
        .replace("thường trú", "thưòng trú")
        .replace("Tân Trào", "Tân Tr ào")
        .replace("Hạnh phúc", "Hanh phúc |")
        .replace("Độc lập", "Đôc lâp");
    let j = text_similarity(&clean, &noisy);
    assert!(j >= 0.75, "noisy re-read Jaccard {j}");
    let other = "GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT\nThửa đất số 266, tờ bản đồ số 26\n\
                 Diện tích: 150,0 m² (bằng chữ: Một trăm năm mươi mét vuông)";
    assert!(text_similarity(&clean, other) < 0.05);
    assert_eq!(jaccard::<u64>(&[], &[]), 1.0);
    assert_eq!(shingles("một hai"), vec![fnv1a64(b"mot hai")]);
    // FNV-1a 64 reference values
    assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
}

#[test]
fn numbers_are_read_as_the_paper_prints_them() {
    let n = numbers(
        "Số: 1160/QĐ-UBND\nTuyên Quang, ngày 26 tháng 4\nnăm 2023\nSinh ngày: 09/10/2O21\n\
         tổng kinh phí 2.400.000.000 đồng, thửa đất số 12, CS 02886",
    );
    assert_eq!(
        n,
        vec!["02886", "1160", "2021-10-09", "2023-04-26", "2400000000"]
    );
}

fn paper(img: &GrayImage, text: &str) -> PaperSignature {
    PaperSignature {
        pages: vec![signature_of(img, text)],
    }
}

#[test]
fn a_rescan_is_same_and_a_look_alike_is_not() {
    let img = page(21, 1.0, (40, 50), (620, 620), 250);
    let mut rescan_img = page(21, 1.5, (70, 60), (960, 960), 236);
    add_noise(&mut rescan_img, 3, 8);
    let rescan_img = jpeg_roundtrip(&rescan_img, 50);
    let text = format!("{TEMPLATE}Số: 1160/QĐ-UBND\nMinh Xuân, ngày 22 tháng 4 năm 2024");
    let reread = text
        .replace("Kính gửi", "Kinh gửi")
        .replace("Độc lập", "Đôc lập");
    let original = paper(&img, &text);
    let rescan = paper(&rescan_img, &reread);
    let l = compare(&original, &rescan);
    assert_eq!(l.verdict, Verdict::Same, "{l:?}");
    assert!(l.score > 0.9, "{l:?}");

    // the same template, person and picture, another document number and date
    let look_text = text
        .replace("1160/QĐ", "884/QĐ")
        .replace("ngày 22 tháng 4 năm 2024", "ngày 12 tháng 02 năm 2023");
    let l = compare(&original, &paper(&img, &look_text));
    assert!(l.text_jaccard > 0.7, "{l:?}");
    assert_eq!(l.image_distance, 0.0);
    assert_eq!(l.verdict, Verdict::Different, "{l:?}");

    // only the date differs (a second declaration): never Same
    let one_date = text.replace("ngày 22 tháng 4 năm 2024", "ngày 23 tháng 4 năm 2024");
    let l = compare(&original, &paper(&img, &one_date));
    assert_ne!(l.verdict, Verdict::Same, "{l:?}");
    assert!(l.numbers_agree < 1.0);
}

#[test]
fn page_count_and_empty_papers() {
    let img = page(21, 1.0, (40, 50), (620, 620), 250);
    let one = paper(&img, TEMPLATE);
    let mut two = one.clone();
    two.pages.push(one.pages[0].clone());
    assert_ne!(compare(&one, &two).verdict, Verdict::Same);
    let l = compare(&one, &PaperSignature::default());
    assert_eq!(l.verdict, Verdict::Different);
}

#[test]
fn signature_serde_round_trip() {
    let img = page(3, 1.0, (40, 50), (620, 620), 250);
    let sig = PaperSignature {
        pages: vec![signature_of(&img, TEMPLATE), signature_of(&img, "")],
    };
    assert!(sig.pages[0].phash != 0 && !sig.pages[0].shingles.is_empty());
    let json = serde_json::to_string(&sig).expect("serialise");
    let back: PaperSignature = serde_json::from_str(&json).expect("deserialise");
    assert_eq!(back, sig);
    let l = compare(&sig, &back);
    let json = serde_json::to_string(&l).expect("serialise");
    assert!(json.contains("\"verdict\":\"same\""), "{json}");
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn numbers_match_explains_ocr_errors_but_not_other_numbers() {
    let a = strings(&["008194464941", "1160", "2023-06-23"]);
    // OCR split the ID in two: agreement
    let split = strings(&["0081", "1160", "2023-06-23", "94464941"]);
    let m = match_numbers(&a, &split);
    assert_eq!((m.agree, m.conflict), (1.0, false), "{m:?}");
    // OCR lost digits of the date: explained, not agreeing
    let lost = strings(&["008194464941", "1160", "202"]);
    let m = match_numbers(&a, &lost);
    assert!(!m.conflict && m.agree < 1.0, "{m:?}");
    // one misread digit: explained, not agreeing
    let misread = strings(&["008194464941", "1180", "2023-06-23"]);
    let m = match_numbers(&a, &misread);
    assert!(!m.conflict && m.agree < 1.0, "{m:?}");
    // another document number and date: a conflict
    let other = strings(&["008194464941", "2023-01-12", "884"]);
    let m = match_numbers(&a, &other);
    assert!(m.conflict, "{m:?}");
    assert_eq!(match_numbers(&[], &[]).agree, 1.0);
}
