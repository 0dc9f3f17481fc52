#!/usr/bin/env bash
# `npm test`: the type check, the unit tests and every S3 test, against a real S3 store.
#
# With S3_ENDPOINT unset, starts the project's local Ceph RGW (installing it if needed) and
# stops it afterwards if this script started it. With S3_ENDPOINT and credentials set (and
# S3_BUCKET naming a bucket the tests may write to), runs against that store instead.
# Extra arguments go to jest, e.g. `npm test -- test/protocol`.
set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")/.."

[ -x node_modules/.bin/jest ] || npm ci --no-audit --no-fund
# The seed-compatibility test parses our documents with a real Python, as the origin design does.
command -v python3 >/dev/null || { apt-get update -qq && apt-get install -y -qq python3-minimal; }

[ -n "${S3_ENDPOINT:-}" ] || . scripts/use-local-s3.sh
export S3_BUCKET="${S3_BUCKET:-s3-lock-test}"

npx --no-install tsc -p tsconfig.json --noEmit
npx --no-install eslint .
# dist/ is what child processes in the tests (workers, apps, the CLI) run.
bash scripts/build.sh
NODE_OPTIONS="${NODE_OPTIONS:-} --experimental-vm-modules --no-warnings=ExperimentalWarning" \
  node node_modules/jest/bin/jest.js "$@"

# On a full run, the Nest-facing tests (test/nest) once more with Nest 11, the CommonJS major.
if [ $# -eq 0 ]; then
  bash scripts/test-nest11.sh
fi
