#!/usr/bin/env python3
"""Renders the OCR test fixtures of src/ocr/ (run once; the PNGs and .txt files are committed).

    .venv/bin/python src/ocr/testdata/make.py

Each fixture is a short Vietnamese administrative text set in DejaVuSans 12 pt at 300 dpi
(50 px em), black on white, laid out on an A5 page (1748 x 2480 px) and then cropped to the
text block plus a 60 px margin, saved as 8-bit grayscale PNG with pHYs = 300 dpi. The matching
.txt holds the exact text, one rendered line per line, NFC; the .boxes.tsv holds the ink
boxes of a few words (word, x0, y0, x1, y1 in the PNG's pixels, x1/y1 exclusive).
"""
import os
import unicodedata

from PIL import Image, ImageDraw, ImageFont

HERE = os.path.dirname(os.path.abspath(__file__))
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
DPI = 300
PT = 12
A5 = (1748, 2480)
MARGIN = 60

FIXTURES = {
    "don_de_nghi": [
        ("c", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
        ("c", "Độc lập - Tự do - Hạnh phúc"),
        ("", ""),
        ("c", "ĐƠN ĐỀ NGHỊ CẤP GIẤY CHỨNG NHẬN"),
        ("c", "QUYỀN SỬ DỤNG ĐẤT"),
        ("", ""),
        ("l", "Kính gửi: Ủy ban nhân dân huyện Gia Lâm"),
        ("l", "Họ và tên: Nguyễn Thị Hường"),
        ("l", "Ngày sinh: 12/05/1995"),
        ("l", "Số định danh cá nhân: 008095001234"),
        ("l", "Nơi thường trú: thôn Đông, xã Dương Xá"),
        ("l", "Đề nghị cấp giấy chứng nhận đối với thửa"),
        ("l", "đất số 125, tờ bản đồ số 07, diện tích"),
        ("l", "sử dụng là 150 mét vuông để ở."),
    ],
    "to_khai": [
        ("c", "TỜ KHAI ĐĂNG KÝ KHAI SINH"),
        ("", ""),
        ("l", "Họ, chữ đệm, tên người yêu cầu: Trần Văn Bình"),
        ("l", "Quan hệ với người được khai sinh: cha"),
        ("l", "Đề nghị cơ quan đăng ký khai sinh cho"),
        ("l", "người dưới đây: Trần Minh Khoa, giới tính"),
        ("l", "nam, sinh ngày 03 tháng 8 năm 2024 tại"),
        ("l", "Bệnh viện Phụ sản Hà Nội, quốc tịch Việt"),
        ("l", "Nam. Tôi cam đoan nội dung khai trên đây"),
        ("l", "là đúng sự thật và chịu trách nhiệm trước"),
        ("l", "pháp luật về cam đoan của mình."),
    ],
}

# words whose ink box is written to NAME.boxes.tsv
BOXED = {"don_de_nghi": ["Nguyễn", "008095001234", "CỘNG"], "to_khai": ["Bình"]}


def ink_box(word, font, x, y):
    """Ink box of `word` drawn at (x, y) alone."""
    scratch = Image.new("L", A5, 0)
    ImageDraw.Draw(scratch).text((x, y), word, font=font, fill=255)
    return scratch.getbbox()


def render(lines, boxed):
    font = ImageFont.truetype(FONT, round(PT * DPI / 72))
    page = Image.new("L", A5, 255)
    draw = ImageDraw.Draw(page)
    y = 200
    step = round(PT * DPI / 72 * 1.5)
    boxes = {}
    for align, text in lines:
        if text:
            w = draw.textlength(text, font=font)
            x = (A5[0] - w) / 2 if align == "c" else 150
            draw.text((x, y), text, font=font, fill=0)
            for word in boxed:
                at = (" " + text + " ").find(" " + word + " ")
                if at >= 0 and word not in boxes:
                    boxes[word] = ink_box(word, font, x + draw.textlength(text[:at], font=font), y)
        y += step
    # crop to the ink plus a margin
    inv = page.point(lambda v: 255 - v)
    x0, y0, x1, y1 = inv.getbbox()
    box = (max(x0 - MARGIN, 0), max(y0 - MARGIN, 0), min(x1 + MARGIN, A5[0]), min(y1 + MARGIN, A5[1]))
    shifted = {w: (b[0] - box[0], b[1] - box[1], b[2] - box[0], b[3] - box[1]) for w, b in boxes.items()}
    return page.crop(box), shifted


def main():
    for name, lines in FIXTURES.items():
        img, boxes = render(lines, BOXED.get(name, []))
        img.save(os.path.join(HERE, name + ".png"), dpi=(DPI, DPI), optimize=True)
        text = "\n".join(unicodedata.normalize("NFC", t) for _, t in lines if t) + "\n"
        with open(os.path.join(HERE, name + ".txt"), "w", encoding="utf-8") as f:
            f.write(text)
        with open(os.path.join(HERE, name + ".boxes.tsv"), "w", encoding="utf-8") as f:
            for word in BOXED.get(name, []):
                f.write("\t".join([word] + [str(v) for v in boxes[word]]) + "\n")
        size = os.path.getsize(os.path.join(HERE, name + ".png"))
        print(f"{name}.png {img.size[0]}x{img.size[1]} {size} bytes")


if __name__ == "__main__":
    main()
