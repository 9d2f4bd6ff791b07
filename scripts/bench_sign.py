#!/usr/bin/env python3
"""Throughput and memory benchmark: sohoa vs pyHanko, signing and verifying PAdES.

Run from anywhere with the project venv (`make bench` does: .venv/bin/python scripts/bench_sign.py).

What it measures, on the same generated inputs (bench-data/, ~1 MiB and ~50 MiB, one random
uncompressed image per page, see bench_make_pdf.py), with the same key (certs-test/official-signer.p12):

  sign    sohoa: `sohoa sign IN -o OUT` (profile "official" from config.toml);
          pyHanko: `pyhanko sign addsig --field Sig1 --use-pades pkcs12 ...`.
  verify  each tool verifies the file it just signed: `sohoa verify --json OUT`;
          `pyhanko sign validate --trust root-ca.pem --trust-replace --other-certs sub-ca.pem OUT`.

Two ways to count pyHanko, both printed:
  (cli)      one process per document for both tools. pyHanko's figure includes the Python
             interpreter start-up and pyHanko's imports (measured separately: `pyhanko --version`).
  (in-proc)  pyHanko's Python API in a loop in this process: key loaded once (not timed),
             sign_pdf(IncrementalPdfFileWriter(...)) and validate_pdf_signature(...) per document,
             with a ValidationContext equivalent to sohoa's config (root anchor, sub-CA
             intermediate, the sub-CA CRL, no network). sohoa is still one process per document:
             that per-process cost is part of how it is used.

Docs/s = 1 / median wall time of the runs (one warm-up run of each kind is not counted).
Each tool's signature is validated once by the other tool; a warning is printed if one fails.
Peak RSS (GNU time %M) of sign and verify on a ~200 MiB file, for both tools' CLIs; target for
sohoa: below 1.5x the file size. Results are also written to bench-data/bench_sign.json.
"""

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
sys.dont_write_bytecode = True  # no scripts/__pycache__ in the work tree
import bench_make_pdf  # noqa: E402

DATA = os.path.join(ROOT, "bench-data")
OUT = os.path.join(DATA, "out")
SOHOA_BUILT = os.path.join(ROOT, "target", "release", "sohoa")
PYHANKO = os.path.join(ROOT, ".venv", "bin", "pyhanko")
CERTS = os.path.join(ROOT, "certs-test")
P12 = os.path.join(CERTS, "official-signer.p12")
PASSFILE = os.path.join(CERTS, "PASSPHRASE-TEST-ONLY.txt")
ROOT_CA = os.path.join(CERTS, "root-ca.pem")
SUB_CA = os.path.join(CERTS, "sub-ca.pem")
SUB_CA_CRL = os.path.join(CERTS, "sub-ca.crl")
GNU_TIME = "/usr/bin/time"
MIB = 1024 * 1024

# (label, size in MiB, seed, sohoa runs, pyHanko runs) for the throughput table.
THROUGHPUT = [("1 MB", 1, 1, 30, 5), ("50 MB", 50, 50, 10, 3)]
RSS_SIZE = ("200 MB", 200, 200)
RSS_TARGET = 1.5
SPEED_TARGET = 20.0


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run(cmd, check=True):
    """Run cmd from the repo root, output discarded; return (wall seconds, exit code)."""
    t0 = time.perf_counter()
    p = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t0
    if check and p.returncode != 0:
        sys.exit(f"failed (exit {p.returncode}): {' '.join(cmd)}\n{p.stderr.decode(errors='replace')}")
    return dt, p.returncode


def cpu_seconds():
    """CPU (user + system) used so far by this process and its waited-for children."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def timed(fn, runs):
    """One untimed warm-up call, then `runs` timed calls; return (wall seconds, CPU seconds)."""
    fn()
    wall, cpu = [], []
    for _ in range(runs):
        c0, t0 = cpu_seconds(), time.perf_counter()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(cpu_seconds() - c0)
    return wall, cpu


def stats(measured):
    times, cpu = measured if isinstance(measured, tuple) else (measured, None)
    med = statistics.median(times)
    out = {
        "runs": len(times),
        "median_s": round(med, 6),
        "min_s": round(min(times), 6),
        "max_s": round(max(times), 6),
        "docs_per_s": round(1.0 / med, 3),
    }
    if cpu is not None:
        out["median_cpu_s"] = round(statistics.median(cpu), 6)
    return out


# ---------------------------------------------------------------------------- the commands


def sohoa_sign_cmd(sohoa, src, dst):
    return [sohoa, "sign", src, "-o", dst]


def sohoa_verify_cmd(sohoa, path):
    return [sohoa, "verify", "--json", path]


def pyhanko_sign_cmd(src, dst):
    return [PYHANKO, "sign", "addsig", "--field", "Sig1", "--use-pades", "pkcs12",
            "--passfile", PASSFILE, src, dst, P12]


def pyhanko_verify_cmd(path):
    return [PYHANKO, "sign", "validate", "--trust", ROOT_CA, "--trust-replace",
            "--other-certs", SUB_CA, path]


class InProcessPyHanko:
    """pyHanko's Python API (checked against pyHanko 0.38 / pyhanko-certvalidator 0.33)."""

    def __init__(self):
        from pyhanko.keys import load_cert_from_pemder
        from pyhanko.sign import signers

        with open(PASSFILE, "rb") as f:
            passphrase = f.readline().strip()  # as the CLI's --passfile does
        t0 = time.perf_counter()
        self.signer = signers.SimpleSigner.load_pkcs12(P12, passphrase=passphrase)
        self.load_s = time.perf_counter() - t0
        if self.signer is None:
            sys.exit(f"pyHanko could not load {P12}")
        self.root = load_cert_from_pemder(ROOT_CA)
        self.sub = load_cert_from_pemder(SUB_CA)
        with open(SUB_CA_CRL, "rb") as f:
            self.crl = f.read()

    def sign(self, src, dst):
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import fields, signers

        meta = signers.PdfSignatureMetadata(
            field_name="Sig1", subfilter=fields.SigSeedSubFilter.PADES
        )
        with open(src, "rb") as inf, open(dst, "wb") as outf:
            signers.sign_pdf(IncrementalPdfFileWriter(inf), meta, signer=self.signer, output=outf)

    def verify(self, path):
        """Validate every signature; return True when all are intact, valid and trusted."""
        from pyhanko.pdf_utils.reader import PdfFileReader
        from pyhanko.sign.validation import validate_pdf_signature
        from pyhanko_certvalidator import ValidationContext

        ok = True
        with open(path, "rb") as f:
            reader = PdfFileReader(f)
            sigs = reader.embedded_regular_signatures
            if not sigs:
                return False
            for sig in sigs:
                vc = ValidationContext(
                    trust_roots=[self.root],
                    other_certs=[self.sub],
                    crls=[self.crl],
                    allow_fetching=False,
                    revocation_mode="hard-fail",
                )
                ok &= validate_pdf_signature(sig, vc).bottom_line
        return ok


# ---------------------------------------------------------------------------- set-up


def prepare_sohoa():
    if not os.path.exists(SOHOA_BUILT):
        log("target/release/sohoa missing: cargo build --release")
        subprocess.run(["cargo", "build", "--release"], cwd=ROOT, check=True)
    # Run a private copy so that a concurrent rebuild cannot swap the binary mid-benchmark.
    copy = os.path.join(OUT, "sohoa")
    shutil.copy2(SOHOA_BUILT, copy)
    return copy


def prepare_input(label, mib, seed):
    path = os.path.join(DATA, f"input-{mib}mb.pdf")
    target = mib * MIB
    t0 = time.perf_counter()
    if bench_make_pdf.ensure_pdf(path, target, seed):
        log(f"generated {path} ({os.path.getsize(path)} bytes) in {time.perf_counter() - t0:.1f} s")
        p = subprocess.run(["qpdf", "--check", path], capture_output=True, text=True)
        if p.returncode != 0:
            os.remove(path)
            sys.exit(f"qpdf --check failed on {path}:\n{p.stdout}{p.stderr}")
        log(f"qpdf --check {os.path.basename(path)}: ok")
    return path


def peak_rss_kib(cmd):
    """Run cmd under GNU time; return (peak RSS in KiB, wall seconds, exit code)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time", dir=OUT) as tf:
        t0 = time.perf_counter()
        p = subprocess.run([GNU_TIME, "-f", "%M", "-o", tf.name] + cmd, cwd=ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        dt = time.perf_counter() - t0
        text = tf.read().strip().splitlines()
    kib = int(text[-1]) if text and text[-1].isdigit() else -1
    return kib, dt, p.returncode


# ---------------------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", default=os.path.join(DATA, "bench_sign.json"))
    ap.add_argument("--no-rss", action="store_true", help="skip the 200 MB peak-RSS part")
    args = ap.parse_args()

    wall0 = time.perf_counter()
    os.makedirs(OUT, exist_ok=True)
    sohoa = prepare_sohoa()
    warnings = []

    startup = stats(timed(lambda: run([PYHANKO, "--version"]), 5))
    inproc = InProcessPyHanko()

    rows, cross = [], []
    for label, mib, seed, n_sohoa, n_py in THROUGHPUT:
        src = prepare_input(label, mib, seed)
        size = os.path.getsize(src)
        tag = f"{mib}mb"
        s_out = os.path.join(OUT, f"sohoa-{tag}.pdf")
        c_out = os.path.join(OUT, f"pyhanko-cli-{tag}.pdf")
        i_out = os.path.join(OUT, f"pyhanko-inproc-{tag}.pdf")
        log(f"{label}: sohoa sign x{n_sohoa}, verify x{n_sohoa}; pyHanko cli/in-proc x{n_py} each")

        def check_inproc_verify(path=i_out):
            if not inproc.verify(path):
                sys.exit(f"pyHanko (in-process) rejects its own signature in {path}")

        res = {
            "sign": {
                "sohoa": timed(lambda: run(sohoa_sign_cmd(sohoa, src, s_out)), n_sohoa),
                "pyhanko_cli": timed(lambda: run(pyhanko_sign_cmd(src, c_out)), n_py),
                "pyhanko_inproc": timed(lambda: inproc.sign(src, i_out), n_py),
            },
            "verify": {
                "sohoa": timed(lambda: run(sohoa_verify_cmd(sohoa, s_out)), n_sohoa),
                "pyhanko_cli": timed(lambda: run(pyhanko_verify_cmd(c_out)), n_py),
                "pyhanko_inproc": timed(check_inproc_verify, n_py),
            },
        }
        for op in ("sign", "verify"):
            r = {k: stats(v) for k, v in res[op].items()}
            s = r["sohoa"]["docs_per_s"]
            rows.append({
                "size": label, "file_bytes": size, "op": op, **r,
                "ratio_cli": round(s / r["pyhanko_cli"]["docs_per_s"], 2),
                "ratio_inproc": round(s / r["pyhanko_inproc"]["docs_per_s"], 2),
            })

        # Each tool's signature checked by the other tool (once).
        for desc, cmd in (
            (f"pyHanko validates sohoa's signature ({label})", pyhanko_verify_cmd(s_out)),
            (f"sohoa verifies pyHanko CLI's signature ({label})", sohoa_verify_cmd(sohoa, c_out)),
            (f"sohoa verifies pyHanko API's signature ({label})", sohoa_verify_cmd(sohoa, i_out)),
        ):
            dt, rc = run(cmd, check=False)
            cross.append({"check": desc, "ok": rc == 0, "exit_code": rc, "seconds": round(dt, 3)})
            if rc != 0:
                warnings.append(f"WARNING: {desc} FAILED (exit {rc}): {' '.join(cmd)}")

    rss = []
    if not args.no_rss:
        label, mib, seed = RSS_SIZE
        src = prepare_input(label, mib, seed)
        size = os.path.getsize(src)
        s_out = os.path.join(OUT, f"sohoa-{mib}mb.pdf")
        c_out = os.path.join(OUT, f"pyhanko-cli-{mib}mb.pdf")
        log(f"{label}: peak RSS of sign and verify")
        for tool, op, cmd in (
            ("sohoa", "sign", sohoa_sign_cmd(sohoa, src, s_out)),
            ("sohoa", "verify", sohoa_verify_cmd(sohoa, s_out)),
            ("pyHanko cli", "sign", pyhanko_sign_cmd(src, c_out)),
            ("pyHanko cli", "verify", pyhanko_verify_cmd(c_out)),
        ):
            kib, dt, rc = peak_rss_kib(cmd)
            ratio = kib * 1024 / size
            rss.append({
                "size": label, "file_bytes": size, "tool": tool, "op": op,
                "peak_rss_kib": kib, "peak_rss_mib": round(kib / 1024, 1),
                "ratio_to_file": round(ratio, 3), "seconds": round(dt, 3), "exit_code": rc,
                "meets_target": ratio < RSS_TARGET if tool == "sohoa" else None,
            })
            if rc != 0:
                warnings.append(f"WARNING: {tool} {op} on {label} exited {rc}: {' '.join(cmd)}")

    total = time.perf_counter() - wall0

    # ------------------------------------------------------------------ report
    lines = []
    hdr = (f"{'size':<6} {'op':<7} {'sohoa docs/s':>12}  {'pyHanko docs/s (cli)':>20}  {'ratio':>6}"
           f"  {'pyHanko docs/s (in-proc)':>24}  {'ratio':>6}")
    lines.append(hdr)
    lines.append("-" * len(hdr))
    for r in rows:
        lines.append(
            f"{r['size']:<6} {r['op']:<7} {r['sohoa']['docs_per_s']:>12.2f}"
            f"  {r['pyhanko_cli']['docs_per_s']:>20.2f}  {r['ratio_cli']:>5.1f}x"
            f"  {r['pyhanko_inproc']['docs_per_s']:>24.2f}  {r['ratio_inproc']:>5.1f}x"
        )
    lines.append("")
    lines.append("docs/s = 1 / median wall time per document; ratio = sohoa / pyHanko. sohoa is")
    lines.append("always one process per document. (cli): pyHanko one process per document too,")
    lines.append(f"incl. Python start-up + imports (`pyhanko --version` alone: {startup['median_s']:.3f} s).")
    lines.append("(in-proc): pyHanko API in a loop, key loaded once, no start-up cost.")
    lines.append("")
    lines.append("median seconds per document, wall / CPU (user+sys); sohoa sign fsyncs its output:")
    for r in rows:
        cells = "   ".join(
            f"{name} {r[k]['median_s']:.3f} / {r[k]['median_cpu_s']:.3f}"
            for name, k in (("sohoa", "sohoa"), ("pyHanko cli", "pyhanko_cli"),
                            ("in-proc", "pyhanko_inproc"))
        )
        lines.append(f"  {r['size']:<6} {r['op']:<7} {cells}")
    for kind, key in (("cli", "ratio_cli"), ("in-proc", "ratio_inproc")):
        worst = min(rows, key=lambda r: r[key])
        met = "met" if worst[key] >= SPEED_TARGET else "NOT met"
        lines.append(f"target >= {SPEED_TARGET:.0f}x vs pyHanko ({kind}): {met} "
                     f"(lowest {worst[key]:.1f}x, {worst['size']} {worst['op']})")
    if rss:
        lines.append("")
        for r in rss:
            verdict = ""
            if r["meets_target"] is not None:
                verdict = f"  target < {RSS_TARGET}x: {'met' if r['meets_target'] else 'NOT met'}"
            lines.append(
                f"peak RSS {r['tool']:<11} {r['op']:<6} {r['size']} ({r['file_bytes'] / MIB:.1f} MiB):"
                f" {r['peak_rss_mib']:>7.1f} MiB = {r['ratio_to_file']:.2f}x file size,"
                f" {r['seconds']:.2f} s{verdict}"
            )
    lines.append("")
    for c in cross:
        lines.append(f"cross-check: {c['check']}: {'ok' if c['ok'] else 'FAILED'}")
    lines.extend(warnings)
    lines.append(f"total wall time {total:.1f} s")
    print("\n".join(lines))

    report = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                    "python": platform.python_version()},
        "method": {
            "docs_per_s": "1 / median wall seconds per document, after one untimed warm-up",
            "median_cpu_s": "median user+system CPU seconds per document (getrusage)",
            "sohoa": "one `sohoa sign` / `sohoa verify --json` process per document",
            "pyhanko_cli": "one `pyhanko sign addsig` / `pyhanko sign validate` process per "
                           "document, includes Python interpreter start-up and imports",
            "pyhanko_inproc": "pyHanko API in a loop in one process; PKCS#12 loaded once "
                              f"({inproc.load_s:.3f} s, not timed)",
            "verify_input": "each tool verifies the file it signed",
        },
        "pyhanko_cli_startup": startup,
        "throughput": rows,
        "cross_validation": cross,
        "peak_rss": rss,
        "warnings": warnings,
        "total_wall_s": round(total, 1),
    }
    with open(args.json, "w") as f:
        json.dump(report, f, indent=2, ensure_ascii=False)
        f.write("\n")
    log(f"wrote {os.path.relpath(args.json, ROOT)}")


if __name__ == "__main__":
    main()
