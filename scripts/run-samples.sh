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
#      a citizen's papers by ID number and by text, anchor the audit log with a signed
#      checkpoint in the store and check the log against it. A second run
#      stores nothing twice; the index and the store agree;
#   7. ingest every sample batch into a scratch store and look each labelled paper up;
#   8. run the service: drop batches, a dossier folder and a broken file into its inbox; show
#      the journal, the reports, the failed file's explanation and an API answer; the
#      service anchors its audit log as it stops.
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
"$BIN" audit checkpoint
"$BIN" audit verify
"$BIN" store check
"$BIN" report
echo
echo "== 7. Every sample batch ingested into a scratch store: each paper stored, verified, found"
"$BIN" eval ingest samples/dossiers --model models/classify.json
echo
echo "== 8. The service: the sample batches and scans dropped into its inbox; results from the"
echo "      journal, the reports and the HTTP API (the same that serves the web pages)"
SV="$OUT/service"
rm -rf "$SV"
mkdir -p "$SV/inbox/000.00.10.H59/000.00.10.H59-261122-0001"
R=$(pwd)
TOKEN_LINES=$("$BIN" user token canbo --role officer --unit 000.00.10.H59)
TOKEN=$(printf '%s\n' "$TOKEN_LINES" | sed -n 's/^token for canbo.*: //p')
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$SV/config.toml" <<CONFIG_END
# written by scripts/run-samples.sh: the service on the bundled samples (TEST keys)
[sign]
default_signer = "official"
[signers.official]
pkcs12 = "$R/certs-test/official-signer.p12"
passphrase_file = "$R/certs-test/PASSPHRASE-TEST-ONLY.txt"
reason = "Số hóa từ bản chính"
[trust]
anchors = ["$R/certs-test/root-ca.pem"]
intermediates = ["$R/certs-test/sub-ca.pem"]
[classify]
model = "$R/models/classify.json"
[store]
root = "data"
unit = "000.00.10.H59"
[inbox]
stable_seconds = 1
poll_seconds = 0.5
[http]
listen = "127.0.0.1:$PORT"
$(printf '%s\n' "$TOKEN_LINES" | sed -n '/^\[users/,$p')
CONFIG_END
"$BIN" --config "$SV/config.toml" serve > "$SV/serve.log" 2>&1 &
SERVE=$!
trap 'kill $SERVE 2>/dev/null || true' EXIT
# an operator's day: batches one per file, a dossier folder, single scans, and a broken file
cp samples/dossiers/batch-01.tif samples/dossiers/batch-02.pdf samples/dossiers/batch-03.tif "$SV/inbox/000.00.10.H59/"
cp "$S/cccd-ban-sao.png" "$S/khai-sinh.jpg" "$SV/inbox/000.00.10.H59/000.00.10.H59-261122-0001/"
printf 'not a scan' > "$SV/inbox/000.00.10.H59/hong.jpg"
start=$(date +%s)
while find "$SV/inbox" -type f | grep -q .; do
  if (( $(date +%s) - start > 600 )); then
    echo "run-samples: the service did not empty its inbox in 10 minutes" >&2
    cat "$SV/serve.log" >&2
    exit 1
  fi
  sleep 1
done
sleep 1
echo "inbox emptied in $(( $(date +%s) - start )) s"
"$BIN" --config "$SV/config.toml" inbox status
"$BIN" --config "$SV/config.toml" report
echo "-- the failed file's explanation:"
cat "$SV/failed/000.00.10.H59/hong.jpg.error.txt"
echo "-- GET /api/components?type=citizen_id as the officer:"
python3 - "http://127.0.0.1:$PORT" "$TOKEN" <<'PY_END'
import json, sys, urllib.request
req = urllib.request.Request(sys.argv[1] + "/api/components?type=citizen_id",
                             headers={"Authorization": "Bearer " + sys.argv[2]})
rows = json.load(urllib.request.urlopen(req))["components"]
for c in rows:
    print(f"  #{c['id']} {c['type_code']} {','.join(c['owner_ids'])} signed by {c['signature']['signer_subject']}")
if not rows:
    sys.exit("run-samples: the API found no ID card")
PY_END
echo "(web pages: run $BIN --config $SV/config.toml serve, open http://127.0.0.1:$PORT/ and log in with the token)"
kill $SERVE
wait $SERVE || true
echo "-- the service anchored its audit log as it stopped:"
grep -E "audit log|checkpoint" "$SV/serve.log" | tail -n 1
"$BIN" --config "$SV/config.toml" audit verify
trap - EXIT
echo
echo "== Done: $OUT/ho-so.pdf (PDF/A), $OUT/signed/ (signed). Text: pdftotext $OUT/ho-so.pdf -"
