#!/usr/bin/env python3
"""Stage `similar` (beside `classify`, used by `store`/`find`): generates the labelled set that
measures the near-duplicate check (`sohoa find --like`): re-scans of the same paper must match,
look-alikes (another paper of the same type and the same person) must not.

    .venv/bin/python scripts/gen_rescans.py [--out bench-data/similar] [--n 40]

The papers, fonts and degradation are those of scripts/gen-samples.py, imported with importlib
(its outputs are not touched). For each of N originals (paper types in rotation, each from its
own seed):

  orig       the paper typeset (at 300 dpi, resampled to 200 or 300) and scanned (skew, blur, noise, tint, lighting,
             JPEG or PNG);
  rescan 1-2 the SAME paper scanned again: new skew within ±2°, new noise, JPEG quality 40-90,
             200 or 300 dpi (the paper typeset once at 300 dpi, resampled), the page shifted on a larger
             scanner bed by up to 8 mm (sometimes with a dark border strip at an edge), brightness
             and contrast changed by up to ±6 %, now and then turned 180°;
  look 1-2   a look-alike: the same paper function replayed with the SAME people, places and
             choices (every `Fake.person` and `Fake.pick` of the original, in order) but a new
             random stream, so only the numbers and dates drawn with `rng.randint`/`Fake.date`
             differ (another decision number and date, another parcel, another certificate
             number, another declaration date ...); scanned with the same kind of degradation.
             Paper types whose replay changes nothing (the identity card: same person, same
             card) get no look-alike; a replay equal to the original is drawn again.

Multi-page papers keep their first page only, except every fourth such original, which keeps
all its pages (files NAME-p1.jpg, NAME-p2.jpg ...), so the page-wise comparison is exercised.

manifest.json: "papers" (id, kind orig/rescan/look, original id, paper type, files in page order,
dpi, rotation, skew, quality, shift, border) and "pairs" (a, b, same): positives are every two
scans of one paper (orig-rescan, rescan-rescan); negatives are every scan of the original against
every look-alike, look-alike against look-alike, and the originals of two different people's
papers of the same type. "differs" lists, per look-alike, the lines that differ from the
original (ground truth), to see how small the difference is.

Deterministic: randomness comes from random.Random seeded with the file name.
"""
import argparse
import importlib.util
import json
import os
import random
import sys
import time
import zlib

from PIL import Image, ImageDraw

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_OUT = os.path.join(ROOT, "bench-data", "similar")
SEED = 20240611


def load_samples():
    spec = importlib.util.spec_from_file_location("gen_samples", os.path.join(HERE, "gen-samples.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


G = load_samples()

# paper key -> (make(f), size, number of pages kept by default)
TYPES = [
    ("don-xac-nhan-hon-nhan", lambda f: G.paper_don(f, "xác nhận tình trạng hôn nhân")),
    ("don-ban-sao-khai-sinh", lambda f: G.paper_don(f, "cấp bản sao giấy khai sinh")),
    ("don-cap-lai-gcn", lambda f: G.paper_don(f, "cấp lại giấy chứng nhận quyền sử dụng đất")),
    ("to-khai", G.paper_to_khai),
    ("cccd", G.paper_cccd),
    ("khai-sinh", G.paper_khai_sinh),
    ("gcn-dat", G.paper_gcn_dat),
    ("dkdn", G.paper_dkdn),
    ("quyet-dinh", G.paper_quyet_dinh),
    ("uy-quyen", G.paper_uy_quyen),
    ("cu-tru", G.paper_cu_tru),
]


def seed_of(name):
    return SEED * 1000003 + zlib.crc32(name.encode())


class RecordingFake(G.Fake):
    """A Fake that records the people and the top-level picks it hands out, in order."""

    def __init__(self, rng):
        super().__init__(rng)
        self.people, self.picks, self.depth = [], [], 0

    def person(self, *a, **kw):
        self.depth += 1
        try:
            p = super().person(*a, **kw)
        finally:
            self.depth -= 1
        self.people.append(p)
        return p

    def pick(self, seq):
        v = super().pick(seq)
        if self.depth == 0:
            self.picks.append(v)
        return v


class ReplayFake(G.Fake):
    """Hands out the recorded people and picks again; numbers and dates come from a new rng."""

    def __init__(self, rng, rec):
        super().__init__(rng)
        self.people, self.picks, self.depth = list(rec.people), list(rec.picks), 0

    def person(self, *a, **kw):
        return self.people.pop(0)

    def pick(self, seq):
        return self.picks.pop(0)


def lines_of(ts, pages):
    return [ts.render(p)[1] for p in pages]


def scan(ts_pages, spec, rng, rot, skew, quality, shift_mm, border, bright, path_stem, fmt):
    """Degrades each rendered page, puts it on a scanner bed, writes the files; returns names."""
    names = []
    dpi = spec["dpi"]
    for i, page in enumerate(ts_pages):
        img = G.degrade(page, spec, 0, skew, rng)
        # scanner bed: a little larger than the paper, the paper shifted on it
        extra = [round(v / 25.4 * dpi) for v in (10, 10)]
        dx = round((5 + shift_mm[0]) / 25.4 * dpi)
        dy = round((5 + shift_mm[1]) / 25.4 * dpi)
        bed_tone = 255 if img.mode == "L" else (255, 255, 255)
        bed = Image.new(img.mode, (img.width + extra[0], img.height + extra[1]), bed_tone)
        bed.paste(img, (max(0, dx), max(0, dy)))
        if border:
            d = ImageDraw.Draw(bed)
            side, width = border
            wpx = max(2, round(width / 25.4 * dpi))
            dark = 40 if bed.mode == "L" else (40, 40, 40)
            box = {"left": (0, 0, wpx, bed.height), "right": (bed.width - wpx, 0, bed.width, bed.height),
                   "top": (0, 0, bed.width, wpx), "bottom": (0, bed.height - wpx, bed.width, bed.height)}[side]
            d.rectangle(box, fill=dark)
        a, b = bright
        bed = bed.point(lambda v: max(0, min(255, round(v * a + b))))
        if rot:
            bed = bed.transpose({90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180,
                                 270: Image.Transpose.ROTATE_90}[rot])
        suffix = f"-p{i + 1}" if len(ts_pages) > 1 else ""
        if fmt == "JPEG":
            name = f"{path_stem}{suffix}.jpg"
            bed.save(name, "JPEG", quality=quality, dpi=(dpi, dpi), optimize=True)
        else:
            name = f"{path_stem}{suffix}.png"
            bed.convert("L").save(name, "PNG", dpi=(dpi, dpi), optimize=True)
        names.append(os.path.basename(name))
    return names


def scan_spec(rng, base, first):
    """Degradation parameters for one scan of a paper typeset with `base` (size, font)."""
    dpi = rng.choice([200, 300])
    noise = ("gauss", rng.choice([3, 4, 5, 6])) if rng.random() < 0.75 else ("sp", rng.choice([0.5, 1.0, 1.5]))
    color = rng.random() < 0.5
    fmt = "PNG" if (first and rng.random() < 0.25) else "JPEG"
    spec = dict(name="x", fmt=fmt, size=base["size"], dpi=dpi, color=color and fmt == "JPEG",
                tint=rng.choice(list(G.TINTS)), blur=rng.choice([0.5, 0.6, 0.7, 0.8, 0.9, 1.0]),
                noise=noise, light=rng.choice([0.0, 0.04, 0.06, 0.08, 0.1]))
    params = dict(
        rot=180 if rng.random() < 0.15 else 0,
        skew=round(rng.uniform(-2.0, 2.0), 2),
        quality=rng.randint(40, 90),
        shift_mm=(round(rng.uniform(-4, 4), 1), round(rng.uniform(-4, 4), 1)),
        border=(rng.choice(["left", "right", "top", "bottom"]), round(rng.uniform(2, 6), 1))
        if rng.random() < 0.25 else None,
        bright=(round(rng.uniform(0.94, 1.06), 3), round(rng.uniform(-6, 6), 1)),
    )
    return spec, params


def generate(out, n):
    os.makedirs(out, exist_ok=True)
    for old in os.listdir(out):
        if old.endswith((".jpg", ".png")) or old == "manifest.json":
            os.remove(os.path.join(out, old))
    papers, pairs, differs = [], [], {}
    by_type = {}
    multi_seen = 0
    for k in range(n):
        key, make = TYPES[k % len(TYPES)]
        oid = f"{k:02d}-{key}"
        rng = random.Random(seed_of("paper:" + oid))
        rec = RecordingFake(random.Random(seed_of("fake:" + oid)))
        pages = make(rec)
        keep = len(pages)
        if keep > 1:
            multi_seen += 1
            if multi_seen % 4 != 1:
                keep = 1
        pages = pages[:keep]
        base = dict(size=rng.choice(["A4", "A4", "A5"]) if key != "gcn-dat" else "A4",
                    font=(rng.choice(["sans", "serif"]), rng.choice([11, 12])))
        variants = [("orig", 0, pages), ("rescan", 1, pages), ("rescan", 2, pages)]
        if key != "cccd":
            looks = 2 if k % 4 == 0 else 1
            made = 0
            attempt = 0
            ref = lines_of(G.Typesetter(base["size"], 300, *base["font"]), pages)
            while made < looks and attempt < 20:
                attempt += 1
                lf = ReplayFake(random.Random(seed_of(f"look:{oid}:{attempt}")), rec)
                lp = make(lf)[:keep]
                lt = lines_of(G.Typesetter(base["size"], 300, *base["font"]), lp)
                if lt == ref or any(lt == lines_of(G.Typesetter(base["size"], 300, *base["font"]), v[2])
                                    for v in variants if v[0] == "look"):
                    continue
                made += 1
                variants.append(("look", made, lp))
                diff = [(a, b) for pa, pb in zip(ref, lt) for a, b in zip(pa, pb) if a != b]
                differs[f"{oid}-look{made}"] = diff
        ids = {}
        for kind, idx, pg in variants:
            vid = oid if kind == "orig" else f"{oid}-{kind}{idx}"
            vrng = random.Random(seed_of("scan:" + vid))
            spec, params = scan_spec(vrng, base, kind == "orig")
            # typeset once at 300 dpi (the printed paper), sampled at the scan's resolution: a
            # re-scan at another dpi sees the same line breaks
            ts = G.Typesetter(base["size"], 300, *base["font"])
            rendered = [ts.render(p)[0] for p in pg]
            if spec["dpi"] != 300:
                k = spec["dpi"] / 300
                rendered = [r.resize((round(r.width * k), round(r.height * k)), Image.Resampling.BOX)
                            for r in rendered]
            files = scan(rendered, spec, vrng, params["rot"], params["skew"], params["quality"],
                         params["shift_mm"], params["border"], params["bright"],
                         os.path.join(out, vid), spec["fmt"])
            papers.append(dict(id=vid, kind=kind, original=oid, type=key, files=files,
                               dpi=spec["dpi"], format=spec["fmt"], **params))
            ids.setdefault(kind, []).append(vid)
        scans = [oid] + ids.get("rescan", [])
        looks = ids.get("look", [])
        for i in range(len(scans)):
            for j in range(i + 1, len(scans)):
                pairs.append(dict(a=scans[i], b=scans[j], same=True, why="rescan"))
        for s in scans:
            for lk in looks:
                pairs.append(dict(a=s, b=lk, same=False, why="look-alike"))
        for i in range(len(looks)):
            for j in range(i + 1, len(looks)):
                pairs.append(dict(a=looks[i], b=looks[j], same=False, why="look-alike"))
        for other in by_type.get(key, []):
            pairs.append(dict(a=other, b=oid, same=False, why="same type, other person"))
        by_type.setdefault(key, []).append(oid)
    manifest = dict(generator="scripts/gen_rescans.py", seed=SEED, papers=papers, pairs=pairs,
                    differs=differs)
    with open(os.path.join(out, "manifest.json"), "w", encoding="utf-8", newline="\n") as fh:
        json.dump(manifest, fh, ensure_ascii=False, indent=1)
        fh.write("\n")
    return manifest


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--n", type=int, default=40, help="number of originals (default 40)")
    args = ap.parse_args()
    t = time.monotonic()
    m = generate(args.out, args.n)
    files = sum(len(p["files"]) for p in m["papers"])
    pos = sum(p["same"] for p in m["pairs"])
    print(f"wrote {len(m['papers'])} scans ({files} images), {len(m['pairs'])} pairs "
          f"({pos} same, {len(m['pairs']) - pos} different) to {os.path.relpath(args.out)} "
          f"in {time.monotonic() - t:.1f} s")


if __name__ == "__main__":
    sys.exit(main())
