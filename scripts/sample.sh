#!/usr/bin/env bash
# `npm run sample`: three replicas of the sample Nest app (sample/) sharing one S3 lock store.
#
# With none of S3_ENDPOINT, AWS_ENDPOINT_URL_S3 and S3_LOCK_BUCKET set, starts the project's local
# Ceph RGW (installing it if needed) and stops it afterwards if this script started it. For AWS,
# set S3_LOCK_BUCKET (and the usual AWS_REGION/credentials); for MinIO, AWS_ENDPOINT_URL_S3 too. Options, as environment variables:
#   SAMPLE_DURATION=<seconds>  stop after that long (default: run until Ctrl-C)
#   SAMPLE_KILL=replica-1@6    SIGKILL that replica after 6 seconds, to watch the others take over
#   SAMPLE_REPLICAS=3, SAMPLE_BASE_PORT=3001, S3_LOCK_BUCKET=s3-lock-sample, S3_LOCK_PREFIX=sample/locks/
set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")/.."

[ -x node_modules/.bin/tsc ] || npm ci --no-audit --no-fund

# Builds dist/ (the package the sample imports as 'nestjs-s3-lock') and sample/dist/, each only
# when a source is newer than its build.
stale() { [ ! -e "$1" ] || [ -n "$(find "${@:2}" -name '*.ts' -newer "$1" -print -quit)" ]; }
if stale dist/cjs/index.js lib; then
  echo "sample    | building dist/"
  bash scripts/build.sh
fi
if stale sample/dist/main.js sample dist/index.d.ts; then
  echo "sample    | building sample/dist/"
  npx --no-install tsc -p sample/tsconfig.json
fi

if [ -z "${S3_ENDPOINT:-}" ] && [ -z "${AWS_ENDPOINT_URL_S3:-}" ] && [ -z "${S3_LOCK_BUCKET:-}" ]; then
  . scripts/use-local-s3.sh
fi
# The SDK reads AWS_ENDPOINT_URL_S3; S3_ENDPOINT is the name the project's scripts use.
if [ -n "${S3_ENDPOINT:-}" ] && [ -z "${AWS_ENDPOINT_URL_S3:-}" ]; then
  export AWS_ENDPOINT_URL_S3="$S3_ENDPOINT"
fi

# The SDK's notice that its 2027 releases need Node 22 would be printed once per replica.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED="${AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED:-true}"

node sample/dist/tools/run-replicas.js
