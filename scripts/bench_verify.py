#!/usr/bin/env python3
"""Verification of real signed government PDFs: sohoa vs pyHanko in-process, docs/s.

Run with the project venv after `cargo build --release` (`make bench` does:
.venv/bin/python scripts/bench_verify.py).

The file set: the real VGCA-signed PDFs of the test corpus (`$SOHOA_CORPUS/real`, else
../shared/corpus/real; a six-signature decree among them) with the VGCA certificates of
`$SOHOA_CORPUS/vgca` trusted. Without the corpus it says so and stops.

  sohoa    `sohoa verify --json --trust-vgca=DIR --at 2026-12-01 F1 F2 …` with every file of the
           set repeated ROUNDS times in one call (one process; its start is part of the figure).
  pyHanko  in this process: for each file, PdfFileReader (strict, pyHanko's default) and
           validate_pdf_signature / validate_pdf_timestamp for each embedded signature, with a
           ValidationContext trusting the same roots, the same sub-CAs and TSAs as other_certs,
           the same validation time, no fetching; diff analysis on (its default).

Docs/s = documents verified / wall time, median of 3 runs, on the files both tools can read:
files pyHanko refuses are listed and left out of both counts. Those it refuses only by default
(hybrid-reference files, such as the six-signature decree) are then timed alone with pyHanko told
to read them (strict=False): sohoa median of 3 calls of ROUNDS copies, pyHanko once (about a
minute per pass on that decree). A signature counted as verified
is every signature of the file; the verdicts are printed side by side.
"""

import datetime
import glob
import json
import logging
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOHOA = os.path.join(ROOT, "target", "release", "sohoa")
ROUNDS = 5
RUNS = 3
AT = datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc)


def corpus():
    base = os.environ.get("SOHOA_CORPUS") or os.path.join(ROOT, "..", "shared", "corpus")
    real, vgca = os.path.join(base, "real"), os.path.join(base, "vgca")
    if not (os.path.isdir(real) and os.path.isdir(vgca)):
        return None, None
    return sorted(glob.glob(os.path.join(real, "*.pdf"))), vgca


def pyhanko_verify(files, vgca, strict=True):
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
    from pyhanko_certvalidator import ValidationContext

    certs = [load_cert_from_pemder(p) for p in sorted(glob.glob(os.path.join(vgca, "*.pem")))]
    roots = [c for c in certs if c.self_signed == "maybe" or c.subject == c.issuer]
    others = [c for c in certs if c not in roots]

    def one(path):
        vc = ValidationContext(
            trust_roots=roots, other_certs=others, moment=AT, allow_fetching=False,
            revocation_mode="soft-fail", weak_hash_algos=set(),
        )
        verdicts = []
        with open(path, "rb") as f:
            r = PdfFileReader(f, strict=strict)
            for s in r.embedded_signatures:
                if s.sig_object_type == "/DocTimeStamp":
                    st = validate_pdf_timestamp(s, validation_context=vc)
                else:
                    st = validate_pdf_signature(s, signer_validation_context=vc)
                verdicts.append(bool(st.bottom_line))
        return verdicts

    return one


def main():
    logging.disable(logging.CRITICAL)  # pyHanko logs every expired certificate with a traceback
    files, vgca = corpus()
    if not files:
        print("bench_verify: the corpus (SOHOA_CORPUS or ../shared/corpus, real/ and vgca/) is absent: nothing measured")
        return 0
    if not os.path.exists(SOHOA):
        print("bench_verify: build first: cargo build --release", file=sys.stderr)
        return 1
    one = pyhanko_verify(files, vgca)
    usable, refused, py_verdicts = [], [], {}
    for f in files:
        try:
            py_verdicts[f] = one(f)
            usable.append(f)
        except Exception as e:  # pyHanko refuses the file (hybrid references, no signatures, …)
            refused.append((os.path.basename(f), f"{type(e).__name__}: {str(e)[:90]}"))
    usable = [f for f in usable if py_verdicts[f]]
    for f in files:
        if f not in usable and os.path.basename(f) not in [n for n, _ in refused]:
            refused.append((os.path.basename(f), "pyHanko finds no signature in it"))

    args = [SOHOA, "verify", "--json", f"--trust-vgca={vgca}", "--at", "2026-12-01"]
    ours = subprocess.run(args + usable, capture_output=True, cwd=ROOT)
    reports = json.loads(ours.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    print(f"{'file':52} {'sigs':>4}  {'sohoa':18} {'pyHanko':18}")
    for f, r in zip(usable, reports):
        s = [sig["valid"] for sig in r["signatures"]]
        print(f"{os.path.basename(f):52} {len(s):>4}  {str(s.count(True)) + ' of ' + str(len(s)) + ' valid':18} "
              f"{str(py_verdicts[f].count(True)) + ' of ' + str(len(py_verdicts[f])) + ' valid':18}")
    for n, why in refused:
        print(f"  not counted (pyHanko refuses it): {n}: {why}")

    def time_ours():
        t = time.perf_counter()
        subprocess.run(args + usable * ROUNDS, capture_output=True, cwd=ROOT, check=False)
        return time.perf_counter() - t

    def time_py():
        t = time.perf_counter()
        for _ in range(ROUNDS):
            for f in usable:
                one(f)
        return time.perf_counter() - t

    time_ours()
    time_py()
    docs = len(usable) * ROUNDS
    ours_s = statistics.median(time_ours() for _ in range(RUNS))
    py_s = statistics.median(time_py() for _ in range(RUNS))
    total_mb = sum(os.path.getsize(f) for f in usable) / 1e6
    print(f"\n{len(usable)} files ({total_mb:.1f} MB, {sum(len(v) for v in py_verdicts.values() if v)} signatures) x {ROUNDS} rounds, median of {RUNS}:")
    print(f"  sohoa   {docs / ours_s:8.1f} docs/s  ({ours_s:.2f} s, one process)")
    print(f"  pyHanko {docs / py_s:8.1f} docs/s  ({py_s:.2f} s, in-process)")
    print(f"  ratio   {py_s / ours_s:8.1f}x (sohoa docs/s / pyHanko docs/s)")

    # The multi-signature decrees pyHanko refuses by default (hybrid-reference files), with
    # pyHanko told to read them anyway (strict=False), each alone.
    lenient = pyhanko_verify(files, vgca, strict=False)
    for name, _ in refused:
        f = next(x for x in files if os.path.basename(x) == name)
        try:
            verdicts = lenient(f)
        except Exception:
            continue
        if not verdicts:
            continue

        def t_ours():
            t = time.perf_counter()
            subprocess.run(args + [f] * ROUNDS, capture_output=True, cwd=ROOT, check=False)
            return time.perf_counter() - t

        # pyHanko's diff analysis of every revision for every signature takes about a minute
        # here: it is timed once (the verdicts above were its warm-up).
        t = time.perf_counter()
        lenient(f)
        p = time.perf_counter() - t
        o = statistics.median(t_ours() for _ in range(RUNS)) / ROUNDS
        print(f"\n{name} ({os.path.getsize(f) / 1e6:.1f} MB, {len(verdicts)} signatures; pyHanko with strict=False: "
              f"{verdicts.count(True)} of {len(verdicts)} valid):")
        print(f"  sohoa {1 / o:6.2f} docs/s ({o:.3f} s), pyHanko {1 / p:6.3f} docs/s ({p:.1f} s), ratio {p / o:.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
