#!/usr/bin/env python3
"""Generates the scanned Vietnamese sample papers of samples/scans/ with their ground truth.

    .venv/bin/python scripts/gen-samples.py [--out samples/scans] [--check [--ocr]]

Every paper is fictional (names, identity numbers, parcel and company numbers are made up; the
place names are real administrative units). Each page is typeset upright on a white A5 or A4
portrait page (DejaVu Sans or Serif, 11-13 pt, bold titles) at 200 or 300 dpi, then degraded
like a scan: skew, orientation (0/90/180/270 degrees clockwise), Gaussian blur, paper tint or
grey level, uneven lighting, Gaussian or salt-and-pepper noise, and saved as JPEG, grayscale
PNG, multi-page TIFF (LZW, Deflate, CCITT G4, JPEG) or an image-only PDF of JPEG pages.

Beside each scan NAME.EXT the script writes NAME.gt.txt: the exact text drawn, NFC, one line
per rendered line in upright reading order, pages separated by a form feed. manifest.json
describes every file and page (format, compression, dpi, rotation, skew, paper, noise).

Deterministic: all randomness comes from random.Random seeded with SEED and the file name
(never from Pillow's effect_noise, which uses the C library's rand()), and the PDF dates are
fixed, so two runs give byte-identical files with the same Pillow/libjpeg/zlib builds.

--check reopens every file listed in the manifest with Pillow (PDF pages through
PIL.PdfParser), compares format, page count, size, mode and dpi with the manifest and the
ground truth page count, and prints a table. --ocr additionally undoes the recorded rotation
and skew of each page, runs `tesseract - - -l vie --psm 3` on it and prints the character
error rate against the ground truth (slow: a few seconds a page).

--variant second makes a second, differently generated set of the same papers for checking
that a change tuned on the samples does not merely fit them (scripts/bench_digitize.py uses it):
another seed (other names, numbers and degradations), Liberation Sans/Serif instead of DejaVu,
other margins and tighter line spacing.
"""
import argparse
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
import zlib
from statistics import NormalDist

from PIL import (Image, ImageChops, ImageDraw, ImageFilter, ImageFont, ImageSequence, PdfParser,
                 TiffImagePlugin)

SEED = 20240530
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(ROOT, "samples", "scans")
FONT_DIR = "/usr/share/fonts/truetype/dejavu"
FONTS = {
    ("sans", "r"): "DejaVuSans.ttf",
    ("sans", "b"): "DejaVuSans-Bold.ttf",
    ("sans", "i"): "DejaVuSans-Oblique.ttf",
    ("serif", "r"): "DejaVuSerif.ttf",
    ("serif", "b"): "DejaVuSerif-Bold.ttf",
    ("serif", "i"): "DejaVuSerif-Italic.ttf",
}
PAPER_MM = {"A5": (148, 210), "A4": (210, 297)}
# Margins in mm (left, top, right, bottom): administrative papers keep a wide left margin.
MARGINS_MM = {"A5": (18, 12, 12, 10), "A4": (30, 20, 18, 15)}
# Line pitch relative to the sample set's.
LEADING = 1.0
# --variant: what differs from the sample set.
VARIANTS = {
    "second": dict(
        seed=20261207,
        font_dir="/usr/share/fonts/truetype/liberation2",
        fonts={(family, weight): f"Liberation{family.title()}-{style}.ttf"
               for family in ("sans", "serif")
               for weight, style in (("r", "Regular"), ("b", "Bold"), ("i", "Italic"))},
        margins={"A5": (14, 16, 14, 12), "A4": (25, 25, 22, 20)},
        leading=0.92,
    ),
}
# Paper tints (background, ink) for colour scans; grey levels for grayscale ones.
TINTS = {
    "white": ((250, 250, 248), (28, 28, 32)),
    "cream": ((246, 239, 219), (36, 32, 40)),
    "recycled": ((232, 229, 220), (40, 40, 44)),
    "blue-form": ((236, 241, 248), (20, 24, 60)),
}
GREYS = {"white": (246, 22), "cream": (238, 30), "recycled": (226, 34), "blue-form": (240, 24)}
PDF_DATE = time.strptime("2024-05-30 08:00:00", "%Y-%m-%d %H:%M:%S")


def nfc(s):
    return unicodedata.normalize("NFC", s)


# ---------------------------------------------------------------- fictional data

MALE = ["Nguyễn Văn Hùng", "Trần Đức Minh", "Lê Quang Huy", "Phạm Văn Toàn", "Hoàng Minh Tuấn",
        "Đỗ Xuân Trường", "Vũ Đình Khải", "Bùi Thanh Sơn", "Ma Văn Thắng", "Hà Quốc Việt"]
FEMALE = ["Nguyễn Thị Hường", "Trần Thị Lan Anh", "Lê Thị Thu Hà", "Phạm Ngọc Ánh",
          "Đặng Thị Mỹ Linh", "Hoàng Thu Trang", "Vũ Thị Hằng", "Đinh Thị Nguyệt",
          "Triệu Thị Duyên", "Quan Thị Yến"]
CHILD_GIVEN = {"Nam": ["Minh Khoa", "Gia Huy", "Đức Anh", "Bảo Long", "Quốc Bảo"],
               "Nữ": ["Bảo Ngọc", "Khánh Linh", "Minh Châu", "Thảo Vy", "Hà My"]}
# code: the province code opening an identity number; tax: the opening of a company number.
PLACES = [
    dict(code="008", tax="50", prov="tỉnh Tuyên Quang", city="Tuyên Quang",
         dist="thành phố Tuyên Quang", comm="phường Minh Xuân",
         streets=["số 45 đường Tân Trào, tổ 12", "tổ dân phố 7"], police="Công an phường Minh Xuân"),
    dict(code="008", tax="50", prov="tỉnh Tuyên Quang", city="Tuyên Quang",
         dist="huyện Sơn Dương", comm="xã Hợp Thành",
         streets=["thôn Tân Lập", "thôn Đồng Cháy"], police="Công an xã Hợp Thành"),
    dict(code="001", tax="01", prov="thành phố Hà Nội", city="Hà Nội",
         dist="huyện Gia Lâm", comm="xã Dương Xá",
         streets=["thôn Đông", "thôn Kim Âu"], police="Công an xã Dương Xá"),
    dict(code="019", tax="46", prov="tỉnh Thái Nguyên", city="Thái Nguyên",
         dist="thành phố Thái Nguyên", comm="phường Hoàng Văn Thụ",
         streets=["số 18 ngõ 21 đường Lương Ngọc Quyến", "tổ 5"],
         police="Công an phường Hoàng Văn Thụ"),
    dict(code="036", tax="06", prov="tỉnh Nam Định", city="Nam Định",
         dist="huyện Hải Hậu", comm="xã Hải Anh",
         streets=["xóm 3", "xóm Hồng Phong"], police="Công an xã Hải Anh"),
]
COMPANIES = [
    ("CÔNG TY TNHH THƯƠNG MẠI VÀ DỊCH VỤ HOÀNG MINH",
     "HOANG MINH TRADING AND SERVICES COMPANY LIMITED", "HOANG MINH CO., LTD",
     "CÔNG TY TRÁCH NHIỆM HỮU HẠN MỘT THÀNH VIÊN"),
    ("CÔNG TY CỔ PHẦN XÂY DỰNG TÂN TRÀO", "TAN TRAO CONSTRUCTION JOINT STOCK COMPANY",
     "TAN TRAO JSC", "CÔNG TY CỔ PHẦN"),
    ("CÔNG TY TNHH CHÈ XANH MỸ BẰNG", "MY BANG GREEN TEA COMPANY LIMITED", "MY BANG TEA CO., LTD",
     "CÔNG TY TRÁCH NHIỆM HỮU HẠN MỘT THÀNH VIÊN"),
]
UNITS = ["", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]


def words_under_100(n, after_hundred=False):
    """Vietnamese words for 0 < n < 100 (mốt, tư, lăm after a tens digit; linh after hundreds)."""
    t, u = divmod(n, 10)
    if t == 0:
        return ("linh " if after_hundred else "") + UNITS[u]
    head = "mười" if t == 1 else UNITS[t] + " mươi"
    if u == 0:
        return head
    if u == 1 and t > 1:
        tail = "mốt"
    elif u == 4 and t > 1:
        tail = "tư"
    elif u == 5:
        tail = "lăm"
    else:
        tail = UNITS[u]
    return head + " " + tail


def year_words(y):
    thousands, rest = divmod(y, 1000)
    hundreds, rest = divmod(rest, 100)
    out = UNITS[thousands] + " nghìn"
    if hundreds or rest:
        out += " " + ("không" if hundreds == 0 else UNITS[hundreds]) + " trăm"
    if rest:
        out += " " + words_under_100(rest, after_hundred=True)
    return out


def day_words(d):
    return words_under_100(d)


def vn_date(d, m, y):
    """The date line form: days below 10 and months 1 and 2 get a leading zero."""
    return f"ngày {d:02d} tháng {m:02d} năm {y}" if m <= 2 else (
        f"ngày {d:02d} tháng {m} năm {y}")


def dmy(d, m, y):
    return f"{d:02d}/{m:02d}/{y}"


def short_place(unit):
    for p in ("phường ", "xã ", "thị trấn ", "thành phố ", "huyện ", "tỉnh "):
        if unit.startswith(p):
            return unit[len(p):]
    return unit


class Fake:
    """Fictional people, numbers and addresses drawn from a seeded generator."""

    def __init__(self, rng):
        self.rng = rng
        self.used = set()

    def pick(self, seq):
        return self.rng.choice(seq)

    def person(self, sex=None, born=None, place=None):
        sex = sex or self.pick(["Nam", "Nữ"])
        pool = [n for n in (MALE if sex == "Nam" else FEMALE) if n not in self.used]
        name = self.pick(pool)
        self.used.add(name)
        born = born or self.rng.randint(1962, 2003)
        d, m = self.rng.randint(1, 28), self.rng.randint(1, 12)
        place = place or self.pick(PLACES)
        home = self.pick(PLACES)
        century = 0 if born < 2000 else 2
        pid = place["code"] + str(century + (sex == "Nữ")) + f"{born % 100:02d}" + (
            f"{self.rng.randint(1, 999999):06d}")
        return dict(name=name, sex=sex, d=d, m=m, y=born, birth=dmy(d, m, born), id=pid,
                    place=place, addr=self.address(place), home=self.hometown(home),
                    phone=f"09{self.rng.randint(1, 9)}{self.rng.randint(0, 9)} "
                          f"{self.rng.randint(100, 999)} {self.rng.randint(100, 999)}")

    def address(self, p):
        return f"{self.pick(p['streets'])}, {p['comm']}, {p['dist']}, {p['prov']}"

    def hometown(self, p):
        return f"{p['comm']}, {p['dist']}, {p['prov']}"

    def date(self, y0=2019, y1=2024):
        return self.rng.randint(1, 28), self.rng.randint(1, 12), self.rng.randint(y0, y1)


# ---------------------------------------------------------------- papers
# A page is a list of (style, text). Styles: motto/mottosub (centred bold, the second
# underlined), title (centred bold, +1 pt), c/cb/ci (centred regular/bold/italic),
# l/b/i (left; wrapped with a hanging indent), p (paragraph: wrapped, first line indented),
# sig/sigb/sigi (centred in the right three fifths), date (italic, flush right), gap (an empty line),
# card* (an identity card, see render_card).

MOTTO = [("motto", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"), ("mottosub", "Độc lập - Tự do - Hạnh phúc")]


def signature(role, name, note="(Ký, ghi rõ họ tên)"):
    out = [("sigb", role)]
    if note:
        out.append(("sigi", note))
    return out + [("gap", ""), ("sig", name)]


def paper_don(f, purpose):
    me = f.person()
    p = me["place"]
    d, m, y = f.date(2021, 2024)
    bodies = {
        "xác nhận tình trạng hôn nhân": "Tôi đề nghị Ủy ban nhân dân cấp Giấy xác nhận tình "
        "trạng hôn nhân để bổ sung hồ sơ vay vốn tại ngân hàng.",
        "cấp bản sao giấy khai sinh": "Tôi đề nghị cấp 02 bản sao Giấy khai sinh từ sổ hộ tịch "
        "để bổ sung hồ sơ nhập học cho con.",
        "cấp lại giấy chứng nhận quyền sử dụng đất": "Giấy chứng nhận của gia đình tôi bị mất "
        f"do hỏa hoạn. Tôi đề nghị cấp lại đối với thửa đất số {f.rng.randint(12, 480)}, "
        f"tờ bản đồ số {f.rng.randint(1, 40):02d}.",
    }
    return [MOTTO + [("gap", ""), ("title", "ĐƠN ĐỀ NGHỊ"), ("ci", f"Về việc {purpose}"),
                     ("gap", ""), ("l", f"Kính gửi: Ủy ban nhân dân {p['comm']}"),
                     ("l", f"Tôi tên là: {me['name']}"),
                     ("l", f"Ngày sinh: {me['birth']}     Giới tính: {me['sex']}"),
                     ("l", f"Số định danh cá nhân: {me['id']}"),
                     ("l", f"Nơi thường trú: {me['addr']}"),
                     ("l", f"Số điện thoại: {me['phone']}"),
                     ("p", bodies[purpose]),
                     ("p", "Tôi xin cam đoan những nội dung trên là đúng sự thật."),
                     ("date", f"{short_place(p['comm'])}, {vn_date(d, m, y)}")]
            + signature("NGƯỜI LÀM ĐƠN", me["name"])]


def paper_to_khai(f):
    me = f.person()
    head = f.person(sex="Nam" if me["sex"] == "Nữ" else "Nữ", place=me["place"])
    p = me["place"]
    d, m, y = f.date(2022, 2024)
    rel = "Vợ" if me["sex"] == "Nữ" else "Chồng"
    return [MOTTO + [("gap", ""), ("title", "TỜ KHAI THAY ĐỔI THÔNG TIN CƯ TRÚ"), ("gap", ""),
                     ("l", f"Kính gửi: {p['police']}"),
                     ("l", f"1. Họ, chữ đệm và tên: {me['name']}"),
                     ("l", f"2. Ngày, tháng, năm sinh: {me['birth']}     3. Giới tính: {me['sex']}"),
                     ("l", f"4. Số định danh cá nhân: {me['id']}"),
                     ("l", f"5. Số điện thoại liên hệ: {me['phone']}"),
                     ("l", f"6. Họ, chữ đệm và tên chủ hộ: {head['name']}"),
                     ("l", f"7. Mối quan hệ với chủ hộ: {rel}"),
                     ("l", f"8. Nội dung đề nghị: Đăng ký thường trú tại {head['addr']}"),
                     ("date", f"{short_place(p['comm'])}, {vn_date(d, m, y)}")]
            + signature("NGƯỜI KÊ KHAI", me["name"])]


def paper_cccd(f):
    me = f.person()
    issued = f.rng.randint(2021, 2023)
    age = issued - me["y"]
    until = next((a for a in (25, 40, 60) if a > age), None)
    valid = dmy(me["d"], me["m"], me["y"] + until) if until else "Không thời hạn"
    return [[("card", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"), ("card", "Độc lập - Tự do - Hạnh phúc"),
             ("cardtitle", "CĂN CƯỚC CÔNG DÂN"),
             ("cardl", f"Số định danh cá nhân: {me['id']}"),
             ("cardl", "Họ và tên:"), ("cardb", me["name"].upper()),
             ("cardl", f"Ngày sinh: {me['birth']}"),
             ("cardl", f"Giới tính: {me['sex']}     Quốc tịch: Việt Nam"),
             ("cardl", "Quê quán:"), ("cardl", me["home"]),
             ("cardl", "Nơi thường trú:"), ("cardl", me["addr"]),
             ("cardfoot", f"Có giá trị đến: {valid}")]]


def paper_khai_sinh(f):
    p = f.pick(PLACES)
    father = f.person(sex="Nam", born=f.rng.randint(1985, 1996), place=p)
    mother = f.person(sex="Nữ", born=f.rng.randint(1988, 1998), place=p)
    sex = f.pick(["Nam", "Nữ"])
    surname = father["name"].split()[0]
    child = surname + " " + f.pick([g for g in CHILD_GIVEN[sex] if not g.startswith(surname)])
    d, m, y = f.date(2020, 2024)
    rd, rm = min(d + f.rng.randint(5, 20), 28), m
    return [MOTTO + [("gap", ""), ("title", "GIẤY KHAI SINH"),
                     ("c", f"Số: {f.rng.randint(12, 240)}/{y}"),
                     ("l", f"Họ, chữ đệm, tên: {child.upper()}"),
                     ("l", f"Ngày, tháng, năm sinh: {dmy(d, m, y)}"),
                     ("l", f"Ghi bằng chữ: ngày {day_words(d)}, tháng {UNITS[m] if m < 10 else words_under_100(m)}, "
                           f"năm {year_words(y)}"),
                     ("l", f"Giới tính: {sex}     Dân tộc: Kinh     Quốc tịch: Việt Nam"),
                     ("l", f"Nơi sinh: Trạm Y tế {p['comm']}, {p['dist']}, {p['prov']}"),
                     ("l", f"Quê quán: {father['home']}"),
                     ("l", f"Họ, chữ đệm, tên người mẹ: {mother['name'].upper()}"),
                     ("l", f"Năm sinh: {mother['y']}     Dân tộc: Kinh     Quốc tịch: Việt Nam"),
                     ("l", f"Họ, chữ đệm, tên người cha: {father['name'].upper()}"),
                     ("l", f"Năm sinh: {father['y']}     Dân tộc: Kinh     Quốc tịch: Việt Nam"),
                     ("l", f"Nơi đăng ký khai sinh: Ủy ban nhân dân {p['comm']}, {p['dist']}"),
                     ("l", f"Ngày, tháng, năm đăng ký: {dmy(rd, rm, y)}")]
            + signature("NGƯỜI KÝ GIẤY KHAI SINH", f.person()["name"], note=None)]


def paper_gcn_dat(f):
    p = f.pick(PLACES[:2])
    owner = f.person(sex="Nam", born=f.rng.randint(1960, 1975), place=p)
    wife = f.person(sex="Nữ", born=owner["y"] + f.rng.randint(1, 5), place=p)
    parcel, sheet = f.rng.randint(15, 520), f.rng.randint(1, 45)
    area = f.pick([(150, "Một trăm năm mươi"), (212, "Hai trăm mười hai"),
                                   (96, "Chín mươi sáu"), (305, "Ba trăm linh năm")])
    d, m, y = f.date(2015, 2022)
    page1 = MOTTO + [("gap", ""), ("title", "GIẤY CHỨNG NHẬN"),
                     ("title", "QUYỀN SỬ DỤNG ĐẤT, QUYỀN SỞ HỮU NHÀ Ở"),
                     ("title", "VÀ TÀI SẢN KHÁC GẮN LIỀN VỚI ĐẤT"), ("gap", ""),
                     ("b", "I. Người sử dụng đất, chủ sở hữu nhà ở và tài sản khác gắn liền với đất"),
                     ("l", f"Ông: {owner['name']}, năm sinh: {owner['y']}"),
                     ("l", f"Số định danh cá nhân: {owner['id']}"),
                     ("l", f"Bà: {wife['name']}, năm sinh: {wife['y']}"),
                     ("l", f"Số định danh cá nhân: {wife['id']}"),
                     ("l", f"Địa chỉ thường trú: {owner['addr']}"),
                     ("gap", ""),
                     ("c", f"Số vào sổ cấp GCN: CS {f.rng.randint(1000, 9999):05d}"),
                     ("c", f"Số phát hành: CX {f.rng.randint(100000, 999999)}")]
    page2 = [("b", "II. Thửa đất, nhà ở và tài sản khác gắn liền với đất"),
             ("b", "1. Thửa đất:"),
             ("l", f"a) Thửa đất số: {parcel}, tờ bản đồ số: {sheet:02d}"),
             ("l", f"b) Địa chỉ: {f.pick(p['streets'])}, {p['comm']}, {p['dist']}, {p['prov']}"),
             ("l", f"c) Diện tích: {area[0]},0 m² (bằng chữ: {area[1]} mét vuông)"),
             ("l", "d) Hình thức sử dụng: Sử dụng riêng"),
             ("l", "đ) Mục đích sử dụng: Đất ở tại nông thôn"),
             ("l", "e) Thời hạn sử dụng: Lâu dài"),
             ("l", "g) Nguồn gốc sử dụng: Nhà nước công nhận quyền sử dụng đất"),
             ("l", "2. Nhà ở: -/-"), ("l", "3. Công trình xây dựng khác: -/-"),
             ("l", "4. Ghi chú: -/-"),
             ("date", f"{short_place(p['dist'])}, {vn_date(d, m, y)}"),
             ("sigb", f"TM. ỦY BAN NHÂN DÂN {p['dist'].upper()}"), ("sigb", "KT. CHỦ TỊCH"),
             ("sigb", "PHÓ CHỦ TỊCH"), ("gap", ""), ("sig", f.person(sex="Nam")["name"])]
    return [page1, page2]


# Tax codes: digit 10 checks digits 1-9 (weights 31 29 23 19 17 13 7 5 3; 10 - sum mod 11; a
# result of 10 is never issued), the rule sohoa's field validator applies. The random draw is
# kept whole (so the generator's random stream is unchanged) and its last digits adjusted.
TAX_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


def with_check_digit(code):
    head = code[:9]
    while True:
        c = 10 - sum(int(d) * w for d, w in zip(head, TAX_WEIGHTS)) % 11
        if c < 10:
            return head + str(c)
        head = head[:8] + str((int(head[8]) + 1) % 10)


def paper_dkdn(f):
    p = f.pick(PLACES)
    boss = f.person(place=p)
    vi, en, short, kind = f.pick(COMPANIES)
    code = with_check_digit(p["tax"] + f"{f.rng.randint(0, 99999999):08d}")
    d1, m1, y1 = f.date(2012, 2019)
    d2, m2, y2 = f.date(2020, 2024)
    capital = f.pick([("2.000.000.000", "Hai tỷ đồng"), ("500.000.000", "Năm trăm triệu đồng"),
                      ("1.500.000.000", "Một tỷ năm trăm triệu đồng")])
    page1 = [("cb", f"SỞ KẾ HOẠCH VÀ ĐẦU TƯ {p['prov'].upper()}"),
             ("cb", "PHÒNG ĐĂNG KÝ KINH DOANH")] + MOTTO + [
             ("gap", ""), ("title", "GIẤY CHỨNG NHẬN ĐĂNG KÝ DOANH NGHIỆP"), ("cb", kind),
             ("c", f"Mã số doanh nghiệp: {code}"),
             ("c", f"Đăng ký lần đầu: {vn_date(d1, m1, y1)}"),
             ("c", f"Đăng ký thay đổi lần thứ: {f.rng.randint(1, 4)}, {vn_date(d2, m2, y2)}"),
             ("gap", ""),
             ("b", "1. Tên công ty"),
             ("l", f"Tên công ty viết bằng tiếng Việt: {vi}"),
             ("l", f"Tên công ty viết bằng tiếng nước ngoài: {en}"),
             ("l", f"Tên công ty viết tắt: {short}"),
             ("b", "2. Địa chỉ trụ sở chính"),
             ("l", f"{f.address(p)}"),
             ("l", f"Điện thoại: 02{f.rng.randint(10, 99)} {f.rng.randint(3000000, 3999999)}")]
    page2 = [("b", "3. Vốn điều lệ"),
             ("l", f"Vốn điều lệ: {capital[0]} đồng"), ("l", f"Bằng chữ: {capital[1]}"),
             ("b", "4. Người đại diện theo pháp luật của công ty"),
             ("l", f"Họ và tên: {boss['name'].upper()}     Giới tính: {boss['sex']}"),
             ("l", "Chức danh: Giám đốc"),
             ("l", f"Sinh ngày: {boss['birth']}     Dân tộc: Kinh     Quốc tịch: Việt Nam"),
             ("l", f"Số định danh cá nhân: {boss['id']}"),
             ("l", f"Địa chỉ thường trú: {boss['addr']}"),
             ("gap", ""),
             ("sigb", "TRƯỞNG PHÒNG"), ("gap", ""), ("sig", f.person()["name"])]
    return [page1, page2]


def paper_quyet_dinh(f, number=None, date=None):
    number = number or f.rng.randint(100, 1500)
    d, m, y = date or f.date(2021, 2024)
    p = PLACES[0]
    n = f.rng.randint(12, 96)
    money = f.pick(["1.250.000.000", "864.000.000", "2.400.000.000"])
    page1 = [("cb", "ỦY BAN NHÂN DÂN"), ("cb", "TỈNH TUYÊN QUANG"), ("c", f"Số: {number}/QĐ-UBND"),
             ("gap", "")] + MOTTO + [
             ("ci", f"Tuyên Quang, {vn_date(d, m, y)}"), ("gap", ""),
             ("title", "QUYẾT ĐỊNH"),
             ("cb", "Về việc phê duyệt danh sách hộ gia đình được hỗ trợ sửa chữa nhà ở"),
             ("gap", ""), ("cb", "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG"),
             ("p", "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;"),
             ("p", f"Theo đề nghị của Giám đốc Sở Xây dựng tại Tờ trình số {f.rng.randint(10, 99)}/TTr-SXD."),
             ("cb", "QUYẾT ĐỊNH:"),
             ("p", f"Điều 1. Phê duyệt danh sách {n} hộ gia đình được hỗ trợ sửa chữa nhà ở "
                   f"năm {y}, tổng kinh phí {money} đồng (chi tiết tại Phụ lục kèm theo).")]
    page2 = [("p", "Điều 2. Giao Sở Tài chính chủ trì, phối hợp với Sở Xây dựng và Ủy ban nhân "
                   "dân các huyện, thành phố tổ chức thực hiện, thanh toán kinh phí hỗ trợ "
                   "theo đúng quy định."),
             ("p", "Điều 3. Quyết định này có hiệu lực kể từ ngày ký."),
             ("p", "Chánh Văn phòng Ủy ban nhân dân tỉnh, Giám đốc các Sở: Xây dựng, Tài chính; "
                   "Chủ tịch Ủy ban nhân dân các huyện, thành phố và các cơ quan có liên quan "
                   "chịu trách nhiệm thi hành Quyết định này./."),
             ("gap", ""),
             ("b", "Nơi nhận:"), ("l", "- Như Điều 3;"), ("l", "- Chủ tịch UBND tỉnh;"),
             ("l", "- Lưu: VT, XD."),
             ("sigb", "TM. ỦY BAN NHÂN DÂN"), ("sigb", "KT. CHỦ TỊCH"), ("sigb", "PHÓ CHỦ TỊCH"),
             ("gap", ""), ("sig", f.person()["name"])]
    return [page1, page2]


def paper_uy_quyen(f):
    p = f.pick(PLACES)
    a = f.person(place=p)
    b = f.person(place=p)
    d, m, y = f.date(2022, 2024)
    page1 = MOTTO + [("gap", ""), ("title", "GIẤY ỦY QUYỀN"), ("gap", ""),
                     ("p", "Căn cứ Bộ luật Dân sự năm 2015;"),
                     ("p", f"Hôm nay, {vn_date(d, m, y)}, tại Ủy ban nhân dân {p['comm']}, "
                           "chúng tôi gồm:"),
                     ("b", "I. BÊN ỦY QUYỀN"),
                     ("l", f"Họ và tên: {a['name']}     Ngày sinh: {a['birth']}"),
                     ("l", f"Số định danh cá nhân: {a['id']}"),
                     ("l", f"Nơi thường trú: {a['addr']}"),
                     ("b", "II. BÊN NHẬN ỦY QUYỀN"),
                     ("l", f"Họ và tên: {b['name']}     Ngày sinh: {b['birth']}"),
                     ("l", f"Số định danh cá nhân: {b['id']}"),
                     ("l", f"Nơi thường trú: {b['addr']}")]
    page2 = [("b", "III. NỘI DUNG ỦY QUYỀN"),
             ("p", "Bên nhận ủy quyền được thay mặt bên ủy quyền nộp hồ sơ, bổ sung giấy tờ "
                   "và nhận kết quả thủ tục đăng ký biến động đất đai tại Bộ phận một cửa "
                   f"{p['dist']}."),
             ("p", f"Thời hạn ủy quyền: từ ngày ký đến hết ngày 31 tháng 12 năm {y}."),
             ("b", "IV. CAM KẾT"),
             ("p", "Hai bên cam kết chịu trách nhiệm trước pháp luật về nội dung ủy quyền; "
                   "bên nhận ủy quyền không được ủy quyền lại cho người khác."),
             ("gap", "")] + signature("BÊN ỦY QUYỀN", a["name"]) + [("gap", "")] + (
            signature("BÊN NHẬN ỦY QUYỀN", b["name"]))
    return [page1, page2]


def paper_cu_tru(f):
    p = f.pick(PLACES)
    me = f.person(place=p)
    head = f.person(sex="Nam", born=me["y"] - f.rng.randint(22, 30), place=p)
    d, m, y = f.date(2022, 2024)
    unit = p["police"].replace("Công an ", "")
    return [[("cb", f"CÔNG AN {p['prov'].upper()}"),
             ("cb", p["police"].upper()), ("c", f"Số: {f.rng.randint(100, 999)}/XN-CA"),
             ("gap", "")] + MOTTO + [
             ("gap", ""), ("title", "XÁC NHẬN THÔNG TIN VỀ CƯ TRÚ"),
             ("p", f"{p['police']} xác nhận thông tin về cư trú như sau:"),
             ("l", f"1. Họ, chữ đệm và tên: {me['name']}"),
             ("l", f"2. Ngày, tháng, năm sinh: {me['birth']}     3. Giới tính: {me['sex']}"),
             ("l", f"4. Số định danh cá nhân: {me['id']}"),
             ("l", f"5. Nơi thường trú: {me['addr']}"),
             ("l", f"6. Họ, chữ đệm và tên chủ hộ: {head['name']}"),
             ("l", "7. Quan hệ với chủ hộ: Con"),
             ("p", "Giấy xác nhận có giá trị 30 ngày kể từ ngày cấp."),
             ("date", f"{short_place(unit)}, {vn_date(d, m, y)}"),
             ("sigb", "TRƯỞNG CÔNG AN " + unit.split()[0].upper()), ("gap", ""),
             ("sig", f.person(sex="Nam")["name"])]]


PAPERS = {
    "don-xac-nhan-hon-nhan": ("application form", lambda f: paper_don(f, "xác nhận tình trạng hôn nhân")),
    "don-ban-sao-khai-sinh": ("application form", lambda f: paper_don(f, "cấp bản sao giấy khai sinh")),
    "don-cap-lai-gcn": ("application form", lambda f: paper_don(f, "cấp lại giấy chứng nhận quyền sử dụng đất")),
    "to-khai": ("declaration form", paper_to_khai),
    "cccd": ("citizen identity card, front (photocopy)", paper_cccd),
    "khai-sinh": ("birth certificate", paper_khai_sinh),
    "gcn-dat": ("land-use rights certificate", paper_gcn_dat),
    "dkdn": ("business registration certificate", paper_dkdn),
    "quyet-dinh": ("decision", paper_quyet_dinh),
    "quyet-dinh-123": ("decision", lambda f: paper_quyet_dinh(f, 123, (30, 5, 2022))),
    "uy-quyen": ("power of attorney", paper_uy_quyen),
    "cu-tru": ("residence confirmation", paper_cu_tru),
}

# ---------------------------------------------------------------- the files
# pages: (paper key, page index) per page. deg: per page (rotation clockwise, skew degrees
# counter-clockwise). noise: ("gauss", sigma) or ("sp", per-mille of pixels flipped).

FILES = [
    dict(name="don-xac-nhan-hon-nhan", fmt="JPEG", q=80, size="A4", dpi=200, color=True,
         tint="cream", font=("serif", 12), pages=[("don-xac-nhan-hon-nhan", 0)],
         deg=[(0, 1.4)], blur=0.7, noise=("gauss", 5), light=0.10),
    dict(name="don-ban-sao-khai-sinh", fmt="PNG", size="A5", dpi=300, tint="white",
         font=("sans", 11), pages=[("don-ban-sao-khai-sinh", 0)], deg=[(90, -2.2)],
         blur=0.8, noise=("sp", 1.5), light=0.0),
    dict(name="to-khai-cu-tru", fmt="JPEG", q=70, size="A4", dpi=300, color=False,
         tint="recycled", font=("sans", 12), pages=[("to-khai", 0)], deg=[(180, 0.8)],
         blur=1.0, noise=("gauss", 6), light=0.08),
    dict(name="cccd-photo", fmt="JPEG", q=85, size="A5", dpi=300, color=True, tint="white",
         font=("sans", 11), pages=[("cccd", 0)], deg=[(0, -2.6)], blur=0.9,
         noise=("gauss", 4), light=0.06),
    dict(name="cccd-ban-sao", fmt="PNG", size="A5", dpi=200, tint="recycled",
         font=("sans", 12), pages=[("cccd", 0)], deg=[(270, 3.0)], blur=0.6,
         noise=("sp", 2.0), light=0.12),
    dict(name="khai-sinh", fmt="JPEG", q=75, size="A4", dpi=200, color=True, tint="blue-form",
         font=("serif", 12), pages=[("khai-sinh", 0)], deg=[(90, 0.5)], blur=0.6,
         noise=("gauss", 5), light=0.05),
    dict(name="khai-sinh-ban-sao", fmt="PNG", size="A4", dpi=200, tint="white",
         font=("serif", 11), pages=[("khai-sinh", 0)], deg=[(180, -1.1)], blur=0.5,
         noise=("sp", 1.0), light=0.0),
    dict(name="quyet-dinh-123-trang-1", fmt="JPEG", q=65, size="A4", dpi=300, color=False,
         tint="white", font=("serif", 13), pages=[("quyet-dinh-123", 0)], deg=[(270, -0.6)],
         blur=1.1, noise=("gauss", 4), light=0.05),
    dict(name="dkdn-trang-1", fmt="JPEG", q=80, size="A4", dpi=200, color=True, tint="cream",
         font=("sans", 11), pages=[("dkdn", 0)], deg=[(180, 2.1)], blur=0.6,
         noise=("gauss", 6), light=0.10),
    dict(name="cu-tru", fmt="JPEG", q=90, size="A5", dpi=300, color=True, tint="white",
         font=("sans", 11), pages=[("cu-tru", 0)], deg=[(90, -1.5)], blur=0.8,
         noise=("gauss", 3), light=0.04),
    dict(name="uy-quyen-trang-1", fmt="PNG", size="A4", dpi=200, tint="cream",
         font=("sans", 12), pages=[("uy-quyen", 0)], deg=[(0, -0.4)], blur=0.5,
         noise=("sp", 1.2), light=0.06),
    dict(name="don-cap-lai-gcn", fmt="PNG", size="A5", dpi=300, tint="white",
         font=("serif", 11), pages=[("don-cap-lai-gcn", 0)], deg=[(270, 1.8)], blur=0.9,
         noise=("sp", 0.8), light=0.0),
    dict(name="ho-so-cu-tru", fmt="TIFF", compression="tiff_lzw", size="A4", dpi=200,
         tint="white", font=("sans", 12),
         pages=[("to-khai", 0), ("cccd", 0), ("cu-tru", 0)],
         deg=[(0, 0.9), (90, -1.8), (0, 0.3)], blur=0.5, noise=("sp", 0.6), light=0.0),
    dict(name="gcn-dat", fmt="TIFF", compression="tiff_adobe_deflate", size="A4", dpi=200,
         tint="recycled", font=("serif", 12), pages=[("gcn-dat", 0), ("gcn-dat", 1)],
         deg=[(180, -0.7), (180, 1.2)], blur=0.6, noise=("sp", 0.8), light=0.05),
    dict(name="quyet-dinh-123", fmt="TIFF", compression="group4", size="A4", dpi=300,
         tint="white", font=("serif", 13), pages=[("quyet-dinh-123", 0), ("quyet-dinh-123", 1)],
         deg=[(0, -1.3), (270, 2.4)], blur=0.9, noise=("sp", 0.5), light=0.0),
    dict(name="dkdn", fmt="TIFF", compression="group4", size="A4", dpi=200,
         tint="white", font=("sans", 11), pages=[("dkdn", 0), ("dkdn", 1)],
         deg=[(90, 0.2), (90, -0.9)], blur=0.5, noise=("sp", 0.3), light=0.0),
    dict(name="uy-quyen", fmt="TIFF", compression="jpeg", q=75, size="A4", dpi=200,
         tint="cream", font=("sans", 12), pages=[("uy-quyen", 0), ("uy-quyen", 1)],
         deg=[(180, 1.6), (270, -2.0)], blur=0.7, noise=("gauss", 5), light=0.08),
    dict(name="ho-so-dat", fmt="PDF", q=75, size="A4", dpi=200, color=True, tint="cream",
         font=("serif", 12), pages=[("don-cap-lai-gcn", 0), ("quyet-dinh", 0)],
         deg=[(0, 2.8), (90, -0.3)], blur=0.7, noise=("gauss", 5), light=0.08),
    dict(name="quyet-dinh", fmt="PDF", q=70, size="A4", dpi=200, color=False, tint="white",
         font=("serif", 12), pages=[("quyet-dinh", 0), ("quyet-dinh", 1)],
         deg=[(270, -2.9), (180, 0.0)], blur=0.6, noise=("gauss", 4), light=0.05),
    dict(name="to-khai-to-roi", fmt="JPEG", q=60, size="A5", dpi=200, color=False,
         tint="white", font=("sans", 13), pages=[("to-khai", 0)], deg=[(90, 0.0)],
         blur=0.6, noise=("gauss", 5), light=0.0),
]

EXT = {"JPEG": ".jpg", "PNG": ".png", "TIFF": ".tif", "PDF": ".pdf"}


# ---------------------------------------------------------------- typesetting

class Typesetter:
    def __init__(self, size, dpi, family, pt):
        self.dpi = dpi
        mm = PAPER_MM[size]
        self.w, self.h = (round(v / 25.4 * dpi) for v in mm)
        ml, mt, mr, mb = (round(v / 25.4 * dpi) for v in MARGINS_MM[size])
        self.left, self.top, self.right, self.bottom = ml, mt, self.w - mr, self.h - mb
        self.family, self.pt = family, pt
        self.px = lambda points: round(points * dpi / 72)
        self.cache = {}

    def font(self, weight="r", pt=None):
        key = (weight, pt or self.pt)
        if key not in self.cache:
            self.cache[key] = ImageFont.truetype(
                os.path.join(FONT_DIR, FONTS[(self.family, weight)]), self.px(key[1]))
        return self.cache[key]

    def wrap(self, draw, text, font, first, rest=None):
        """Greedy word wrap into lines `first` px wide, then `rest` px wide."""
        lines, cur = [], ""
        for word in text.split(" "):
            trial = word if not cur else cur + " " + word
            avail = first if not lines else (rest or first)
            if cur and draw.textlength(trial, font=font) > avail:
                lines.append(cur)
                cur = word
            else:
                cur = trial
        lines.append(cur)
        return lines

    def render(self, blocks):
        """Draws one upright page; returns (image L, the lines drawn)."""
        if blocks and blocks[0][0].startswith("card"):
            return self.render_card(blocks)
        page = Image.new("L", (self.w, self.h), 255)
        draw = ImageDraw.Draw(page)
        step = self.px(self.pt * 1.42 * LEADING)
        y = self.top
        drawn = []
        width = self.right - self.left
        half = self.left + width * 2 // 5  # signature blocks: the right three fifths
        for style, text in blocks:
            text = nfc(text)
            if style == "gap":
                y += step * 2 // 3
                continue
            weight = "b" if style in ("motto", "mottosub", "title", "cb", "b", "sigb") else (
                "i" if style in ("ci", "sigi", "i", "date") else "r")
            font = self.font(weight, self.pt + 1 if style == "title" else None)
            if style == "date":
                for line in self.wrap(draw, text, font, width):
                    draw.text((self.right - draw.textlength(line, font=font), y), line, font=font, fill=0)
                    drawn.append(line)
                    y += step
            elif style in ("sig", "sigb", "sigi"):
                lines = self.wrap(draw, text, font, self.right - half)
                for line in lines:
                    x = half + (self.right - half - draw.textlength(line, font=font)) / 2
                    draw.text((x, y), line, font=font, fill=0)
                    drawn.append(line)
                    y += step
            elif style in ("motto", "mottosub", "title", "c", "cb", "ci"):
                for line in self.wrap(draw, text, font, width - self.px(24)):
                    tw = draw.textlength(line, font=font)
                    x = self.left + (width - tw) / 2
                    draw.text((x, y), line, font=font, fill=0)
                    drawn.append(line)
                    if style == "mottosub":
                        uy = y + self.px(self.pt * 1.40)
                        draw.line((x + tw * 0.2, uy, x + tw * 0.8, uy), fill=0,
                                  width=max(1, self.px(0.6)))
                    y += step + (self.px(self.pt * 0.4) if style == "mottosub" else 0)
            else:
                indent = self.px(self.pt * 2.5) if style == "p" else 0
                hang = self.px(self.pt * 1.5) if style in ("l", "b") else 0
                lines = self.wrap(draw, text, font, width - indent, width - hang)
                for i, line in enumerate(lines):
                    x = self.left + (indent if (style == "p" and i == 0) else 0) + (hang if i else 0)
                    draw.text((x, y), line, font=font, fill=0)
                    drawn.append(line)
                    y += step
            if y > self.bottom:
                raise SystemExit(f"page overflow: {blocks[0]}")
        return page, drawn

    def render_card(self, blocks):
        """An identity card photocopied enlarged (about 1.5 times) near the top of the page."""
        page = Image.new("L", (self.w, self.h), 255)
        draw = ImageDraw.Draw(page)
        cw = self.right - self.left
        x0, y0 = self.left, self.top
        step = self.px(self.pt * 1.38 * LEADING)
        pad = self.px(10)
        drawn = []
        photo_w = cw * 0.24
        tx = x0 + pad + photo_w + pad
        y = y0 + pad
        for style, text in blocks:
            text = nfc(text)
            bold = style in ("card", "cardtitle", "cardb")
            font = self.font("b" if bold else "r", self.pt + 2 if style == "cardtitle" else None)
            if style in ("card", "cardtitle"):
                lines = [text]
                for line in lines:
                    tw = draw.textlength(line, font=font)
                    draw.text((x0 + (cw - tw) / 2, y), line, font=font, fill=0)
                    drawn.append(line)
                    y += step if style == "card" else step + self.px(4)
                if style == "cardtitle":
                    photo_top = y
                continue
            if style == "cardfoot":
                tx = x0 + pad
            lines = self.wrap(draw, text, font, x0 + cw - pad - tx)
            for line in lines:
                draw.text((tx, y), line, font=font, fill=0)
                drawn.append(line)
                y += step
        y1 = y + pad
        draw.rounded_rectangle((x0, y0, x0 + cw, y1), radius=self.px(12), outline=0,
                               width=max(2, self.px(1.2)))
        # the portrait: a grey box with a head-and-shoulders silhouette
        px0, py0 = x0 + pad, photo_top
        px1, py1 = px0 + photo_w, photo_top + photo_w * 4 / 3
        draw.rectangle((px0, py0, px1, py1), fill=150)
        cx = (px0 + px1) / 2
        r = photo_w * 0.22
        draw.ellipse((cx - r, py0 + photo_w * 0.25, cx + r, py0 + photo_w * 0.25 + 2.4 * r), fill=70)
        draw.chord((px0 + photo_w * 0.1, py1 - photo_w * 0.55, px1 - photo_w * 0.1,
                    py1 + photo_w * 0.5), 180, 360, fill=70)
        if y1 > self.bottom:
            raise SystemExit("card overflow")
        return page, drawn


# ---------------------------------------------------------------- degradation

def gauss_lut(sigma):
    nd = NormalDist(0, sigma)
    return [max(0, min(255, round(128 + nd.inv_cdf((u + 0.5) / 256)))) for u in range(256)]


def noise_image(rng, size):
    return Image.frombytes("L", size, rng.randbytes(size[0] * size[1]))


def add_gauss(img, rng, sigma):
    noise = noise_image(rng, img.size).point(gauss_lut(sigma))
    if img.mode == "RGB":
        noise = Image.merge("RGB", (noise, noise, noise))
    return ImageChops.add(img, noise, 1.0, -128)


def add_salt_pepper(img, rng, per_mille):
    """Flips about per_mille/1000 of the pixels to black or white (half each)."""
    # Two independent bytes per pixel give a resolution of 1/65536.
    a, b = noise_image(rng, img.size), noise_image(rng, img.size)
    k = per_mille / 1000 / 2 * 65536  # expected hits per colour out of 65536
    ka = max(1, min(256, round(k ** 0.5)))
    kb = max(1, min(256, round(k / ka)))
    lut_b = [255 if v < kb else 0 for v in range(256)]
    hit = ImageChops.multiply(a.point([255 if v < ka else 0 for v in range(256)]), b.point(lut_b))
    salt = ImageChops.multiply(a.point([255 if v >= 256 - ka else 0 for v in range(256)]), b.point(lut_b))
    black = Image.new(img.mode, img.size, 0)
    white = Image.new(img.mode, img.size, 255)
    img = Image.composite(black, img, hit)
    return Image.composite(white, img, salt)


def lighting(size, rng, amount):
    """A smooth illumination map (255 = full light) darkening one side by `amount`."""
    g = Image.new("L", (4, 4))
    side = rng.randrange(4)
    for yy in range(4):
        for xx in range(4):
            t = (xx, yy, 3 - xx, 3 - yy)[side] / 3
            g.putpixel((xx, yy), round(255 * (1 - amount * t * t)))
    return g.resize(size, Image.BICUBIC)


def degrade(page, spec, rot, skew, rng):
    img = page
    if skew:
        img = img.rotate(skew, resample=Image.BICUBIC, fillcolor=255)
    if spec["blur"]:
        img = img.filter(ImageFilter.GaussianBlur(spec["blur"] * spec["dpi"] / 300))
    if spec.get("light"):
        img = ImageChops.multiply(img, lighting(img.size, rng, spec["light"]))
    color = spec.get("color", False) and spec["fmt"] in ("JPEG", "PDF")
    if color:
        (pr, pg, pb), (ir, ig, ib) = TINTS[spec["tint"]]
        lut = lambda paper, ink: [round(ink + (paper - ink) * v / 255) for v in range(256)]
        img = Image.merge("RGB", (img.point(lut(pr, ir)), img.point(lut(pg, ig)), img.point(lut(pb, ib))))
    elif spec.get("compression") != "group4":
        paper, ink = GREYS[spec["tint"]]
        img = img.point([round(ink + (paper - ink) * v / 255) for v in range(256)])
    kind, amount = spec["noise"]
    if spec.get("compression") == "group4":
        img = img.point([255 if v > 150 else 0 for v in range(256)])
        img = add_salt_pepper(img, rng, amount).convert("1", dither=Image.Dither.NONE)
    elif kind == "gauss":
        img = add_gauss(img, rng, amount)
    else:
        img = add_salt_pepper(img, rng, amount)
    if rot:
        img = img.transpose({90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180,
                             270: Image.Transpose.ROTATE_90}[rot])
    return img


# ---------------------------------------------------------------- output

def file_seed(name):
    return SEED * 1000003 + zlib.crc32(name.encode())


def compression_of(spec):
    if spec["fmt"] == "JPEG":
        return f"jpeg q{spec['q']}"
    if spec["fmt"] == "PNG":
        return "deflate (png)"
    if spec["fmt"] == "PDF":
        return f"DCTDecode q{spec['q']}"
    c = spec["compression"]
    if c == "jpeg":
        return f"jpeg q{spec['q']}"
    return {"tiff_lzw": "lzw", "tiff_adobe_deflate": "deflate", "group4": "ccitt-g4"}[c]


def save_tiff(images, path, **params):
    """A multi-page TIFF, reproducibly. libtiff skips alignment bytes (before an IFD, between
    tag data) without writing them; Pillow's multi-page writer hands libtiff a growing memory
    buffer, so those holes get whatever the heap held. Each page is therefore encoded to a
    real file (libtiff then writes through the descriptor and holes read back as zeros) and
    the finished pages are joined with Pillow's AppendingTiffWriter, which fixes the offsets."""
    with tempfile.TemporaryDirectory() as tmp, open(path, "w+b") as fh:
        with TiffImagePlugin.AppendingTiffWriter(fh) as joined:
            for i, im in enumerate(images):
                page = os.path.join(tmp, f"{i}.tif")
                im.save(page, "TIFF", **params)
                with open(page, "rb") as one:
                    joined.write(one.read())
                joined.newFrame()


def save(images, spec, path):
    dpi = (spec["dpi"], spec["dpi"])
    fmt = spec["fmt"]
    if fmt == "JPEG":
        images[0].save(path, "JPEG", quality=spec["q"], dpi=dpi, optimize=True)
    elif fmt == "PNG":
        images[0].save(path, "PNG", dpi=dpi, optimize=True)
    elif fmt == "TIFF":
        extra = {"quality": spec["q"]} if spec["compression"] == "jpeg" else {}
        save_tiff(images, path, compression=spec["compression"], dpi=dpi, **extra)
    elif fmt == "PDF":
        images[0].save(path, "PDF", save_all=True, append_images=images[1:],
                       resolution=float(spec["dpi"]), quality=spec["q"],
                       title=spec["name"], creationDate=PDF_DATE, modDate=PDF_DATE)


def generate(out):
    os.makedirs(out, exist_ok=True)
    old = os.path.join(out, "manifest.json")
    stale = set()
    if os.path.exists(old):
        with open(old, encoding="utf-8") as fh:
            for e in json.load(fh).get("files", []):
                stale.update((e["file"], e["ground_truth"]))
    # every paper is generated once, from its own seed, so a paper scanned twice reads the same
    texts = {}
    for key, (_, make) in PAPERS.items():
        texts[key] = make(Fake(random.Random(file_seed("paper:" + key))))
    entries = []
    for spec in FILES:
        rng = random.Random(file_seed(spec["name"]))
        ts = Typesetter(spec["size"], spec["dpi"], *spec["font"])
        images, gt_pages, details = [], [], []
        for (key, idx), (rot, skew) in zip(spec["pages"], spec["deg"], strict=True):
            page, lines = ts.render(texts[key][idx])
            if not 8 <= len(lines) <= 20:
                raise SystemExit(f"{spec['name']}: {key} page {idx + 1} has {len(lines)} lines")
            img = degrade(page, spec, rot, skew, rng)
            images.append(img)
            gt_pages.append("\n".join(lines) + "\n")
            kind, amount = spec["noise"]
            details.append(dict(
                source=key, source_page=idx + 1, rotation=rot, skew=skew,
                width=img.width, height=img.height, mode=img.mode, lines=len(lines),
                blur_px=round(spec["blur"] * spec["dpi"] / 300, 3),
                noise=(f"gaussian sigma {amount}" if kind == "gauss" and spec.get("compression") != "group4"
                       else f"salt-and-pepper {amount} per mille")))
        fname = spec["name"] + EXT[spec["fmt"]]
        gname = spec["name"] + ".gt.txt"
        save(images, spec, os.path.join(out, fname))
        with open(os.path.join(out, gname), "w", encoding="utf-8", newline="\n") as fh:
            fh.write("\f".join(gt_pages))
        stale.discard(fname)
        stale.discard(gname)
        family, pt = spec["font"]
        entries.append(dict(
            file=fname, ground_truth=gname,
            documents=sorted({PAPERS[k][0] for k, _ in spec["pages"]}),
            format=spec["fmt"], compression=compression_of(spec), pages=len(images),
            dpi=spec["dpi"], paper=spec["size"],
            paper_type=(spec["tint"] + (" (colour scan)" if images[0].mode == "RGB" else
                                        " (bilevel scan)" if images[0].mode == "1" else
                                        " (grayscale scan)")),
            font=f"DejaVu {family.capitalize()} {pt} pt", seed=file_seed(spec["name"]),
            bytes=os.path.getsize(os.path.join(out, fname)), page_details=details))
    for name in sorted(stale):
        p = os.path.join(out, name)
        if os.path.isfile(p):
            os.remove(p)
    manifest = dict(
        generator="scripts/gen-samples.py", seed=SEED,
        conventions=dict(
            rotation="clockwise degrees applied to the upright page (0, 90, 180, 270); "
                     "turn the scan counter-clockwise by this much to read it",
            skew="degrees, counter-clockwise positive, applied to the upright page before "
                 "the rotation",
            ground_truth="UTF-8 NFC, one line per rendered line in upright reading order, "
                         "pages separated by a form feed (U+000C)"),
        files=entries)
    with open(old, "w", encoding="utf-8", newline="\n") as fh:
        json.dump(manifest, fh, ensure_ascii=False, indent=1)
        fh.write("\n")
    return manifest


# ---------------------------------------------------------------- checking

def pdf_pages(path):
    """The page images of an image-only PDF (one DCTDecode XObject per page) and /MediaBox."""
    pdf = PdfParser.PdfParser(path)
    out = []
    try:
        for ref in pdf.pages:
            page = pdf.read_indirect(ref)
            xobjects = page[b"Resources"][b"XObject"]
            for _, xref in xobjects.items():
                stream = pdf.read_indirect(xref)
                assert stream.dictionary[b"Filter"] == PdfParser.PdfName(b"DCTDecode")
                im = Image.open(io.BytesIO(bytes(stream.buf)))
                im.load()
                out.append((im, [float(v) for v in page[b"MediaBox"]]))
    finally:
        pdf.close()
    return out


def open_pages(path, fmt):
    """[(image, dpi)] for every page."""
    if fmt == "PDF":
        pages = []
        for im, box in pdf_pages(path):
            pages.append((im, round(im.width * 72 / (box[2] - box[0]))))
        return pages
    with Image.open(path) as im:
        if im.format != fmt:
            raise ValueError(f"opened as {im.format}")
        pages = []
        for frame in ImageSequence.Iterator(im):
            dpi = frame.info.get("dpi", (0, 0))[0]
            pages.append((frame.copy(), round(float(dpi))))
        return pages


def levenshtein(a, b):
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def norm(s):
    return " ".join(nfc(s).split())


def ocr_cer(img, rot, skew, truth):
    if rot:
        img = img.transpose({90: Image.Transpose.ROTATE_90, 180: Image.Transpose.ROTATE_180,
                             270: Image.Transpose.ROTATE_270}[rot])
    img = img.convert("L")
    if skew:
        img = img.rotate(-skew, resample=Image.BICUBIC, fillcolor=255)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    res = subprocess.run(["tesseract", "-", "-", "-l", "vie", "--psm", "3"], input=buf.getvalue(),
                         capture_output=True, env=env, check=True)
    hyp, ref = norm(res.stdout.decode("utf-8")), norm(truth)
    return levenshtein(ref, hyp) / max(1, len(ref))


def check(out, ocr):
    with open(os.path.join(out, "manifest.json"), encoding="utf-8") as fh:
        manifest = json.load(fh)
    if ocr and not shutil.which("tesseract"):
        raise SystemExit("tesseract not found")
    head = f"{'file':28} {'format':6} {'compression':14} {'pg':>2} {'dpi':>4} {'rotation':12} " \
           f"{'skew':18} {'KiB':>6}  status" + ("  CER per page" if ocr else "")
    print(head)
    print("-" * len(head))
    bad = 0
    total = 0
    for e in manifest["files"]:
        path = os.path.join(out, e["file"])
        problems, cers = [], []
        try:
            pages = open_pages(path, e["format"])
            with open(os.path.join(out, e["ground_truth"]), encoding="utf-8") as fh:
                truth = fh.read()
            gt_pages = truth.split("\f")
            if truth != nfc(truth):
                problems.append("ground truth not NFC")
            if len(pages) != e["pages"]:
                problems.append(f"{len(pages)} pages")
            if len(gt_pages) != e["pages"]:
                problems.append(f"{len(gt_pages)} truth pages")
            for i, ((im, dpi), d) in enumerate(zip(pages, e["page_details"])):
                if (im.width, im.height) != (d["width"], d["height"]):
                    problems.append(f"p{i + 1} size {im.size}")
                if im.mode != d["mode"]:
                    problems.append(f"p{i + 1} mode {im.mode}")
                if dpi != e["dpi"]:
                    problems.append(f"p{i + 1} dpi {dpi}")
                if len(gt_pages[i].splitlines()) != d["lines"]:
                    problems.append(f"p{i + 1} truth lines")
                if ocr:
                    cers.append(ocr_cer(im, d["rotation"], d["skew"], gt_pages[i]))
            size = os.path.getsize(path)
            if size != e["bytes"]:
                problems.append("size differs from manifest")
        except Exception as exc:  # report and go on
            problems.append(f"{type(exc).__name__}: {exc}")
            size = os.path.getsize(path) if os.path.exists(path) else 0
        total += size
        bad += bool(problems)
        rots = ",".join(str(d["rotation"]) for d in e["page_details"])
        skews = ",".join(f"{d['skew']:+.1f}" for d in e["page_details"])
        line = (f"{e['file']:28} {e['format']:6} {e['compression']:14} {e['pages']:>2} {e['dpi']:>4} "
                f"{rots:12} {skews:18} {size / 1024:6.0f}  {'ok' if not problems else '; '.join(problems)}")
        if ocr:
            line += "  " + " ".join(f"{c:.3f}" for c in cers)
        print(line, flush=True)
    print(f"{len(manifest['files'])} files, {total / 1048576:.2f} MiB, {bad} with problems")
    return bad == 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT, help="output directory (default samples/scans)")
    ap.add_argument("--check", action="store_true",
                    help="verify the files against manifest.json instead of generating them")
    ap.add_argument("--variant", choices=sorted(VARIANTS),
                    help="a differently generated set (seed, fonts, margins, leading)")
    ap.add_argument("--ocr", action="store_true",
                    help="with --check: run tesseract on each de-rotated, deskewed page")
    args = ap.parse_args()
    if args.variant:
        global SEED, FONT_DIR, FONTS, MARGINS_MM, LEADING
        v = VARIANTS[args.variant]
        SEED, FONT_DIR, FONTS = v["seed"], v["font_dir"], v["fonts"]
        MARGINS_MM, LEADING = v["margins"], v["leading"]
    if args.check:
        sys.exit(0 if check(args.out, args.ocr) else 1)
    started = time.monotonic()
    manifest = generate(args.out)
    n = sum(e["pages"] for e in manifest["files"])
    size = sum(e["bytes"] for e in manifest["files"])
    print(f"wrote {len(manifest['files'])} scans ({n} pages, {size / 1048576:.2f} MiB) to "
          f"{os.path.relpath(args.out)} in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
