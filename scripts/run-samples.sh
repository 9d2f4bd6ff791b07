#!/usr/bin/env bash
# The main job on the bundled samples: sign each sample PDF with the official's personal
# signature (PAdES), countersign with the agency's (adbe.pkcs7.detached), verify the result,
# then show what an auditor sees when a signed file is altered afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-out}
BIN=./target/release/sohoa
mkdir -p "$OUT/signed"
for f in samples/pdf/*.pdf; do
  name=$(basename "$f" .pdf)
  "$BIN" sign "$f" -o "$OUT/signed/$name.personal.pdf" --signer official
  "$BIN" sign "$OUT/signed/$name.personal.pdf" -o "$OUT/signed/$name.pdf" --signer org
  rm "$OUT/signed/$name.personal.pdf"
done
echo
echo "== Verification of the signed samples"
"$BIN" verify "$OUT"/signed/*.pdf
echo "== An altered copy (one byte changed inside the signed range): must be NOT VALID"
first=$(ls "$OUT"/signed/*.pdf | head -n 1)
python3 - "$first" "$OUT/altered.pdf" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
i = data.find(b"Nguyen Van A")
if i < 0:
    i = data.find(b"QUYET DINH")
data[i] ^= 0x20
open(sys.argv[2], "wb").write(data)
PY
if "$BIN" verify "$OUT/altered.pdf"; then
  echo "run-samples: the altered file was accepted: this is a bug" >&2
  exit 1
fi
echo "== Done: signed files in $OUT/signed/ (JSON reports: $BIN verify --json FILE)"
