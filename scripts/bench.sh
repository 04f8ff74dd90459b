#!/usr/bin/env bash
# The benchmark suite in one command (docs/performance.md): builds the release server and the
# bench, generates the realistic dataset on each backend, loads every endpoint at 1 and 32
# connections beside its bare SQL, samples the server's memory, and prints the figures and the
# targets (also written to target/bench-<backend>.md).
#
#   scripts/bench.sh                                   # SQLite then PostgreSQL, 10 s per run
#   BENCH_BACKENDS=sqlite BENCH_DURATION=5 scripts/bench.sh
#   BENCH_REUSE=1 BENCH_ONLY=access-logs scripts/bench.sh
#   BENCH_GENERATE_ONLY=1 BENCH_TRIPS=10000000 scripts/bench.sh
#   BENCH_REFERENCE=1 scripts/bench.sh                 # and the Django REST Framework reference
#
# Settings (environment): BENCH_BACKENDS (sqlite,postgres), BENCH_PG_URL (a URL of the
# PostgreSQL server; the bench makes its own database there, BENCH_PG_DATABASE, default
# relais_bench_<trips>), BENCH_DURATION (seconds per run, 10), BENCH_WARMUP (1),
# BENCH_BARE_DURATION (3), BENCH_CONNECTIONS (1,32), BENCH_RSS_CONNECTIONS (64), BENCH_ONLY
# (endpoint names containing one of these, comma-separated), BENCH_REUSE=1 (keep a dataset made
# with the same sizes), BENCH_GENERATE_ONLY=1, BENCH_VEHICLES (5000 per network), BENCH_TRIPS
# (1000000), BENCH_ALERTS (100000), BENCH_ACCESS_LOGS (1000000), BENCH_RIDERS
# (1000000), BENCH_OUT (target),
# BENCH_DATA (target/bench-data), BENCH_REFERENCE=1 (measure the reference service of
# scripts/drf on PostgreSQL's dataset, in a virtual environment made here with its pinned
# requirements; or BENCH_REFERENCE_PYTHON, a Python that has them).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --release -q -p relais -p relais-bench
if [ "${BENCH_REFERENCE:-}" = 1 ] && [ -z "${BENCH_REFERENCE_PYTHON:-}" ]; then
  venv="$CARGO_TARGET_DIR/bench-reference-venv"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r scripts/drf/requirements.txt
  export BENCH_REFERENCE_PYTHON="$venv/bin/python"
fi
export BENCH_RELAIS="${BENCH_RELAIS:-$CARGO_TARGET_DIR/release/relais}"
exec "$CARGO_TARGET_DIR/release/relais-bench"
