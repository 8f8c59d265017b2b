#!/usr/bin/env bash
# Issue 11's cluster benchmark, both sides in the same run on this machine: 1 node at RF 1
# (consistency ONE) against 3 local nodes at RF 3 with QUORUM (127.0.0.111-113, one seed),
# `hyades stress` through node 1 (it coordinates every request): peak write and read
# rates, write p99 at half the 3-node peak, and a token-range scan of every row.
# Three replicas do three times the storage work on the same cores, so the figure to
# watch is the ratio (target >= 0.30) and the paced p99 (target < 5 ms).
#
#   Benchmarks/scripts/cluster-stress.sh [ROWS] [SECONDS]    (defaults 300000, 10)
#   HYADES_BIN=path ...    this binary instead of building a release one
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
rows=${1:-300000}
secs=${2:-10}
threads=${STRESS_THREADS:-256}
port=19611
sport=7611
addrs=(127.0.0.111 127.0.0.112 127.0.0.113)
work=$(mktemp -d "${TMPDIR:-/tmp}/hyades-cluster-stress.XXXXXX")
if [ -n "${HYADES_BIN:-}" ]; then
  bin=$HYADES_BIN
else
  echo "== building hyades (release)"
  (cd "$here" && nice -n 10 swift build -c release --static-swift-stdlib --product hyades >/dev/null)
  bin="$here/.build/release/hyades"
fi
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

start_node() {   # start_node INDEX SEEDED(0|1) TAG
  local i=$1 seeded=$2 tag=$3 a=${addrs[$1]}
  {
    echo "cluster_name: 'bench'"
    echo "storage_port: $sport"
    echo "listen_address: $a"
    if [ "$seeded" = 1 ]; then
      printf 'seed_provider:\n  - class_name: org.apache.cassandra.locator.SimpleSeedProvider\n    parameters:\n      - seeds: "%s:%s"\n' "${addrs[0]}" "$sport"
    fi
  } > "$work/$tag-n$i.yaml"
  "$bin" server --listen-address "$a" --native-port "$port" --data-dir "$work/$tag-d$i" --config "$work/$tag-n$i.yaml" \
    2>>"$work/$tag-n$i.log" &
  pids+=($!)
  for _ in $(seq 200); do grep -q "CQL native transport listening" "$work/$tag-n$i.log" 2>/dev/null && break; sleep 0.1; done
}
stop_all() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; pids=(); }
stress() { "$bin" stress "$@" --host "${addrs[0]}" --port "$port" --keys "$rows" --threads "$threads"; }
summary() { grep -E "^(Op rate|Row rate|Latency (median|99th|99.9th)|Total errors)" || true; }
rate() { grep "^Op rate" "$1" | awk -F: '{print $2}' | awk '{print $1}' | tr -d ','; }

echo "== 1 node, RF 1, ONE"
start_node 0 0 one
stress write --count "$rows" --consistency ONE >/dev/null     # the rows the reads and scan find
stress write --duration "$secs" --consistency ONE > "$work/one-write.txt"; echo "-- write"; summary < "$work/one-write.txt"
stress read --duration "$secs" --consistency ONE > "$work/one-read.txt"; echo "-- read"; summary < "$work/one-read.txt"
stress scan --consistency ONE > "$work/one-scan.txt"; echo "-- scan"; grep -E "^(Row rate|Total rows)" "$work/one-scan.txt" || true
stop_all

echo "== 3 nodes, RF 3, QUORUM"
start_node 0 1 three
start_node 1 1 three
start_node 2 1 three
for _ in $(seq 300); do [ "$(grep -c "joined the ring" "$work/three-n0.log" 2>/dev/null)" -ge 2 ] && break; sleep 0.1; done
sleep 3
# The schema first, and time for it to reach every node (the client prepares on each).
"$bin" shell "${addrs[0]}" "$port" -e "CREATE KEYSPACE keyspace1 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}; CREATE TABLE keyspace1.standard1 (key blob PRIMARY KEY, c0 blob, c1 blob, c2 blob, c3 blob, c4 blob)" >/dev/null
sleep 3
stress write --count "$rows" --consistency QUORUM >/dev/null
stress write --duration "$secs" --consistency QUORUM > "$work/three-write.txt"; echo "-- write"; summary < "$work/three-write.txt"
stress read --duration "$secs" --consistency QUORUM > "$work/three-read.txt"; echo "-- read"; summary < "$work/three-read.txt"
half=$(( $(rate "$work/three-write.txt" | cut -d. -f1) / 2 ))
stress write --duration "$secs" --consistency QUORUM --rate "$half" > "$work/three-half.txt"
echo "-- write paced at $half op/s (half the 3-node peak)"; summary < "$work/three-half.txt"
stress scan --consistency QUORUM > "$work/three-scan.txt"; echo "-- scan"; grep -E "^(Row rate|Total rows)" "$work/three-scan.txt" || true

echo "== ratios (3 nodes RF 3 QUORUM / 1 node RF 1)"
for w in write read; do
  awk -v a="$(rate "$work/three-$w.txt")" -v b="$(rate "$work/one-$w.txt")" -v w="$w" 'BEGIN { printf "%s: %.0f / %.0f op/s = %.2f\n", w, a, b, a / b }'
done
ra=$(grep "^Row rate" "$work/three-scan.txt" | awk -F: '{print $2}' | awk '{print $1}' | tr -d ',')
rb=$(grep "^Row rate" "$work/one-scan.txt" | awk -F: '{print $2}' | awk '{print $1}' | tr -d ',')
awk -v a="$ra" -v b="$rb" 'BEGIN { printf "scan: %.0f / %.0f rows/s = %.2f\n", a, b, a / b }'
# Internode traffic of the 3-node write peak: per QUORUM write the coordinator sends two
# MUTATION_REQ and receives two MUTATION_RSP; each other node receives one and answers it.
awk -v w="$(rate "$work/three-write.txt")" 'BEGIN { printf "internode messages at the write peak: %.0f /s (4 per write, on 2 cores shared by 3 nodes and the client)\n", 4 * w }'
