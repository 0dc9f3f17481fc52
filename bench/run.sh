#!/usr/bin/env bash
# `npm run bench`: S3 requests and latency of the lock against a raw PutObject and the origin
# design's protocol, on one S3 store, in one run. Prints a table and writes bench/results/latest.json.
#
# With S3_ENDPOINT unset, uses the project's local Ceph RGW: starts it if it is not running
# (and then stops it afterwards), otherwise uses the running one. With S3_ENDPOINT and
# credentials set, runs against that store (bucket S3_BENCH_BUCKET, default s3-lock-bench).
# Extra arguments go to the bench, e.g. `npm run bench -- --out /tmp/figures.json`.
set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")/.."

[ -x node_modules/.bin/tsc ] || npm ci --no-audit --no-fund

if [ -z "${S3_ENDPOINT:-}" ]; then
  . scripts/use-local-s3.sh
  store="local Ceph RGW $(radosgw --version 2>/dev/null | awk '{print $3}')"
  if grep -q 'tcp_nodelay=1' "${LOCAL_S3_DIR:-.local-s3}/ceph.conf" 2>/dev/null; then
    export BENCH_STORE="$store, tcp_nodelay=1"
  else
    # Started by an older scripts/local-s3.sh: every GET of an existing object waits ~40 ms
    # (Nagle + delayed ACK). Restart it (scripts/local-s3.sh stop && start) for fair figures.
    echo "bench: warning: the running local RGW lacks tcp_nodelay=1; GetObject figures will be ~40 ms too slow" >&2
    export BENCH_STORE="$store, WITHOUT tcp_nodelay (GETs ~40 ms slow)"
  fi
fi

# The bench compiles itself and the lib/ files it imports into bench/.build (git-ignored), so it
# never runs a stale dist/.
npx --no-install tsc -p bench/tsconfig.json
# The CLI start-up scenario times the command as the package ships it (dist/cjs/cli/main.js).
bash scripts/build.sh
# --expose-gc: the scale figures measure memory after a collection.
node --expose-gc bench/.build/bench/main.js "$@"
