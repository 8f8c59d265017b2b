#!/usr/bin/env bash
# Commit-log sync modes under `hyades stress write` against a release-built node on this
# machine (docs/benchmarks.md, "Commit log: acknowledgement and sync modes"):
#  1. batch against group at THREADS (default 64) concurrent writers, alternating;
#  2. periodic mode with write-before-acknowledge against HYADES_ACK_UNWRITTEN=1 (the
#     behaviour before issue 10 item 11: acknowledged before the bytes reach the kernel),
#     peak writes with the stress default of 256 in flight, alternating.
# Each run gets a fresh node and data directory; figures are op/s and server CPU per op.
#
#   Benchmarks/scripts/commitlog-sync.sh [SECONDS] [ROUNDS]     (defaults 10, 2)
#   HYADES_BIN=path ...      this binary instead of building
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-10}
rounds=${2:-2}
threads=${THREADS:-64}
addr=${STRESS_ADDRESS:-127.0.0.42}
port=${STRESS_PORT:-19443}
if [ -n "${HYADES_BIN:-}" ]; then
  bin=$HYADES_BIN
else
  echo "== building hyades (release)"
  (cd "$here" && nice -n 10 swift build -c release --static-swift-stdlib --product hyades >/dev/null)
  bin="$here/.build/release/hyades"
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/hyades-clsync.XXXXXX")
server=
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$work"' EXIT

# run LABEL MODE STRESS_THREADS [ENV=VALUE]: one stress write run on a fresh node.
run() {
  local label=$1 mode=$2 n=$3; shift 3
  rm -rf "$work/data"; mkdir -p "$work/data"
  printf 'commitlog_sync: %s\ncommitlog_sync_period_in_ms: 10000\ncommitlog_sync_group_window_in_ms: 15\n' "$mode" > "$work/conf.yaml"
  env "$@" "$bin" server --listen-address "$addr" --native-port "$port" --data-dir "$work/data" \
      --config "$work/conf.yaml" 2>"$work/server.log" &
  server=$!
  for _ in $(seq 100); do grep -q "CQL native transport listening" "$work/server.log" && break; sleep 0.1; done
  local hz; hz=$(getconf CLK_TCK)
  local before; before=$(awk '{print $14 + $15}' "/proc/$server/stat")
  "$bin" stress write --host "$addr" --port "$port" --threads "$n" --duration "$secs" > "$work/out.txt" 2>&1
  local after; after=$(awk '{print $14 + $15}' "/proc/$server/stat")
  local rate; rate=$(grep "^Op rate" "$work/out.txt" | awk -F: '{print $2}' | tr -d ', ' | sed 's/op\/s.*//')
  local ops; ops=$(grep "^Total operations" "$work/out.txt" | awk -F: '{print $2}' | tr -d ' ')
  local p99; p99=$(grep "^Latency 99th" "$work/out.txt" | awk -F: '{print $2}' | tr -d ' ')
  awk -v l="$label" -v r="$rate" -v b="$before" -v a="$after" -v n="$ops" -v hz="$hz" -v p="$p99" \
    'BEGIN { printf "%-34s %9s op/s  p99 %-10s server CPU %.2f us/op\n", l, r, p, (a - b) / hz * 1e6 / (n > 0 ? n : 1) }'
  kill "$server"; wait "$server" 2>/dev/null || true
  server=
}

echo "== batch vs group, $threads writers in flight, ${secs}s each"
for _ in $(seq "$rounds"); do
  run "batch ($threads writers)" batch "$threads"
  run "group 15 ms ($threads writers)" group "$threads"
done
echo "== periodic: write before acknowledge vs acknowledge unwritten, 256 in flight, ${secs}s each"
for _ in $(seq "$rounds"); do
  run "periodic, written before ack" periodic 256
  run "periodic, acked unwritten (old)" periodic 256 HYADES_ACK_UNWRITTEN=1
done
