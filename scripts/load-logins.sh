#!/usr/bin/env bash
# Memory and liveness under bursts of failed sign-ins: a release server on a temporary SQLite
# data folder, then BURSTS bursts of BURST concurrent failed logins. Each login comes from its
# own address (`X-Forwarded-For`, trusted for the test) and names its own unknown email, so
# that none is throttled and every one runs an argon2 verification (19 MiB of memory each):
# the worst case for memory. The server's resident memory (VmRSS from /proc/<pid>/status) is
# sampled before, during (peak) and after the bursts, and /healthz is timed during each burst.
# Needs python3 (standard library only) and curl.
#
#   scripts/load-logins.sh                     # BURSTS=2 BURST=48
#   BURSTS=3 BURST=200 scripts/load-logins.sh
#   BIN=/path/to/relais scripts/load-logins.sh # another build (skips cargo build)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target}"
BURSTS="${BURSTS:-2}"
BURST="${BURST:-48}"
PORT="${PORT:-18090}"

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
RELAIS_TRUST_FORWARDED_FOR=true RELAIS_LOG=warn \
    "$BIN" "${ARGS[@]}" serve --listen "127.0.0.1:$PORT" >"$DATA/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

python3 - "$SERVER" "$PORT" "$BURSTS" "$BURST" <<'PY'
import asyncio, json, sys, time

pid, port, bursts, burst = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])

def rss_mb():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0

def threads():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return 0

async def request(method, path, body=b"", headers=()):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close",
            f"Content-Length: {len(body)}", *headers]
    if body:
        head.append("Content-Type: application/json")
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    await reader.read()
    writer.close()
    return status

async def failed_login(n):
    body = json.dumps({"email": f"nobody{n}@relais.test", "password": "wrong password"}).encode()
    a, b = divmod(n, 250)
    return await request("POST", "/auth/login", body, [f"X-Forwarded-For: 10.77.{a % 250}.{b + 1}"])

async def timed_health():
    start = time.perf_counter()
    await request("GET", "/healthz")
    return (time.perf_counter() - start) * 1000

async def main():
    print(f"before: RSS {rss_mb():.0f} MB, {threads()} threads")
    peak, n = 0.0, 0
    for b in range(1, bursts + 1):
        start = time.perf_counter()
        logins = asyncio.gather(*(failed_login(n + i) for i in range(burst)))
        n += burst
        task = asyncio.ensure_future(logins)
        health, peak_threads = [], 0
        while not task.done():
            health.append(await timed_health())
            peak = max(peak, rss_mb())
            peak_threads = max(peak_threads, threads())
            await asyncio.sleep(0.05)
        statuses = await task
        took = time.perf_counter() - start
        counts = {s: statuses.count(s) for s in sorted(set(statuses))}
        print(f"burst {b}: {burst} failed logins in {took:.1f} s, statuses {counts}; "
              f"peak RSS so far {peak:.0f} MB, {peak_threads} threads; "
              f"/healthz during the burst: max {max(health):.1f} ms, "
              f"median {sorted(health)[len(health) // 2]:.1f} ms over {len(health)} probes")
    await asyncio.sleep(2)
    print(f"after (2 s later): RSS {rss_mb():.0f} MB, {threads()} threads; peak {peak:.0f} MB")

asyncio.run(main())
PY
