#!/usr/bin/env bash
# `hyades stress` against a release-built `hyades server` on this machine (client and
# server share its cores, as in the issue's targets): peak write and read rates, p99 at
# half those rates, a mixed run, and a token-range scan of all rows.
#
#   Benchmarks/scripts/stress.sh [ROWS] [SECONDS]      (defaults 1000000, 10)
#   PERF=1 Benchmarks/scripts/stress.sh                also record `perf` profiles of both sides
#   WRITE_RATE=50000 READ_RATE=40000 Benchmarks/scripts/stress.sh   paced runs at these rates
#   PHASES="write write-half read-half" ...   only these phases (write, read, write-half,
#                                     read-half, mixed, scan); the paced ones then need
#                                     WRITE_RATE / READ_RATE, and reads need write first
#   STRESS_ONLY=scan ...              the same as PHASES="write scan"
#   SCAN_FLUSHED=1 ...                restart the node before the scan (rows flushed to SSTables)
#   HYADES_BIN=path ...               this binary instead of building (A/B of two builds)
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

phases=${PHASES:-write read write-half read-half mixed scan}
[ "${STRESS_ONLY:-}" = scan ] && phases="write scan"
runs() { [[ " $phases " == *" $1 "* ]]; }
if [ -n "${HYADES_BIN:-}" ]; then
  bin=$HYADES_BIN
else
  echo "== building hyades (release)"
  (cd "$here" && nice -n 10 swift build -c release --static-swift-stdlib --product hyades >/dev/null)
  bin="$here/.build/release/hyades"
fi

start_node() {
  "$bin" server --listen-address "$addr" --native-port "$port" --data-dir "$work/data" 2>>"$work/server.log" &
  server=$!
  for _ in $(seq 100); do [ "$(grep -c "CQL native transport listening" "$work/server.log")" -ge "$1" ] && break; sleep 0.1; done
}
start_node 1
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT

# CPU seconds the server has used so far (utime + stime): on a shared, noisy machine the
# CPU cost per operation is steadier than the op rate.
server_cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$server/stat"; }
measured() {   # measured NAME CMD...: runs CMD, then prints the server's CPU per operation
  local name=$1; shift
  local before; before=$(server_cpu)
  "$@"
  local after; after=$(server_cpu)
  # Per row for scans (an operation there is a page), per operation otherwise.
  local unit=op label="^Total operations"
  [ "$name" = scan ] && unit=row label="^Total rows"
  local n; n=$(grep "$label" "$work/$name.txt" | awk -F: '{print $2}' | tr -d ' ')
  awk -v b="$before" -v a="$after" -v n="$n" -v u="$unit" 'BEGIN { if (n > 0) printf "server CPU: %.2f s, %.2f us/%s\n", a - b, (a - b) * 1e6 / n, u }'
}
stress() { /usr/bin/time -f "client CPU: %U s user, %S s system, %e s wall" "$bin" stress "$@" --host "$addr" --port "$port" --keys "$rows"; }
summary() { grep -E "^(Op rate|Row rate|Latency (median|99th|99.9th|max)|Total (operations|errors)|Reads not found|client CPU)" || true; }
# The server's (and, with PERF=1, the client's) CPU time for one run: `perf record` of
# the server process while the stress runs.
profiled() {
  local name=$1; shift
  if [ "${PERF:-0}" = 1 ]; then
    perf record -F 499 -g -p "$server" -o "$work/$name-server.perf" -- sleep "$secs" >/dev/null 2>&1 &
    local rec=$!
    perf record -F 499 -g -o "$work/$name-client.perf" -- "$bin" stress "$@" --host "$addr" --port "$port" --keys "$rows" | tee "$work/$name.txt" | summary
    wait $rec || true
    # Which threads burn the CPU, then the hottest symbols (|| true: head closes the pipe early).
    echo "-- server CPU by thread ($name)"; { perf report -i "$work/$name-server.perf" --stdio --sort comm 2>/dev/null | grep -E "^ +[0-9]" | head -6; } || true
    echo "-- server top symbols ($name)"; { perf report -i "$work/$name-server.perf" --no-children --stdio --sort dso,sym 2>/dev/null | grep -E "^ +[0-9]" | head -15; } || true
    echo "-- client top symbols ($name)"; { perf report -i "$work/$name-client.perf" --no-children --stdio --sort dso,sym 2>/dev/null | grep -E "^ +[0-9]" | head -12; } || true
  else
    stress "$@" 2>&1 | tee "$work/$name.txt" | summary
  fi
}
rate_of() { grep "^Op rate" "$work/$1.txt" | awk -F: '{print $2}' | tr -d ', ' | sed 's/op\/s.*//'; }

if runs write; then
  echo "== write: $rows single-row prepared INSERTs (peak)"
  measured write profiled write write --count "$rows" --threads "$threads"
fi
if runs read; then
  echo "== read: point SELECTs for ${secs}s (peak)"
  measured read profiled read read --duration "$secs" --threads "$threads"
fi
# Paced rates: half the measured peaks unless WRITE_RATE / READ_RATE name the issue's
# targets (50000 / 40000).
w=$(( ${WRITE_RATE:-0} * 2 )); [ "$w" -gt 0 ] || w=$(rate_of write 2>/dev/null || echo 0)
r=$(( ${READ_RATE:-0} * 2 )); [ "$r" -gt 0 ] || r=$(rate_of read 2>/dev/null || echo 0)
if runs write-half; then
  echo "== write at half the peak rate ($(( w / 2 )) op/s), ${secs}s"
  measured write-half eval 'stress write --duration "$secs" --threads "$threads" --rate $(( w / 2 )) 2>&1 | tee "$work/write-half.txt" | summary'
fi
if runs read-half; then
  echo "== read at half the peak rate ($(( r / 2 )) op/s), ${secs}s"
  measured read-half eval 'stress read --duration "$secs" --threads "$threads" --rate $(( r / 2 )) 2>&1 | tee "$work/read-half.txt" | summary'
fi
if runs mixed; then
  echo "== mixed 1:1 for ${secs}s"
  measured mixed eval 'stress mixed --duration "$secs" --threads "$threads" --ratio 1:1 2>&1 | tee "$work/mixed.txt" | summary'
fi
if runs scan; then
  echo "== scan: all $rows rows by token ranges"
  # The scan starts once the node is idle (the flushes and compactions the writes started
  # are done: under 0.05 s of server CPU in half a second, at most 60 s), so it measures
  # the read path, as a compute job scanning a loaded table sees it, not compactions
  # sharing the two cores.
  idle_wait=0
  while [ "$idle_wait" -lt 120 ]; do
    a=$(server_cpu); sleep 0.5; b=$(server_cpu)
    awk -v a="$a" -v b="$b" 'BEGIN { exit !(b - a < 0.05) }' && break
    idle_wait=$(( idle_wait + 1 ))
  done
  echo "-- waited $(( idle_wait / 2 )) s for the node's background work"
  if [ "${SCAN_FLUSHED:-0}" = 1 ]; then
    # SCAN_FLUSHED=1: restart the node first (SIGTERM drains: memtables flushed), so the
    # scan reads the rows from SSTables, as a job scanning a table loaded earlier does;
    # by default they are where the writes left them (with the default memtable size,
    # 1/16 of RAM, a 1M-row run stays in the memtable).
    kill "$server"; wait "$server" || true
    start_node 2
    echo "-- node restarted (memtables flushed on drain)"
  fi
  # The scan's cost depends on how many (overlapping) SSTables hold the rows.
  echo "-- SSTables on disk: $(find "$work/data" -name 'hy-*-Data.db' | wc -l)"
  # 256 ranges, 16 in flight: measured 0.67-1.0M rows/s where 64 ranges x 8 gave 0.46-0.57M.
  measured scan profiled scan scan --ranges 256 --threads 16 --page-size 5000
fi
