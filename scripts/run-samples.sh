#!/usr/bin/env bash
# The main job on the bundled samples, as far as the pipeline is built:
#   1. digitize: a dossier of scans (JPEG, PNG, TIFF, scanned PDF; pages upside down, sideways,
#      skewed) becomes one searchable PDF/A-2u with Vietnamese OCR;
#   2. sign it with the official's personal signature (PAdES), countersign with the agency's;
#   3. verify it, and show that an altered copy is rejected;
#   4. measure OCR quality on every sample scan against its ground truth;
#   5. classify: train the model on samples/train, split a scanned batch into dossiers and
#      papers with types and ID numbers, and measure classification on samples/dossiers;
#   6. ingest that batch (a signed PDF/A per paper, stored by SHA-256, indexed in data/), find
#      a citizen's papers by ID number and by text, and check the audit log. A second run
#      stores nothing twice; the index and the store agree;
#   7. ingest every sample batch into a scratch store and look each labelled paper up.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-out}
BIN=./target/release/sohoa
S=samples/scans
mkdir -p "$OUT/signed"

echo "== 1. Digitize a dossier of scans into one PDF/A"
"$BIN" digitize "$S/don-xac-nhan-hon-nhan.jpg" "$S/cccd-ban-sao.png" "$S/khai-sinh.jpg" \
  "$S/quyet-dinh-123.tif" "$S/ho-so-dat.pdf" -o "$OUT/ho-so.pdf" --title "Hồ sơ mẫu"

echo
echo "== 2. Sign: the official who digitized (PAdES), then the agency (adbe.pkcs7.detached)"
"$BIN" sign "$OUT/ho-so.pdf" -o "$OUT/signed/ho-so.personal.pdf" --signer official
"$BIN" sign "$OUT/signed/ho-so.personal.pdf" -o "$OUT/signed/ho-so.pdf" --signer org
rm "$OUT/signed/ho-so.personal.pdf"
for f in samples/pdf/*.pdf; do
  name=$(basename "$f" .pdf)
  "$BIN" sign "$f" -o "$OUT/signed/$name.pdf" --signer official
done

echo
echo "== 3. Verify"
"$BIN" verify "$OUT"/signed/*.pdf
echo "== An altered copy (one byte changed inside the signed range): must be NOT VALID"
python3 - "$OUT/signed/don-de-nghi.pdf" "$OUT/altered.pdf" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
i = data.find(b"Nguyen Van A")
data[i] ^= 0x20
open(sys.argv[2], "wb").write(data)
PY
if "$BIN" verify "$OUT/altered.pdf"; then
  echo "run-samples: the altered file was accepted: this is a bug" >&2
  exit 1
fi

echo "== 4. OCR quality on all sample scans (character error rate against ground truth)"
"$BIN" eval ocr "$S"

echo
echo "== 5. Classify: train the model, split a batch of two dossiers, measure on all batches"
"$BIN" classify train samples/train -o models/classify.json
"$BIN" classify samples/dossiers/batch-02.pdf
"$BIN" eval classify samples/dossiers --model models/classify.json
echo
echo "== 6. Ingest: store, sign and index the papers; find them again; check the audit log"
"$BIN" ingest samples/dossiers/batch-02.pdf
"$BIN" find --person 008087122782
"$BIN" find --text "quyen su dung dat"
"$BIN" audit verify
"$BIN" store check
"$BIN" report
echo
echo "== 7. Every sample batch ingested into a scratch store: each paper stored, verified, found"
"$BIN" eval ingest samples/dossiers --model models/classify.json
echo
echo "== Done: $OUT/ho-so.pdf (PDF/A), $OUT/signed/ (signed). Text: pdftotext $OUT/ho-so.pdf -"
