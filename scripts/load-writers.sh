#!/usr/bin/env bash
# Concurrent writers: WRITERS requests at once (64 by default) on a write endpoint of the
# demonstration data, `POST /dashboard/networks/{id}/vehicles/reset-settings` (one transaction
# that reads the network and its vehicles, then queues a command per vehicle), ROUNDS times.
# Reports the answers by status; any non-2xx answer is a failure (exit status 1). On SQLite
# the writers must queue on the write lock, never fail with "database is locked".
#
#   scripts/load-writers.sh                       # release build, SQLite in a temporary folder
#   PROFILE=debug scripts/load-writers.sh         # a debug build (quicker to build)
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/relais_load scripts/load-writers.sh
#
# Needs curl and xargs. NETWORK (3), WRITERS (64), ROUNDS (5), PORT (18082) and BIN (a relais
# binary to use instead of building one) can be set.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target}"
PROFILE="${PROFILE:-release}"
WRITERS="${WRITERS:-64}"
ROUNDS="${ROUNDS:-5}"
NETWORK="${NETWORK:-3}"
PORT="${PORT:-18082}"
if [ -n "${BIN:-}" ]; then
    : # a binary given by the caller (to compare two builds): used as it is
elif [ "$PROFILE" = release ]; then
    cargo build --release -q -p relais
    BIN="$CARGO_TARGET_DIR/release/relais"
else
    cargo build -q -p relais
    BIN="$CARGO_TARGET_DIR/debug/relais"
fi
DATA="$(mktemp -d)"
SERVER=
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$DATA"' EXIT
ARGS=(--data-dir "$DATA")
if [ -n "${DATABASE_URL:-}" ]; then
    ARGS+=(--database-url "$DATABASE_URL")
fi
"$BIN" "${ARGS[@]}" demo >/dev/null 2>&1
TOKEN="$("$BIN" "${ARGS[@]}" token create --email admin@demo.relais.example 2>/dev/null | tail -n 1)"

"$BIN" "${ARGS[@]}" serve --listen "127.0.0.1:$PORT" >"$DATA/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

URL="http://127.0.0.1:$PORT/dashboard/networks/$NETWORK/vehicles/reset-settings"
# The first answer shows the endpoint works at all (and how many commands one reset queues).
echo "one reset: $(curl -s -X POST -H "Authorization: Bearer $TOKEN" "$URL")"

STATUSES="$DATA/statuses"
START=$(date +%s.%N)
for _ in $(seq 1 "$ROUNDS"); do
    seq "$WRITERS" | xargs -P "$WRITERS" -I{} \
        curl -s -o /dev/null -w '%{http_code}\n' -X POST -H "Authorization: Bearer $TOKEN" "$URL" \
        >>"$STATUSES"
done
END=$(date +%s.%N)

TOTAL=$(wc -l <"$STATUSES")
FAILED=$(grep -cv '^2' "$STATUSES" || true)
echo "$TOTAL writes ($ROUNDS rounds of $WRITERS concurrent writers) in $(echo "$END - $START" | bc) s"
echo "answers by status:"
sort "$STATUSES" | uniq -c | sed 's/^/  /'
echo "non-2xx: $FAILED"
if [ "$FAILED" -gt 0 ]; then
    echo "server log, errors:"
    sed 's/\x1b\[[0-9;]*m//g' "$DATA/server.log" | grep -oE "(error|warning)=.*" | sort | uniq -c | sort -rn | head -5 | cut -c1-300
    exit 1
fi
