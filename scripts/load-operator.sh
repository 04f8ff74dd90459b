#!/usr/bin/env bash
# Load test of the operator's setup and the fleet on realistic data: the demonstration operator
# (three networks) grown to 600 clusters, 1,800 stations, 14,400 more spots, 15,000 vehicles,
# 1,000,000 trips and 100,000 resolved fleet alerts; then the network list with its indicators,
# pricing, a border with its zones, the trip estimate, clusters with availability, the vehicle
# list and a page of the alert history. Release build, SQLite; needs `wrk` and `sqlite3`.
#
#   scripts/load-operator.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target}"
DURATION="${DURATION:-15s}"
CONNECTIONS="${CONNECTIONS:-32}"
PORT="${PORT:-18081}"
BIN="$CARGO_TARGET_DIR/release/relais"

cargo build --release -q -p relais
DATA="$(mktemp -d)"
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$DATA"' EXIT
ARGS=(--data-dir "$DATA")
"$BIN" "${ARGS[@]}" demo >/dev/null 2>&1
TOKEN="$("$BIN" "${ARGS[@]}" token create --email admin@demo.relais.example 2>/dev/null | tail -n 1)"

sqlite3 "$DATA/relais.db" <<'SQL'
PRAGMA journal_mode = WAL;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 600)
-- A cluster, its stations, its vehicles and its trips all belong to network 1 + (id % 3).
INSERT INTO clusters (network_id, name, created_at)
SELECT 1 + (i % 3), 'Cluster ' || i, '2026-01-01T00:00:00Z' FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1800)
INSERT INTO stations (cluster_id, created_at)
SELECT 1 + (i % 600), '2026-01-01T00:00:00Z' FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 15000)
INSERT INTO vehicles (serial, network_id, model_id, created_at)
SELECT printf('LT%06d', i), 1 + (i % 3), 1 + (i % 6), '2026-01-01T00:00:00Z' FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000)
INSERT INTO trips (network_id, vehicle_id, start_cluster_id, end_cluster_id, started_at, ended_at)
SELECT 1 + ((1 + i) % 3), 1 + (i % 15000), 1 + (i % 600), 1 + ((i * 7) % 600),
       strftime('%Y-%m-%dT%H:%M:%SZ', '2026-01-01', '+' || (i % 300000) || ' minutes'),
       strftime('%Y-%m-%dT%H:%M:%SZ', '2026-01-01', '+' || (i % 300000) || ' minutes', '+' || (5 + i % 40) || ' minutes')
FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 14400)
INSERT INTO spots (station_id, number, created_at)
SELECT 1 + (i % 1800), 100 + i / 1800, '2026-01-01T00:00:00Z' FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
INSERT INTO fleet_alerts (network_id, alert_type, severity, vehicle_id, details, created_at, resolved_at)
SELECT 1 + ((1 + i) % 3), CASE i % 3 WHEN 0 THEN 'vehicle-fallen' WHEN 1 THEN 'vehicle-lifted' ELSE 'vehicle-out-of-network-area' END,
       CASE i % 3 WHEN 0 THEN 'low' WHEN 1 THEN 'high' ELSE 'critical' END, 1 + (i % 15000), 'load test',
       strftime('%Y-%m-%dT%H:%M:%SZ', '2026-01-01', '+' || (i * 3) || ' minutes'),
       strftime('%Y-%m-%dT%H:%M:%SZ', '2026-01-01', '+' || (i * 3 + 20) || ' minutes')
FROM n;
ANALYZE;
SQL

"$BIN" "${ARGS[@]}" serve --listen "127.0.0.1:$PORT" >"$DATA/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

run() {
    echo "== $1"
    local threads=2
    if [ "$CONNECTIONS" -lt 2 ]; then threads=1; fi
    wrk -t"$threads" -c"$CONNECTIONS" -d"$DURATION" --latency -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT$2" \
        | grep -E "Requests/sec|Latency  |50%|99%|requests in|Non-2xx"
}

run "networks with indicators (counts over 1,800 stations, 15,000 vehicles, 1,000,000 trips)" "/dashboard/networks"
run "short networks list" "/dashboard/networks/short"
run "pricing of three networks" "/dashboard/pricing?networks=1,2,3"
run "border, zones and parkings of a network" "/dashboard/geofencing/border?network_id=1"
run "estimate: fastest 10 % of ~1,700 trips between two clusters" "/dashboard/networks/3/balancing/estimate?donor_cluster_id=2&receiver_cluster_id=8&fastest_trip_percentage=10"
run "clusters of a network with availability (200 clusters)" "/dashboard/clusters?networks=1"
run "vehicles of a network with whereabouts (5,000 vehicles)" "/dashboard/vehicles?networks=1"
run "fleet alert history, first page of 50 by severity (33,000 alerts in the network)" "/dashboard/fleet-alerts/history?networks=1&page_size=50&sort_by=alert_severity"
run "fleet alert history filtered by serial" "/dashboard/fleet-alerts/history?networks=1&serial_number=LT000042"
