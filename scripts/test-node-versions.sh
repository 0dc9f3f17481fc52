#!/usr/bin/env bash
# `npm run test:node-versions`: the fast tier (unit specs and the short simulation: no S3) on
# Node 22 and 24, installed from the npm registry once (scripts/node-versions.sh). `npm test`
# runs everything on the machine's Node (20 on the README's Debian); the template tests
# (`npm run test:templates`) run the apps users start from on 20, 22 and 24. Run by .ci/run.
set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")/.."

[ -x node_modules/.bin/jest ] || npm ci --no-audit --no-fund
. scripts/node-versions.sh
for major in 22 24; do
  bin="NODE_$major"
  echo "== the fast tier on Node $("${!bin}" --version)"
  NODE_OPTIONS="--experimental-vm-modules --no-warnings=ExperimentalWarning" \
    "${!bin}" node_modules/jest/bin/jest.js --selectProjects unit sim "$@"
done
