#!/usr/bin/env bash
# Liveness while CPU-heavy responses are built: a release server on a temporary SQLite data
# folder renders SHEETS concurrent label sheets of 300 x 300 cm (8,217 QR codes each) while
# /healthz is timed with `curl -w` every 50 ms; prints the sheets' times and /healthz's
# latencies (max, 99th percentile, median). Needs curl.
#
#   scripts/load-cpu.sh                        # SHEETS=4
#   BIN=/path/to/relais scripts/load-cpu.sh    # another build (skips cargo build)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target}"
SHEETS="${SHEETS:-4}"
PORT="${PORT:-18091}"
BASE="http://127.0.0.1:$PORT"

DATA="$(mktemp -d)"
SERVER=""
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$DATA"' EXIT
if [ -z "${BIN:-}" ]; then
    cargo build --release -q -p relais
    # The target folder is shared: run a copy, so another build cannot replace it under us.
    cp "$CARGO_TARGET_DIR/release/relais" "$DATA/relais"
    BIN="$DATA/relais"
fi
ARGS=(--data-dir "$DATA/data")

"$BIN" "${ARGS[@]}" migrate >/dev/null 2>&1
printf 'load-test-password\n' | "$BIN" "${ARGS[@]}" admin create --email load@relais.test --password-stdin >/dev/null 2>&1
TOKEN="$("$BIN" "${ARGS[@]}" token create --email load@relais.test 2>/dev/null | tail -n 1)"
RELAIS_LOG=warn "$BIN" "${ARGS[@]}" serve --listen "127.0.0.1:$PORT" >"$DATA/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do curl -fs "$BASE/healthz" >/dev/null && break; sleep 0.1; done

health() { curl -fs -o /dev/null -w '%{time_total}\n' "$BASE/healthz"; }
summary() {
    sort -n | awk '{ v[NR] = $1 * 1000 } END {
        p = int(NR * 0.99); if (p < 1) p = 1
        printf "max %.1f ms, p99 %.1f ms, median %.1f ms over %d probes\n", v[NR], v[p], v[int((NR + 1) / 2)], NR }'
}

for _ in $(seq 1 20); do health; sleep 0.05; done | summary | sed 's/^/idle \/healthz: /'

SHEET="$BASE/dashboard/vehicles/qr-code-sheet?prefix=SXB&begin_id=1&width_in_cm=300&height_in_cm=300"
START=$(date +%s.%N)
PIDS=()
for i in $(seq 1 "$SHEETS"); do
    curl -fs -o "$DATA/sheet$i.pdf" -w "sheet $i: %{http_code}, %{size_download} bytes in %{time_total} s\n" \
        -H "Authorization: Bearer $TOKEN" "$SHEET" >"$DATA/sheet$i.txt" &
    PIDS+=($!)
done
running() { for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }
: >"$DATA/health.txt"
while running; do health >>"$DATA/health.txt"; sleep 0.05; done
wait "${PIDS[@]}"
END=$(date +%s.%N)
cat "$DATA"/sheet*.txt
printf '%s sheets of 300 x 300 cm in %.1f s\n' "$SHEETS" "$(echo "$END - $START" | bc -l)"
summary <"$DATA/health.txt" | sed 's/^/\/healthz while they render: /'
grep VmHWM "/proc/$SERVER/status" | awk '{ printf "server peak RSS: %.0f MB\n", $2 / 1024 }'
