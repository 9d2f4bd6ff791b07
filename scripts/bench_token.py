#!/usr/bin/env python3
"""Signing through a PKCS#11 token: sohoa vs pyHanko, same SoftHSM2 token, same key, same TSAs.

Run with the project venv (`make bench` does: .venv/bin/python scripts/bench_token.py).

Set-up (made here, in a temporary folder, removed after): a SoftHSM2 token (Debian `softhsm2`,
SOFTHSM2_CONF pointing at the folder) holding the test official's RSA-2048 key
(certs-test/official-signer.key.pem, CKA_ID 01) and certificate, and the sub-CA certificate;
two RFC 3161 TSAs on 127.0.0.1 (`openssl ts -reply` per request with certs-test/tsa.cnf and
archive-tsa.cnf). Input: bench-data/token-in.pdf, a ~1 MiB PDF (bench_make_pdf.py).

What is timed, per document:
  B-T    sohoa: `sohoa sign IN -o OUT --tsa URL` (profile on the token, PIN from a 600 file);
         pyHanko (cli): `pyhanko sign addsig --use-pades --timestamp-url URL pkcs11 --p11-setup`;
         pyHanko (in-proc): sign_pdf() with a PKCS11Signer opened once (not timed).
  B-LTA  sohoa: `sohoa sign ... --level B-LTA --archive-tsa URL2` (signature, DSS with the
         certificates and CRLs, document timestamp, the timestamp's DSS);
         pyHanko (in-proc): sign_pdf(), DocumentSecurityStore.add_dss() with the same
         certificates and CRLs, PdfTimeStamper.timestamp_pdf() with the archive TSA.
sohoa is one process per document (how it is used from the command line); the service signs
in-process with one session shared by its workers. Docs/s = 1 / median wall time, one warm-up
run not counted. Every output is verified once by `sohoa verify`. Results also go to
bench-data/bench_token.json.
"""

import http.server
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
sys.dont_write_bytecode = True
import bench_make_pdf  # noqa: E402

DATA = os.path.join(ROOT, "bench-data")
SOHOA = os.path.join(ROOT, "target", "release", "sohoa")
PYHANKO = os.path.join(ROOT, ".venv", "bin", "pyhanko")
CERTS = os.path.join(ROOT, "certs-test")
PASSFILE = os.path.join(CERTS, "PASSPHRASE-TEST-ONLY.txt")
MODULE = "/usr/lib/softhsm/libsofthsm2.so"
PIN = "246810"  # TEST token PIN
LABEL = "SOHOA BENCH"
RUNS = {"sohoa": 20, "pyhanko-cli": 5, "pyhanko": 20}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def sh(cmd, **kw):
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, **kw)
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr.decode(errors='replace')}")
    return p


def make_token(work):
    tokens = os.path.join(work, "tokens")
    os.makedirs(tokens)
    conf = os.path.join(work, "softhsm2.conf")
    with open(conf, "w") as f:
        f.write(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    os.environ["SOFTHSM2_CONF"] = conf
    sh(["softhsm2-util", "--init-token", "--free", "--label", LABEL, "--pin", PIN,
        "--so-pin", "13579135"])
    key = os.path.join(work, "key.pem")
    sh(["openssl", "pkcs8", "-in", os.path.join(CERTS, "official-signer.key.pem"),
        "-passin", f"file:{PASSFILE}", "-out", key])
    sh(["softhsm2-util", "--import", key, "--token", LABEL, "--label", "official-signer",
        "--id", "01", "--pin", PIN])
    os.remove(key)
    for pem, cid, label in [("official-signer.pem", "01", "official-signer"),
                            ("sub-ca.pem", "ff", "sub-ca")]:
        der = os.path.join(work, label + ".der")
        sh(["openssl", "x509", "-outform", "DER", "-in", os.path.join(CERTS, pem), "-out", der])
        sh(["pkcs11-tool", "--module", MODULE, "--token-label", LABEL, "--login", "--pin", PIN,
            "--write-object", der, "--type", "cert", "--id", cid, "--label", label])


def start_tsa(name, work):
    serial = os.path.join(work, f"{name}-serial")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            n = int(self.headers.get("Content-Length", 0))
            with tempfile.TemporaryDirectory(dir=work) as d:
                q, r = os.path.join(d, "q.tsq"), os.path.join(d, "r.tsr")
                with open(q, "wb") as f:
                    f.write(self.rfile.read(n))
                env = dict(os.environ, SOHOA_TSA_SERIAL=serial, SOHOA_CERTS_DIR=CERTS)
                p = subprocess.run(
                    ["openssl", "ts", "-reply", "-config", os.path.join(CERTS, f"{name}.cnf"),
                     "-queryfile", q, "-signer", os.path.join(CERTS, f"{name}.pem"),
                     "-inkey", os.path.join(CERTS, f"{name}.key.pem"), "-passin",
                     f"file:{PASSFILE}", "-out", r], env=env, capture_output=True)
                body = open(r, "rb").read() if p.returncode == 0 else b""
            self.send_response(200 if body else 500)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, f"http://127.0.0.1:{srv.server_address[1]}/tsa"


def timed(fn, runs):
    fn(-1)
    times = []
    for i in range(runs):
        t0 = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    return {"runs": runs, "median_s": round(med, 4), "docs_per_s": round(1 / med, 2)}


class PyHankoToken:
    """pyHanko's API through the same token (pyHanko 0.38, python-pkcs11)."""

    def __init__(self, tsa_url, archive_url):
        from asn1crypto import crl
        from pyhanko.keys import load_cert_from_pemder
        from pyhanko.config.pkcs11 import TokenCriteria
        from pyhanko.sign import pkcs11, timestamps

        self.session = pkcs11.open_pkcs11_session(
            MODULE, user_pin=PIN, token_criteria=TokenCriteria(label=LABEL))
        self.signer = pkcs11.PKCS11Signer(
            self.session, cert_label="official-signer", key_label="official-signer",
            other_certs_to_pull=["sub-ca"])
        self.tsa = timestamps.HTTPTimeStamper(tsa_url)
        self.archive = timestamps.HTTPTimeStamper(archive_url)
        self.certs = [load_cert_from_pemder(os.path.join(CERTS, n))
                      for n in ("sub-ca.pem", "root-ca.pem", "tsa.pem", "archive-tsa.pem")]
        self.crls = [crl.CertificateList.load(open(os.path.join(CERTS, n), "rb").read())
                     for n in ("sub-ca.crl", "root-ca.crl")]

    def sign(self, src, dst, lta):
        import io

        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import fields, signers, timestamps
        from pyhanko.sign.validation.dss import DocumentSecurityStore

        meta = signers.PdfSignatureMetadata(field_name="Sig1",
                                            subfilter=fields.SigSeedSubFilter.PADES)
        buf = io.BytesIO()
        with open(src, "rb") as inf:
            signers.sign_pdf(IncrementalPdfFileWriter(inf), meta, signer=self.signer,
                             timestamper=self.tsa, output=buf)
        if lta:
            DocumentSecurityStore.add_dss(buf, None, certs=self.certs, crls=self.crls)
            buf.seek(0)
            out = io.BytesIO()
            signers.PdfTimeStamper(self.archive).timestamp_pdf(
                IncrementalPdfFileWriter(buf), "sha256", validation_context=None, output=out)
            buf = out
        with open(dst, "wb") as f:
            f.write(buf.getvalue())


def main():
    if not os.path.exists(SOHOA):
        sys.exit("build first: cargo build --release")
    os.makedirs(DATA, exist_ok=True)
    src = os.path.join(DATA, "token-in.pdf")
    bench_make_pdf.ensure_pdf(src, 1024 * 1024, seed=7)
    work = tempfile.mkdtemp(prefix="sohoa-bench-token-")
    try:
        make_token(work)
        tsa_srv, tsa = start_tsa("tsa", work)
        arc_srv, archive = start_tsa("archive-tsa", work)
        pin_file = os.path.join(work, "pin.txt")
        with open(pin_file, "w") as f:
            f.write(PIN)
        os.chmod(pin_file, 0o600)
        cfg = os.path.join(work, "config.toml")
        c = lambda n: json.dumps(os.path.join(CERTS, n))  # noqa: E731
        with open(cfg, "w") as f:
            f.write(f'[sign]\ndefault_signer = "tok"\n[signers.tok]\npkcs11_module = "{MODULE}"\n'
                    f'token_label = "{LABEL}"\nkey_id = "01"\npin_file = {json.dumps(pin_file)}\n'
                    f'[trust]\nanchors = [{c("root-ca.pem")}]\nintermediates = [{c("sub-ca.pem")}]\n'
                    f'crls = [{c("sub-ca.crl")}, {c("root-ca.crl")}]\n')
        yml = os.path.join(work, "pyhanko.yml")
        with open(yml, "w") as f:
            f.write(f"pkcs11-setups:\n  bench:\n    module-path: {MODULE}\n    token-criteria:\n"
                    f"      label: {LABEL}\n    cert-label: official-signer\n"
                    f"    key-label: official-signer\n    user-pin: \"{PIN}\"\n"
                    f"    other-certs-to-pull: [sub-ca]\n")
        out = lambda tool, lvl, i: os.path.join(work, f"{tool}-{lvl}-{i}.pdf")  # noqa: E731
        results = {}

        def sohoa(level):
            extra = ["--level", "B-LTA", "--archive-tsa", archive] if level == "B-LTA" else []
            return lambda i: sh([SOHOA, "--config", cfg, "sign", src, "-o",
                                 out("sohoa", level, i), "--tsa", tsa] + extra)

        def pyhanko_cli(i):
            sh([PYHANKO, "--config", yml, "sign", "addsig", "--field", "Sig1", "--use-pades",
                "--timestamp-url", tsa, "pkcs11", "--p11-setup", "bench", src,
                out("pyhanko-cli", "B-T", i)])

        t0 = time.perf_counter()
        py = PyHankoToken(tsa, archive)
        py_open_s = time.perf_counter() - t0
        for level in ("B-T", "B-LTA"):
            log(f"bench_token: {level}")
            results[f"sohoa {level}"] = timed(sohoa(level), RUNS["sohoa"])
            lta = level == "B-LTA"
            results[f"pyhanko in-proc {level}"] = timed(
                lambda i, lta=lta, level=level: py.sign(src, out("pyhanko", level, i), lta),
                RUNS["pyhanko"])
        results["pyhanko cli B-T"] = timed(pyhanko_cli, RUNS["pyhanko-cli"])
        # every file verifies in sohoa (the pyHanko ones too: the other tool's output)
        trust = os.path.join(CERTS, "root-ca.pem")
        for tool, level in [("sohoa", "B-T"), ("sohoa", "B-LTA"), ("pyhanko", "B-T"),
                            ("pyhanko", "B-LTA"), ("pyhanko-cli", "B-T")]:
            f = out(tool, level, 0)
            p = subprocess.run([SOHOA, "verify", "--json", "--trust", trust, f],
                               capture_output=True, cwd=ROOT)
            r = json.loads(p.stdout or b"{}")
            got = (r.get("signatures") or [{}])[0].get("pades", {}).get("level")
            flag = "ok" if p.returncode == 0 else f"NOT VALID (exit {p.returncode})"
            log(f"  verify {tool} {level}: {flag}, level {got}")
            results[f"verify {tool} {level}"] = {"valid": p.returncode == 0, "level": got}
        tsa_srv.shutdown()
        arc_srv.shutdown()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print("\nSigning through a SoftHSM2 token (RSA-2048, ~1 MiB PDF), docs/s:")
    print(f"{'':24} {'sohoa':>8} {'pyHanko in-proc':>16} {'ratio':>7} {'pyHanko cli':>12} {'ratio':>7}")
    for level in ("B-T", "B-LTA"):
        s = results[f"sohoa {level}"]["docs_per_s"]
        p = results[f"pyhanko in-proc {level}"]["docs_per_s"]
        cli = results.get(f"pyhanko cli {level}", {}).get("docs_per_s")
        cli_s = f"{cli:>12}" if cli else f"{'-':>12}"
        ratio_cli = f"{s / cli:>6.2f}x" if cli else f"{'-':>7}"
        print(f"{level:24} {s:>8} {p:>16} {s / p:>6.2f}x {cli_s} {ratio_cli}")
    print(f"(pyHanko in-proc opens its token session once, {py_open_s:.3f} s, not timed; "
          "sohoa opens and logs in per process)")
    with open(os.path.join(DATA, "bench_token.json"), "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
