#!/usr/bin/env bash
# Throwaway servers for the tests and benchmarks: a PostgreSQL cluster (Debian's, initdb and
# pg_ctl) and an S3-protocol server (s3s-fs, installed by setup.sh), each on a free port of
# 127.0.0.1 only, with test-only credentials made afresh at each start (never the project's
# secrets; s3s-fs takes its keys only as arguments, so they are on its command line).
#
#   scripts/test-servers.sh start     start both (already running: kept), write $STATE/env
#   scripts/test-servers.sh stop      stop both, remove their data
#   scripts/test-servers.sh run CMD…  start, run CMD with the variables of $STATE/env, stop
#
# $STATE/env exports SOHOA_TEST_PG (a URL without password: the password is in the PGPASSFILE
# it names), SOHOA_TEST_S3 (the endpoint), SOHOA_TEST_BUCKET (a bucket for the benchmarks) and
# AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. PostgreSQL also speaks TLS, with the test
# certificate certs-test/pg-server.pem (issued by certs-test/tls-ca.pem).
set -euo pipefail
cd "$(dirname "$0")/.."

STATE=${SOHOA_SERVERS:-/tmp/sohoa-test-servers-$(id -u)}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
S3S=${S3S_FS:-$HOME/.cargo/bin/s3s-fs}

# as the postgres user when root (initdb refuses root), else as ourselves
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

secret() { head -c 18 /dev/urandom | base64 | tr -d '/+=' ; }

wait_port() { # port, what
  for _ in $(seq 1 100); do
    if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), 0.2)" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "test-servers: $2 did not answer on 127.0.0.1:$1" >&2
  return 1
}

running() { [ -f "$STATE/env" ] && [ -f "$STATE/s3.pid" ] && kill -0 "$(cat "$STATE/s3.pid")" 2>/dev/null \
  && as_pg "$PGBIN/pg_ctl" -D "$STATE/pg" status >/dev/null 2>&1; }

start() {
  if running; then
    echo "test-servers: already running ($STATE)"
    return 0
  fi
  stop >/dev/null 2>&1 || true
  [ -x "$PGBIN/initdb" ] || { echo "test-servers: PostgreSQL is not installed (run scripts/setup.sh)" >&2; exit 1; }
  [ -x "$S3S" ] || { echo "test-servers: $S3S is missing (run scripts/setup.sh)" >&2; exit 1; }
  mkdir -p "$STATE"
  chmod 0755 "$STATE"

  # PostgreSQL: UTF-8 with a C.UTF-8 ctype (the text search parser must see Vietnamese
  # letters as letters), scram passwords, TCP on 127.0.0.1 only, its socket in its own folder
  local pgport pgpass
  pgport=$(free_port)
  pgpass=$(secret)
  mkdir -p "$STATE/pg" "$STATE/pgsock" "$STATE/pgtls"
  # TLS with the test certificate of certs-test/ (gen-test-pki-tls.sh): the tests connect with
  # sslmode=verify-full against certs-test/tls-ca.pem; plain connections stay allowed
  cp certs-test/pg-server.pem certs-test/pg-server.key.pem "$STATE/pgtls/"
  chmod 0600 "$STATE/pgtls/pg-server.key.pem"
  if [ "$(id -u)" -eq 0 ]; then chown -R postgres "$STATE/pg" "$STATE/pgsock" "$STATE/pgtls"; fi
  as_pg "$PGBIN/initdb" -D "$STATE/pg" -U postgres --encoding=UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >"$STATE/initdb.log" 2>&1
  as_pg "$PGBIN/pg_ctl" -D "$STATE/pg" -l "$STATE/pgsock/pg.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $pgport -k $STATE/pgsock -c unix_socket_permissions=0700 -c fsync=off -c max_connections=200 -c ssl=on -c ssl_cert_file=$STATE/pgtls/pg-server.pem -c ssl_key_file=$STATE/pgtls/pg-server.key.pem" \
    start >/dev/null
  # the tests' role may create databases (one per test), not more; its password goes in a
  # password file only its owner reads (as libpq wants)
  as_pg "$PGBIN/psql" -h "$STATE/pgsock" -p "$pgport" -U postgres -d postgres -qAt \
    -v ON_ERROR_STOP=1 -v pw="$pgpass" >/dev/null <<'SQL'
CREATE ROLE sohoa_test LOGIN CREATEDB PASSWORD :'pw';
SQL
  printf '127.0.0.1:%s:*:sohoa_test:%s\n' "$pgport" "$pgpass" > "$STATE/pgpass"
  chmod 0600 "$STATE/pgpass"

  # S3: s3s-fs over a folder, path-style, one bucket per test made by the tests themselves
  local s3port ak sk
  s3port=$(free_port)
  ak="test$(secret | head -c 12)"
  sk=$(secret)
  # one bucket made here for the benchmarks (s3s-fs keeps a bucket as a folder of its root);
  # the tests make their own through the S3 API
  mkdir -p "$STATE/s3/sohoa-bench"
  ( umask 077; RUST_LOG=warn setsid "$S3S" --host 127.0.0.1 --port "$s3port" \
      --access-key "$ak" --secret-key "$sk" "$STATE/s3" >"$STATE/s3.log" 2>&1 & echo $! > "$STATE/s3.pid" )
  wait_port "$s3port" s3s-fs

  umask 077
  cat > "$STATE/env" <<EOF
export SOHOA_TEST_PG="postgresql://sohoa_test@127.0.0.1:$pgport/postgres"
export PGPASSFILE="$STATE/pgpass"
export SOHOA_TEST_S3="http://127.0.0.1:$s3port"
export SOHOA_TEST_BUCKET="sohoa-bench"
export AWS_ACCESS_KEY_ID="$ak"
export AWS_SECRET_ACCESS_KEY="$sk"
EOF
  echo "test-servers: PostgreSQL on 127.0.0.1:$pgport, s3s-fs on 127.0.0.1:$s3port ($STATE)"
}

stop() {
  if [ -f "$STATE/s3.pid" ]; then
    kill "$(cat "$STATE/s3.pid")" 2>/dev/null || true
    rm -f "$STATE/s3.pid"
  fi
  if [ -d "$STATE/pg" ] && [ -n "$PGBIN" ]; then
    as_pg "$PGBIN/pg_ctl" -D "$STATE/pg" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$STATE"
}

case "${1:-}" in
  start) start ;;
  stop) stop; echo "test-servers: stopped" ;;
  run)
    shift
    start
    trap stop EXIT
    # shellcheck disable=SC1091
    . "$STATE/env"
    "$@"
    ;;
  *) echo "usage: $0 start|stop|run CMD…" >&2; exit 2 ;;
esac
