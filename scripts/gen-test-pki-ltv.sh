#!/usr/bin/env bash
# Adds to the TEST PKI in certs-test/ the signer whose revocation status is published at a CRL
# distribution point, as VGCA's certificates publish theirs (http://public.rootca.gov.vn/crl/…):
#   cdp-signer   RSA-2048, issued by the sub-CA, CRL distribution point
#                http://127.0.0.1:18962/sub-ca.crl (the tests serve certs-test/sub-ca.crl there),
#                no AIA: B-LT signing must fetch the CRL from that address.
# TEST KEYS ONLY (the CN ends with "(TEST)"). Called at the end of gen-test-pki.sh; may be run
# alone: it rewrites only the files above. Needs the OpenSSL 3 CLI.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=certs-test
PW='sohoa-test-only'
CRL_URL='http://127.0.0.1:18962/sub-ca.crl'
NAME=cdp-signer
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sohoa-pki-ltv.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

cat >"$WORK/openssl.cnf" <<CNF
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
dir             = $WORK/sub
database        = \$dir/index.txt
new_certs_dir   = \$dir/newcerts
serial          = \$dir/serial
default_md      = sha256
policy          = policy_any
preserve        = yes
email_in_dn     = yes
unique_subject  = no
copy_extensions = none
string_mask     = utf8only
[ policy_any ]
countryName            = optional
localityName           = optional
organizationName       = optional
commonName             = supplied
[ v3_cdp_signer ]
basicConstraints       = CA:false
keyUsage               = critical, digitalSignature, nonRepudiation
certificatePolicies    = 2.16.704.1.1.1.1.1
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
crlDistributionPoints  = URI:$CRL_URL
CNF
mkdir -p "$WORK/sub/newcerts"
: >"$WORK/sub/index.txt"
openssl pkey -in "$OUT/sub-ca.key.pem" -passin "pass:$PW" -out "$WORK/sub-ca.key"
openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/$NAME.key"
openssl pkcs8 -topk8 -in "$WORK/$NAME.key" -v2 aes-256-cbc -v2prf hmacWithSHA256 \
  -passout "pass:$PW" -out "$OUT/$NAME.key.pem"
openssl req -new -config "$WORK/openssl.cnf" -utf8 -key "$WORK/$NAME.key" \
  -subj "/C=VN/L=Tuyên Quang/O=Sở Nông nghiệp và PTNT tỉnh Tuyên Quang/CN=Vũ Thị Xê Rê Lờ (TEST)" \
  -out "$WORK/$NAME.csr"
echo "gen-test-pki-ltv: $NAME"
openssl ca -config "$WORK/openssl.cnf" -batch -utf8 -notext -rand_serial \
  -cert "$OUT/sub-ca.pem" -keyfile "$WORK/sub-ca.key" -in "$WORK/$NAME.csr" \
  -extensions v3_cdp_signer -startdate 20200101000000Z -enddate 20461231235959Z \
  -out "$OUT/$NAME.pem" 2>"$WORK/ca.log" || { cat "$WORK/ca.log" >&2; exit 1; }
cat "$OUT/sub-ca.pem" "$OUT/root-ca.pem" >"$OUT/$NAME.chain.pem"
openssl pkcs12 -export -name "$NAME" -inkey "$WORK/$NAME.key" -in "$OUT/$NAME.pem" \
  -certfile "$OUT/$NAME.chain.pem" -keypbe AES-256-CBC -certpbe AES-256-CBC -macalg sha256 \
  -passout "pass:$PW" -out "$OUT/$NAME.p12"
chmod 644 "$OUT/$NAME.pem" "$OUT/$NAME.key.pem" "$OUT/$NAME.chain.pem" "$OUT/$NAME.p12"

echo "gen-test-pki-ltv: self-checks"
openssl verify -CAfile "$OUT/root-ca.pem" -untrusted "$OUT/sub-ca.pem" "$OUT/$NAME.pem" >/dev/null
openssl x509 -in "$OUT/$NAME.pem" -noout -ext crlDistributionPoints | grep -q "$CRL_URL"
openssl verify -crl_check -CAfile "$OUT/root-ca.pem" -untrusted "$OUT/sub-ca.pem" \
  -CRLfile "$OUT/sub-ca.crl.pem" "$OUT/$NAME.pem" >/dev/null
echo "gen-test-pki-ltv: ok"
