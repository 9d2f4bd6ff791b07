#!/usr/bin/env python3
"""Cover-sheet codes as cheap scanners deliver them: sohoa's readers beside zbarimg (issue 17
item 6), on the same images, cell by cell.

Usage: bench_codes.py [--quick] [--out DIR] [--sohoa PATH]

Each image is the top half of a cover sheet (210 x 148 mm) laid out unlike the sample set: a
title and labels in Liberation Sans, a QR code (segno, error correction M) at the top right
carrying a dossier code, the code printed under it. The page is drawn at twice the scan's
resolution, scaled down to it (Lanczos, as a scanner's optics average), turned by the
rotation, blurred, and saved as JPEG at the quality given. The grid:

  resolution  150, 200, 300 dpi
  module      0.5, 0.75, 1.0 mm (a version 2 symbol: 12.5, 18.75, 25 mm wide)
  quality     40, 65, 90
  rotation    -5, -2, 0, 2, 5 degrees
  blur        none, Gaussian of 0.6 px

A cell is one (resolution, module); it holds the 30 images of the other three axes. Both
readers get the same JPEG files. A read counts when the payload is exactly the code drawn; any
other payload is a MISREAD (a wrong dossier code is worse than none). `--quick` runs the
module 0.5 mm column with quality 40 and 90 only (the integration test's subset).

Beside the QR grid, Data Matrix (0.6 mm modules) and Code 128 (0.33 mm bars, 12 mm high) made
by zint at 200 and 300 dpi, quality 50 and 85, straight and turned 3 degrees: sohoa must read
every one (zbar, which reads no Data Matrix, is shown for Code 128).

Prints the table (reads per cell, sohoa / zbar) and exits 1 if sohoa reads fewer than zbar in
any QR cell, misses a Data Matrix or Code 128 symbol, or misreads once.
"""

import argparse
import json
import pathlib
import random
import shutil
import subprocess
import sys
import tempfile

import segno
from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = pathlib.Path(__file__).resolve().parent.parent
FONT = "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf"
BOLD = "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf"
MM = 1 / 25.4


def dossier_code(rng):
    """A dossier code of Decision 870/QĐ-VPCP's shape: unit, date yymmdd, serial."""
    unit = f"{rng.randint(0, 999):03d}.{rng.randint(0, 99):02d}.{rng.randint(0, 99):02d}.H{rng.randint(1, 99):02d}"
    return f"{unit}-26{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}-{rng.randint(1, 9999):04d}"


def matrix(kind, code):
    """The symbol's modules, rows of booleans (dark): QR from segno, Data Matrix and Code 128
    from zint (Debian), rendered at one pixel per module."""
    if kind == "qr":
        return [[bool(v) for v in row] for row in segno.make(code, error="m", micro=False).matrix]
    with tempfile.TemporaryDirectory() as t:
        png = pathlib.Path(t) / "s.png"
        b = {"datamatrix": ["-b", "71", "--square"], "code128": ["-b", "20", "--notext", "--height=1"]}[kind]
        subprocess.run(["zint", *b, "--scale=0.5", "-d", code, "-o", str(png)], check=True,
                       capture_output=True)
        im = Image.open(png).convert("L")
        return [[im.getpixel((x, y)) < 128 for x in range(im.width)] for y in range(im.height)]


def page(code, dpi, module_mm, rotation, blur, quality, path, kind="qr"):
    hi = dpi * 2
    w, h = round(210 * MM * hi), round(148 * MM * hi)
    img = Image.new("L", (w, h), 250)
    d = ImageDraw.Draw(img)
    pt = hi / 72
    title = ImageFont.truetype(BOLD, round(14 * pt))
    body = ImageFont.truetype(FONT, round(11 * pt))
    x0 = round(15 * MM * hi)
    d.text((x0, round(15 * MM * hi)), "PHIẾU KIỂM SOÁT QUÁ TRÌNH", font=title, fill=20)
    d.text((x0, round(22 * MM * hi)), "GIẢI QUYẾT HỒ SƠ", font=title, fill=20)
    for i, label in enumerate(
        ["Tên thủ tục: Đăng ký thường trú", "Người nộp: ........................",
         "Ngày tiếp nhận: ....../....../20....", "Cán bộ tiếp nhận: ....................",
         "Hẹn trả kết quả: ....../....../20...."]
    ):
        d.text((x0, round((40 + 9 * i) * MM * hi)), label, font=body, fill=30)
    rows = matrix(kind, code)
    n = len(rows[0])
    px = module_mm * MM * hi
    # a 1-D symbol: its one row drawn 12 mm high
    tall = round(12 * MM * hi / px) if len(rows) == 1 else 1
    right = w - round(15 * MM * hi)
    qx, qy = right - round(n * px), round(15 * MM * hi)
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if v:
                d.rectangle(
                    [qx + round(c * px), qy + round(r * px), qx + round((c + 1) * px) - 1,
                     qy + round((r + tall) * px) - 1],
                    fill=15,
                )
    n = len(rows) * tall
    small = ImageFont.truetype(FONT, round(8 * pt))
    d.text((right - d.textlength(code, font=small), qy + round(n * px) + round(2 * MM * hi)), code, font=small, fill=20)
    img = img.resize((w // 2, h // 2), Image.LANCZOS)
    if rotation:
        img = img.rotate(rotation, resample=Image.BICUBIC, expand=True, fillcolor=250)
    if blur:
        img = img.filter(ImageFilter.GaussianBlur(blur))
    img.save(path, "JPEG", quality=quality, dpi=(dpi, dpi))


# Data Matrix and Code 128 as some offices print them: read by sohoa (zbar reads Code 128 too).
OTHERS = [(kind, dpi, m, q, r) for kind, m in (("datamatrix", 0.6), ("code128", 0.33))
          for dpi in (200, 300) for q in (50, 85) for r in (0, 3)]


def grid(quick):
    dpis = [150, 200, 300]
    modules = [0.5] if quick else [0.5, 0.75, 1.0]
    qualities = [40, 90] if quick else [40, 65, 90]
    rotations = [-5, -2, 0, 2, 5]
    blurs = [0, 0.6]
    for dpi in dpis:
        for m in modules:
            for q in qualities:
                for r in rotations:
                    for b in blurs:
                        yield dpi, m, q, r, b


def zbar(path):
    out = subprocess.run(["zbarimg", "--raw", "-q", "-Sdisable", "-Sqrcode.enable", "-Scode128.enable", str(path)],
                         capture_output=True, text=True)
    return [l for l in out.stdout.splitlines() if l]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out")
    ap.add_argument("--sohoa", default=str(ROOT / "target/release/sohoa"))
    a = ap.parse_args()
    if not shutil.which("zbarimg"):
        sys.exit("zbarimg is missing: run scripts/setup.sh (Debian zbar-tools)")
    out = pathlib.Path(a.out) if a.out else pathlib.Path(tempfile.mkdtemp(prefix="bench-codes-"))
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(20261207)
    cases = []
    for i, (dpi, m, q, r, b) in enumerate(grid(a.quick)):
        code = dossier_code(rng)
        path = out / f"c{i:03d}-{dpi}dpi-{m}mm-q{q}-r{r}-b{b}.jpg"
        page(code, dpi, m, r, b, q, path)
        cases.append({"path": path, "code": code, "cell": (dpi, m)})
    for j, (kind, dpi, m, q, r) in enumerate(OTHERS):
        code = dossier_code(rng)
        path = out / f"o{j:03d}-{kind}-{dpi}dpi-{m}mm-q{q}-r{r}.jpg"
        page(code, dpi, m, r, 0, q, path, kind)
        cases.append({"path": path, "code": code, "cell": (kind, dpi)})
    res = subprocess.run([a.sohoa, "eval", "codes", "--json", *[str(c["path"]) for c in cases]],
                         capture_output=True, text=True)
    if res.returncode not in (0, 1):
        sys.exit(f"sohoa eval codes failed: {res.stderr}")
    ours = {pathlib.Path(p["file"]).name: p["codes"] for p in json.loads(res.stdout)}
    cells = {}
    misreads = []
    for c in cases:
        name = c["path"].name
        s, z = ours.get(name, []), zbar(c["path"])
        cell = cells.setdefault(c["cell"], {"n": 0, "sohoa": 0, "zbar": 0})
        cell["n"] += 1
        cell["sohoa"] += c["code"] in s
        cell["zbar"] += c["code"] in z
        for who, got in (("sohoa", s), ("zbar", z)):
            wrong = [t for t in got if t != c["code"] and not t.startswith("patch:")]
            if wrong:
                misreads.append((who, name, c["code"], wrong))
    print(f"{'QR dpi':>10} {'module':>7} {'images':>6} {'sohoa':>6} {'zbar':>6}")
    worse = []
    qr = {k: v for k, v in cells.items() if not isinstance(k[0], str)}
    for (dpi, m), c in sorted(qr.items()):
        mark = "" if c["sohoa"] >= c["zbar"] else "  <- fewer than zbar"
        print(f"{dpi:>10} {m:>5}mm {c['n']:>6} {c['sohoa']:>6} {c['zbar']:>6}{mark}")
        if c["sohoa"] < c["zbar"]:
            worse.append((dpi, m))
    total = {k: sum(c[k] for c in qr.values()) for k in ("n", "sohoa", "zbar")}
    print(f"{'all QR':>18} {total['n']:>6} {total['sohoa']:>6} {total['zbar']:>6}")
    others = [(k, v) for k, v in cells.items() if isinstance(k[0], str)]
    for (kind, dpi), c in sorted(others, key=lambda kv: kv[0]):
        print(f"{kind:>10} {dpi:>5}dpi {c['n']:>6} {c['sohoa']:>6} {c['zbar']:>6}")
        if c["sohoa"] < c["n"]:
            worse.append((kind, dpi))
    for who, name, want, got in misreads:
        print(f"MISREAD by {who}: {name}: drawn {want}, read {got}")
    print(f"images in {out}")
    if worse or any(w == "sohoa" for w, *_ in misreads):
        sys.exit(1)


if __name__ == "__main__":
    main()
