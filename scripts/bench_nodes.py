#!/usr/bin/env python3
"""Benchmark of the shared deployment: the cost of coordinating several nodes.

On the same machine, with the index in PostgreSQL and the blobs in S3 (the throwaway servers of
scripts/test-servers.sh, which `make bench` starts around it):

    bash scripts/test-servers.sh run .venv/bin/python scripts/bench_nodes.py [--rounds 3] [--copies 3]

A. one `sohoa serve` with two workers;
B. two `sohoa serve` nodes with one worker each, on one inbox (each batch claimed by a lease).

Each round drops the 28 upright sample pages x --copies (distinct files) at once into a fresh
inbox, index (a new database) and store (a new prefix), and times the first drop to the last
scan in processed/. The rounds alternate A and B, so a slow minute of the machine weighs on
both; the ratio is the median of the rounds' B/A pages per minute. Target: >= 0.95.

Prints a table, writes bench-data/bench_nodes.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_digitize as bd  # noqa: E402
import bench_serve as bs  # noqa: E402

WORK = bd.DATA / "nodes"
UNIT = bs.UNIT
TARGET = 0.95


def env(k: str) -> str:
    v = os.environ.get(k)
    if not v:
        sys.exit(f"bench: {k} is not set: run through scripts/test-servers.sh run …")
    return v


def fresh_database(name: str) -> str:
    base = env("SOHOA_TEST_PG")
    subprocess.run(["psql", base, "-qAtc", f"CREATE DATABASE {name}"], check=True)
    return base.rsplit("/", 1)[0] + "/" + name


def node_config(d: Path, shared: Path, node: str, workers: int, db: str, prefix: str) -> Path:
    extra = (
        f'url = "s3://{env("SOHOA_TEST_BUCKET")}/{prefix}"\n'
        f'endpoint = "{env("SOHOA_TEST_S3")}"\nregion = "us-east-1"\npath_style = true\n'
        f'[inbox]\npath = "{shared / "inbox"}"\nprocessed = "{shared / "processed"}"\n'
        f'failed = "{shared / "failed"}"\nworkers = {workers}\nnode = "{node}"\n'
        f'lease_seconds = 30\n[index]\nurl = "{db}"\n'
    )
    d.mkdir(parents=True, exist_ok=True)
    return bd.service_config(d, UNIT, extra)


def run_round(label: str, nodes: list[int], files: dict[str, bytes], binary: Path,
              r: int) -> float:
    """Starts the nodes (worker counts), drops `files`, returns seconds to the last stored."""
    base = WORK / f"{label}-{r}"
    shutil.rmtree(base, ignore_errors=True)
    shared = base / "share"
    (shared / "inbox" / UNIT).mkdir(parents=True)
    db = fresh_database(f"bench_{label.lower()}_{r}_{os.getpid()}")
    procs = []
    for i, workers in enumerate(nodes):
        cfg = node_config(base / f"node-{i}", shared, f"{label}-{i}", workers, db,
                          f"{label}-{r}-{os.getpid()}")
        log = open(base / f"node-{i}.log", "wb")
        procs.append(subprocess.Popen([str(binary), "--config", str(cfg), "serve"], cwd=bd.ROOT,
                                      stdout=log, stderr=subprocess.STDOUT))
    try:
        time.sleep(1.5)
        # warm-up: one page, not timed (engines, connections)
        first = next(iter(files))
        bs.drop(shared, "warm-up.png", bs.unique_png(files[first], f"warm {label} {r}"))
        bs.wait_for(shared, {"warm-up.png"}, 300, every=0.1)
        t0 = time.perf_counter()
        for n, data in files.items():
            bs.drop(shared, n, data)
        bs.wait_for(shared, set(files), 1800, every=0.2)
        return time.perf_counter() - t0
    finally:
        for p in procs:
            bd.stop_service(p)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--copies", type=int, default=3)
    a = ap.parse_args()
    if not bd.BUILT.is_file():
        sys.exit("bench: build first: cargo build --release")
    WORK.mkdir(parents=True, exist_ok=True)
    binary = WORK / "sohoa-under-test"
    shutil.copy2(bd.BUILT, binary)
    pages = bd.upright_pages(bd.load_samples())
    data = {p["png"].name: p["png"].read_bytes() for p in pages}
    rows = []
    for r in range(a.rounds):
        files = {f"r{r}-{c}-{n}": bs.unique_png(d, f"nodes {r} {c}")
                 for c in range(a.copies) for n, d in data.items()}
        order = [("A", [2]), ("B", [1, 1])] if r % 2 == 0 else [("B", [1, 1]), ("A", [2])]
        got = {}
        for label, nodes in order:
            print(f"round {r + 1}: {label} ({len(nodes)} node(s)) on {len(files)} pages …",
                  flush=True)
            got[label] = run_round(label, nodes, files, binary, r)
        ppm = {k: len(files) / s * 60 for k, s in got.items()}
        rows.append({"round": r + 1, "seconds": got, "pages_per_min": ppm,
                     "ratio": ppm["B"] / ppm["A"]})
    ratio = statistics.median(x["ratio"] for x in rows)
    print()
    print("| round | one node x 2 workers: pages/min | two nodes x 1 worker: pages/min | ratio |")
    print("| --- | ---: | ---: | ---: |")
    for x in rows:
        print(f"| {x['round']} | {x['pages_per_min']['A']:.1f} | {x['pages_per_min']['B']:.1f} "
              f"| {x['ratio']:.3f} |")
    print(f"\nmedian ratio (two nodes / one node): {ratio:.3f}; target >= {TARGET}")
    out = bd.DATA / "bench_nodes.json"
    out.write_text(json.dumps({"machine": bd.machine_state(), "rounds": rows, "ratio": ratio,
                               "pages": len(pages) * a.copies}, indent=2))
    if ratio < TARGET:
        sys.exit(1)


if __name__ == "__main__":
    main()
