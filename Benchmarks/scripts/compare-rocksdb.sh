#!/usr/bin/env bash
# Runs Hyades' storage engine and RocksDB's db_bench on the same workloads, in the same
# run, on the same disk, and prints each Hyades figure as a ratio of RocksDB's
# (../shared/BENCHMARKS.md). Ratio >= 1.0 means Hyades is at least as fast.
#
#   Benchmarks/scripts/compare-rocksdb.sh [NUM_ROWS]     (default 1000000)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
num=${1:-1000000}
reads=$(( num / 5 ))
work=$(mktemp -d "${TMPDIR:-/tmp}/hyades-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

"$here/../tools/install-deps" rocksdb-tools time

echo "== building engine-compare (release)"
# SwiftPM caches the path dependency's file list: drop it so new files in ../Sources count.
rm -f "$here/.build/release.yaml" "$here/.build/release/description.json" "$here/.build/build.db"
(cd "$here" && swift build -c release --product engine-compare >/dev/null)
bin="$here/.build/release/engine-compare"

echo "== disk: sequential write rate"
dd if=/dev/zero of="$work/dd.tmp" bs=1M count=256 oflag=direct 2>&1 | tail -1
rm -f "$work/dd.tmp"

echo "== RocksDB db_bench $(db_bench --version 2>&1 | head -1 | awk '{print $3}')"
common=(--num="$num" --key_size=16 --value_size=100 --compression_type=lz4 --db="$work/rocksdb")
# fillrandom (WAL on, no sync), compact, readrandom; then a full readseq over every entry.
/usr/bin/time -v -o "$work/rocks-time.txt" \
  db_bench --benchmarks=fillrandom,compact,readrandom --reads="$reads" "${common[@]}" 2>"$work/rocks1.err" \
  | tee "$work/rocks1.txt" | grep -E '^(fillrandom|compact|readrandom) '
rocks_peak_kb=$(grep 'Maximum resident set size' "$work/rocks-time.txt" | awk '{print $NF}')
# Hyades keeps a 128 MiB block cache of decoded segments; db_bench's default is 8 MiB.
# Run RocksDB's point reads again with the same cache so the ratio is not a cache-size artefact.
db_bench --benchmarks=readrandom --use_existing_db=1 --reads="$reads" --cache_size=$((128 << 20)) "${common[@]}" \
  2>"$work/rocks3.err" | sed 's/^readrandom /readrandom_cache128 /' | tee "$work/rocks3.txt" | grep -E '^readrandom_cache128 '
db_bench --benchmarks=readseq --use_existing_db=1 --reads=-1 "${common[@]}" 2>"$work/rocks2.err" \
  | tee "$work/rocks2.txt" | grep -E '^readseq '
rocks_rate() { grep -hE "^$1 " "$work"/rocks*.txt | sed -E 's/.* ([0-9]+) ops\/sec.*/\1/' | head -1; }

echo "== Hyades engine"
/usr/bin/time -v "$bin" --num "$num" --reads "$reads" --dir "$work/hyades" 2> "$work/time.txt" | tee "$work/hyades.txt"
peak_kb=$(grep 'Maximum resident set size' "$work/time.txt" | awk '{print $NF}')
hy_rate() { grep -E "^$1 " "$work/hyades.txt" | awk '{print $2}' | head -1; }

echo
printf '%-12s %14s %14s %8s\n' workload hyades_ops/s rocksdb_ops/s ratio
for w in fillrandom readrandom readrandom_cache128 readseq; do
  h=$(hy_rate "${w%_cache128}"); r=$(rocks_rate "$w")
  printf '%-12s %14s %14s %8s\n' "$w" "$h" "$r" "$(python3 -c "print(f'{$h/$r:.2f}')")"
done
echo "peak RSS: hyades $(( peak_kb / 1024 )) MiB, rocksdb (fill+compact+read) $(( rocks_peak_kb / 1024 )) MiB"
grep -E '^projection' "$work/hyades.txt" || true
