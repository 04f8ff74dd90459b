#!/usr/bin/env bash
# Fuzz the whole published API with schemathesis (installed from PyPI into a virtual
# environment under target/): every operation, with the stateless checks that matter here:
# no server error (the documented 503 aside), no status code the document does not list, and
# answers that match their schema. Runs against a demo server on SQLite, or on PostgreSQL when
# RELAIS_DATABASE_URL names a database (it is migrated and loaded with the demo).
#
#   scripts/fuzz.sh                         # SQLite, 50 examples per operation
#   MAX_EXAMPLES=200 scripts/fuzz.sh        # longer
#   RELAIS_DATABASE_URL=postgres://postgres@127.0.0.1:5432/relais_fuzz scripts/fuzz.sh
#
# Not part of CI (it takes minutes); the figures of a run go in the issue note.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target}"
PORT="${PORT:-18181}"
MAX_EXAMPLES="${MAX_EXAMPLES:-50}"
VENV="$CARGO_TARGET_DIR/schemathesis-venv"
BIN="$CARGO_TARGET_DIR/debug/relais"

if [ ! -x "$VENV/bin/schemathesis" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q 'schemathesis>=4,<5'
fi
cargo build -q -p relais

DATA="$(mktemp -d)"
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$DATA"' EXIT
ARGS=(--data-dir "$DATA")
if [ -n "${RELAIS_DATABASE_URL:-}" ]; then
    ARGS+=(--database-url "$RELAIS_DATABASE_URL")
fi
"$BIN" "${ARGS[@]}" demo >/dev/null 2>&1
printf 'fuzz-password-1234\n' | "$BIN" "${ARGS[@]}" admin create --email fuzz@relais.test --password-stdin >/dev/null 2>&1 || true
TOKEN="$("$BIN" "${ARGS[@]}" token create --email fuzz@relais.test 2>/dev/null | tail -n 1)"
RELAIS_LOG=warn "$BIN" "${ARGS[@]}" serve --listen "127.0.0.1:$PORT" >"$DATA/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

set +e
"$VENV/bin/schemathesis" run "http://127.0.0.1:$PORT/openapi.json" \
    --url "http://127.0.0.1:$PORT" \
    --checks not_a_server_error,status_code_conformance,response_schema_conformance \
    --max-examples "$MAX_EXAMPLES" \
    --phases examples,coverage,fuzzing \
    --workers 2 \
    --header "Authorization: Bearer $TOKEN" \
    --suppress-health-check all \
    --report junit --report-dir "$DATA/report" \
    --exclude-path /auth/logout
STATUS=$?
set -e
echo "== server errors logged: $(grep -c 'ERROR' "$DATA/server.log" || true)"
grep 'ERROR' "$DATA/server.log" | sed -E 's/request_id=[^ ]+//' | sort | uniq -c | sort -rn | head -20 || true
exit "$STATUS"
