#!/usr/bin/env python3
"""Digitization benchmark: sohoa against OCRmyPDF 17 and raw `tesseract` on samples/scans.

Run from anywhere with the venv's Python after `bash scripts/setup.sh` and
`cargo build --release` (`make bench` does both):

    .venv/bin/python scripts/bench_digitize.py [--no-big] [--big-pages 200]

Measured, in one run over the same 20 sample files (28 pages):

* sohoa, one `digitize FILE -o OUT --json` call per file (it spreads the pages of a file
  over all cores), and all 20 files in ONE call (a desk digitizing a whole dossier);
* the same calls per file handed to a running `sohoa serve` ([digitize] handoff_socket, a
  service started for the bench under bench-data/digitize/handoff and warmed up by one call);
  the pages are read by the service, so the calls' own CPU column leaves that work out;
* OCRmyPDF with the flags paperless-ngx uses, one call per file:
  `ocrmypdf -l vie --rotate-pages --deskew --output-type pdfa --pdfa-backend internal`
  (OCRmyPDF's default --jobs, i.e. all cores; images are passed directly: OCRmyPDF 17
  accepts single- and multi-page TIFF/PNG/JPEG; --image-dpi is added only for an image
  that claims no DPI, none of the samples needs it; OCRmyPDF keeps its default
  --rotate-pages-threshold 14, below which it leaves a page unrotated: its OSD confidence on
  many of the 90/180/270 degree samples is lower, hence the second CER column over the
  unrotated scans only);
* raw `OMP_THREAD_LIMIT=1 tesseract PAGE.png - -l vie --psm 3` on the upright pages (rotation
  and skew undone from manifest.json, so no orientation/deskew work): once page by page on
  one core (CPU seconds), once two processes at a time (pages per minute).

Pages per minute = pages / wall seconds x 60. CPU = user + system seconds of the child and
its waited-for descendants (os.wait4). CER = Levenshtein over characters / reference length
per page, summed over pages, after the same normalization as `sohoa eval ocr` (NFC,
whitespace runs folded to one space, trimmed); the text of each output page comes from
`pdftotext -f N -l N`.

Peak RSS: a 200-page, 300 dpi, A4 JPEG-scanned PDF built once from the sample pages
(bench-data/digitize/big-200.pdf, reused), digitized under `/usr/bin/time`.

This machine's timings wander by 10-30% from one minute to the next, so the sohoa runs and
the two-process tesseract run are repeated in interleaved rounds (--rounds, default 3) and
each row shows its round of median wall time; the ratios are between those medians.

A second set (the same papers made by `gen-samples.py --variant second`: another seed,
Liberation fonts, other margins and line spacing; generated once into
bench-data/second-set) is digitized in one call, and raw tesseract reads its upright pages:
a change tuned on the samples must not lose accuracy there.

Targets (issue "Digitize at the engine's speed"): sohoa in one call >= 0.95x the pages/min of
raw tesseract in 2 processes at <= 1.1x its CPU; one call per file >= 0.8x the pages/min of
one call for all files; CER on the samples <= 0.25%; the big PDF <= 1 GiB peak.

Prints a table and the targets, writes bench-data/bench_digitize.json. The machine load
(load average, running rustc processes) is recorded around every phase: the timings are
only comparable when nothing else runs.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import hashlib
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
SCANS = ROOT / "samples" / "scans"
DATA = ROOT / "bench-data"
WORK = DATA / "digitize"
BUILT = ROOT / "target" / "release" / "sohoa"
# A private copy, taken at start: a concurrent `cargo build --release` must not swap the binary
# between (or during) the runs of one benchmark.
SOHOA = WORK / "sohoa-under-test"
VENV_BIN = ROOT / ".venv" / "bin"
OCRMYPDF_ARGS = ["-l", "vie", "--rotate-pages", "--deskew", "--output-type", "pdfa",
                 "--pdfa-backend", "internal"]
TESSERACT_ARGS = ["-l", "vie", "--psm", "3"]

TARGET_PPM_RATIO = 10.0
TARGET_CPU_RATIO = 1.3
TARGET_RSS_MIB = 1024.0
# against raw tesseract, 2 processes (pages/min) and 1 process (CPU)
TARGET_ENGINE_PPM = 0.95
TARGET_ENGINE_CPU = 1.1
# one call per file against one call for all files (pages/min)
TARGET_PER_FILE = 0.8
TARGET_CER = 0.0025
SECOND = DATA / "second-set"


# ---------------------------------------------------------------- text and CER

def normalize(s: str) -> str:
    """NFC, whitespace runs -> one space, trimmed (as src/digitize/eval.rs)."""
    return " ".join(unicodedata.normalize("NFC", s).split())


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance over characters (Hyyroe's bit-parallel form of Myers' algorithm,
    exact; Python's big integers make one word of any length)."""
    if not a:
        return len(b)
    if not b:
        return len(a)
    m = len(a)
    peq: dict[str, int] = {}
    for i, c in enumerate(a):
        peq[c] = peq.get(c, 0) | (1 << i)
    mask = (1 << m) - 1
    high = 1 << (m - 1)
    pv, mv, score = mask, 0, m
    for c in b:
        eq = peq.get(c, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = mv | (~(xh | pv) & mask)
        mh = pv & xh
        if ph & high:
            score += 1
        elif mh & high:
            score -= 1
        ph = ((ph << 1) | 1) & mask
        mh = (mh << 1) & mask
        pv = mh | (~(xv | ph) & mask)
        mv = ph & xv
    return score


def _edit_distance_dp(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a):
        cur = [i + 1]
        for j, cb in enumerate(b):
            cur.append(min(prev[j] + (ca != cb), prev[j + 1] + 1, cur[j] + 1))
        prev = cur
    return prev[-1]


def _self_test() -> None:
    import random
    rnd = random.Random(7)
    for _ in range(300):
        a = "".join(rnd.choice("abcđ ễ") for _ in range(rnd.randint(0, 70)))
        b = "".join(rnd.choice("abcđ ễ") for _ in range(rnd.randint(0, 70)))
        assert edit_distance(a, b) == _edit_distance_dp(a, b), (a, b)
    assert normalize(" a\u0301  b\n\fc ") == "á b c"


def page_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    r, h = normalize(reference), normalize(hypothesis)
    return edit_distance(r, h), len(r)


def pdf_page_text(pdf: Path, page: int) -> str:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-f", str(page), "-l", str(page),
                          str(pdf), "-"], check=True, capture_output=True)
    return out.stdout.decode("utf-8", "replace")


def score_pdf(pdf: Path, truths: list[str], first_page: int = 1) -> tuple[int, int, list]:
    """Errors, reference chars and per-page (errors, chars) of pages first_page.. against
    truths."""
    errors = chars = 0
    per_page = []
    for i, truth in enumerate(truths):
        e, n = page_errors(truth, pdf_page_text(pdf, first_page + i))
        errors += e
        chars += n
        per_page.append((e, n))
    return errors, chars, per_page


def page_cers(per_page: list) -> list[float]:
    return [round(e / n, 4) if n else 0.0 for e, n in per_page]


# ---------------------------------------------------------------- processes and load

def machine_state() -> dict:
    rustc = 0
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if (d / "comm").read_text().strip() in ("rustc", "cargo", "cc1", "cc1plus"):
                    rustc += 1
            except OSError:
                pass
    return {"loadavg": [round(x, 2) for x in os.getloadavg()], "build_processes": rustc}


def run(cmd: list[str], env: dict | None = None, stdout: Path | None = None) -> dict:
    """Runs cmd to completion; wall seconds, CPU seconds (child + waited-for descendants),
    peak RSS of the largest process in that tree (KiB)."""
    t0 = time.perf_counter()
    with open(stdout or os.devnull, "wb") as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=ROOT)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != 0:
            err.seek(0)
            sys.exit(f"bench: {' '.join(map(str, cmd))} exited {p.returncode}:\n"
                     + err.read()[-3000:].decode("utf-8", "replace"))
    return {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "maxrss_kib": ru.ru_maxrss}


def run_parallel(cmds: list[tuple[list[str], Path]], jobs: int, env: dict) -> dict:
    """Runs the commands `jobs` at a time; total wall and summed CPU seconds."""
    t0 = time.perf_counter()
    pending = list(cmds)
    running: dict[int, subprocess.Popen] = {}
    files = []
    cpu = 0.0
    while pending or running:
        while pending and len(running) < jobs:
            cmd, out = pending.pop(0)
            f = open(out, "wb")
            files.append(f)
            p = subprocess.Popen(cmd, stdout=f, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
            running[p.pid] = p
        pid, status, ru = os.wait4(-1, 0)
        p = running.pop(pid, None)
        if p is None:
            continue
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != 0:
            sys.exit(f"bench: {p.args} exited {p.returncode}")
        cpu += ru.ru_utime + ru.ru_stime
    for f in files:
        f.close()
    return {"wall": time.perf_counter() - t0, "cpu": cpu}


# ---------------------------------------------------------------- inputs

def load_samples(scans: Path = SCANS) -> list[dict]:
    manifest = json.loads((scans / "manifest.json").read_text())
    files = []
    for entry in sorted(manifest["files"], key=lambda e: e["file"]):
        truth = (scans / entry["ground_truth"]).read_text(encoding="utf-8").split("\f")
        pages = entry["page_details"]
        if len(truth) < len(pages):
            truth += [""] * (len(pages) - len(truth))
        files.append({"file": entry["file"], "path": scans / entry["file"],
                      "format": entry["format"], "dpi": entry["dpi"], "pages": pages,
                      "truth": truth[: len(pages)]})
    return files


def second_set() -> list[dict]:
    """The second, differently generated set (see the module doc); generated once."""
    if not (SECOND / "manifest.json").is_file():
        print("bench: generating the second set ...", file=sys.stderr)
        subprocess.run([sys.executable, str(ROOT / "scripts" / "gen-samples.py"), "--variant",
                        "second", "--out", str(SECOND)], check=True, stdout=subprocess.DEVNULL)
    return load_samples(SECOND)


def scan_images(sample: dict):
    """The page images of a sample file as scanned (rotated, skewed)."""
    path = sample["path"]
    if sample["format"] == "PDF":
        import pikepdf
        with pikepdf.open(path) as pdf:
            for page in pdf.pages:
                images = page.get_images() if hasattr(page, "get_images") else page.images
                raw = next(iter(images.values()))
                yield pikepdf.PdfImage(raw).as_pil_image().copy()
    else:
        with Image.open(path) as im:
            for i in range(getattr(im, "n_frames", 1)):
                im.seek(i)
                yield im.copy()


def upright_pages(samples: list[dict], out_dir: Path = WORK / "upright") -> list[dict]:
    """Writes each page upright (rotation and skew undone from the manifest) as PNG at its
    dpi into out_dir (default bench-data/digitize/upright/); cached."""
    out_dir.mkdir(parents=True, exist_ok=True)
    pages = []
    for s in samples:
        stem = Path(s["file"]).stem
        targets = [out_dir / f"{stem}-p{i + 1}.png" for i in range(len(s["pages"]))]
        if not all(t.is_file() for t in targets):
            for i, im in enumerate(scan_images(s)):
                if i >= len(targets):
                    break
                d = s["pages"][i]
                if im.mode not in ("L", "RGB"):
                    im = im.convert("L" if im.mode in ("1", "LA", "I;16", "P") else "RGB")
                white = 255 if im.mode == "L" else (255, 255, 255)
                # rotation: clockwise degrees applied -> turn counter-clockwise (PIL: +angle)
                if d["rotation"]:
                    im = im.rotate(d["rotation"], expand=True)
                # skew: counter-clockwise positive applied -> rotate back by -skew
                if d["skew"]:
                    im = im.rotate(-d["skew"], resample=Image.BICUBIC,
                                   fillcolor=white)
                im.save(targets[i], dpi=(s["dpi"], s["dpi"]))
        for i, t in enumerate(targets):
            pages.append({"png": t, "truth": s["truth"][i]})
    return pages


def build_big_pdf(samples: list[dict], n_pages: int) -> Path:
    """n_pages A4 pages, 300 dpi, JPEG q85, cycling the sample pages as scanned (rotated,
    skewed; each resized to A4 at 300 dpi, all samples are ISO-proportioned). The JPEGs are
    embedded unchanged with img2pdf (Pillow's PDF writer would keep all 200 decoded pages,
    ~5 GB, in memory). Cached."""
    path = WORK / f"big-{n_pages}.pdf"
    if path.is_file():
        return path
    import img2pdf
    sources = [im for s in samples for im in scan_images(s)]
    jpegs = []
    for k in range(n_pages):
        im = sources[k % len(sources)]
        if im.mode not in ("L", "RGB"):
            im = im.convert("L")
        size = (2480, 3508) if im.height >= im.width else (3508, 2480)
        buf = io.BytesIO()
        im.resize(size, Image.LANCZOS).save(buf, "JPEG", quality=85, dpi=(300, 300))
        jpegs.append(buf.getvalue())
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        img2pdf.convert(jpegs, outputstream=f)
    tmp.rename(path)
    return path


def pdf_pages(pdf: Path) -> int:
    out = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True)
    return int(next(l.split()[1] for l in out.stdout.splitlines() if l.startswith("Pages:")))


# ---------------------------------------------------------------- phases

def phase(name: str, results: dict):
    print(f"bench: {name} ...", file=sys.stderr, flush=True)
    results.setdefault("load", {})[name] = {"before": machine_state()}


def phase_end(name: str, results: dict):
    results["load"][name]["after"] = machine_state()


def bench_sohoa_per_file(samples, results, config: Path | None = None, name="sohoa per file",
                         stem="sohoa"):
    phase(name, results)
    out = WORK / stem
    out.mkdir(parents=True, exist_ok=True)
    wall = cpu = 0.0
    errors = chars = 0
    per_file = []
    cfg = ["--config", str(config)] if config else []
    for s in samples:
        pdf = out / (s["file"] + ".pdf")
        r = run([str(SOHOA), *cfg, "digitize", str(s["path"]), "-o", str(pdf), "--json"],
                stdout=out / (s["file"] + ".json"))
        e, n, cers = score_pdf(pdf, s["truth"])
        wall += r["wall"]
        cpu += r["cpu"]
        errors += e
        chars += n
        per_file.append({"file": s["file"], "pages": len(s["truth"]), "wall": round(r["wall"], 3),
                         "cpu": round(r["cpu"], 3), "maxrss_mib": round(r["maxrss_kib"] / 1024, 1),
                         "cer": round(e / n, 4) if n else 0.0, "page_cer": page_cers(cers), "page_errors": cers,
                         "rotation": [d["rotation"] for d in s["pages"]]})
    phase_end(name, results)
    return {"wall": wall, "cpu": cpu, "errors": errors, "chars": chars, "files": per_file}


def service_config(d: Path, unit: str, extra: str) -> Path:
    """d/config.toml for a `sohoa serve` with the test signer and trust (certs-test/), its
    store under d/data for `unit`, and `extra` TOML."""
    c = lambda n: str(ROOT / "certs-test" / n)  # noqa: E731
    cfg = d / "config.toml"
    cfg.write_text(
        '[sign]\ndefault_signer = "official"\n'
        f'[signers.official]\npkcs12 = "{c("official-signer.p12")}"\n'
        f'passphrase_file = "{c("PASSPHRASE-TEST-ONLY.txt")}"\n'
        f'[trust]\nanchors = ["{c("root-ca.pem")}"]\nintermediates = ["{c("sub-ca.pem")}"]\n'
        f'[store]\nroot = "data"\nunit = "{unit}"\n' + extra, encoding="utf-8")
    return cfg


def start_handoff_service() -> tuple[subprocess.Popen, Path]:
    """A `sohoa serve` (store, inbox and hand-off socket under WORK/handoff) that takes
    `sohoa digitize` calls made with the config it returns; warmed up by one call."""
    d = WORK / "handoff"
    shutil.rmtree(d, ignore_errors=True)
    (d / "inbox" / "000.00.10.H59").mkdir(parents=True)
    cfg = service_config(d, "000.00.10.H59", '[digitize]\nhandoff_socket = "data/digitize.sock"\n')
    log = open(d / "serve.log", "wb")
    p = subprocess.Popen([str(SOHOA), "--config", str(cfg), "serve"], cwd=ROOT, stdout=log,
                         stderr=subprocess.STDOUT)
    t0 = time.perf_counter()
    while b"digitize hand-off: listening" not in (d / "serve.log").read_bytes():
        if p.poll() is not None or time.perf_counter() - t0 > 60:
            sys.exit(f"bench: sohoa serve did not open its hand-off socket; see {d / 'serve.log'}")
        time.sleep(0.05)
    warm = load_samples()[0]
    run([str(SOHOA), "--config", str(cfg), "digitize", str(warm["path"]), "-o", str(d / "warm.pdf")])
    return p, cfg


def stop_service(p: subprocess.Popen) -> None:
    """SIGTERM, as systemd sends it; killed after 120 s."""
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=120)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def stop_handoff_service(p: subprocess.Popen) -> None:
    stop_service(p)
    if b"digitize hand-off: read" not in (WORK / "handoff" / "serve.log").read_bytes():
        sys.exit("bench: no call was handed to sohoa serve")


def bench_sohoa_one_call(samples, results, name="sohoa one call", stem="sohoa-all"):
    phase(name, results)
    pdf = WORK / f"{stem}.pdf"
    r = run([str(SOHOA), "digitize", *[str(s["path"]) for s in samples], "-o", str(pdf),
             "--json"], stdout=WORK / f"{stem}.json")
    errors = chars = 0
    first = 1
    files = []
    for s in samples:
        e, n, per_page = score_pdf(pdf, s["truth"], first)
        errors += e
        chars += n
        first += len(s["truth"])
        files.append({"file": s["file"], "page_cer": page_cers(per_page), "page_errors": per_page,
                      "rotation": [d["rotation"] for d in s["pages"]]})
    phase_end(name, results)
    return {"wall": r["wall"], "cpu": r["cpu"], "errors": errors, "chars": chars,
            "maxrss_mib": round(r["maxrss_kib"] / 1024, 1), "files": files}


def bench_ocrmypdf(samples, results):
    phase("ocrmypdf per file", results)
    out = WORK / "ocrmypdf"
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}:{env.get('PATH', '')}"
    wall = cpu = 0.0
    errors = chars = 0
    per_file = []
    for s in samples:
        pdf = out / (s["file"] + ".pdf")
        extra = []
        if s["format"] != "PDF":
            with Image.open(s["path"]) as im:
                if not im.info.get("dpi"):
                    extra = ["--image-dpi", str(s["dpi"])]
        r = run([str(VENV_BIN / "ocrmypdf"), *OCRMYPDF_ARGS, *extra, str(s["path"]), str(pdf)],
                env=env)
        e, n, cers = score_pdf(pdf, s["truth"])
        wall += r["wall"]
        cpu += r["cpu"]
        errors += e
        chars += n
        per_file.append({"file": s["file"], "pages": len(s["truth"]), "wall": round(r["wall"], 3),
                         "cpu": round(r["cpu"], 3), "cer": round(e / n, 4) if n else 0.0,
                         "page_cer": page_cers(cers), "page_errors": cers,
                         "rotation": [d["rotation"] for d in s["pages"]]})
    phase_end("ocrmypdf per file", results)
    return {"wall": wall, "cpu": cpu, "errors": errors, "chars": chars, "files": per_file}


def tesseract_commands(pages, out: Path):
    out.mkdir(parents=True, exist_ok=True)
    return [(["tesseract", str(p["png"]), "-", *TESSERACT_ARGS], out / (p["png"].stem + ".txt"))
            for p in pages]


TESSERACT_ENV = dict(os.environ, OMP_THREAD_LIMIT="1")


def bench_tesseract_serial(pages, results):
    phase("tesseract serial", results)
    serial = run_parallel(tesseract_commands(pages, WORK / "tesseract"), 1, TESSERACT_ENV)
    phase_end("tesseract serial", results)
    return serial


def bench_tesseract_parallel(pages, results):
    phase("tesseract 2 parallel", results)
    parallel = run_parallel(tesseract_commands(pages, WORK / "tesseract"), 2, TESSERACT_ENV)
    phase_end("tesseract 2 parallel", results)
    return parallel


def tesseract_errors(pages, out: Path) -> tuple[int, int]:
    errors = chars = 0
    for p, (_, txt) in zip(pages, tesseract_commands(pages, out)):
        e, n = page_errors(p["truth"], txt.read_text(encoding="utf-8", errors="replace"))
        errors += e
        chars += n
    return errors, chars


def median_round(rounds: list[dict]) -> dict:
    """The round of median wall time (the lower middle one for an even count)."""
    ordered = sorted(rounds, key=lambda r: r["wall"])
    return dict(ordered[(len(ordered) - 1) // 2], walls=[round(r["wall"], 2) for r in rounds])


def bench_big(samples, n_pages, results):
    phase("big pdf build", results)
    t0 = time.perf_counter()
    big = build_big_pdf(samples, n_pages)
    build_s = time.perf_counter() - t0
    phase_end("big pdf build", results)
    pages = pdf_pages(big)
    phase("big pdf sohoa", results)
    timing = WORK / "big-time.txt"
    out = WORK / "big-out.pdf"
    run(["/usr/bin/time", "-o", str(timing), "-f", "%M %e %U %S", str(SOHOA), "digitize",
         str(big), "-o", str(out)])
    phase_end("big pdf sohoa", results)
    maxrss_kib, wall, user, sys_ = timing.read_text().split()[-4:]
    return {"input": str(big.relative_to(ROOT)), "pages": pages,
            "input_mib": round(big.stat().st_size / 2**20, 1), "build_seconds": round(build_s, 1),
            "maxrss_mib": round(int(maxrss_kib) / 1024, 1), "wall": float(wall),
            "cpu": float(user) + float(sys_),
            "pages_per_minute": round(pages / float(wall) * 60, 1)}


# ---------------------------------------------------------------- main

def ppm(pages: int, wall: float) -> float:
    return pages / wall * 60 if wall > 0 else 0.0


def cer(d: dict) -> float:
    return d["errors"] / d["chars"] if d["chars"] else 0.0


def cer_unrotated(d: dict) -> float:
    """CER over the pages scanned with rotation 0 only (skew still present)."""
    e = n = 0
    for f in d["files"]:
        for (pe, pn), rot in zip(f["page_errors"], f["rotation"]):
            if rot == 0:
                e += pe
                n += pn
    return e / n if n else 0.0


def version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, subprocess.CalledProcessError):
        return "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--no-big", action="store_true", help="skip the peak-RSS run")
    ap.add_argument("--big-pages", type=int, default=200)
    ap.add_argument("--skip-ocrmypdf", action="store_true")
    ap.add_argument("--binary", type=Path, default=BUILT,
                    help="the sohoa binary to measure (default target/release/sohoa), e.g. an "
                         "older build for a before/after comparison")
    ap.add_argument("--rounds", type=int, default=3,
                    help="interleaved rounds of the sohoa and 2-process tesseract runs")
    args = ap.parse_args()

    _self_test()
    if not args.binary.is_file():
        sys.exit("bench: build first: cargo build --release")
    WORK.mkdir(parents=True, exist_ok=True)
    shutil.copy2(args.binary, SOHOA)
    newest_src = max(p.stat().st_mtime for p in (ROOT / "src").rglob("*.rs"))
    stale = args.binary == BUILT and newest_src > SOHOA.stat().st_mtime
    if stale:
        print("bench: warning: target/release/sohoa is older than src/ (run cargo build "
              "--release)", file=sys.stderr)
    if not args.skip_ocrmypdf and not (VENV_BIN / "ocrmypdf").is_file():
        sys.exit("bench: ocrmypdf missing: bash scripts/setup.sh")
    WORK.mkdir(parents=True, exist_ok=True)

    samples = load_samples()
    n_pages = sum(len(s["truth"]) for s in samples)
    results: dict = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "tesseract": version(["tesseract", "--version"]),
                    "ocrmypdf": None if args.skip_ocrmypdf
                    else version([str(VENV_BIN / "ocrmypdf"), "--version"]),
                    "sohoa_binary_mtime": time.strftime(
                        "%Y-%m-%dT%H:%M:%SZ", time.gmtime(SOHOA.stat().st_mtime)),
                    "sohoa_binary_older_than_src": stale,
                    "sohoa_binary_sha256": hashlib.sha256(SOHOA.read_bytes()).hexdigest()},
        "files": len(samples), "pages": n_pages,
        "ocrmypdf_command": "ocrmypdf " + " ".join(OCRMYPDF_ARGS) + " IN OUT (default --jobs)",
        "tesseract_command": "OMP_THREAD_LIMIT=1 tesseract PAGE.png - " + " ".join(TESSERACT_ARGS),
    }
    print("bench: preparing upright pages ...", file=sys.stderr)
    upright = upright_pages(samples)

    rounds: dict[str, list] = {"so": [], "so1": [], "te2": [], "soh": []}
    service, handoff_cfg = start_handoff_service()
    try:
        for _ in range(max(1, args.rounds)):
            rounds["so"].append(bench_sohoa_per_file(samples, results))
            rounds["so1"].append(bench_sohoa_one_call(samples, results))
            rounds["te2"].append(bench_tesseract_parallel(upright, results))
            rounds["soh"].append(bench_sohoa_per_file(
                samples, results, handoff_cfg, "sohoa per file, handed to serve", "sohoa-handed"))
    finally:
        stop_handoff_service(service)
    so, so1 = median_round(rounds["so"]), median_round(rounds["so1"])
    soh = median_round(rounds["soh"])
    om = None if args.skip_ocrmypdf else bench_ocrmypdf(samples, results)
    te_errors, te_chars = tesseract_errors(upright, WORK / "tesseract")
    te = {"serial": bench_tesseract_serial(upright, results),
          "parallel": median_round(rounds["te2"]), "errors": te_errors, "chars": te_chars}
    second = second_set()
    second_upright = upright_pages(second, WORK / "second-upright")
    so2 = bench_sohoa_one_call(second, results, "sohoa one call, second set", "sohoa-second")
    run_parallel(tesseract_commands(second_upright, WORK / "tesseract-second"), 2, TESSERACT_ENV)
    te2_errors, te2_chars = tesseract_errors(second_upright, WORK / "tesseract-second")
    te_second = {"errors": te2_errors, "chars": te2_chars}
    big = None if args.no_big else bench_big(samples, args.big_pages, results)

    rows = [
        ("sohoa, 1 call/file", so["wall"], so["cpu"], cer(so), cer_unrotated(so)),
        ("sohoa, 1 call/20 files", so1["wall"], so1["cpu"], cer(so1), cer_unrotated(so1)),
        ("sohoa, 1 call/file, to serve", soh["wall"], soh["cpu"], cer(soh), cer_unrotated(soh)),
    ]
    if om:
        rows.append(("OCRmyPDF 17, 1 call/file", om["wall"], om["cpu"], cer(om), cer_unrotated(om)))
    rows.append(("tesseract upright, 1 core", te["serial"]["wall"], te["serial"]["cpu"], cer(te),
                 None))
    rows.append(("tesseract upright, 2 procs", te["parallel"]["wall"], te["parallel"]["cpu"],
                 cer(te), None))
    n_second = sum(len(s["truth"]) for s in second)

    print(f"\nsohoa digitize benchmark: {len(samples)} files, {n_pages} pages, "
          f"{os.cpu_count()} CPUs; {results['machine']['tesseract']}; "
          f"OCRmyPDF {results['machine']['ocrmypdf']}; sohoa built "
          f"{results['machine']['sohoa_binary_mtime']}")
    n_rot0 = sum(1 for s in samples for d in s["pages"] if d["rotation"] == 0)
    print(f"{'run':<28}{'wall s':>8}{'pages/min':>11}{'CPU s':>8}{'CPU s/page':>12}{'CER':>8}"
          f"{f'CER {n_rot0} unrot. pp':>20}")
    table = []
    for name, wall, cpu_s, c, c0 in rows:
        c0s = "-" if c0 is None else f"{c0 * 100:.2f}%"
        print(f"{name:<28}{wall:>8.1f}{ppm(n_pages, wall):>11.1f}{cpu_s:>8.1f}"
              f"{cpu_s / n_pages:>12.2f}{c * 100:>7.2f}%{c0s:>20}")
        table.append({"run": name, "wall": round(wall, 2), "pages_per_minute": round(ppm(n_pages, wall), 2),
                      "cpu": round(cpu_s, 2), "cer": round(c, 5),
                      "cer_unrotated_pages": None if c0 is None else round(c0, 5)})
    print(f"{'second set: sohoa, 1 call':<28}{so2['wall']:>8.1f}{ppm(n_second, so2['wall']):>11.1f}"
          f"{so2['cpu']:>8.1f}{so2['cpu'] / n_second:>12.2f}{cer(so2) * 100:>7.2f}%"
          f"{cer_unrotated(so2) * 100:>19.2f}%")
    print(f"{'second set: tesseract':<28}{'':>8}{'':>11}{'':>8}{'':>12}{cer(te_second) * 100:>7.2f}%")
    print(f"(median of {max(1, args.rounds)} rounds; walls: sohoa per file {so['walls']}, "
          f"one call {so1['walls']}, tesseract 2 procs {te['parallel']['walls']})")
    table.append({"run": "second set: sohoa, 1 call", "wall": round(so2["wall"], 2),
                  "cpu": round(so2["cpu"], 2), "cer": round(cer(so2), 5)})
    table.append({"run": "second set: tesseract upright", "cer": round(cer(te_second), 5)})
    results["table"] = table

    targets = {}
    print()
    if om:
        for label, d in (("1 call/file", so), ("1 call/20 files", so1)):
            ratio = om["wall"] / d["wall"]
            ok = ratio >= TARGET_PPM_RATIO
            targets[f"ppm ratio ({label})"] = {"value": round(ratio, 2), "target": ">= 10", "met": ok}
            print(f"pages/min sohoa ({label}) / OCRmyPDF: {ratio:5.2f}x  (target >= "
                  f"{TARGET_PPM_RATIO:g}x; tesseract alone, 2 procs: "
                  f"{om['wall'] / te['parallel']['wall']:.2f}x)  {'MET' if ok else 'NOT MET'}")
        for label, d in (("1 call/file", so), ("1 call/20 files", so1)):
            ok = cer(d) <= cer(om)
            targets[f"cer ({label})"] = {"value": round(cer(d), 5), "ocrmypdf": round(cer(om), 5),
                                         "met": ok}
            print(f"CER sohoa ({label}) {cer(d) * 100:.2f}% vs OCRmyPDF {cer(om) * 100:.2f}%  "
                  f"(target: no worse)  {'MET' if ok else 'NOT MET'}")
    for label, d in (("1 call/file", so), ("1 call/20 files", so1)):
        ratio = d["cpu"] / te["serial"]["cpu"]
        ok = ratio <= TARGET_CPU_RATIO
        targets[f"cpu ratio ({label})"] = {"value": round(ratio, 3), "target": "<= 1.3", "met": ok}
        print(f"CPU sohoa ({label}) / raw tesseract: {d['cpu']:.1f} / {te['serial']['cpu']:.1f} s "
              f"= {ratio:.2f}x  (target <= {TARGET_CPU_RATIO:g}x)  {'MET' if ok else 'NOT MET'}")
    engine_ppm = te["parallel"]["wall"] / so1["wall"]
    ok = engine_ppm >= TARGET_ENGINE_PPM
    targets["ppm vs tesseract 2 procs (1 call/20 files)"] = {
        "value": round(engine_ppm, 3), "target": f">= {TARGET_ENGINE_PPM}", "met": ok}
    print(f"pages/min sohoa (1 call/20 files) / raw tesseract, 2 procs: {engine_ppm:.2f}x  "
          f"(target >= {TARGET_ENGINE_PPM}x)  {'MET' if ok else 'NOT MET'}")
    engine_cpu = so1["cpu"] / te["serial"]["cpu"]
    ok = engine_cpu <= TARGET_ENGINE_CPU
    targets["cpu vs tesseract (1 call/20 files)"] = {
        "value": round(engine_cpu, 3), "target": f"<= {TARGET_ENGINE_CPU}", "met": ok}
    print(f"CPU sohoa (1 call/20 files) / raw tesseract: {engine_cpu:.2f}x  "
          f"(target <= {TARGET_ENGINE_CPU}x)  {'MET' if ok else 'NOT MET'}")
    per_file = so1["wall"] / so["wall"]
    ok = per_file >= TARGET_PER_FILE
    targets["ppm 1 call/file vs 1 call/20 files"] = {
        "value": round(per_file, 3), "target": f">= {TARGET_PER_FILE}", "met": ok}
    print(f"pages/min sohoa 1 call/file / 1 call/20 files: {per_file:.2f}x  "
          f"(target >= {TARGET_PER_FILE}x)  {'MET' if ok else 'NOT MET'}")
    handed = so1["wall"] / soh["wall"]
    ok = handed >= TARGET_PER_FILE
    targets["ppm 1 call/file handed to serve vs 1 call/20 files"] = {
        "value": round(handed, 3), "target": f">= {TARGET_PER_FILE}", "met": ok}
    print(f"pages/min sohoa 1 call/file handed to a running sohoa serve / 1 call/20 files: "
          f"{handed:.2f}x  (target >= {TARGET_PER_FILE}x)  {'MET' if ok else 'NOT MET'}; its CPU "
          f"is the service's, not counted in the calls' CPU column")
    ok = cer(so1) <= TARGET_CER
    targets["cer samples"] = {"value": round(cer(so1), 5), "target": f"<= {TARGET_CER}", "met": ok}
    print(f"CER sohoa on the samples: {cer(so1) * 100:.2f}%  (target <= {TARGET_CER * 100:.2f}%)  "
          f"{'MET' if ok else 'NOT MET'}; second set: {cer(so2) * 100:.2f}% "
          f"(raw tesseract {cer(te_second) * 100:.2f}%)")
    if big:
        ok = big["maxrss_mib"] <= TARGET_RSS_MIB
        targets["peak rss"] = {"value_mib": big["maxrss_mib"], "target_mib": TARGET_RSS_MIB, "met": ok}
        print(f"peak RSS, {big['pages']}-page 300 dpi scanned PDF ({big['input_mib']} MiB): "
              f"{big['maxrss_mib']:.0f} MiB, {big['wall']:.0f} s wall, {big['cpu']:.0f} s CPU, "
              f"{big['pages_per_minute']:.1f} pages/min  (target <= 1024 MiB)  "
              f"{'MET' if ok else 'NOT MET'}")
    loads = "; ".join(f"{k} {v['before']['loadavg'][0]}->{v['after']['loadavg'][0]}"
                      + (f" ({v['after']['build_processes']} build procs)"
                         if v['after']['build_processes'] or v['before']['build_processes'] else "")
                      for k, v in results["load"].items())
    print(f"load (1-min avg before->after): {loads}")
    if stale:
        print("WARNING: target/release/sohoa is older than src/")

    results.update({"sohoa_per_file": so, "sohoa_per_file_handed": soh, "sohoa_one_call": so1, "sohoa_second_set": so2,
                    "tesseract_second_set": te_second, "ocrmypdf": om,
                    "tesseract": {k: v for k, v in te.items()}, "big": big, "targets": targets})
    (DATA / "bench_digitize.json").write_text(json.dumps(results, indent=1, default=str) + "\n")
    print(f"wrote {(DATA / 'bench_digitize.json').relative_to(ROOT)}")


if __name__ == "__main__":
    main()
