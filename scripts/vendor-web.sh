#!/usr/bin/env bash
# The web pages' third-party scripts: installed from npm at the versions
# assets/web/package-lock.json pins, then copied into assets/web/vendor/, which the binary
# serves from /static/vendor/ (built in: no CDN, CSP default-src 'self').
#   bash scripts/vendor-web.sh          install and copy (after changing package.json: npm install)
#   bash scripts/vendor-web.sh --check  install and compare; exit 1 when a copy differs
set -euo pipefail
cd "$(dirname "$0")/../assets/web"
if ! cmp -s package-lock.json node_modules/.package-lock.json 2>/dev/null; then
  npm ci --no-audit --no-fund --loglevel=error
fi
# (package file, vendored copy)
FILES=(
  "node_modules/chart.js/dist/chart.umd.min.js vendor/chart.umd.min.js"
)
status=0
for pair in "${FILES[@]}"; do
  read -r from to <<<"$pair"
  if [ "${1:-}" = "--check" ]; then
    if ! cmp -s "$from" "$to"; then
      echo "vendor-web: $to differs from $from (the locked npm package): run bash scripts/vendor-web.sh" >&2
      status=1
    fi
  else
    cp "$from" "$to"
    echo "vendor-web: $to <- $from ($(sha256sum "$to" | cut -c1-16)…)"
  fi
done
exit $status
