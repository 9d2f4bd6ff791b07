#!/usr/bin/env bash
# Adds to the TEST PKI in certs-test/ what the throwaway PostgreSQL server of
# scripts/test-servers.sh speaks TLS with, so the tests connect as `sslmode=verify-full` does:
#   tls-ca.pem           a TLS root, "sohoa test TLS CA (TEST)", ECDSA P-256, self-signed, valid
#                        20 years from the day it is made (OpenSSL 3.0 sets no other dates); its
#                        key is thrown away once the server certificate is issued
#   pg-server.pem        "sohoa test PostgreSQL (TEST)", issued by tls-ca, serverAuth,
#                        subjectAltName IP 127.0.0.1 and DNS localhost
#   pg-server.key.pem    its key, ECDSA P-256, unencrypted (PostgreSQL reads it at start;
#                        test-servers.sh copies it with mode 0600, as PostgreSQL wants)
# TEST KEYS ONLY. Not part of the signing hierarchy (a VGCA root issues no TLS certificates).
# May be run alone: it rewrites only the files above. Needs the OpenSSL 3 CLI.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=certs-test
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sohoa-pki-tls.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

openssl ecparam -name prime256v1 -genkey -noout -out "$WORK/ca.key"
openssl req -new -x509 -key "$WORK/ca.key" -sha256 -subj "/O=sohoa/CN=sohoa test TLS CA (TEST)" \
  -days 7300 \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out "$OUT/tls-ca.pem"
openssl ecparam -name prime256v1 -genkey -noout -out "$WORK/server.key"
openssl pkcs8 -topk8 -nocrypt -in "$WORK/server.key" -out "$OUT/pg-server.key.pem"
openssl req -new -key "$OUT/pg-server.key.pem" -subj "/O=sohoa/CN=sohoa test PostgreSQL (TEST)" \
  -out "$WORK/server.csr"
openssl x509 -req -in "$WORK/server.csr" -CA "$OUT/tls-ca.pem" -CAkey "$WORK/ca.key" \
  -sha256 -days 7300 -set_serial "0x$(openssl rand -hex 16)" \
  -extfile <(printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
     "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost") \
  -out "$OUT/pg-server.pem"
openssl verify -CAfile "$OUT/tls-ca.pem" -purpose sslserver -verify_ip 127.0.0.1 "$OUT/pg-server.pem"
