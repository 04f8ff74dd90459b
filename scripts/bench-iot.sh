#!/usr/bin/env bash
# Measure the IoT ingest end to end (crates/iot/examples/iot_bench.rs): a fresh database with
# generated networks (borders, every border action on) and vehicles, the real link on a real
# broker (Mosquitto at 127.0.0.1:1883 when it answers, else rumqttd in process), and a
# publisher sending telemetry (in and out of the borders) and events with QoS 1. Prints the
# messages applied per second, the publish-to-commit latency percentiles and the load average.
#
#   scripts/bench-iot.sh                                    # SQLite, 100 000 messages
#   scripts/bench-iot.sh --messages 20000 --vehicles 1000   # any iot_bench argument
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres scripts/bench-iot.sh
#
# Not part of CI (a release build); the figures of a run go in docs/iot.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target}"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
cargo build -q --release --example iot_bench -p relais-iot
ARGS=("$@")
if [ -n "${BENCH_DATABASE_URL:-}" ]; then
    ARGS+=(--database "$BENCH_DATABASE_URL")
fi
exec "$CARGO_TARGET_DIR/release/examples/iot_bench" "${ARGS[@]}"
