#!/usr/bin/env bash
# Load test of the foundation: authentication, authorization, the access log and keyset pages,
# on a release build with SQLite (default) or PostgreSQL (RELAIS_DATABASE_URL).
#
#   scripts/load-foundation.sh            # needs `wrk` (Debian package wrk)
#
# Figures depend on the machine; the issue notes quote them with the machine they came from.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target}"
DURATION="${DURATION:-15s}"
CONNECTIONS="${CONNECTIONS:-32}"
PORT="${PORT:-18080}"
BIN="$CARGO_TARGET_DIR/release/relais"

cargo build --release -q -p relais
DATA="$(mktemp -d)"
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$DATA"' EXIT
ARGS=(--data-dir "$DATA")

"$BIN" "${ARGS[@]}" migrate >/dev/null 2>&1
printf 'load-test-password\n' | "$BIN" "${ARGS[@]}" admin create --email load@relais.test --password-stdin >/dev/null 2>&1
TOKEN="$("$BIN" "${ARGS[@]}" token create --email load@relais.test 2>/dev/null | tail -n 1)"
"$BIN" "${ARGS[@]}" serve --listen "127.0.0.1:$PORT" >"$DATA/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

run() {
    echo "== $1"
    wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT$2" \
        | grep -E "Requests/sec|Latency  |50%|99%|requests in"
}

run "health (no auth, no database)" "/healthz"
# Each request: token lookup, grants, permission check, handler, one access-log insert.
run "authenticated dashboard read (fills the access log)" "/dashboard/permissions?lang=en"
ROWS="$(curl -fs -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/dashboard/access-logs?page_size=10&primary_key_dir=DESC" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])')"
echo "access log rows: $ROWS"
run "access logs, first page of 100" "/dashboard/access-logs?page_size=100"
run "access logs, page of 100 from the middle, newest first" "/dashboard/access-logs?page_size=100&primary_key_dir=DESC&last_primary_key=$((ROWS / 2))"
run "access logs, filter matching no row (user agent substring: scans them all)" "/dashboard/access-logs?page_size=100&user_agent=no-such-agent"
