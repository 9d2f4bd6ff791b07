#!/usr/bin/env bash
# Adds to the TEST PKI in certs-test/ the certificates the verification tests of real-world
# algorithms and revocation need, issued by the existing test root and sub-CA (their keys are in
# certs-test/, encrypted with the public test passphrase):
#   ecdsa-p256-signer, ecdsa-p384-signer, ecdsa-p521-signer   EC keys (VGCA's TSAs sign with P-384)
#   pss-signer                                               RSA key, used with RSASSA-PSS padding
#   ecdsa-tsa                                                a P-384 time-stamping authority (root)
#   archive-tsa                                              a TSA valid to 2048 (document timestamps)
#   ocsp-responder                                           id-kp-OCSPSigning, issued by the sub-CA
#   aia-good-signer, aia-revoked-signer, aia-unknown-signer  AIA OCSP http://127.0.0.1:18961/
#   ocsp-index.txt                                           `openssl ocsp -index` database: the
#                                                            good and revoked ones (not "unknown")
#   ecdsa-tsa.cnf, archive-tsa.cnf                           `openssl ts -reply` configurations
#   root-ca.crl                                              the root's (empty) CRL, DER
#
# TEST KEYS ONLY (every CN ends with "(TEST)"). Called at the end of gen-test-pki.sh; may be run
# alone: it rewrites only the files above. Needs the OpenSSL 3 CLI.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=certs-test
PW='sohoa-test-only'
OCSP_URL='http://127.0.0.1:18961/'
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sohoa-pki-extra.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

cat >"$WORK/openssl.cnf" <<EOF
# CADIR is set per CA by the script.
CADIR = .
[ req ]
distinguished_name = req_dn
string_mask        = utf8only
utf8               = yes
prompt             = no
[ req_dn ]
CN = unused
[ ca ]
default_ca = ca_test
[ ca_test ]
dir             = \$ENV::CADIR
database        = \$dir/index.txt
new_certs_dir   = \$dir/newcerts
serial          = \$dir/serial
crlnumber       = \$dir/crlnumber
default_md      = sha256
policy          = policy_any
preserve        = yes
email_in_dn     = yes
unique_subject  = no
copy_extensions = none
string_mask     = utf8only
crl_extensions  = crl_ext
default_crl_days = 7000
[ policy_any ]
countryName            = optional
localityName           = optional
organizationName       = optional
commonName             = supplied
emailAddress           = optional
[ crl_ext ]
authorityKeyIdentifier = keyid:always
[ v3_signer ]
basicConstraints       = CA:false
keyUsage               = critical, digitalSignature, nonRepudiation
certificatePolicies    = 2.16.704.1.1.1.1.1
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
[ v3_aia_signer ]
basicConstraints       = CA:false
keyUsage               = critical, digitalSignature, nonRepudiation
certificatePolicies    = 2.16.704.1.1.1.1.1
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
authorityInfoAccess    = OCSP;URI:$OCSP_URL
[ v3_ocsp ]
basicConstraints       = CA:false
keyUsage               = critical, digitalSignature
extendedKeyUsage       = critical, OCSPSigning
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

for ca in root sub; do
  mkdir -p "$WORK/$ca/newcerts"
  : >"$WORK/$ca/index.txt"
  echo 'unique_subject = no' >"$WORK/$ca/index.txt.attr"
done
openssl pkey -in "$OUT/root-ca.key.pem" -passin "pass:$PW" -out "$WORK/root-ca.key"
openssl pkey -in "$OUT/sub-ca.key.pem" -passin "pass:$PW" -out "$WORK/sub-ca.key"

ORG_VGCA='/C=VN/O=Ban Cơ yếu Chính phủ (TEST)'
TQ='/C=VN/L=Tuyên Quang/O=Sở Nông nghiệp và PTNT tỉnh Tuyên Quang'
START=20200101000000Z
END=20461231235959Z

# key NAME ALGORITHM-OPTIONS...: plain key in $WORK, encrypted PKCS#8 in certs-test/.
key() {
  local name=$1
  shift
  openssl genpkey -quiet "$@" -out "$WORK/$name.key"
  openssl pkcs8 -topk8 -in "$WORK/$name.key" -v2 aes-256-cbc -v2prf hmacWithSHA256 \
    -passout "pass:$PW" -out "$OUT/$name.key.pem"
}

# issue CA NAME SUBJECT EXT [END]: certificate from the root ("root") or the sub-CA ("sub").
issue() {
  local ca=$1 name=$2 subject=$3 ext=$4 end=${5:-$END} cacert cakey
  if [ "$ca" = root ]; then cacert="$OUT/root-ca.pem" cakey="$WORK/root-ca.key"; else
    cacert="$OUT/sub-ca.pem" cakey="$WORK/sub-ca.key"; fi
  echo "gen-test-pki-extra: $name"
  openssl req -new -config "$CNF" -utf8 -key "$WORK/$name.key" -subj "$subject" -out "$WORK/$name.csr"
  CADIR="$WORK/$ca" openssl ca -config "$CNF" -batch -utf8 -notext -rand_serial \
    -cert "$cacert" -keyfile "$cakey" -in "$WORK/$name.csr" -extensions "$ext" \
    -startdate "$START" -enddate "$end" -out "$OUT/$name.pem" 2>"$WORK/$name.log" ||
    { cat "$WORK/$name.log" >&2; return 1; }
  if [ "$ca" = root ]; then cp "$OUT/root-ca.pem" "$OUT/$name.chain.pem"; else
    cat "$OUT/sub-ca.pem" "$OUT/root-ca.pem" >"$OUT/$name.chain.pem"; fi
  openssl pkcs12 -export -name "$name" -inkey "$WORK/$name.key" -in "$OUT/$name.pem" \
    -certfile "$OUT/$name.chain.pem" -keypbe AES-256-CBC -certpbe AES-256-CBC -macalg sha256 \
    -passout "pass:$PW" -out "$OUT/$name.p12"
}

key ecdsa-p256-signer -algorithm EC -pkeyopt ec_paramgen_curve:P-256
issue sub ecdsa-p256-signer "$TQ/CN=Đỗ Thị Ê Cê Đê Xa (TEST)" v3_signer
key ecdsa-p384-signer -algorithm EC -pkeyopt ec_paramgen_curve:P-384
issue sub ecdsa-p384-signer "$TQ/CN=Đỗ Văn Ba Tám Tư (TEST)" v3_signer
key ecdsa-p521-signer -algorithm EC -pkeyopt ec_paramgen_curve:P-521
issue sub ecdsa-p521-signer "$TQ/CN=Đỗ Văn Năm Hai Mốt (TEST)" v3_signer
key pss-signer -algorithm RSA -pkeyopt rsa_keygen_bits:2048
issue sub pss-signer "$TQ/CN=Phan Văn Pê Ét Ét (TEST)" v3_signer
key ecdsa-tsa -algorithm EC -pkeyopt ec_paramgen_curve:P-384
issue root ecdsa-tsa "$ORG_VGCA/CN=Máy chủ cấp dấu thời gian ECDSA (TEST)" v3_tsa
key archive-tsa -algorithm RSA -pkeyopt rsa_keygen_bits:2048
issue root archive-tsa "$ORG_VGCA/CN=Máy chủ cấp dấu thời gian lưu trữ (TEST)" v3_tsa 20480630235959Z
key ocsp-responder -algorithm RSA -pkeyopt rsa_keygen_bits:2048
issue sub ocsp-responder "$ORG_VGCA/CN=OCSP CA phục vụ các cơ quan Nhà nước G2 (TEST)" v3_ocsp
for who in good revoked unknown; do
  key "aia-$who-signer" -algorithm RSA -pkeyopt rsa_keygen_bits:2048
done
issue sub aia-good-signer "$TQ/CN=Hoàng Văn Còn Hiệu Lực (TEST)" v3_aia_signer
issue sub aia-revoked-signer "$TQ/CN=Hoàng Văn Đã Thu Hồi (TEST)" v3_aia_signer
# The responder's database knows the two above, and (revoked) nothing else:
cp "$WORK/sub/index.txt" "$WORK/known-index.txt"
issue sub aia-unknown-signer "$TQ/CN=Hoàng Văn Không Rõ (TEST)" v3_aia_signer

echo "gen-test-pki-extra: ocsp-index.txt"
cp "$WORK/known-index.txt" "$WORK/sub/index.txt"
CADIR="$WORK/sub" openssl ca -config "$CNF" -batch -cert "$OUT/sub-ca.pem" \
  -keyfile "$WORK/sub-ca.key" -revoke "$OUT/aia-revoked-signer.pem" -crl_reason keyCompromise \
  2>"$WORK/revoke.log" || { cat "$WORK/revoke.log" >&2; exit 1; }
# Only the good and the revoked aia-* signers (the responder answers "unknown" for any other).
: >"$OUT/ocsp-index.txt"
for who in good revoked; do
  serial=$(openssl x509 -in "$OUT/aia-$who-signer.pem" -noout -serial | cut -d= -f2)
  awk -F'\t' -v s="$serial" 'toupper($4) == toupper(s)' "$WORK/sub/index.txt" >>"$OUT/ocsp-index.txt"
done

echo "gen-test-pki-extra: root-ca.crl (the root revokes nothing: the sub-CA and TSAs are good)"
echo 01 >"$WORK/root/crlnumber"
CADIR="$WORK/root" openssl ca -config "$CNF" -batch -cert "$OUT/root-ca.pem" \
  -keyfile "$WORK/root-ca.key" -gencrl -crldays 7000 -out "$WORK/root-ca.crl.pem" \
  2>"$WORK/rootcrl.log" || { cat "$WORK/rootcrl.log" >&2; exit 1; }
openssl crl -in "$WORK/root-ca.crl.pem" -outform DER -out "$OUT/root-ca.crl"

for tsa in ecdsa-tsa archive-tsa; do
  sed -e "s/tsa_test/${tsa//-/_}/g" -e "s|\$dir/tsa.pem|\$dir/$tsa.pem|" \
    -e "s|\$dir/tsa.key.pem|\$dir/$tsa.key.pem|" -e "s/signer_digest          = sha256/signer_digest          = sha384/" \
    -e "s/TEST time-stamping authority/TEST time-stamping authority $tsa/" \
    "$OUT/tsa.cnf" >"$OUT/$tsa.cnf"
done
chmod 644 "$OUT"/*

echo "gen-test-pki-extra: self-checks"
unset OPENSSL_CONF
for n in ecdsa-p256-signer ecdsa-p384-signer ecdsa-p521-signer pss-signer ocsp-responder \
  aia-good-signer aia-revoked-signer aia-unknown-signer; do
  openssl verify -CAfile "$OUT/root-ca.pem" -untrusted "$OUT/sub-ca.pem" "$OUT/$n.pem" >/dev/null
done
for n in ecdsa-tsa archive-tsa; do
  openssl verify -CAfile "$OUT/root-ca.pem" -purpose timestampsign "$OUT/$n.pem" >/dev/null
done
test "$(wc -l <"$OUT/ocsp-index.txt")" -eq 2
grep -q '^R' "$OUT/ocsp-index.txt"
echo "gen-test-pki-extra: ok"
