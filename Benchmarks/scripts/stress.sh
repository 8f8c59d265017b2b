#!/usr/bin/env bash
# `hyades stress` against a release-built `hyades server` on this machine (client and
# server share its cores, as in the issue's targets): peak write and read rates, p99 at
# half those rates, a mixed run, and a token-range scan of all rows.
#
#   Benchmarks/scripts/stress.sh [ROWS] [SECONDS]      (defaults 1000000, 10)
#   PERF=1 Benchmarks/scripts/stress.sh                also record `perf` profiles of both sides
#
# Figures drift on shared machines: compare runs taken together only (BENCHMARKS.md).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
rows=${1:-1000000}
secs=${2:-10}
addr=${STRESS_ADDRESS:-127.0.0.41}
port=${STRESS_PORT:-19442}
threads=${STRESS_THREADS:-256}
work=$(mktemp -d "${TMPDIR:-/tmp}/hyades-stress.XXXXXX")

echo "== building hyades (release)"
(cd "$here" && nice -n 10 swift build -c release --product hyades >/dev/null)
bin="$here/.build/release/hyades"

"$bin" server --listen-address "$addr" --native-port "$port" --data-dir "$work/data" 2>"$work/server.log" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do grep -q "listening" "$work/server.log" && break; sleep 0.1; done

stress() { "$bin" stress "$@" --host "$addr" --port "$port" --keys "$rows"; }
summary() { grep -E "^(Op rate|Row rate|Latency (median|99th|99.9th|max)|Total (operations|errors)|Reads not found)"; }
# The server's (and, with PERF=1, the client's) CPU time for one run: `perf record` of
# the server process while the stress runs.
profiled() {
  local name=$1; shift
  if [ "${PERF:-0}" = 1 ]; then
    perf record -F 499 -g -p "$server" -o "$work/$name-server.perf" -- sleep "$secs" >/dev/null 2>&1 &
    local rec=$!
    perf record -F 499 -g -o "$work/$name-client.perf" -- "$bin" stress "$@" --host "$addr" --port "$port" --keys "$rows" | tee "$work/$name.txt" | summary
    wait $rec || true
    echo "-- server top symbols ($name)"; perf report -i "$work/$name-server.perf" --no-children --stdio 2>/dev/null | grep -E "^ +[0-9]" | head -15
    echo "-- client top symbols ($name)"; perf report -i "$work/$name-client.perf" --no-children --stdio 2>/dev/null | grep -E "^ +[0-9]" | head -15
  else
    stress "$@" | tee "$work/$name.txt" | summary
  fi
}
rate_of() { grep "^Op rate" "$work/$1.txt" | awk -F: '{print $2}' | tr -d ', ' | sed 's/op\/s.*//'; }

echo "== write: $rows single-row prepared INSERTs (peak)"
profiled write write --count "$rows" --threads "$threads"
echo "== read: point SELECTs for ${secs}s (peak)"
profiled read read --duration "$secs" --threads "$threads"
w=$(rate_of write); r=$(rate_of read)
echo "== write at half the peak rate ($(( w / 2 )) op/s), ${secs}s"
stress write --duration "$secs" --threads "$threads" --rate $(( w / 2 )) | summary
echo "== read at half the peak rate ($(( r / 2 )) op/s), ${secs}s"
stress read --duration "$secs" --threads "$threads" --rate $(( r / 2 )) | summary
echo "== mixed 1:1 for ${secs}s"
stress mixed --duration "$secs" --threads "$threads" --ratio 1:1 | summary
echo "== scan: all $rows rows by token ranges"
profiled scan scan --ranges 64 --threads 8 --page-size 5000
