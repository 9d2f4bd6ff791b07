#!/usr/bin/env bash
# Fuzzing on the stable toolchain: libFuzzer (libfuzzer-sys) with SanitizerCoverage passes,
# no nightly needed. TEST KEYS ONLY (certs-test/) make the signed seeds.
#
#   fuzz/run.sh build              build every target (release, coverage-instrumented)
#   fuzz/run.sh seeds              make the seed corpora in fuzz/corpus/<target>/
#   fuzz/run.sh ci [RUNS]          each target RUNS inputs (default 3000) from its seeds: CI
#   fuzz/run.sh run TARGET SECS    one target for SECS seconds (the 10-minute local runs)
#
# A crash leaves its input in fuzz/artifacts/<target>/ and fails the command.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
cd "$here"
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$here/target}"
TARGETS=(verify_pdf decode_jpeg decode_png decode_tiff decode_pdf text_layer cms tsa_reply)
# the flags cargo-fuzz passes, less the nightly-only sanitizer ones
FLAGS="--cfg fuzzing -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
 -Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
 -Cllvm-args=-sanitizer-coverage-trace-compares -Cdebug-assertions -Coverflow-checks"

# an explicit --target keeps the flags off build scripts and proc-macros (as cargo-fuzz does)
TRIPLE="$(rustc -vV | sed -n 's/^host: //p')"

build() {
    RUSTFLAGS="$FLAGS" cargo build --release --bins --locked --target "$TRIPLE"
}

bin() { echo "$CARGO_TARGET_DIR/$TRIPLE/release/$1"; }

sohoa_bin() {
    for b in "$root/target/debug/sohoa" "$root/target/release/sohoa"; do
        [ -x "$b" ] && { echo "$b"; return; }
    done
    (cd "$root" && cargo build --quiet) && echo "$root/target/debug/sohoa"
}

seeds() {
    local c="$here/corpus"
    for t in "${TARGETS[@]}"; do mkdir -p "$c/$t"; done
    local s="$root/samples"
    cp "$s"/scans/to-khai-to-roi.jpg "$c/decode_jpeg/"
    cp "$s"/scans/cccd-ban-sao.png "$s"/dossiers/batch-07.png "$c/decode_png/"
    cp "$s"/scans/dkdn.tif "$s"/scans/quyet-dinh-123.tif "$c/decode_tiff/"
    cp "$s"/pdf/*.pdf "$c/decode_pdf/"
    # image-only PDFs (the pages decode reads pixels from), small: Pillow writes them
    local py="$root/.venv/bin/python"; [ -x "$py" ] || py=python3
    "$py" - "$s/scans/dkdn.tif" "$c/decode_pdf" <<'PY' || echo "no Pillow: decode_pdf has text PDFs only"
import sys
from PIL import Image
src, out = sys.argv[1], sys.argv[2]
page = Image.open(src).convert("L").resize((300, 420))
page.save(f"{out}/image-only-gray.pdf", resolution=36)
page.convert("RGB").save(f"{out}/image-only-rgb.pdf", resolution=36)
page.convert("1").save(f"{out}/image-only-bilevel.pdf", resolution=36)
PY
    cp "$s"/pdf/*.pdf "$c/text_layer/"
    # signed PDFs (B-B, and B-T with the test TSA) and their CMS blobs
    local work; work="$(mktemp -d)"
    local sohoa; sohoa="$(sohoa_bin)"
    local pass="$root/certs-test/PASSPHRASE-TEST-ONLY.txt"
    "$sohoa" sign "$s/pdf/quyet-dinh.pdf" -o "$c/verify_pdf/signed-bb.pdf" \
        --p12 "$root/certs-test/official-signer.p12" --passphrase-file "$pass" >/dev/null
    "$sohoa" sign "$c/verify_pdf/signed-bb.pdf" -o "$c/verify_pdf/signed-twice.pdf" \
        --p12 "$root/certs-test/org-signer.p12" --passphrase-file "$pass" \
        --sub-filter adbe.pkcs7.detached >/dev/null
    cp "$s"/pdf/*.pdf "$c/verify_pdf/"
    python3 - "$c" <<'PY'
import re, sys, pathlib
c = pathlib.Path(sys.argv[1])
for i, pdf in enumerate(sorted((c / "verify_pdf").glob("signed-*.pdf"))):
    for j, m in enumerate(re.finditer(rb"/Contents\s*<([0-9A-Fa-f]+)>", pdf.read_bytes())):
        blob = bytes.fromhex(m.group(1).decode()).rstrip(b"\0")
        (c / "cms" / f"{pdf.stem}-{j}.der").write_bytes(blob)
PY
    # RFC 3161 replies of the test TSAs (RSA and ECDSA P-384)
    echo "fuzz seed" > "$work/data"
    for tsa in tsa ecdsa-tsa; do
        openssl ts -query -data "$work/data" -sha256 -cert -out "$work/q.tsq" 2>/dev/null
        SOHOA_TSA_SERIAL="$work/serial" SOHOA_CERTS_DIR="$root/certs-test" \
            openssl ts -reply -config "$root/certs-test/$tsa.cnf" -queryfile "$work/q.tsq" \
            -signer "$root/certs-test/$tsa.pem" -inkey "$root/certs-test/$tsa.key.pem" \
            -passin "file:$pass" -out "$c/tsa_reply/$tsa.tsr" 2>/dev/null
    done
    rm -rf "$work"
    for t in "${TARGETS[@]}"; do
        echo "seeds $t: $(ls "$c/$t" | wc -l) files"
    done
}

# run TARGET ARGS…: libFuzzer on a scratch copy of the seeds (the seeds stay as made)
run_one() {
    local t="$1"; shift
    local work="$here/work/$t"
    rm -rf "$work"; mkdir -p "$work" "$here/artifacts/$t"
    cp "$here/corpus/$t/"* "$work/"
    "$(bin "$t")" "$work" -artifact_prefix="$here/artifacts/$t/" -max_len=1048576 \
        -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 "$@"
}

case "${1:-}" in
    build) build ;;
    seeds) seeds ;;
    ci)
        runs="${2:-3000}"
        build
        [ -d "$here/corpus/verify_pdf" ] || seeds
        for t in "${TARGETS[@]}"; do
            echo "== fuzz $t: $runs runs"
            run_one "$t" -runs="$runs" 2>&1 | grep -E "^(stat::|#[0-9]+ *DONE|==[0-9]+== ERROR|SUMMARY|Done)" || true
            # libFuzzer exits non-zero on a crash; PIPESTATUS keeps its code
            [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "fuzz $t FAILED: see fuzz/artifacts/$t/"; exit 1; }
        done
        ;;
    run)
        [ -x "$(bin "$2")" ] || build
        [ -d "$here/corpus/$2" ] || seeds
        run_one "$2" -max_total_time="${3:-600}"
        ;;
    *) sed -n '2,11p' "$0"; exit 2 ;;
esac
