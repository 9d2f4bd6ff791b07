#!/usr/bin/env python3
"""Blank backs of duplex scans: how well sohoa tells an empty back from a page that only holds
a page number, a signature, a stamp or a seal (issue 17 item 6; Circular 01/2023 wants the page
count of the original, so a dropped page with content is the worse error).

Usage: bench_blank.py [--quick] [--out DIR] [--sohoa PATH]

Blank backs (what a duplex scanner gives for the empty side of a paper): paper tone 235–252,
the front's text showing through (mirrored, blurred, at 4–12% of its darkness), 0–40 specks of
dust of 1–3 px, sometimes a dark band of 2–6 mm along one edge (the scanner's shadow), JPEG
quality 50–85, at 150, 200 and 300 dpi. Near-blank pages: the same backs with one small mark of
content on them: a page number ("- 2 -", 10 pt), a signature (three pen strokes, about
35 x 12 mm), a rectangular stamp ("ĐÃ KIỂM TRA", 30 x 10 mm), a red round seal (36 mm), or one
short handwritten-size line of text. Fonts: Liberation Sans and Serif, not the sample set's.

Prints precision and recall of "blank" (positive = blank) and every mistake; exits 1 when a
page with content is called blank or the recall is below 0.95.
"""

import argparse
import json
import math
import pathlib
import random
import subprocess
import sys
import tempfile

from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = pathlib.Path(__file__).resolve().parent.parent
SANS = "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf"
SERIF = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"
MM = 1 / 25.4
MARKS = ["page-number", "signature", "stamp", "seal", "line"]


def back(rng, dpi):
    """A blank back: paper, show-through, dust, maybe an edge shadow (RGB)."""
    w, h = round(210 * MM * dpi), round(297 * MM * dpi)
    tone = rng.randint(235, 252)
    img = Image.new("RGB", (w, h), (tone, tone, max(0, tone - rng.randint(0, 8))))
    # the front's text, mirrored, seen through the paper
    ghost = Image.new("L", (w, h), 0)
    g = ImageDraw.Draw(ghost)
    font = ImageFont.truetype(SERIF, max(8, round(12 * dpi / 72)))
    y = round(25 * MM * dpi)
    while y < h - round(25 * MM * dpi):
        g.text((round(20 * MM * dpi), y), "Cộng hòa xã hội chủ nghĩa Việt Nam độc lập tự do hạnh phúc " * 2,
               font=font, fill=255)
        y += round(7 * MM * dpi)
    ghost = ghost.transpose(Image.FLIP_LEFT_RIGHT).filter(ImageFilter.GaussianBlur(dpi / 100))
    strength = rng.uniform(0.04, 0.12)
    img = Image.composite(Image.new("RGB", (w, h), (0, 0, 0)), img,
                          ghost.point(lambda v: round(v * strength)))
    d = ImageDraw.Draw(img)
    for _ in range(rng.randint(0, 40)):
        x, yy, r = rng.randrange(w), rng.randrange(h), rng.randint(1, 3) * dpi / 300
        d.ellipse([x - r, yy - r, x + r, yy + r], fill=(60, 60, 60))
    if rng.random() < 0.5:
        band = round(rng.uniform(2, 6) * MM * dpi)
        edge = rng.choice(["top", "bottom", "left", "right"])
        box = {"top": [0, 0, w, band], "bottom": [0, h - band, w, h],
               "left": [0, 0, band, h], "right": [w - band, 0, w, h]}[edge]
        d.rectangle(box, fill=(40, 40, 40))
    return img


def mark(rng, img, dpi, kind):
    d = ImageDraw.Draw(img)
    w, h = img.size
    mm = lambda v: round(v * MM * dpi)
    if kind == "page-number":
        f = ImageFont.truetype(SANS, max(6, round(10 * dpi / 72)))
        d.text((w // 2 - mm(4), h - mm(15)), "- 2 -", font=f, fill=(30, 30, 30))
    elif kind == "signature":
        x0, y0 = mm(rng.uniform(110, 150)), mm(rng.uniform(200, 240))
        for _ in range(3):
            pts = [(x0 + mm(35) * t + mm(4) * math.sin(t * rng.uniform(8, 14)),
                    y0 + mm(6) * math.sin(t * rng.uniform(5, 9) + rng.random())) for t in
                   [i / 60 for i in range(61)]]
            d.line(pts, fill=(20, 30, 110), width=max(1, round(0.4 * MM * dpi)))
    elif kind == "stamp":
        x0, y0 = mm(rng.uniform(20, 150)), mm(rng.uniform(30, 250))
        d.rectangle([x0, y0, x0 + mm(30), y0 + mm(10)], outline=(40, 40, 40),
                    width=max(1, mm(0.5)))
        f = ImageFont.truetype(SANS, max(6, round(8 * dpi / 72)))
        d.text((x0 + mm(2), y0 + mm(2.5)), "ĐÃ KIỂM TRA", font=f, fill=(40, 40, 40))
    elif kind == "seal":
        cx, cy, r = mm(rng.uniform(120, 160)), mm(rng.uniform(200, 250)), mm(18)
        red = (200, 30, 40)
        d.ellipse([cx - r, cy - r, cx + r, cy + r], outline=red, width=max(1, mm(0.8)))
        d.ellipse([cx - r + mm(4), cy - r + mm(4), cx + r - mm(4), cy + r - mm(4)], outline=red,
                  width=max(1, mm(0.5)))
        d.text((cx - mm(8), cy - mm(2)), "ỦY BAN", font=ImageFont.truetype(SANS, max(6, round(8 * dpi / 72))),
               fill=red)
    elif kind == "line":
        f = ImageFont.truetype(SERIF, max(6, round(11 * dpi / 72)))
        d.text((mm(25), mm(rng.uniform(30, 250))), "Trang này để trống.", font=f, fill=(35, 35, 35))


def cases(quick, rng):
    dpis = [200] if quick else [150, 200, 300]
    per = 4 if quick else 10
    for dpi in dpis:
        for i in range(per):
            yield dpi, None
        for kind in MARKS:
            for i in range(max(1, per // 2)):
                yield dpi, kind


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out")
    ap.add_argument("--sohoa", default=str(ROOT / "target/release/sohoa"))
    a = ap.parse_args()
    out = pathlib.Path(a.out) if a.out else pathlib.Path(tempfile.mkdtemp(prefix="bench-blank-"))
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(20261207)
    made = []
    for i, (dpi, kind) in enumerate(cases(a.quick, rng)):
        img = back(rng, dpi)
        if kind:
            mark(rng, img, dpi, kind)
        path = out / f"p{i:03d}-{dpi}dpi-{kind or 'blank'}.jpg"
        img.save(path, "JPEG", quality=rng.randint(50, 85), dpi=(dpi, dpi))
        made.append((path, kind))
    res = subprocess.run([a.sohoa, "eval", "codes", "--json", *[str(p) for p, _ in made]],
                         capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"sohoa eval codes failed: {res.stderr}")
    blank = {pathlib.Path(p["file"]).name: p["blank"] for p in json.loads(res.stdout)}
    tp = fp = fn = tn = 0
    for path, kind in made:
        said = blank[path.name]
        if kind is None and said:
            tp += 1
        elif kind is None:
            fn += 1
            print(f"kept as a page: {path.name}")
        elif said:
            fp += 1
            print(f"CONTENT CALLED BLANK: {path.name}")
        else:
            tn += 1
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    print(f"blank backs {tp + fn}, pages with one mark {fp + tn}: precision {precision:.3f}, "
          f"recall {recall:.3f} (called blank: {tp} right, {fp} wrong; blank kept: {fn})")
    print(f"images in {out}")
    if fp or recall < 0.95:
        sys.exit(1)


if __name__ == "__main__":
    main()
