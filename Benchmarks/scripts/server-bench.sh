#!/usr/bin/env bash
# Builds and runs server-bench (release): the node in this process on 127.0.0.1 driven
# through its CQL port (prepared inserts, point reads, paced latency, token-range scans).
# Figures: ops/s and, steadier on a shared machine, CPU microseconds per operation for
# client + node together. Arguments are passed on (e.g. --rows 1000000 --reads 400000).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# SwiftPM caches the path dependency's file list: drop it so new files in ../Sources count.
rm -f "$here/.build/release.yaml" "$here/.build/release/description.json" "$here/.build/build.db"
(cd "$here" && nice -n 10 swift build -c release --product server-bench >/dev/null)
exec "$here/.build/release/server-bench" "$@"
