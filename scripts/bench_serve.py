#!/usr/bin/env python3
"""Service benchmark: `sohoa serve` time-to-signed and throughput against raw `tesseract`.

Run after `bash scripts/setup.sh` and `cargo build --release` (`make bench` does both):

    .venv/bin/python scripts/bench_serve.py [--burst 1000] [--burst-seconds 180]

Inputs: the 28 pages of samples/scans, each written upright as a single-page PNG at its dpi
(rotation and skew undone from manifest.json; bench_digitize.py makes and caches them in
bench-data/digitize/upright/). sohoa and tesseract read the very same files; sohoa still
looks for the orientation and the skew, classifies, writes the PDF/A, signs and stores it.

1. Reference: `OMP_THREAD_LIMIT=1 tesseract PAGE.png - -l vie --psm 3`, page by page on one
   core (seconds per page), then two processes at a time (pages per minute on both cores).
2. Time-to-signed, empty queue: `sohoa serve` (release build, 2 workers, the [inbox]
   defaults: file events; a file renamed into place or closed by its writer is taken 0.5 s
   later) on a fresh store; each page is dropped into inbox/<unit>/ (written as `.part`,
   then renamed) only after the previous one is stored.
   Time-to-signed = from the rename to the moment the scan appears in processed/, which the
   service does only after the signed PDF/A and the index row are durable. Target: p95 <=
   the p95 of tesseract's time for each page + 0.5 s (the 0.5 s settle delay included).
3. Throughput, --rounds rounds (3), each: tesseract two processes at a time over the pages
   --copies times (3), then as many distinct files dropped at once into the same running
   service, timed from the first drop to the last scan in processed/ (the 0.5 s settle delay
   included, spread over the round's 84 pages). The rounds alternate so that a slow minute
   of the machine weighs on both sides; the ratio is the median of the rounds' ratios.
   Target: >= 0.95x.
4. With --burst N: N distinct files (the pages again, each made unique by a PNG text chunk, so
   no scan is recognised as already stored) dropped at once; the service's resident memory
   (VmRSS, and VmHWM at the end) sampled every second for --burst-seconds, then the service is
   stopped (SIGTERM): what it did not take stays in the inbox.

Prints a table, writes bench-data/bench_serve.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_digitize as bd  # noqa: E402  (the upright pages, process helpers)

ROOT = bd.ROOT
# targets: time-to-signed within each page's own tesseract time + this (p95), and pages/min
BUDGET_S = 0.5
TARGET_PPM = 0.95
WORK = bd.DATA / "serve"
UNIT = "000.00.10.H59"


def config(dir: Path) -> Path:
    # the [inbox] defaults: stable 5 s, settle 0.5 s after a close, file events on
    return bd.service_config(dir, UNIT, "[inbox]\nworkers = 2\n")


def start(dir: Path, binary: Path) -> subprocess.Popen:
    (dir / "inbox" / UNIT).mkdir(parents=True, exist_ok=True)
    log = open(dir / "serve.log", "wb")
    return subprocess.Popen([str(binary), "--config", str(config(dir)), "serve"],
                            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)


stop = bd.stop_service


def processed_names(dir: Path) -> set[str]:
    """Names of the scans in processed/ (without the `<sha256 prefix>-`)."""
    out = set()
    base = dir / "processed"
    if base.is_dir():
        for _, _, files in os.walk(base):
            for f in files:
                out.add(f.split("-", 1)[1] if "-" in f else f)
    return out


def failed_names(dir: Path) -> set[str]:
    base = dir / "failed"
    out = set()
    if base.is_dir():
        for _, _, files in os.walk(base):
            out.update(f for f in files if not f.endswith(".error.txt"))
    return out


def drop(dir: Path, name: str, data: bytes) -> float:
    """Writes `name` into the unit's inbox as the scanner would (temporary name, then rename);
    returns the time of the rename."""
    inbox = dir / "inbox" / UNIT
    tmp = inbox / (name + ".part")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, inbox / name)
    return time.perf_counter()


def unique_png(data: bytes, tag: str) -> bytes:
    """The PNG with a tEXt chunk after IHDR (pixels unchanged, SHA-256 different)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    ihdr_end = 8 + 8 + 13 + 4
    body = b"Comment\x00" + tag.encode()
    chunk = struct.pack(">I", len(body)) + b"tEXt" + body + struct.pack(
        ">I", zlib.crc32(b"tEXt" + body) & 0xFFFFFFFF)
    return data[:ihdr_end] + chunk + data[ihdr_end:]


def wait_for(dir: Path, names: set[str], timeout: float, times: dict | None = None,
             every: float = 0.01) -> None:
    """Waits until every name is in processed/, looking `every` seconds (the look walks the
    folders: while both cores are busy, looking often would take CPU from the service)."""
    t_end = time.perf_counter() + timeout
    left = set(names)
    while left:
        done = processed_names(dir) & left
        bad = failed_names(dir) & left
        if bad:
            sys.exit(f"bench: failed: {sorted(bad)}; see {dir / 'failed'}")
        now = time.perf_counter()
        for n in done:
            if times is not None:
                times[n] = now
        left -= done
        if now > t_end:
            sys.exit(f"bench: not stored after {timeout:.0f} s: {sorted(left)[:5]}")
        time.sleep(every)


def tesseract_reference(pages: list[dict]) -> dict:
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    out = WORK / "tesseract"
    out.mkdir(parents=True, exist_ok=True)
    per_page = []
    for p in pages:
        r = bd.run(["tesseract", str(p["png"]), "-", *bd.TESSERACT_ARGS], env=env,
                   stdout=out / (p["png"].stem + ".txt"))
        per_page.append(r["wall"])
    return {"per_page": per_page}


def tesseract_parallel(pages: list[dict], copies: int) -> float:
    """Wall seconds of tesseract on every page `copies` times, two processes at a time."""
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    out = WORK / "tesseract"
    cmds = [(["tesseract", str(p["png"]), "-", *bd.TESSERACT_ARGS], out / (p["png"].stem + ".txt"))
            for p in pages] * copies
    return bd.run_parallel(cmds, 2, env)["wall"]


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> tuple[int, int]:
    rss = hwm = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    except OSError:
        pass
    return rss, hwm


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--burst", type=int, default=0, help="files of the memory burst (0: none)")
    ap.add_argument("--burst-seconds", type=float, default=180.0)
    ap.add_argument("--rounds", type=int, default=3,
                    help="throughput: alternating rounds of tesseract and the service")
    ap.add_argument("--copies", type=int, default=3,
                    help="throughput: every page this many times in a round (distinct files)")
    a = ap.parse_args()
    built = bd.BUILT
    if not built.is_file():
        sys.exit("bench: build first: cargo build --release")
    WORK.mkdir(parents=True, exist_ok=True)
    binary = WORK / "sohoa-under-test"
    shutil.copy2(built, binary)
    pages = bd.upright_pages(bd.load_samples())
    names = [p["png"].name for p in pages]
    data = {p["png"].name: p["png"].read_bytes() for p in pages}
    results: dict = {"machine": bd.machine_state(), "pages": len(pages),
                     "settings": "[inbox] defaults (stable_seconds 5, settle_seconds 0.5, watch), workers 2"}

    print(f"reference: tesseract on {len(pages)} upright pages …", flush=True)
    ref = tesseract_reference(pages)
    results["tesseract"] = ref

    run_dir = WORK / "run"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    svc = start(run_dir, binary)
    try:
        time.sleep(1.0)
        # warm-up: one page not measured (first model load, first index open)
        warm = "warm-up.png"
        drop(run_dir, warm, unique_png(data[names[0]], "warm-up"))
        wait_for(run_dir, {warm}, 300)
        print("time-to-signed, one page at a time …", flush=True)
        tts = []
        for n in names:
            t0 = drop(run_dir, n, data[n])
            got: dict = {}
            wait_for(run_dir, {n}, 300, got)
            tts.append(got[n] - t0)
        results["time_to_signed"] = tts
        # Rounds alternate between tesseract and the service, so that a slower minute of this
        # machine (10-30% between minutes) weighs on both sides of the ratio alike.
        print("throughput, all pages at once …", flush=True)
        rounds = []
        for r in range(a.rounds):
            tess_wall = tesseract_parallel(pages, a.copies)
            batch = {f"all{r}-{c}-{n}": unique_png(data[n], f"all {r} {c}")
                     for c in range(a.copies) for n in names}
            c0 = cpu_seconds(svc.pid)
            t0 = time.perf_counter()
            for n, b in batch.items():
                drop(run_dir, n, b)
            got = {}
            wait_for(run_dir, set(batch), 900, got, every=0.25)
            rounds.append({"tesseract_wall": tess_wall, "sohoa_wall": max(got.values()) - t0,
                           "sohoa_cpu": cpu_seconds(svc.pid) - c0})
        results["throughput_rounds"] = rounds
    finally:
        stop(svc)

    if a.burst:
        burst_dir = WORK / "burst"
        shutil.rmtree(burst_dir, ignore_errors=True)
        burst_dir.mkdir(parents=True)
        (burst_dir / "inbox" / UNIT).mkdir(parents=True)
        print(f"burst: {a.burst} files, memory for {a.burst_seconds:.0f} s …", flush=True)
        for i in range(a.burst):
            n = names[i % len(names)]
            drop(burst_dir, f"burst-{i:05d}-{n}", unique_png(data[n], f"burst {i}"))
        svc = start(burst_dir, binary)
        samples = []
        t0 = time.perf_counter()
        try:
            while time.perf_counter() - t0 < a.burst_seconds and svc.poll() is None:
                samples.append((round(time.perf_counter() - t0, 1), *rss_kib(svc.pid)))
                time.sleep(1.0)
            _, hwm = rss_kib(svc.pid)
        finally:
            stop(svc)
        stored = len(processed_names(burst_dir))
        left = sum(1 for _ in (burst_dir / "inbox" / UNIT).iterdir())
        results["burst"] = {"files": a.burst, "seconds": a.burst_seconds, "stored": stored,
                            "left_in_inbox": left, "failed": len(failed_names(burst_dir)),
                            "peak_rss_mib": round(hwm / 1024, 1),
                            "rss_mib": [(t, round(r / 1024, 1)) for t, r, _ in samples]}

    results["machine_after"] = bd.machine_state()
    per = ref["per_page"]
    tts = results["time_to_signed"]
    budget = [t + BUDGET_S for t in per]
    met = sum(1 for s, b in zip(tts, budget) if s <= b)
    rounds = results["throughput_rounds"]
    n_round = len(pages) * a.copies
    tess_ppm = n_round * len(rounds) / sum(r["tesseract_wall"] for r in rounds) * 60
    sohoa_ppm = n_round * len(rounds) / sum(r["sohoa_wall"] for r in rounds) * 60
    ratios = sorted(r["tesseract_wall"] / r["sohoa_wall"] for r in rounds)
    ratio = statistics.median(ratios)
    print()
    print(f"{len(pages)} single pages; {os.cpu_count()} CPUs; load {results['machine']['loadavg']}")
    print(f"{'':34} {'p50 s':>7} {'p95 s':>7} {'max s':>7}")
    print(f"{'tesseract, one page, 1 core':34} {pct(per, .5):7.2f} {pct(per, .95):7.2f} {max(per):7.2f}")
    print(f"{'tesseract + 0.5 s (the target)':34} {pct(budget, .5):7.2f} {pct(budget, .95):7.2f} {max(budget):7.2f}")
    print(f"{'sohoa serve, time-to-signed':34} {pct(tts, .5):7.2f} {pct(tts, .95):7.2f} {max(tts):7.2f}")
    print(f"pages within their own tesseract time + {BUDGET_S} s: {met}/{len(pages)}; "
          f"p95 {pct(tts, .95):.2f} s vs target p95 {pct(budget, .95):.2f} s "
          f"({'met' if pct(tts, .95) <= pct(budget, .95) else 'NOT met'})")
    print("throughput rounds (tesseract 2 processes / sohoa serve, wall s; the service's CPU s): "
          + ", ".join(f"{r['tesseract_wall']:.2f}/{r['sohoa_wall']:.2f} ({r['sohoa_cpu']:.1f})"
                      for r in rounds))
    print(f"throughput ({n_round} pages x {len(rounds)} alternating rounds): sohoa serve {sohoa_ppm:.1f} "
          f"pages/min, tesseract 2 processes {tess_ppm:.1f} pages/min; median round ratio "
          f"{ratio:.2f}x (rounds {', '.join(f'{x:.2f}' for x in ratios)}; target >= {TARGET_PPM}x: "
          f"{'met' if ratio >= TARGET_PPM else 'NOT met'})")
    if "burst" in results:
        b = results["burst"]
        print(f"burst of {b['files']} files: peak RSS {b['peak_rss_mib']} MiB over {b['seconds']:.0f} s; "
              f"{b['stored']} stored, {b['left_in_inbox']} still in the inbox, {b['failed']} failed")
    results["summary"] = {"tts_p50": pct(tts, .5), "tts_p95": pct(tts, .95),
                          "target_p95": pct(budget, .95), "pages_within_budget": met,
                          "sohoa_ppm": sohoa_ppm, "tesseract_ppm": tess_ppm,
                          "ppm_ratio": ratio}
    (bd.DATA / "bench_serve.json").write_text(json.dumps(results, indent=1))
    print(f"wrote {bd.DATA / 'bench_serve.json'}")


if __name__ == "__main__":
    main()
