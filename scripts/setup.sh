#!/usr/bin/env bash
# sohoa set-up: installs every system package the build, the tests and the benchmarks need.
# Idempotent: packages already present are not reinstalled; the Python venv is reused.
# Called by `make run` and `make test` (and so by .ci/run). Needs root (or sudo) for apt.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  # build (libclang: bindgen for the Tesseract and Leptonica bindings)
  build-essential pkg-config libclang-dev clang
  # OCR: Tesseract 5 with Vietnamese and orientation (OSD) data, Leptonica
  libtesseract-dev libleptonica-dev tesseract-ocr tesseract-ocr-vie tesseract-ocr-osd tesseract-ocr-eng
  # fonts with Vietnamese glyphs for the sample generator
  fonts-dejavu-core
  # the signature stamps: Liberation Serif, metric-compatible with Times New Roman (Decree 30/2020)
  fonts-liberation2
  # signature interop and PDF checks in the tests
  openssl poppler-utils qpdf libnss3-tools
  # PKCS#11: a real token module for the signing tests (SoftHSM2) and OpenSC's pkcs11-tool
  softhsm2 opensc
  # benchmarks: peak RSS of a child process
  time
  # the cover-sheet code sweep's peer reader (scripts/bench_codes.py, tests/integration/codes.rs)
  zbar-tools
  # Code 128 and Data Matrix symbols for the same tests (zint, the barcode generator)
  zint
  # Python venv for pyHanko (interop tests, benchmarks)
  python3-venv
  # the web pages' tests: Debian's Chromium driven by playwright-core (Node.js below)
  chromium
  # the shared index's tests and benchmarks: a throwaway PostgreSQL cluster
  # (scripts/test-servers.sh; unaccent is in the server package)
  postgresql
  # the Debian package (make deb, tests/integration/deb.rs): dpkg-shlibdeps for its
  # dependencies, systemd-analyze to check the unit; cargo-deb itself is installed below
  dpkg-dev systemd
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm: the machine's own when it has them (they may come from elsewhere than
# Debian, and Debian's npm would conflict with them), else Debian's.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Python tools for interop tests and benchmarks, in an ignored venv.
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# ocrmypdf: the digitize benchmark's baseline (scripts/bench_digitize.py), run with
# --pdfa-backend internal, which needs no Ghostscript (pikepdf makes the PDF/A, pypdfium2
# rasterizes); it uses the Debian tesseract above. Brings img2pdf (builds the 200-page input).
# python-pkcs11: pyHanko signing through the SoftHSM2 token (interop test, signing benchmark).
PY_PACKAGES=(pyhanko==0.38.0 pyhanko-cli==0.6.0 pillow==12.0.0 'pikepdf[pdfa]==10.17.0'
  ocrmypdf==17.13.0 segno==1.6.6 python-pkcs11==0.10.1
  # the API against its OpenAPI description (tests/integration/api.rs)
  schemathesis==4.32.5)
stamp=".venv/.sohoa-setup-$(printf '%s ' "${PY_PACKAGES[@]}" | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q "${PY_PACKAGES[@]}"
  touch "$stamp"
fi
# playwright-core (no browser download: it drives /usr/bin/chromium), pinned by the lock file.
if ! cmp -s tests/browser/package-lock.json tests/browser/node_modules/.package-lock.json 2>/dev/null; then
  npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
fi
# cargo-deb (make deb), pinned; cargo install builds it once into ~/.cargo/bin
CARGO_DEB_VERSION=3.8.0
if ! cargo deb --version 2>/dev/null | grep -q "$CARGO_DEB_VERSION"; then
  cargo install cargo-deb --version "$CARGO_DEB_VERSION" --locked --quiet
fi
# s3s-fs: the S3-protocol server of the shared store's tests (scripts/test-servers.sh),
# pinned; 0.14.1 is the newest this toolchain builds (0.17 needs Rust 1.96)
S3S_FS_VERSION=0.14.1
if ! "$HOME/.cargo/bin/s3s-fs" --version 2>/dev/null | grep -q "$S3S_FS_VERSION"; then
  cargo install s3s-fs --version "$S3S_FS_VERSION" --features binary --locked --quiet
fi
# Debian starts a cluster of its own when it installs postgresql: the tests use their own
# (on a port of their own), so the system one is stopped and kept from starting
if command -v systemctl >/dev/null 2>&1 && systemctl is-enabled postgresql >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO systemctl disable --now postgresql >/dev/null 2>&1 || true
fi
# the web pages' vendored scripts (Chart.js) must equal the npm packages their lock file pins
bash scripts/vendor-web.sh --check
echo "setup: ok"
