#!/usr/bin/env bash
# Regenerates the TEST PKI in certs-test/: a root, a sub-CA, subscriber certificates, a TSA,
# an untrusted root, a CRL, encrypted PKCS#8 keys and PKCS#12 bundles (modern and legacy).
#
# TEST KEYS ONLY. Every CN ends with "(TEST)"; the private keys and the passphrase are public.
# Never install these certificates in a production trust store.
#
# Shaped like Vietnam's Government Cipher Committee (Ban Cơ yếu Chính phủ, VGCA) generation-2
# hierarchy: RootCA G2 -> "CA phục vụ các cơ quan Nhà nước G2" -> organisation / official signers,
# and a time-stamping authority issued directly by the root.
#
# Usage (from anywhere): bash scripts/gen-test-pki.sh
# Idempotent: deletes everything in certs-test/ except README.md and regenerates it from scratch
# (new keys, new random serial numbers; validity dates are fixed).
# Needs the OpenSSL 3 CLI (3.0 or later; the legacy provider for the -legacy PKCS#12).
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=certs-test
PW='sohoa-test-only'

case "$(openssl version)" in
  "OpenSSL 3."*) ;;
  *) echo "gen-test-pki: needs the OpenSSL 3 CLI, found: $(openssl version)" >&2; exit 1 ;;
esac

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sohoa-pki.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

mkdir -p "$OUT"
find "$OUT" -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +

# One passphrase for every key and bundle; no trailing newline (`-passin file:` reads line 1).
printf '%s' "$PW" >"$OUT/PASSPHRASE-TEST-ONLY.txt"

# ---------------------------------------------------------------------------------------------
# OpenSSL configuration: requests (UTF-8 names) and `openssl ca` (one database per CA, in $WORK)
# ---------------------------------------------------------------------------------------------
cat >"$WORK/openssl.cnf" <<'EOF'
# Used by gen-test-pki.sh only. CADIR is set per CA by the script.
CADIR = .

[ req ]
distinguished_name = req_dn
string_mask        = utf8only
utf8               = yes
prompt             = no

[ req_dn ]
# Unused: subjects come from -subj.
CN = unused

[ ca ]
default_ca = ca_test

[ ca_test ]
dir             = $ENV::CADIR
database        = $dir/index.txt
new_certs_dir   = $dir/newcerts
serial          = $dir/serial
crlnumber       = $dir/crlnumber
default_md      = sha256
policy          = policy_any
# Keep the subject exactly as requested (field order, repeated UID).
preserve        = yes
email_in_dn     = yes
unique_subject  = no
copy_extensions = none
string_mask     = utf8only
default_crl_days = 7000
crl_extensions  = crl_ext

[ policy_any ]
countryName            = optional
stateOrProvinceName    = optional
localityName           = optional
organizationName       = optional
organizationalUnitName = optional
commonName             = supplied
UID                    = optional
emailAddress           = optional

[ crl_ext ]
authorityKeyIdentifier = keyid:always

[ v3_root ]
basicConstraints     = critical, CA:true
keyUsage             = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[ v3_sub_ca ]
basicConstraints       = critical, CA:true, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

# Subscriber (signer) certificates. No CRL distribution point, no AIA: validators must not
# go to the network for test certificates.
[ v3_signer ]
basicConstraints       = CA:false
keyUsage               = critical, digitalSignature, nonRepudiation, keyEncipherment, dataEncipherment
certificatePolicies    = 2.16.704.1.1.1.1.1
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

# Encryption-only certificate: must be refused for signing.
[ v3_nosign ]
basicConstraints       = CA:false
keyUsage               = critical, keyEncipherment, dataEncipherment
certificatePolicies    = 2.16.704.1.1.1.1.1
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_tsa ]
basicConstraints       = CA:false
keyUsage               = critical, digitalSignature, nonRepudiation
extendedKeyUsage       = critical, timeStamping
certificatePolicies    = 2.16.704.1.1.1.2
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
EOF
export OPENSSL_CONF="$WORK/openssl.cnf"
CNF="$WORK/openssl.cnf"

# new_ca_db DIR: an empty `openssl ca` database.
new_ca_db() {
  mkdir -p "$1/newcerts"
  : >"$1/index.txt"
  echo 'unique_subject = no' >"$1/index.txt.attr"
  echo 01 >"$1/crlnumber"
}

# new_key NAME BITS: plain key in $WORK (for PKCS#12 export), encrypted PKCS#8 in certs-test/
# (PBES2: PBKDF2-HMAC-SHA256 + AES-256-CBC).
new_key() {
  local name=$1 bits=$2
  openssl genpkey -quiet -algorithm RSA -pkeyopt "rsa_keygen_bits:$bits" -out "$WORK/$name.key"
  openssl pkcs8 -topk8 -in "$WORK/$name.key" -v2 aes-256-cbc -v2prf hmacWithSHA256 \
    -passout "pass:$PW" -out "$OUT/$name.key.pem"
}

# new_csr NAME SUBJECT
new_csr() {
  openssl req -new -config "$CNF" -utf8 -key "$WORK/$1.key" -subj "$2" -out "$WORK/$1.csr"
}

# sign CADIR CACERT CAKEY NAME EXTENSIONS START END
sign() {
  local cadir=$1 cacert=$2 cakey=$3 name=$4 ext=$5 start=$6 end=$7
  CADIR="$cadir" openssl ca -config "$CNF" -batch -utf8 -notext -rand_serial \
    -cert "$cacert" -keyfile "$cakey" -in "$WORK/$name.csr" -extensions "$ext" \
    -startdate "$start" -enddate "$end" -out "$OUT/$name.pem" 2>"$WORK/$name.ca.log" ||
    { cat "$WORK/$name.ca.log" >&2; return 1; }
}

# selfsign CADIR NAME EXTENSIONS START END
selfsign() {
  local cadir=$1 name=$2 ext=$3 start=$4 end=$5
  CADIR="$cadir" openssl ca -config "$CNF" -batch -utf8 -notext -rand_serial -selfsign \
    -keyfile "$WORK/$name.key" -in "$WORK/$name.csr" -extensions "$ext" \
    -startdate "$start" -enddate "$end" -out "$OUT/$name.pem" 2>"$WORK/$name.ca.log" ||
    { cat "$WORK/$name.ca.log" >&2; return 1; }
}

# bundle NAME CHAINFILE...: NAME.chain.pem, NAME.p12 (OpenSSL 3 default: PBES2 AES-256-CBC with
# PBKDF2-HMAC-SHA256 for key and certificates, HMAC-SHA256 MAC).
bundle() {
  local name=$1
  shift
  cat "$@" >"$OUT/$name.chain.pem"
  openssl pkcs12 -export -name "$name" -inkey "$WORK/$name.key" -in "$OUT/$name.pem" \
    -certfile "$OUT/$name.chain.pem" -keypbe AES-256-CBC -certpbe AES-256-CBC -macalg sha256 \
    -passout "pass:$PW" -out "$OUT/$name.p12"
}

ORG_VGCA='/C=VN/O=Ban Cơ yếu Chính phủ (TEST)'
TQ='/C=VN/L=Tuyên Quang'
SNN='Sở Nông nghiệp và PTNT tỉnh Tuyên Quang'

# Subscriber validity: long, so that the tests do not rot (real VGCA certificates: ~5 years).
SUB_START=20200101000000Z
SUB_END=20461231235959Z

echo "gen-test-pki: root CA (RSA-4096)"
new_ca_db "$WORK/root"
new_key root-ca 4096
new_csr root-ca "$ORG_VGCA/CN=RootCA chuyên dùng Chính phủ G2 (TEST)"
selfsign "$WORK/root" root-ca v3_root 20180101000000Z 20481231235959Z

echo "gen-test-pki: sub-CA (RSA-2048)"
new_ca_db "$WORK/sub"
new_key sub-ca 2048
new_csr sub-ca "$ORG_VGCA/CN=CA phục vụ các cơ quan Nhà nước G2 (TEST)"
sign "$WORK/root" "$OUT/root-ca.pem" "$WORK/root-ca.key" sub-ca v3_sub_ca \
  20190101000000Z 20471231235959Z

# leaf NAME SUBJECT EXTENSIONS [START END]: a subscriber certificate from the sub-CA.
leaf() {
  local name=$1 subject=$2 ext=$3 start=${4:-$SUB_START} end=${5:-$SUB_END}
  echo "gen-test-pki: $name"
  new_key "$name" 2048
  new_csr "$name" "$subject"
  sign "$WORK/sub" "$OUT/sub-ca.pem" "$WORK/sub-ca.key" "$name" "$ext" "$start" "$end"
  bundle "$name" "$OUT/sub-ca.pem" "$OUT/root-ca.pem"
}

leaf org-signer \
  "$TQ/O=UBND tỉnh Tuyên Quang/CN=Sở Nông nghiệp và PTNT (TEST)/UID=MST:5000123456/UID=MNS:1012345/emailAddress=snnptnt@tuyenquang.gov.vn.test" \
  v3_signer
leaf official-signer \
  "$TQ/O=$SNN/CN=Nguyễn Thị Hường (TEST)/emailAddress=huongnt@tuyenquang.gov.vn.test" \
  v3_signer
leaf expired-signer \
  "$TQ/O=$SNN/CN=Trần Văn Hết Hạn (TEST)/emailAddress=hethan@tuyenquang.gov.vn.test" \
  v3_signer 20200101000000Z 20210101000000Z
leaf revoked-signer \
  "$TQ/O=$SNN/CN=Lê Văn Thu Hồi (TEST)/emailAddress=thuhoi@tuyenquang.gov.vn.test" \
  v3_signer
leaf nosign-signer \
  "$TQ/O=$SNN/CN=Phạm Văn Không Ký (TEST)/emailAddress=khongky@tuyenquang.gov.vn.test" \
  v3_nosign

# The format many offices' Windows exports still use: pbeWithSHAAnd3-KeyTripleDES-CBC key bag,
# pbeWithSHAAnd40BitRC2-CBC certificate bag, HMAC-SHA1 MAC.
echo "gen-test-pki: official-signer.legacy.p12"
openssl pkcs12 -export -legacy -name official-signer -inkey "$WORK/official-signer.key" \
  -in "$OUT/official-signer.pem" -certfile "$OUT/official-signer.chain.pem" \
  -passout "pass:$PW" -out "$OUT/official-signer.legacy.p12"

echo "gen-test-pki: revoke revoked-signer, CRL"
CADIR="$WORK/sub" openssl ca -config "$CNF" -batch -cert "$OUT/sub-ca.pem" \
  -keyfile "$WORK/sub-ca.key" -revoke "$OUT/revoked-signer.pem" -crl_reason keyCompromise \
  2>"$WORK/revoke.log" || { cat "$WORK/revoke.log" >&2; exit 1; }
CADIR="$WORK/sub" openssl ca -config "$CNF" -batch -cert "$OUT/sub-ca.pem" \
  -keyfile "$WORK/sub-ca.key" -gencrl -crldays 7000 -out "$OUT/sub-ca.crl.pem" \
  2>"$WORK/crl.log" || { cat "$WORK/crl.log" >&2; exit 1; }
openssl crl -in "$OUT/sub-ca.crl.pem" -outform DER -out "$OUT/sub-ca.crl"

echo "gen-test-pki: TSA (issued by the root)"
new_key tsa 2048
new_csr tsa "$ORG_VGCA/CN=Máy chủ cấp dấu thời gian G2 (TEST)"
sign "$WORK/root" "$OUT/root-ca.pem" "$WORK/root-ca.key" tsa v3_tsa "$SUB_START" "$SUB_END"
bundle tsa "$OUT/root-ca.pem"

echo "gen-test-pki: untrusted root and signer"
new_ca_db "$WORK/untrusted"
new_key untrusted-root 2048
new_csr untrusted-root "/C=VN/O=Untrusted (TEST)/CN=Untrusted Root (TEST)"
selfsign "$WORK/untrusted" untrusted-root v3_root 20180101000000Z 20481231235959Z
new_key untrusted-signer 2048
new_csr untrusted-signer \
  "$TQ/O=Untrusted (TEST)/CN=Người Ký Không Tin Cậy (TEST)/emailAddress=untrusted@example.test"
sign "$WORK/untrusted" "$OUT/untrusted-root.pem" "$WORK/untrusted-root.key" untrusted-signer \
  v3_signer "$SUB_START" "$SUB_END"
bundle untrusted-signer "$OUT/untrusted-root.pem"

# ---------------------------------------------------------------------------------------------
# tsa.cnf: `openssl ts -reply` configuration for the test TSA
# ---------------------------------------------------------------------------------------------
cat >"$OUT/tsa.cnf" <<'EOF'
# OpenSSL `ts -reply` configuration for the TEST time-stamping authority. TEST ONLY.
#
#   openssl ts -reply -config certs-test/tsa.cnf -queryfile q.tsq \
#     -signer certs-test/tsa.pem -inkey certs-test/tsa.key.pem \
#     -passin file:certs-test/PASSPHRASE-TEST-ONLY.txt -out r.tsr
#
# Environment (each falls back to the default below when unset):
#   SOHOA_TSA_SERIAL  file holding the next serial number, created if missing
#                     (tests: point it into their temp dir)
#   SOHOA_CERTS_DIR   directory of tsa.pem / tsa.key.pem when -signer / -inkey are not given
#                     (default: certs-test, i.e. run from the repository root)
# Add `-chain certs-test/tsa.chain.pem` to embed the root in the token as well.
SOHOA_TSA_SERIAL = /tmp/sohoa-tsa-serial.txt
SOHOA_CERTS_DIR  = certs-test

[ tsa ]
default_tsa = tsa_test

[ tsa_test ]
dir                    = $ENV::SOHOA_CERTS_DIR
serial                 = $ENV::SOHOA_TSA_SERIAL
signer_cert            = $dir/tsa.pem
signer_key             = $dir/tsa.key.pem
signer_digest          = sha256
default_policy         = 2.16.704.1.1.1.2
digests                = sha1, sha256, sha384, sha512
accuracy               = secs:1, millisecs:0, microsecs:0
clock_precision_digits = 0
ordering               = no
tsa_name               = yes
ess_cert_id_chain      = no
ess_cert_id_alg        = sha256
EOF

# Test fixtures, public by design: no owner-only modes (OpenSSL writes keys 0600).
chmod 644 "$OUT"/*

# ---------------------------------------------------------------------------------------------
# Self-checks
# ---------------------------------------------------------------------------------------------
echo "gen-test-pki: self-checks"
unset OPENSSL_CONF
# quiet CMD...: run CMD, show its output only if it fails.
quiet() {
  "$@" >"$WORK/quiet.out" 2>"$WORK/quiet.err" || { cat "$WORK/quiet.out" "$WORK/quiet.err" >&2; return 1; }
}
for n in org-signer official-signer revoked-signer nosign-signer; do
  openssl verify -CAfile "$OUT/root-ca.pem" -untrusted "$OUT/sub-ca.pem" "$OUT/$n.pem" >/dev/null
done
openssl verify -CAfile "$OUT/root-ca.pem" -untrusted "$OUT/sub-ca.pem" -crl_check \
  -CRLfile "$OUT/sub-ca.crl.pem" "$OUT/org-signer.pem" >/dev/null
if openssl verify -CAfile "$OUT/root-ca.pem" -untrusted "$OUT/sub-ca.pem" -crl_check \
  -CRLfile "$OUT/sub-ca.crl.pem" "$OUT/revoked-signer.pem" >/dev/null 2>&1; then
  echo "gen-test-pki: revoked-signer is not revoked" >&2
  exit 1
fi
if openssl verify -CAfile "$OUT/root-ca.pem" -untrusted "$OUT/sub-ca.pem" \
  "$OUT/expired-signer.pem" >/dev/null 2>&1; then
  echo "gen-test-pki: expired-signer is not expired" >&2
  exit 1
fi
openssl verify -CAfile "$OUT/root-ca.pem" -purpose timestampsign "$OUT/tsa.pem" >/dev/null
openssl verify -CAfile "$OUT/untrusted-root.pem" "$OUT/untrusted-signer.pem" >/dev/null
for n in org-signer official-signer expired-signer revoked-signer nosign-signer untrusted-signer tsa; do
  openssl pkcs12 -in "$OUT/$n.p12" -passin "pass:$PW" -noout
done
openssl pkcs12 -legacy -in "$OUT/official-signer.legacy.p12" -passin "pass:$PW" -noout
# RFC 3161 round trip with tsa.cnf.
printf 'sohoa tsa self-check\n' >"$WORK/data.txt"
quiet openssl ts -query -data "$WORK/data.txt" -sha256 -cert -out "$WORK/q.tsq"
SOHOA_TSA_SERIAL="$WORK/tsa-serial" quiet openssl ts -reply -config "$OUT/tsa.cnf" \
  -queryfile "$WORK/q.tsq" -signer "$OUT/tsa.pem" -inkey "$OUT/tsa.key.pem" \
  -passin "file:$OUT/PASSPHRASE-TEST-ONLY.txt" -out "$WORK/r.tsr"
quiet openssl ts -verify -data "$WORK/data.txt" -in "$WORK/r.tsr" -CAfile "$OUT/root-ca.pem" \
  -untrusted "$OUT/tsa.pem"
grep -q '^Verification: OK' "$WORK/quiet.out"

bash scripts/gen-test-pki-extra.sh
bash scripts/gen-test-pki-ltv.sh
bash scripts/gen-test-pki-tls.sh
echo "gen-test-pki: ok ($OUT/)"
