#!/usr/bin/env python3
"""Generates labelled scanned dossier BATCHES (samples/dossiers/) and plain-text training papers
(samples/train/) for the classification stage.

    .venv/bin/python scripts/gen_dossiers.py                 # writes samples/dossiers + samples/train
    .venv/bin/python scripts/gen_dossiers.py --check         # reopens every batch, checks the labels
    .venv/bin/python scripts/gen_dossiers.py --out DIR [--train-out DIR2]

Needs Pillow and segno (pure-Python QR codes; scripts/setup.sh installs both into .venv). The
papers, fonts, degradation and writers are those of scripts/gen-samples.py, imported with
importlib (its own outputs in samples/scans are not touched); this script adds the paper types it
lacks (permit, contract, the receipt cover sheet with its QR code, "other" papers, a second
decision, an old identity card, a building-permit application).

What it writes
  samples/dossiers/batch-NN.{tif,pdf,jpg,png}  one scan batch each, as an operator would drop it
      in the watched folder: one or more dossiers (hồ sơ), each opening with its receipt cover
      sheet ("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", dossier code as text and as a QR code),
      then its papers; one batch has no cover sheet; two are single pages. Multi-page TIFF (CCITT
      G4, JPEG, Deflate), image-only PDF of JPEG pages, JPEG, PNG; 200 or 300 dpi; skew up to
      ±3°, some pages turned 90/180/270°, blur, noise, JPEG artefacts.
  samples/dossiers/batch-NN.gt.txt  the exact text drawn (NFC, one line per rendered line,
      upright reading order, pages separated by a form feed), as gen-samples.py writes it.
  samples/dossiers/labels.json  per file: every page (dossier, cover sheet or not, QR state,
      component, type, rotation, skew, note) and every component (paper) with its page range
      and the field values printed on it; see "conventions" inside.
  samples/train/<type>/<n>.txt  plain text of 12 papers per document type (the 12 type codes,
      receipts included), from seeds, people (other name pool) and places different from the
      batches; about a third with simulated OCR noise (tone marks dropped or swapped, rn/m, l/I,
      O/0 confusions, broken and joined lines).
  samples/train/manifest.json  variant, seed and noise flag of every training text.

Deterministic: every random choice comes from random.Random seeded with SEED and a name, the QR
code from segno, the PDF dates are fixed; a rerun gives byte-identical files with the same
Pillow/libjpeg/zlib builds. Files a previous labels.json or train manifest listed and that are
no longer made are removed.

Special cases (all listed in labels.json): a cover sheet whose QR code is scribbled over (about
40% of its modules inked, the three finder patterns untouched, the printed "Mã hồ sơ" readable):
labels "qr": "damaged"; a land-use certificate printed without any diacritics and an application
whose title has wrong tone marks: "note" on their pages; a batch without cover sheet (dossier
null); two identity cards of a husband and wife in a row.
"""
import argparse
import datetime
import importlib.util
import json
import os
import random
import re
import sys
import time
import unicodedata
import zlib

from PIL import Image, ImageChops, ImageDraw

import segno

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
_spec = importlib.util.spec_from_file_location("gen_samples", os.path.join(HERE, "gen-samples.py"))
gs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gs)

SEED = 20240611
TRAIN_SEED = 77031
DEFAULT_OUT = os.path.join(ROOT, "samples", "dossiers")
DEFAULT_TRAIN = os.path.join(ROOT, "samples", "train")
TYPES = ["application", "citizen_id", "birth_certificate", "residence", "business_registration",
         "land_use_certificate", "decision", "permit", "power_of_attorney", "contract", "receipt",
         "other"]
FIELDS = ["person_id", "legacy_id", "full_name", "birth_date", "tax_code", "doc_number",
          "issue_date", "expiry_date", "parcel_number", "map_sheet"]

nfc = gs.nfc
MOTTO = gs.MOTTO
vn_date, dmy, short_place, signature = gs.vn_date, gs.dmy, gs.short_place, gs.signature


def file_seed(name, base=None):
    base = SEED if base is None else base
    return base * 1000003 + zlib.crc32(name.encode())


# ---------------------------------------------------------------- people

class CastFake(gs.Fake):
    """A Fake whose first person() calls return the given cast (the dossier's people), so the
    applicant's name, birth date and identity number agree across the papers of a dossier."""

    def __init__(self, rng, cast=(), avoid=(), limit=None):
        super().__init__(rng)
        self.cast = list(cast)
        self.used.update(p["name"] for p in self.cast)
        self.used.update(avoid)  # names of other people of the dossier
        self.limit = limit  # datetime.date: papers of a dossier predate its receipt

    def date(self, y0=2019, y1=2024):
        d, m, y = super().date(y0, y1)
        if self.limit and datetime.date(y, m, d) > self.limit:
            t = self.limit - datetime.timedelta(days=self.rng.randint(25, 400))
            d, m, y = t.day, t.month, t.year
        return d, m, y

    def person(self, sex=None, born=None, place=None):
        if self.cast and (sex is None or self.cast[0]["sex"] == sex):
            return self.cast.pop(0)
        return super().person(sex, born, place)

    def legacy_id(self):
        return "0" + f"{self.rng.randint(10000000, 99999999)}"


# Training papers draw from other names and other provinces, so no training text repeats a
# person or place of the evaluation batches.
TRAIN_MALE = ["Lương Văn Khánh", "Nông Đức Thịnh", "Cao Minh Quân", "Tạ Văn Lực", "Phan Văn Tài",
              "Dương Quốc Khánh", "Chu Văn Bình", "Mai Xuân Phúc", "Kiều Đình Nam", "Lưu Hữu Phước"]
TRAIN_FEMALE = ["Lương Thị Mai", "Nông Thị Hoa", "Cao Thị Bích Ngọc", "Tạ Thu Hiền",
                "Phan Thị Diệu Linh", "Dương Thị Thanh Tâm", "Chu Thị Thủy", "Mai Phương Thảo",
                "Kiều Thị Oanh", "Lưu Thị Kim Dung"]
TRAIN_CHILD = {"Nam": ["Trung Kiên", "Hải Đăng", "Minh Trí", "Tuấn Kiệt", "Phúc An"],
               "Nữ": ["An Nhiên", "Diệp Chi", "Tú Anh", "Ngọc Hân", "Quỳnh Như"]}
TRAIN_PLACES = [
    dict(code="025", tax="26", prov="tỉnh Phú Thọ", city="Việt Trì", dist="thành phố Việt Trì",
         comm="phường Gia Cẩm", streets=["số 12 đường Hùng Vương, tổ 3", "tổ 9"],
         police="Công an phường Gia Cẩm"),
    dict(code="027", tax="23", prov="tỉnh Bắc Ninh", city="Bắc Ninh", dist="huyện Tiên Du",
         comm="xã Phật Tích", streets=["thôn Ngang Nội", "thôn Phật Tích"],
         police="Công an xã Phật Tích"),
    dict(code="040", tax="29", prov="tỉnh Nghệ An", city="Vinh", dist="huyện Nghi Lộc",
         comm="xã Nghi Phong", streets=["xóm 4", "xóm Đông Lộc"], police="Công an xã Nghi Phong"),
    dict(code="002", tax="51", prov="tỉnh Hà Giang", city="Hà Giang", dist="huyện Vị Xuyên",
         comm="thị trấn Vị Xuyên", streets=["tổ 2", "tổ 11"], police="Công an thị trấn Vị Xuyên"),
    dict(code="038", tax="28", prov="tỉnh Thanh Hóa", city="Thanh Hóa", dist="huyện Hoằng Hóa",
         comm="xã Hoằng Đạo", streets=["thôn Phượng Áng", "thôn 5"], police="Công an xã Hoằng Đạo"),
]
TRAIN_COMPANIES = [
    ("CÔNG TY TNHH VẬN TẢI VÀ THƯƠNG MẠI PHÚ AN", "PHU AN TRANSPORT AND TRADING COMPANY LIMITED",
     "PHU AN CO., LTD", "CÔNG TY TRÁCH NHIỆM HỮU HẠN HAI THÀNH VIÊN TRỞ LÊN"),
    ("CÔNG TY CỔ PHẦN NÔNG SẢN HỒNG LĨNH", "HONG LINH AGRICULTURAL PRODUCTS JOINT STOCK COMPANY",
     "HONG LINH AGRI JSC", "CÔNG TY CỔ PHẦN"),
    ("CÔNG TY TNHH CƠ KHÍ ĐÔNG SƠN", "DONG SON MECHANICAL COMPANY LIMITED", "DONG SON MECH CO., LTD",
     "CÔNG TY TRÁCH NHIỆM HỮU HẠN MỘT THÀNH VIÊN"),
]


class pools:
    """Swaps gen-samples' name and place pools (module globals its papers read) for a while."""

    def __init__(self, train):
        self.train = train

    def __enter__(self):
        self.saved = gs.MALE, gs.FEMALE, gs.PLACES, gs.CHILD_GIVEN, gs.COMPANIES
        if self.train:
            gs.MALE, gs.FEMALE, gs.PLACES, gs.CHILD_GIVEN, gs.COMPANIES = (
                TRAIN_MALE, TRAIN_FEMALE, TRAIN_PLACES, TRAIN_CHILD, TRAIN_COMPANIES)

    def __exit__(self, *exc):
        gs.MALE, gs.FEMALE, gs.PLACES, gs.CHILD_GIVEN, gs.COMPANIES = self.saved


def add_days(d, m, y, days):
    t = datetime.date(y, m, d)
    while days:
        t += datetime.timedelta(days=1)
        if t.weekday() < 5:  # working days
            days -= 1
    return t.day, t.month, t.year


# ---------------------------------------------------------------- new papers
# Same block format as gen-samples.py. Each maker takes (f, ctx): ctx may carry the dossier's
# parcel so the papers of one dossier name the same plot of land.

def parcel_of(f, ctx):
    if ctx.get("parcel"):
        return ctx["parcel"]
    return f.rng.randint(15, 520), f.rng.randint(1, 45)


def paper_don_gpxd(f, ctx):
    p = f.pick(gs.PLACES)
    me = f.person(place=p)
    parcel, sheet = parcel_of(f, ctx)
    d, m, y = f.date(2021, 2024)
    floors = f.pick([2, 3, 4])
    area = f.pick([72, 85, 96, 110, 126])
    return [MOTTO + [("gap", ""), ("title", "ĐƠN ĐỀ NGHỊ CẤP GIẤY PHÉP XÂY DỰNG"),
                     ("ci", "(Sử dụng cho nhà ở riêng lẻ)"), ("gap", ""),
                     ("l", f"Kính gửi: Ủy ban nhân dân {p['dist']}"),
                     ("l", f"1. Họ và tên chủ đầu tư: {me['name']}"),
                     ("l", f"- Số định danh cá nhân: {me['id']}"),
                     ("l", f"- Địa chỉ liên hệ: {me['addr']}"),
                     ("l", f"- Số điện thoại: {me['phone']}"),
                     ("l", "2. Địa điểm xây dựng:"),
                     ("l", f"- Thửa đất số: {parcel}; tờ bản đồ số: {sheet:02d}"),
                     ("l", f"- Địa chỉ: {f.pick(p['streets'])}, {p['comm']}, {p['dist']}, {p['prov']}"),
                     ("l", "3. Nội dung đề nghị cấp phép: Nhà ở riêng lẻ"),
                     ("l", f"- Diện tích xây dựng tầng 1: {area} m²; số tầng: {floors}"),
                     ("l", f"4. Dự kiến thời gian hoàn thành công trình: {f.pick([9, 12, 18])} tháng"),
                     ("p", "Tôi xin cam kết làm theo đúng giấy phép được cấp, nếu sai tôi xin "
                           "hoàn toàn chịu trách nhiệm và bị xử lý theo quy định của pháp luật."),
                     ("date", f"{short_place(p['comm'])}, {vn_date(d, m, y)}")]
            + signature("NGƯỜI LÀM ĐƠN", me["name"])]


def paper_cmnd(f, ctx):
    """The front of an old identity card (chứng minh nhân dân, 9 digits)."""
    me = f.person(born=f.rng.randint(1958, 1985))
    return [[("card", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"), ("card", "Độc lập - Tự do - Hạnh phúc"),
             ("cardtitle", "GIẤY CHỨNG MINH NHÂN DÂN"),
             ("cardl", f"Số: {f.legacy_id()}"),
             ("cardl", "Họ tên:"), ("cardb", me["name"].upper()),
             ("cardl", f"Sinh ngày: {me['birth']}"),
             ("cardl", "Nguyên quán:"), ("cardl", me["home"]),
             ("cardl", "Nơi ĐKHK thường trú:"), ("cardl", me["addr"])]]


def paper_gpxd(f, ctx):
    p = f.pick(gs.PLACES)
    owner = f.person(place=p)
    parcel, sheet = parcel_of(f, ctx)
    n = f.rng.randint(12, 180)
    d, m, y = f.date(2019, 2024)
    floors = f.pick([2, 3, 4])
    area = f.pick([72, 85, 96, 110, 126])
    if f.rng.random() < 0.5:
        validity = ("p", "3. Giấy phép này có hiệu lực khởi công xây dựng trong thời hạn 12 tháng "
                         "kể từ ngày cấp; quá thời hạn trên thì phải đề nghị gia hạn giấy phép "
                         "xây dựng.")
    else:
        validity = ("p", f"3. Giấy phép có giá trị đến ngày {dmy(d, m, y + 1)}; quá thời hạn "
                         "trên mà chưa khởi công thì phải đề nghị gia hạn.")
    return [[("cb", "ỦY BAN NHÂN DÂN"), ("cb", p["dist"].upper()), ("c", f"Số: {n}/GPXD-UBND"),
             ("gap", "")] + MOTTO + [
             ("ci", f"{short_place(p['dist'])}, {vn_date(d, m, y)}"), ("gap", ""),
             ("title", "GIẤY PHÉP XÂY DỰNG"), ("ci", "(Sử dụng cho nhà ở riêng lẻ)"), ("gap", ""),
             ("l", f"1. Cấp cho Ông/Bà: {owner['name']}"),
             ("l", f"Số định danh cá nhân: {owner['id']}"),
             ("l", f"Địa chỉ: {owner['addr']}"),
             ("l", "2. Được phép xây dựng công trình: Nhà ở riêng lẻ"),
             ("l", f"- Vị trí xây dựng: thửa đất số {parcel}, tờ bản đồ số {sheet:02d}, "
                   f"{p['comm']}, {p['dist']}"),
             ("l", f"- Diện tích xây dựng tầng 1: {area} m²; tổng diện tích sàn: {area * floors} m²"),
             ("l", f"- Chiều cao công trình: {floors * 3.6 + 1.2:.1f} m; số tầng: {floors}".replace(".", ",")),
             ("l", "- Chỉ giới xây dựng: cách chỉ giới đường đỏ 2,0 m"),
             validity,
             ("sigb", "KT. CHỦ TỊCH"), ("sigb", "PHÓ CHỦ TỊCH"), ("gap", ""),
             ("sig", f.person(sex="Nam")["name"])]]


def paper_gpkd_ruou(f, ctx):
    p = f.pick(gs.PLACES)
    boss = f.person(place=p)
    vi = f.pick(gs.COMPANIES)[0]
    code = gs.with_check_digit(p["tax"] + f"{f.rng.randint(0, 99999999):08d}")
    branch = f.rng.random() < 0.5
    n = f.rng.randint(3, 90)
    d, m, y = f.date(2020, 2024)
    who = ([("l", f"Cho phép: CHI NHÁNH {vi}"), ("l", f"Mã số chi nhánh: {code}-00{f.rng.randint(1, 9)}")]
           if branch else [("l", f"Cho phép: {vi}"), ("l", f"Mã số doanh nghiệp: {code}")])
    return [[("cb", "ỦY BAN NHÂN DÂN"), ("cb", p["dist"].upper()), ("c", f"Số: {n}/GP-UBND"),
             ("gap", "")] + MOTTO + [
             ("ci", f"{short_place(p['dist'])}, {vn_date(d, m, y)}"), ("gap", ""),
             ("title", "GIẤY PHÉP KINH DOANH"), ("cb", "BÁN LẺ SẢN PHẨM RƯỢU"), ("gap", ""),
             ("p", "Căn cứ Nghị định số 105/2017/NĐ-CP ngày 14 tháng 9 năm 2017 của Chính phủ "
                   "về kinh doanh rượu;"),
             ("p", "Xét đề nghị của Trưởng phòng Kinh tế và Hạ tầng,")] + who + [
             ("l", f"Người đại diện theo pháp luật - Họ và tên: {boss['name']}"),
             ("l", f"Số định danh cá nhân: {boss['id']}"),
             ("l", f"Địa điểm kinh doanh: {f.address(p)}"),
             ("p", "Được phép bán lẻ sản phẩm rượu có độ cồn từ 5,5 độ trở lên tại địa điểm "
                   "nêu trên."),
             ("p", f"Giấy phép này có giá trị đến ngày {dmy(d, m, y + 5)}."),
             ("sigb", "KT. CHỦ TỊCH"), ("sigb", "PHÓ CHỦ TỊCH"), ("gap", ""),
             ("sig", f.person(sex="Nam")["name"])]]


PRICES = [("3.500.000", "Ba triệu năm trăm nghìn đồng"), ("4.200.000", "Bốn triệu hai trăm nghìn đồng"),
          ("6.000.000", "Sáu triệu đồng"), ("2.800.000", "Hai triệu tám trăm nghìn đồng")]


def party(label, who, legacy=None, with_label="Họ và tên"):
    out = [("b", label), ("l", f"{with_label}: {who['name']}"),
           ("l", f"Sinh ngày: {who['birth']}"),
           ("l", f"Số định danh cá nhân: {who['id']}" + (f" (CMND cũ số: {legacy})" if legacy else "")),
           ("l", f"Nơi thường trú: {who['addr']}")]
    return out


def paper_thue_nha(f, ctx):
    p = f.pick(gs.PLACES)
    a = f.person(place=p)
    b = f.person(place=p)
    d, m, y = f.date(2021, 2024)
    n = f.rng.randint(3, 60)
    months = f.pick([6, 12, 24])
    ed, em, ey = add_days(d, m, y, 0)
    ey, em = ey + (em - 1 + months) // 12, (em - 1 + months) % 12 + 1
    price = f.pick(PRICES)
    house = f.address(p)
    label = f.pick(["Ông/Bà", "Họ và tên"])
    page1 = MOTTO + [("gap", ""), ("title", "HỢP ĐỒNG THUÊ NHÀ Ở"), ("c", f"Số: {n}/{y}/HĐ-TN"),
                     ("gap", ""),
                     ("p", "Căn cứ Bộ luật Dân sự năm 2015; Căn cứ Luật Nhà ở năm 2014;"),
                     ("p", f"Hôm nay, {vn_date(d, m, y)}, tại {house}, chúng tôi gồm:")]
    page1 += party("BÊN CHO THUÊ (Bên A):", a, with_label=label)
    page1 += party("BÊN THUÊ (Bên B):", b, with_label=label)
    page1 += [("p", "Hai bên thỏa thuận ký kết hợp đồng thuê nhà ở với các điều khoản sau:")]
    page2 = [("b", "Điều 1. Nhà ở cho thuê"),
             ("p", f"Bên A cho Bên B thuê nhà ở tại {house}, diện tích sử dụng "
                   f"{f.pick([45, 60, 72, 90])} m², để ở."),
             ("b", "Điều 2. Giá thuê và phương thức thanh toán"),
             ("p", f"Giá thuê: {price[0]} đồng/tháng (bằng chữ: {price[1]}), thanh toán bằng "
                   "tiền mặt vào ngày 05 hằng tháng."),
             ("b", "Điều 3. Thời hạn thuê"),
             ("p", f"Thời hạn thuê {months} tháng, từ ngày {dmy(d, m, y)} đến hết ngày "
                   f"{dmy(min(d, 28), em, ey)}."),
             ("b", "Điều 4. Cam kết của các bên"),
             ("p", "Hai bên cam kết thực hiện đúng các điều khoản đã thỏa thuận; hợp đồng được "
                   "lập thành 02 bản, mỗi bên giữ 01 bản có giá trị như nhau."),
             ("gap", "")] + signature("BÊN CHO THUÊ", a["name"]) + [("gap", "")] + (
            signature("BÊN THUÊ", b["name"]))
    return [page1, page2]


def paper_chuyen_nhuong(f, ctx):
    p = f.pick(gs.PLACES[:2] if len(gs.PLACES) > 2 else gs.PLACES)
    a = f.person(sex="Nam", place=p)
    a2 = f.person(sex="Nữ", place=p, born=a["y"] + f.rng.randint(0, 6))
    b = f.person(place=p, born=f.rng.randint(1960, 1978))
    parcel, sheet = parcel_of(f, ctx)
    d, m, y = f.date(2021, 2024)
    n = f.rng.randint(10, 900)
    price = f.pick([("850.000.000", "Tám trăm năm mươi triệu đồng"),
                    ("1.200.000.000", "Một tỷ hai trăm triệu đồng"),
                    ("640.000.000", "Sáu trăm bốn mươi triệu đồng")])
    page1 = MOTTO + [("gap", ""), ("title", "HỢP ĐỒNG CHUYỂN NHƯỢNG QUYỀN SỬ DỤNG ĐẤT"),
                     ("c", f"Số: {n}/{y}/HĐCN"), ("gap", ""),
                     ("p", f"Hôm nay, {vn_date(d, m, y)}, tại Văn phòng công chứng "
                           f"{p['city']}, chúng tôi gồm:")]
    page1 += party("BÊN CHUYỂN NHƯỢNG (Bên A):", a)[:4] + [
        ("l", f"Bà: {a2['name']} (vợ)     Sinh ngày: {a2['birth']}"),
        ("l", f"Số định danh cá nhân: {a2['id']}"),
        ("l", f"Cùng thường trú tại: {a['addr']}")]
    page1 += party("BÊN NHẬN CHUYỂN NHƯỢNG (Bên B):", b, legacy=f.legacy_id())
    page2 = [("b", "Điều 1. Quyền sử dụng đất chuyển nhượng"),
             ("p", f"Quyền sử dụng đất tại thửa đất số {parcel}, tờ bản đồ số {sheet:02d}, "
                   f"địa chỉ {f.pick(p['streets'])}, {p['comm']}, {p['dist']}, {p['prov']}; "
                   f"mục đích sử dụng: đất ở tại nông thôn; thời hạn sử dụng: lâu dài."),
             ("b", "Điều 2. Giá chuyển nhượng và phương thức thanh toán"),
             ("p", f"Giá chuyển nhượng: {price[0]} đồng (bằng chữ: {price[1]}), Bên B thanh "
                   "toán cho Bên A một lần bằng chuyển khoản."),
             ("b", "Điều 3. Đăng ký quyền sử dụng đất"),
             ("p", "Bên B có trách nhiệm đăng ký biến động tại cơ quan có thẩm quyền; thuế, phí "
                   "và lệ phí do Bên B chịu."),
             ("gap", "")] + signature("BÊN CHUYỂN NHƯỢNG", f"{a['name']}, {a2['name']}", note=None) + [
             ("gap", "")] + signature("BÊN NHẬN CHUYỂN NHƯỢNG", b["name"], note=None)
    return [page1, page2]


def paper_qd_chuyen_muc_dich(f, ctx):
    p = f.pick(gs.PLACES)
    me = f.person(place=p)
    parcel, sheet = parcel_of(f, ctx)
    n = f.rng.randint(100, 3500)
    d, m, y = f.date(2019, 2024)
    area = f.pick([80, 100, 120, 150])
    page1 = [("cb", "ỦY BAN NHÂN DÂN"), ("cb", p["dist"].upper()), ("c", f"Số: {n}/QĐ-UBND"),
             ("gap", "")] + MOTTO + [
             ("ci", f"{short_place(p['dist'])}, {vn_date(d, m, y)}"), ("gap", ""),
             ("title", "QUYẾT ĐỊNH"), ("cb", "Về việc cho phép chuyển mục đích sử dụng đất"),
             ("gap", ""), ("cb", f"ỦY BAN NHÂN DÂN {p['dist'].upper()}"),
             ("p", "Căn cứ Luật Đất đai ngày 29 tháng 11 năm 2013;"),
             ("p", f"Xét đề nghị của Trưởng phòng Tài nguyên và Môi trường tại Tờ trình số "
                   f"{f.rng.randint(10, 300)}/TTr-TNMT."),
             ("cb", "QUYẾT ĐỊNH:"),
             ("l", f"Điều 1. Cho phép hộ gia đình Ông/Bà: {me['name']}"),
             ("l", f"Số định danh cá nhân: {me['id']}"),
             ("l", f"Địa chỉ thường trú: {me['addr']}"),
             ("p", f"được chuyển mục đích sử dụng {area} m² đất trồng cây lâu năm sang đất ở tại "
                   f"nông thôn, thuộc thửa đất số {parcel}, tờ bản đồ số {sheet:02d}, {p['comm']}.")]
    page2 = [("p", "Điều 2. Hộ gia đình có trách nhiệm nộp tiền sử dụng đất và lệ phí trước bạ "
                   "theo quy định; sử dụng đất đúng mục đích."),
             ("p", "Điều 3. Quyết định này có hiệu lực kể từ ngày ký. Chánh Văn phòng Hội đồng "
                   "nhân dân và Ủy ban nhân dân, Trưởng phòng Tài nguyên và Môi trường, Chi cục "
                   f"trưởng Chi cục Thuế khu vực, Chủ tịch Ủy ban nhân dân {p['comm']} và hộ gia "
                   "đình có tên tại Điều 1 chịu trách nhiệm thi hành Quyết định này./."),
             ("gap", ""),
             ("b", "Nơi nhận:"), ("l", "- Như Điều 3;"), ("l", "- Lưu: VT, TNMT."),
             ("sigb", "TM. ỦY BAN NHÂN DÂN"), ("sigb", "CHỦ TỊCH"), ("gap", ""),
             ("sig", f.person(sex="Nam")["name"])]
    return [page1, page2]


BANK = ["NGÂN HÀNG TMCP SÔNG LÔ", "NGÂN HÀNG TMCP ĐÔNG BẮC Á"]  # fictional banks
DESCS = ["Chuyển tiền lương tháng", "Rút tiền mặt tại ATM", "Thanh toán tiền điện",
         "Nhận chuyển khoản", "Phí quản lý tài khoản", "Thanh toán học phí"]


def money(v):
    return f"{v:,}".replace(",", ".")


def paper_sao_ke(f, ctx):
    p = f.pick(gs.PLACES)
    me = f.person(place=p)
    d, m, y = f.date(2022, 2024)
    bal = f.rng.randint(2, 90) * 1000000 + f.rng.randint(0, 999) * 1000
    lines = []
    for k in range(6):
        amount = f.rng.randint(1, 60) * 100000
        sign = f.pick(["+", "-"])
        bal = bal + amount if sign == "+" else max(0, bal - amount)
        lines.append(("l", f"{dmy(min(28, 1 + k * 4), m, y)}   {f.pick(DESCS)}   "
                           f"{sign}{money(amount)}   {money(bal)}"))
    ed, em, ey = add_days(28, m, y, 3)
    return [[("cb", f.pick(BANK)), ("c", f"Chi nhánh {p['city']}"), ("gap", ""),
             ("title", "SAO KÊ TÀI KHOẢN"),
             ("ci", f"Từ ngày {dmy(1, m, y)} đến ngày {dmy(28, m, y)}"), ("gap", ""),
             ("l", f"Chủ tài khoản: {me['name'].upper()}"),
             ("l", f"Số CCCD: {me['id']}"),
             ("l", f"Số tài khoản: {f.rng.randint(10 ** 12, 10 ** 13 - 1)}     Loại tiền: VND"),
             ("l", f"Địa chỉ: {me['addr']}"),
             ("b", "Ngày giao dịch   Nội dung   Số tiền   Số dư")] + lines + [
             ("b", f"Số dư cuối kỳ: {money(bal)} đồng"),
             ("date", f"{p['city']}, {vn_date(ed, em, ey)}"),
             ("sigb", "GIAO DỊCH VIÊN"), ("gap", ""), ("sig", f.person()["name"])]]


def paper_hoc_ba(f, ctx):
    p = f.pick(gs.PLACES)
    me = f.person(place=p, born=f.rng.randint(2004, 2007))
    y = me["y"] + 17
    school = f.pick(["TRƯỜNG THPT CHUYÊN", "TRƯỜNG THPT SỐ 1", "TRƯỜNG THPT NGUYỄN TRÃI"])
    school = school + (" " + short_place(p["dist"]).upper() if "CHUYÊN" not in school else
                       " " + p["city"].upper())
    marks = lambda: f"{f.rng.randint(55, 98) / 10:.1f}".replace(".", ",")
    d, m = f.rng.randint(20, 28), 5
    return [[("cb", f"SỞ GIÁO DỤC VÀ ĐÀO TẠO {p['prov'].upper()}"), ("cb", school), ("gap", "")]
            + MOTTO + [("gap", ""), ("title", "HỌC BẠ"), ("cb", "TRUNG HỌC PHỔ THÔNG"), ("gap", ""),
                       ("l", f"Họ và tên: {me['name']}     Giới tính: {me['sex']}"),
                       ("l", f"Ngày sinh: {me['birth']}     Dân tộc: Kinh"),
                       ("l", f"Nơi sinh: {p['prov']}"),
                       ("l", f"Chỗ ở hiện tại: {me['addr']}"),
                       ("b", f"Năm học {y - 1}-{y}, lớp 12A{f.rng.randint(1, 9)}"),
                       ("l", f"Toán: {marks()}     Ngữ văn: {marks()}     Tiếng Anh: {marks()}"),
                       ("l", f"Vật lí: {marks()}     Hóa học: {marks()}     Sinh học: {marks()}"),
                       ("l", f"Lịch sử: {marks()}     Địa lí: {marks()}     Tin học: {marks()}"),
                       ("l", f"Điểm trung bình các môn: {marks()}"),
                       ("l", f"Học lực: {f.pick(['Giỏi', 'Khá'])}     Hạnh kiểm: Tốt"),
                       ("l", "Được lên lớp / Hoàn thành chương trình trung học phổ thông"),
                       ("date", f"{short_place(p['dist'])}, {vn_date(d, m, y)}"),
                       ("sigb", "HIỆU TRƯỞNG"), ("gap", ""), ("sig", f.person()["name"])]]


def paper_kham_suc_khoe(f, ctx):
    p = f.pick(gs.PLACES)
    me = f.person(place=p)
    d, m, y = f.date(2022, 2024)
    return [[("cb", f"SỞ Y TẾ {p['prov'].upper()}"),
             ("cb", f"TRUNG TÂM Y TẾ {short_place(p['dist']).upper()}"),
             ("c", f"Số: {f.rng.randint(100, 4000)}/GKSK"), ("gap", ""),
             ("title", "GIẤY KHÁM SỨC KHỎE"), ("gap", ""),
             ("l", f"Họ và tên (chữ in hoa): {me['name'].upper()}"),
             ("l", f"Giới tính: {me['sex']}     Sinh ngày: {me['birth']}"),
             ("l", f"Số CCCD: {me['id']}"),
             ("l", f"Chỗ ở hiện tại: {me['addr']}"),
             ("l", f"Lý do khám sức khỏe: {f.pick(['Đi làm', 'Học tập', 'Bổ sung hồ sơ'])}"),
             ("l", "Tiền sử bệnh của đối tượng khám sức khỏe: Không"),
             ("l", f"Chiều cao: {f.rng.randint(148, 178)} cm     Cân nặng: {f.rng.randint(42, 80)} kg"),
             ("l", f"Mạch: {f.rng.randint(66, 88)} lần/phút     Huyết áp: 1{f.rng.randint(10, 30)}/"
                   f"{f.rng.randint(70, 85)} mmHg"),
             ("l", "Phân loại sức khỏe: Loại I"),
             ("b", "KẾT LUẬN: Đủ sức khỏe để học tập, làm việc."),
             ("date", f"{short_place(p['dist'])}, {vn_date(d, m, y)}"),
             ("sigb", "NGƯỜI KẾT LUẬN"), ("gap", ""), ("sig", f.person()["name"])]]


def paper_receipt(f, ctx):
    """The cover sheet (Mẫu 01 of Circular 01/2018/TT-VPCP, shortened). ctx: code, procedure,
    applicant (a person), papers (list of titles), place; the QR code is drawn at render time."""
    p = ctx["place"]
    me = ctx["applicant"]
    yy, mmdd = ctx["code"].split("-")[1][:2], ctx["code"].split("-")[1][2:]
    y, m, d = 2000 + int(yy), int(mmdd[:2]), int(mmdd[2:])
    days = ctx.get("days", f.pick([3, 5, 10, 15]))
    ad, am, ay = add_days(d, m, y, days)
    counts = {}
    for t in ctx["papers"]:
        counts[t] = counts.get(t, 0) + 1
    listing = [("l", f"- {t}: {n:02d} bản") for t, n in counts.items()]
    header = ([("b", f"ỦY BAN NHÂN DÂN {p['dist'].upper()}"),
               ("b", "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ")] + [("gap", "")] * 5
              if ctx.get("qr_pos") == "top" else
              [("cb", f"ỦY BAN NHÂN DÂN {p['dist'].upper()}"), ("cb", "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ"),
               ("gap", "")])
    blocks = header + MOTTO + [
        ("ci", f"{short_place(p['dist'])}, {vn_date(d, m, y)}"), ("gap", ""),
        ("title", "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"),
        ("cb", f"Mã hồ sơ: {ctx['code']}"), ("gap", ""),
        ("p", f"Bộ phận tiếp nhận và trả kết quả {p['dist']} tiếp nhận hồ sơ của:"),
        ("l", f"Ông/Bà: {me['name']}"),
        ("l", f"Địa chỉ: {me['addr']}"),
        ("l", f"Số điện thoại: {me['phone']}"),
        ("l", f"Nội dung yêu cầu giải quyết: {ctx['procedure']}"),
        ("b", "1. Thành phần hồ sơ nộp gồm:")] + listing + [
        ("l", "2. Số lượng hồ sơ: 01 bộ"),
        ("l", f"3. Thời gian giải quyết hồ sơ theo quy định là: {days:02d} ngày làm việc"),
        ("l", f"4. Thời gian nhận hồ sơ: {f.rng.randint(7, 10):02d} giờ {f.rng.randint(0, 59):02d} "
              f"phút, {vn_date(d, m, y)}"),
        ("l", f"5. Thời gian trả kết quả giải quyết hồ sơ: {f.rng.randint(13, 16):02d} giờ 00 "
              f"phút, {vn_date(ad, am, ay)}"),
        ("l", "6. Vào Sổ theo dõi hồ sơ, Quyển số: 01"),
        ("gap", "")] + signature("NGƯỜI TIẾP NHẬN HỒ SƠ", f.person()["name"], note="(Ký và ghi rõ họ tên)")
    ctx["received"] = f"{y:04d}-{m:02d}-{d:02d}"
    ctx["appointment"] = f"{ay:04d}-{am:02d}-{ad:02d}"
    return [blocks]


# variant: (type, maker(f, ctx) -> pages, paper size, "Trang i/n" footer, title on receipts)
VARIANTS = {
    "don_hon_nhan": ("application", lambda f, c: gs.paper_don(f, "xác nhận tình trạng hôn nhân"),
                     "A4", False, "Đơn đề nghị xác nhận tình trạng hôn nhân"),
    "don_khai_sinh": ("application", lambda f, c: gs.paper_don(f, "cấp bản sao giấy khai sinh"),
                      "A4", False, "Đơn đề nghị cấp bản sao giấy khai sinh"),
    "don_cap_lai_gcn": ("application",
                        lambda f, c: gs.paper_don(f, "cấp lại giấy chứng nhận quyền sử dụng đất"),
                        "A4", False, "Đơn đề nghị cấp lại giấy chứng nhận"),
    "to_khai": ("application", lambda f, c: gs.paper_to_khai(f), "A4", False,
                "Tờ khai thay đổi thông tin cư trú"),
    "don_gpxd": ("application", paper_don_gpxd, "A4", False, "Đơn đề nghị cấp giấy phép xây dựng"),
    "cccd": ("citizen_id", lambda f, c: gs.paper_cccd(f), "A5", False, "Căn cước công dân"),
    "cmnd": ("citizen_id", paper_cmnd, "A5", False, "Giấy chứng minh nhân dân"),
    "khai_sinh": ("birth_certificate", lambda f, c: gs.paper_khai_sinh(f), "A4", False,
                  "Giấy khai sinh"),
    "cu_tru": ("residence", lambda f, c: gs.paper_cu_tru(f), "A4", False,
               "Xác nhận thông tin về cư trú"),
    "dkdn": ("business_registration", lambda f, c: gs.paper_dkdn(f), "A4", False,
             "Giấy chứng nhận đăng ký doanh nghiệp"),
    "gcn": ("land_use_certificate", lambda f, c: gs.paper_gcn_dat(f), "A4", True,
            "Giấy chứng nhận quyền sử dụng đất"),
    "qd_nha_o": ("decision", lambda f, c: gs.paper_quyet_dinh(f), "A4", True,
                 "Quyết định hỗ trợ sửa chữa nhà ở"),
    "qd_chuyen_muc_dich": ("decision", paper_qd_chuyen_muc_dich, "A4", True,
                           "Quyết định cho phép chuyển mục đích sử dụng đất"),
    "gpxd": ("permit", paper_gpxd, "A4", False, "Giấy phép xây dựng"),
    "gpkd_ruou": ("permit", paper_gpkd_ruou, "A4", False, "Giấy phép kinh doanh bán lẻ sản phẩm rượu"),
    "uy_quyen": ("power_of_attorney", lambda f, c: gs.paper_uy_quyen(f), "A4", False, "Giấy ủy quyền"),
    "thue_nha": ("contract", paper_thue_nha, "A4", True, "Hợp đồng thuê nhà ở"),
    "chuyen_nhuong": ("contract", paper_chuyen_nhuong, "A4", True,
                      "Hợp đồng chuyển nhượng quyền sử dụng đất"),
    "sao_ke": ("other", paper_sao_ke, "A4", False, "Sao kê tài khoản ngân hàng"),
    "hoc_ba": ("other", paper_hoc_ba, "A4", False, "Học bạ trung học phổ thông"),
    "kham_suc_khoe": ("other", paper_kham_suc_khoe, "A5", False, "Giấy khám sức khỏe"),
    "tiep_nhan": ("receipt", paper_receipt, "A4", False, "Giấy tiếp nhận hồ sơ"),
}


# ---------------------------------------------------------------- text transforms

def strip_marks(s):
    """As typed without a Vietnamese keyboard: no diacritics at all, đ -> d."""
    s = unicodedata.normalize("NFD", s).replace("đ", "d").replace("Đ", "D")
    s = "".join(c for c in s if not unicodedata.combining(c))
    return nfc(s.replace("đ", "d").replace("Đ", "D"))


def map_blocks(pages, fn):
    return [[(st, fn(tx)) for st, tx in page] for page in pages]


TONES = ["\u0300", "\u0301", "\u0309", "\u0303", "\u0323"]


def ocr_noise(text, rng):
    """Simulated OCR errors: ~10% of tone marks dropped or swapped, rn<->m, l<->I, O<->0 in
    numbers, some line breaks added inside lines and some lines joined."""
    out = []
    for ch in text:
        d = unicodedata.normalize("NFD", ch)
        tone = next((c for c in d if c in TONES), None)
        if tone:
            r = rng.random()
            if r < 0.06:
                d = d.replace(tone, "")
            elif r < 0.10:
                d = d.replace(tone, rng.choice([t for t in TONES if t != tone]))
        out.append(nfc(d))
    s = "".join(out)
    s = re.sub(r"rn|m", lambda mo: ({"rn": "m", "m": "rn"}[mo.group()]
                                    if rng.random() < 0.06 else mo.group()), s)
    s = re.sub(r"(?<=[a-zà-ỹ ])l|I", lambda mo: ({"l": "I", "I": "l"}[mo.group()]
                                                  if rng.random() < 0.05 else mo.group()), s)
    s = re.sub(r"(?<=\d)0|0(?=\d)", lambda mo: "O" if rng.random() < 0.08 else "0", s)
    lines = []
    for line in s.split("\n"):
        if len(line) > 30 and rng.random() < 0.12:
            cut = line.find(" ", rng.randint(10, len(line) - 10))
            if cut > 0:
                lines += [line[:cut], line[cut + 1:]]
                continue
        if lines and lines[-1] and line and not line.startswith("\f") and rng.random() < 0.06:
            lines[-1] += " " + line
            continue
        lines.append(line)
    return "\n".join(lines)


# ---------------------------------------------------------------- fields

_L = r"(?<![^\W\d_])"
NAME_RE = re.compile(_L + r"(?:Tôi tên là|Họ, chữ đệm và tên chủ hộ|Họ, chữ đệm và tên|"
                     r"Họ, chữ đệm, tên người mẹ|Họ, chữ đệm, tên người cha|Họ, chữ đệm, tên|"
                     r"Họ và tên chủ đầu tư|Họ và tên \(chữ in hoa\)|Họ và tên|Họ tên|"
                     r"Chủ tài khoản|Ông/Bà|Ông|Bà)"
                     r"\s*:\s*([^\W\d_]+(?: [^\W\d_]+)*)")
BIRTH_RE = re.compile(_L + r"(?:Ngày sinh|Ngày, tháng, năm sinh|Sinh ngày)\s*:\s*(\d\d/\d\d/\d{4})")
# a birth year printed alone: the parents on a birth certificate, the owners on a land certificate
BIRTH_YEAR_RE = re.compile(_L + r"[Nn]ăm sinh\s*:\s*(\d{4})\b")
PID_RE = re.compile(r"(?:Số định danh cá nhân|Số CCCD)\s*:\s*(\d{12})")
LEGACY_RE = re.compile(r"CMND(?: cũ)? số\s*:?\s*(\d{9})")
TAX_RE = re.compile(r"Mã số (?:doanh nghiệp|thuế|chi nhánh)\s*:\s*(\d{10}(?:-\d{3})?)")
DOCNO_RE = re.compile(r"^Số\s*:\s*(\S+)\s*$")
PARCEL_RE = re.compile(r"[Tt]hửa đất số:? (\d+)[,;] tờ bản đồ số:? (\d+)")
VN_DATE = r"ngày (\d{1,2}) tháng (\d{1,2}) năm (\d{4})"
# A business registration certificate's issue date is its "Đăng ký lần đầu" date (the date the
# certificate and its enterprise code were first issued, "cấp lần đầu ngày"); the "Đăng ký thay
# đổi lần thứ N, ngày …" line under it dates an amendment, not the issue.
ISSUE_RE = re.compile(r"^(?:Hôm nay, |Đăng ký lần đầu: |(?!Đăng ký thay đổi lần thứ)[^,\n]+, )"
                      + VN_DATE)
ISSUE_DMY_RE = re.compile(r"Ngày, tháng, năm đăng ký: (\d\d/\d\d/\d{4})")
EXPIRY_RES = [re.compile(r"[Cc]ó giá trị đến(?: ngày)?\s*:?\s*(\d\d/\d\d/\d{4})"),
              re.compile(r"đến hết ngày (\d\d/\d\d/\d{4})"),
              re.compile(r"đến hết " + VN_DATE)]


def iso(*parts):
    if len(parts) == 1:
        d, m, y = parts[0].split("/")
    else:
        d, m, y = parts
    return f"{int(y):04d}-{int(m):02d}-{int(d):02d}"


def title_case(name):
    return " ".join(w[:1].upper() + w[1:].lower() for w in nfc(name).split())


def extract_fields(kind, pages):
    """The values printed on a paper, read back from its blocks with the label patterns the
    papers use (so labels and drawn text cannot disagree)."""
    blocks = [nfc(tx) for page in pages for st, tx in page if st != "gap"]
    text = "\n".join(blocks)
    got = {k: [] for k in FIELDS}

    def add(k, v):
        if v not in got[k]:
            got[k].append(v)

    for name in NAME_RE.findall(text):
        add("full_name", title_case(name))
    for mo in sorted([*BIRTH_RE.finditer(text), *BIRTH_YEAR_RE.finditer(text)],
                     key=lambda m: m.start()):
        v = mo.group(1)
        add("birth_date", iso(v) if "/" in v else v)
    for v in PID_RE.findall(text):
        add("person_id", v)
    for v in LEGACY_RE.findall(text):
        add("legacy_id", v)
    for v in TAX_RE.findall(text):
        add("tax_code", v)
    for b in blocks:
        mo = DOCNO_RE.match(b)
        if mo:
            if kind == "citizen_id" and re.fullmatch(r"\d{9}", mo.group(1)):
                add("legacy_id", mo.group(1))
            else:
                add("doc_number", mo.group(1).replace(" ", ""))
        mo = ISSUE_RE.match(b)
        if mo:
            add("issue_date", iso(*mo.groups()))
    for v in ISSUE_DMY_RE.findall(text):
        add("issue_date", iso(v))
    for rx in EXPIRY_RES:
        for v in rx.findall(text):
            add("expiry_date", iso(*v) if isinstance(v, tuple) else iso(v))
    for parcel, sheet in PARCEL_RE.findall(text):  # without leading zeros: sheet "08" is 8
        add("parcel_number", str(int(parcel)))
        add("map_sheet", str(int(sheet)))
    return {k: v for k, v in got.items() if v}


def make_paper(variant, seed_name, cast=(), ctx=None, opts=None, base=None):
    """One paper: dict(variant, type, size, pages (blocks), fields, footer, note)."""
    kind, maker, size, footer, title = VARIANTS[variant]
    opts = opts or {}
    ctx = ctx if ctx is not None else {}
    f = CastFake(random.Random(file_seed(seed_name, base)), cast, ctx.get("avoid", ()),
                 ctx.get("limit"))
    pages = maker(f, ctx)
    if ctx.get("parcel") and variant == "gcn":  # the dossier's parcel on the certificate
        parcel, sheet = ctx["parcel"]
        pages = map_blocks(pages, lambda t: re.sub(
            r"^a\) Thửa đất số: \d+, tờ bản đồ số: \d+", f"a) Thửa đất số: {parcel}, tờ bản đồ số: {sheet:02d}", t))
    fields = extract_fields(kind, pages)
    note = None
    if opts.get("title_typo"):
        right, wrong = opts["title_typo"]
        pages = [[(st, wrong if (st == "title" and tx == right) else tx) for st, tx in page]
                 for page in pages]
        note = f"misread tone marks: title printed \"{wrong}\" instead of \"{right}\""
    if opts.get("strip"):
        pages = map_blocks(pages, strip_marks)
        fields = {k: ([strip_marks(v) for v in vs] if k == "full_name" else vs)
                  for k, vs in fields.items()}
        note = "misread tone marks: the whole paper is printed without diacritics"
    return dict(variant=variant, type=kind, size=size, pages=pages, fields=fields,
                footer=footer and len(pages) > 1, title=title, note=note)


# ---------------------------------------------------------------- dossiers and batches
# A dossier: code, procedure, place index, applicant (cast key), cast {key: (sex, (born from,
# to))}, papers [(variant, [cast keys], opts)], qr ("ok"/"damaged"), qr_pos ("top"/"bottom").

P = gs.PLACES
DOSSIERS = {
    "D1": dict(code="000.00.10.H59-221122-0001", place=1, applicant="H",
               procedure="Đăng ký biến động quyền sử dụng đất do chuyển nhượng",
               cast={"H": ("Nam", (1962, 1972)), "W": ("Nữ", (1966, 1976))}, parcel=True,
               papers=[("gcn", ["H", "W"]), ("chuyen_nhuong", ["H", "W"]), ("cccd", ["H"]),
                       ("cccd", ["W"]), ("uy_quyen", ["W", "H"])],
               qr="ok", qr_pos="bottom"),
    "D2": dict(code="000.00.12.H59-230315-0042", place=0, applicant="A",
               procedure="Đăng ký thường trú", cast={"A": ("Nữ", (1985, 1999))},
               papers=[("to_khai", ["A"]), ("cccd", ["A"]), ("khai_sinh", []), ("cu_tru", ["A"])],
               qr="ok", qr_pos="top"),
    "D3": dict(code="000.00.12.H59-230315-0043", place=0, applicant="B",
               procedure="Điều chỉnh giấy phép xây dựng nhà ở riêng lẻ",
               cast={"B": ("Nam", (1970, 1988))}, parcel=True,
               papers=[("don_gpxd", ["B"]), ("gpxd", ["B"]), ("gcn", ["B"]),
                       ("qd_chuyen_muc_dich", ["B"])],
               qr="ok", qr_pos="bottom"),
    "D4": dict(code="000.00.10.H59-240108-0007", place=2, applicant="C",
               procedure="Đăng ký thay đổi người đại diện theo pháp luật của công ty",
               cast={"C": ("Nam", (1965, 1980))},
               papers=[("dkdn", ["C"]), ("uy_quyen", ["C"]), ("cmnd", ["C"]), ("sao_ke", ["C"]),
                       ("gpkd_ruou", ["C"])],
               qr="ok", qr_pos="bottom"),
    "D6": dict(code="000.00.10.H59-240108-0008", place=2, applicant="T",
               procedure="Đăng ký thường trú tại chỗ ở hợp pháp do thuê",
               cast={"L": ("Nam", (1960, 1975)), "T": ("Nữ", (1990, 2001))}, parcel=True,
               papers=[("thue_nha", ["L", "T"]), ("khai_sinh", []), ("cu_tru", ["T"]),
                       ("dkdn", ["L"]), ("qd_chuyen_muc_dich", ["L"])],
               qr="ok", qr_pos="top"),
    "D5": dict(code="000.00.10.H59-240521-0015", place=3, applicant="T",
               procedure="Cấp Giấy xác nhận tình trạng hôn nhân",
               cast={"T": ("Nam", (1986, 1995)), "L": ("Nữ", (1962, 1975))},
               papers=[("don_hon_nhan", ["T"]), ("cccd", ["T"]), ("cu_tru", ["T"]),
                       ("thue_nha", ["L", "T"])],
               qr="damaged", qr_pos="bottom"),
}

# Batches. rot: {page: rotation clockwise}; everything else as in gen-samples.py's FILES.
BATCHES = [
    dict(name="batch-01", fmt="TIFF", compression="group4", dpi=300, tint="white",
         font=("serif", 12), blur=0.7, noise=("sp", 0.4), light=0.0,
         dossiers=["D1"], rot={5: 180, 7: 90}),
    dict(name="batch-02", fmt="PDF", q=70, dpi=200, color=False, tint="cream",
         font=("sans", 12), blur=0.6, noise=("gauss", 3), light=0.06,
         dossiers=["D2", "D3"], rot={3: 270, 10: 180}),
    dict(name="batch-03", fmt="TIFF", compression="jpeg", q=70, dpi=200, tint="recycled",
         font=("serif", 12), blur=0.8, noise=("gauss", 3), light=0.08,
         dossiers=["D4", "D6"], rot={6: 180, 12: 90}),
    dict(name="batch-04", fmt="TIFF", compression="tiff_adobe_deflate", dpi=200, tint="white",
         font=("sans", 11), blur=0.5, noise=("sp", 0.5), light=0.0,
         dossiers=["D5"], rot={4: 270}),
    dict(name="batch-05", fmt="PDF", q=65, dpi=200, color=False, tint="white",
         font=("serif", 12), blur=0.7, noise=("gauss", 3), light=0.05,
         papers=[("qd_nha_o", []), ("gpxd", []), ("hoc_ba", []), ("khai_sinh", []),
                 ("don_cap_lai_gcn", [], {"title_typo": ("ĐƠN ĐỀ NGHỊ", "ĐƠN ĐÊ NGHI")}),
                 ("gcn", [], {"strip": True}), ("dkdn", []), ("uy_quyen", [])],
         rot={2: 180, 7: 90, 10: 270}),
    dict(name="batch-06", fmt="JPEG", q=80, dpi=300, color=True, tint="white",
         font=("sans", 11), blur=0.9, noise=("gauss", 3), light=0.05,
         papers=[("cccd", [])], rot={1: 90}),
    dict(name="batch-07", fmt="PNG", dpi=200, tint="recycled", font=("sans", 11), blur=0.6,
         noise=("sp", 1.0), light=0.0, papers=[("kham_suc_khoe", [])], rot={}),
]


def build_dossier(key, dossier_rng_name, taken):
    """The papers of a dossier (receipt first), with their cast and shared parcel. taken: the
    names of the people of earlier dossiers, so that each dossier has its own people."""
    spec = DOSSIERS[key]
    rng = random.Random(file_seed(dossier_rng_name + ":" + key))
    fake = CastFake(rng, avoid=taken)
    place = P[spec["place"]]
    cast = {}
    for k, (sex, (y0, y1)) in spec["cast"].items():
        cast[k] = fake.person(sex=sex, born=rng.randint(y0, y1), place=place)
        taken.add(cast[k]["name"])
    yymmdd = spec["code"].split("-")[1]
    ctx = dict(avoid=[c["name"] for c in cast.values()],
               limit=datetime.date(2000 + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])))
    if spec.get("parcel"):
        ctx["parcel"] = (rng.randint(15, 520), rng.randint(1, 45))
    papers = []
    for i, item in enumerate(spec["papers"]):
        variant, keys = item[0], item[1]
        opts = item[2] if len(item) > 2 else None
        papers.append(make_paper(variant, f"{key}:{i}:{variant}", [cast[k] for k in keys],
                                 dict(ctx), opts))
    rctx = dict(ctx, code=spec["code"], procedure=spec["procedure"], applicant=cast[spec["applicant"]],
                papers=[p["title"] for p in papers], place=place, qr_pos=spec["qr_pos"])
    receipt = make_paper("tiep_nhan", f"{key}:receipt", (), rctx)
    receipt.update(code=spec["code"], qr=spec["qr"], qr_pos=spec["qr_pos"],
                   applicant=title_case(cast[spec["applicant"]]["name"]),
                   procedure=spec["procedure"], received=rctx["received"],
                   appointment=rctx["appointment"])
    return receipt, papers


# ---------------------------------------------------------------- rendering

def blank(img, box):
    return ImageChops.invert(img.crop(box)).getbbox() is None


def add_footer(ts, img, text):
    draw = ImageDraw.Draw(img)
    font = ts.font("r", max(9, ts.pt - 1))
    y = ts.bottom + ts.px(2)
    w = draw.textlength(text, font=font)
    x = ts.left + (ts.right - ts.left - w) / 2
    box = (ts.left, ts.bottom, ts.right, min(ts.h, y + ts.px(ts.pt * 1.3)))
    if not blank(img, box):
        raise SystemExit(f"footer area not blank: {text}")
    draw.text((x, y), text, font=font, fill=0)


def draw_qr(ts, img, code, pos, damaged, rng):
    """The dossier code as a QR code (level M, no boost), about 25 mm wide, at the top or bottom
    right of the text area. damaged: ink scribbled over ~40% of the modules, outside the three
    finder patterns (and their separators plus one module), so it cannot be decoded."""
    qr = segno.make(code, error="m", boost_error=False, micro=False)
    mat = [list(row) for row in qr.matrix]
    n = len(mat)
    mod = max(3, round(25 / 25.4 * ts.dpi / n))
    w = n * mod
    quiet = 4 * mod
    x0 = ts.right - w
    y0 = ts.top if pos == "top" else ts.bottom - w
    around = (max(0, x0 - quiet), max(0, y0 - quiet), min(ts.w, x0 + w + quiet), min(ts.h, y0 + w + quiet))
    if not blank(img, around):
        raise SystemExit(f"QR area not blank for {code} ({pos})")
    draw = ImageDraw.Draw(img)
    for r, row in enumerate(mat):
        for c, v in enumerate(row):
            if v:
                draw.rectangle((x0 + c * mod, y0 + r * mod, x0 + (c + 1) * mod - 1,
                                y0 + (r + 1) * mod - 1), fill=0)
    info = dict(version=qr.version, error=qr.error, modules=n, module_px=mod,
                width_mm=round(w / ts.dpi * 25.4, 1), box=[x0, y0, x0 + w, y0 + w])
    if damaged:
        allowed = Image.new("L", (w, w), 255)
        ad = ImageDraw.Draw(allowed)
        for r0, c0 in ((0, 0), (0, n - 9), (n - 9, 0)):
            ad.rectangle((c0 * mod, r0 * mod, (c0 + 9) * mod - 1, (r0 + 9) * mod - 1), fill=0)
        mask = Image.new("L", (w, w), 0)
        md = ImageDraw.Draw(mask)
        centres = [(c * mod + mod // 2, r * mod + mod // 2) for r in range(n) for c in range(n)]
        cover = 0.0
        strokes = 0
        while cover < 0.40 and strokes < 400:
            x, y = rng.uniform(2, n - 2), rng.uniform(2, n - 2)
            pts = []
            for _ in range(rng.randint(4, 8)):
                x = min(n - 0.5, max(0.5, x + rng.uniform(-7, 7)))
                y = min(n - 0.5, max(0.5, y + rng.uniform(-7, 7)))
                pts.append((x * mod, y * mod))
            md.line(pts, fill=255, width=max(3, round(1.7 * mod)), joint="curve")
            strokes += 1
            ink = ImageChops.multiply(mask, allowed)
            cover = sum(ink.getpixel(c) > 0 for c in centres) / len(centres)
        img.paste(25, (x0, y0, x0 + w, y0 + w), ImageChops.multiply(mask, allowed))
        info.update(damage="ink scribble", damaged_modules=round(cover, 3), strokes=strokes,
                    finders_intact=True)
    return info


def render_paper(paper, setters):
    ts = setters[paper["size"]]
    out = []
    n = len(paper["pages"])
    for i, blocks in enumerate(paper["pages"]):
        img, lines = ts.render(blocks)
        lines = list(lines)
        if paper["footer"]:
            text = f"Trang {i + 1}/{n}"
            add_footer(ts, img, text)
            lines.append(text)
        out.append((img, lines))
    return out


def paper_text(paper, family="sans", pt=12):
    """Plain text of a paper as rendered (wrapped lines, footers), pages split by form feed."""
    setters = {s: gs.Typesetter(s, 150, family, pt) for s in ("A4", "A5")}
    return "\f".join("\n".join(lines) + "\n" for _, lines in render_paper(paper, setters))


def generate(out):
    os.makedirs(out, exist_ok=True)
    old = os.path.join(out, "labels.json")
    stale = set()
    if os.path.exists(old):
        with open(old, encoding="utf-8") as fh:
            for e in json.load(fh).get("files", []):
                stale.update((e["file"], e["ground_truth"]))
    entries = []
    taken = set()
    for spec in BATCHES:
        name = spec["name"]
        rng = random.Random(file_seed(name))  # noise, as gen-samples.py
        layout = random.Random(file_seed(name + ":layout"))  # skews, damage
        family, pt = spec["font"]
        setters = {s: gs.Typesetter(s, spec["dpi"], family, pt) for s in ("A4", "A5")}
        # the components of this file in order: (dossier code or None, component n, paper)
        seq = []
        for key in spec.get("dossiers", []):
            receipt, papers = build_dossier(key, name, taken)
            seq.append((receipt["code"], None, receipt))
            seq += [(receipt["code"], i + 1, p) for i, p in enumerate(papers)]
        for i, item in enumerate(spec.get("papers", [])):
            variant, keys = item[0], item[1]
            opts = item[2] if len(item) > 2 else None
            seq.append((None, i + 1, make_paper(variant, f"{name}:{i}:{variant}", (), {}, opts)))
        images, gt_pages, pages, components, covers = [], [], [], [], []
        for code, comp, paper in seq:
            first = len(images) + 1
            rendered = render_paper(paper, setters)
            qr = None
            if paper["type"] == "receipt":
                img = rendered[0][0]
                qr = draw_qr(setters[paper["size"]], img, paper["code"], paper["qr_pos"],
                             paper["qr"] == "damaged", layout)
            for img, lines in rendered:
                pno = len(images) + 1
                rot = spec["rot"].get(pno, 0)
                skew = round(layout.uniform(-3.0, 3.0), 1) + 0.0  # no -0.0
                images.append(gs.degrade(img, spec, rot, skew, rng))
                gt_pages.append("\n".join(lines) + "\n")
                entry = dict(page=pno, dossier=code, cover=paper["type"] == "receipt",
                             qr=paper["qr"] if paper["type"] == "receipt" else None,
                             component=comp, type=paper["type"], rotation=rot, skew=skew,
                             paper=paper["size"])
                if paper["note"]:
                    entry["note"] = paper["note"]
                pages.append(entry)
            last = len(images)
            if paper["type"] == "receipt":
                covers.append(dict(dossier=code, page=first, qr=paper["qr"],
                                   qr_position=paper["qr_pos"] + " right", qr_details=qr,
                                   applicant=paper["applicant"], procedure=paper["procedure"],
                                   received=paper["received"], appointment=paper["appointment"]))
            else:
                c = dict(dossier=code, component=comp, type=paper["type"], pages=[first, last],
                         variant=paper["variant"], fields=paper["fields"])
                if paper["note"]:
                    c["note"] = paper["note"]
                components.append(c)
        fname = name + gs.EXT[spec["fmt"]]
        gname = name + ".gt.txt"
        spec = dict(spec, name=name, size="A4")
        gs.save(images, spec, os.path.join(out, fname))
        with open(os.path.join(out, gname), "w", encoding="utf-8", newline="\n") as fh:
            fh.write("\f".join(gt_pages))
        stale.discard(fname)
        stale.discard(gname)
        entries.append(dict(
            file=fname, ground_truth=gname, format=spec["fmt"], compression=gs.compression_of(spec),
            dpi=spec["dpi"], mode=images[0].mode, page_count=len(images),
            bytes=os.path.getsize(os.path.join(out, fname)), font=f"DejaVu {family.capitalize()} {pt} pt",
            dossiers=[d["dossier"] for d in covers], pages=pages, components=components,
            covers=covers))
    for fn in sorted(stale):
        path = os.path.join(out, fn)
        if os.path.isfile(path):
            os.remove(path)
    counts = {t: 0 for t in TYPES}
    for e in entries:
        for c in e["components"]:
            counts[c["type"]] += 1
        counts["receipt"] += len(e["covers"])
    labels = dict(
        generator="scripts/gen_dossiers.py", seed=SEED,
        conventions=dict(
            page="1-based page number within the file, in file order",
            dossier="the dossier code printed on the cover sheet (unit-YYMMDD-NNNN), or null "
                    "for papers of a batch without cover sheet",
            cover="true for the receipt cover sheet (type receipt), which opens its dossier",
            qr="cover sheets only: ok (decodable QR of the dossier code) or damaged (ink over "
               "~40% of the modules, finder patterns intact, printed code readable); null "
               "otherwise",
            component="1-based index of the paper within its dossier (cover sheet excluded), "
                      "or within the file when there is no dossier; null for cover sheets",
            type="one of " + ", ".join(TYPES),
            rotation="clockwise degrees applied to the upright page (0, 90, 180, 270); turn "
                     "the scan counter-clockwise by this much to read it",
            skew="degrees, counter-clockwise positive, applied to the upright page before the "
                 "rotation",
            paper="A4 or A5 (identity cards and the medical certificate are A5)",
            note="special cases, e.g. misread tone marks",
            components="per paper: dossier, component, type, pages [first, last], variant "
                       "(the generator's paper template), fields",
            fields="values printed on the paper, in print order, each once: person_id (12 "
                   "digits) and legacy_id (9-digit CMND), digits only; full_name: the people "
                   "the paper names under a label (holder, applicant, parties, spouses, "
                   "parents, household head, account holder), NFC, exactly as printed but in "
                   "Title Case, not the signing officials; birth_date as an ISO date, or YYYY "
                   "for a birth year printed alone ('Năm sinh: 1992' of the parents on a birth "
                   "certificate, the owners on a land certificate); issue_date (date the "
                   "paper was issued, registered or signed: the place-and-date line, 'Hôm nay', "
                   "'Đăng ký lần đầu' — a business registration certificate's first-issue "
                   "date, not its 'Đăng ký thay đổi lần thứ N' amendment date —, registration "
                   "date), expiry_date (validity end of a card or licence, end of a lease or "
                   "power of attorney) as ISO dates; "
                   "tax_code as printed (NNNNNNNNNN or NNNNNNNNNN-NNN); doc_number exactly as "
                   "printed after 'Số:' without spaces (the number of an identity card is an "
                   "identity number, not a doc_number); parcel_number and map_sheet: the digits "
                   "printed, without leading zeros ('tờ bản đồ số 08' is map_sheet 8). Kinds not "
                   "printed are omitted.",
            covers="per cover sheet: page, QR state, position and geometry (module_px, "
                   "width_mm, box in upright page pixels before skew/rotation), applicant, "
                   "procedure, received and appointment dates",
            ground_truth="NAME.gt.txt: UTF-8 NFC, one line per rendered line in upright "
                         "reading order, pages separated by a form feed (U+000C)"),
        type_counts=counts, total_pages=sum(e["page_count"] for e in entries),
        total_bytes=sum(e["bytes"] for e in entries), files=entries)
    with open(old, "w", encoding="utf-8", newline="\n") as fh:
        json.dump(labels, fh, ensure_ascii=False, indent=1)
        fh.write("\n")
    return labels


# ---------------------------------------------------------------- training texts

PROCEDURES = ["Cấp Giấy xác nhận tình trạng hôn nhân", "Đăng ký khai sinh", "Đăng ký thường trú",
              "Cấp giấy phép xây dựng nhà ở riêng lẻ", "Đăng ký biến động đất đai",
              "Chứng thực hợp đồng, giao dịch", "Đăng ký thành lập hộ kinh doanh"]
UNIT_CODES = ["000.00.21.H26", "000.00.07.H42", "000.30.14.H02", "000.00.05.H40"]


def training(out):
    os.makedirs(out, exist_ok=True)
    old = os.path.join(out, "manifest.json")
    stale = set()
    if os.path.exists(old):
        with open(old, encoding="utf-8") as fh:
            stale.update(e["file"] for e in json.load(fh).get("files", []))
    by_type = {t: [v for v, spec in VARIANTS.items() if spec[0] == t] for t in TYPES}
    entries = []
    with pools(train=True):
        for kind in TYPES:
            os.makedirs(os.path.join(out, kind), exist_ok=True)
            for n in range(1, 13):
                variant = by_type[kind][(n - 1) % len(by_type[kind])]
                seed_name = f"train:{kind}:{n}"
                rng = random.Random(file_seed(seed_name + ":extra", TRAIN_SEED))
                ctx = {}
                if kind == "receipt":
                    f = CastFake(rng)
                    y, m, d = rng.randint(2021, 2024), rng.randint(1, 12), rng.randint(1, 28)
                    titles = [VARIANTS[v][4] for v in rng.sample(
                        [v for v in VARIANTS if v != "tiep_nhan"], rng.randint(2, 5))]
                    ctx = dict(code=f"{rng.choice(UNIT_CODES)}-{y % 100:02d}{m:02d}{d:02d}-"
                                    f"{rng.randint(1, 9999):04d}",
                               procedure=rng.choice(PROCEDURES), applicant=f.person(),
                               papers=titles, place=rng.choice(TRAIN_PLACES),
                               qr_pos=rng.choice(["top", "bottom"]))
                paper = make_paper(variant, seed_name, (), ctx, base=TRAIN_SEED)
                text = paper_text(paper, rng.choice(["sans", "serif"]), rng.choice([11, 12]))
                noisy = n % 3 == 0
                if noisy:
                    text = ocr_noise(text, rng)
                rel = f"{kind}/{n}.txt"
                with open(os.path.join(out, rel), "w", encoding="utf-8", newline="\n") as fh:
                    fh.write(text)
                stale.discard(rel)
                entries.append(dict(file=rel, type=kind, variant=variant, ocr_noise=noisy,
                                    seed=file_seed(seed_name, TRAIN_SEED)))
    for rel in sorted(stale):
        path = os.path.join(out, rel)
        if os.path.isfile(path):
            os.remove(path)
    with open(old, "w", encoding="utf-8", newline="\n") as fh:
        json.dump(dict(generator="scripts/gen_dossiers.py", seed=TRAIN_SEED,
                       note="plain text of fictional papers for training the classifier; "
                            "people, places and seeds differ from samples/dossiers; "
                            "ocr_noise: tone marks dropped/swapped (~10%), rn/m, l/I, O/0, "
                            "broken and joined lines; pages separated by a form feed",
                       files=entries), fh, ensure_ascii=False, indent=1)
        fh.write("\n")
    return entries


# ---------------------------------------------------------------- checking

def check(out):
    with open(os.path.join(out, "labels.json"), encoding="utf-8") as fh:
        labels = json.load(fh)
    head = f"{'file':16} {'format':6} {'compression':12} {'pg':>3} {'dpi':>4} {'KiB':>6}  status"
    print(head)
    print("-" * len(head))
    bad = total = pages_total = 0
    for e in labels["files"]:
        path = os.path.join(out, e["file"])
        problems = []
        try:
            pages = gs.open_pages(path, e["format"])
            with open(os.path.join(out, e["ground_truth"]), encoding="utf-8") as fh:
                truth = fh.read()
            if len(pages) != e["page_count"]:
                problems.append(f"{len(pages)} pages, labels say {e['page_count']}")
            if len(e["pages"]) != e["page_count"] or [p["page"] for p in e["pages"]] != list(
                    range(1, e["page_count"] + 1)):
                problems.append("page labels not 1..n")
            if len(truth.split("\f")) != len(pages):
                problems.append(f"{len(truth.split(chr(12)))} truth pages")
            for i, (im, dpi) in enumerate(pages):
                if dpi < 200 or dpi != e["dpi"]:
                    problems.append(f"p{i + 1} dpi {dpi}")
            covered = []
            for c in e["components"]:
                covered += list(range(c["pages"][0], c["pages"][1] + 1))
                for p in range(c["pages"][0], c["pages"][1] + 1):
                    lab = e["pages"][p - 1]
                    if (lab["component"], lab["type"], lab["dossier"]) != (
                            c["component"], c["type"], c["dossier"]):
                        problems.append(f"p{p} disagrees with its component")
            covered += [c["page"] for c in e["covers"]]
            if sorted(covered) != list(range(1, len(pages) + 1)):
                problems.append("components and covers do not tile the pages")
            size = os.path.getsize(path)
            if size != e["bytes"]:
                problems.append("size differs from labels")
        except Exception as exc:  # report and go on
            problems.append(f"{type(exc).__name__}: {exc}")
            size = os.path.getsize(path) if os.path.exists(path) else 0
        total += size
        pages_total += e["page_count"]
        bad += bool(problems)
        print(f"{e['file']:16} {e['format']:6} {e['compression']:12} {e['page_count']:>3} "
              f"{e['dpi']:>4} {size / 1024:6.0f}  {'ok' if not problems else '; '.join(problems)}")
    print(f"{len(labels['files'])} files, {pages_total} pages, {total / 1048576:.2f} MiB, "
          f"{bad} with problems")
    print("papers per type: " + ", ".join(f"{k} {v}" for k, v in labels["type_counts"].items()))
    return bad == 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT, help="batch directory (default samples/dossiers)")
    ap.add_argument("--train-out", default=DEFAULT_TRAIN,
                    help="training text directory (default samples/train)")
    ap.add_argument("--no-train", action="store_true", help="do not write the training texts")
    ap.add_argument("--check", action="store_true",
                    help="verify the batches against labels.json instead of generating them")
    ap.add_argument("--seed", type=int, default=None,
                    help="another seed: a held-out set with the same batch plan but other people, "
                         "numbers, dates and scan noise (e.g. --seed 7 --out /tmp/heldout "
                         "--no-train)")
    args = ap.parse_args()
    if args.seed is not None:
        global SEED
        SEED = args.seed
    if args.check:
        sys.exit(0 if check(args.out) else 1)
    started = time.monotonic()
    labels = generate(args.out)
    print(f"wrote {len(labels['files'])} batches ({labels['total_pages']} pages, "
          f"{labels['total_bytes'] / 1048576:.2f} MiB) to {os.path.relpath(args.out)}")
    if not args.no_train:
        entries = training(args.train_out)
        print(f"wrote {len(entries)} training texts to {os.path.relpath(args.train_out)}")
    print(f"{time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
