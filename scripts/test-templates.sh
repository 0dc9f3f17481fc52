#!/usr/bin/env bash
# `npm run test:templates`: the apps Nest users start from (test/user-apps/README.md), built and
# run from the packed tarball on Node 20, 22 and 24 (test/templates/templates.test.ts).
#
# Installs Node 22 and 24 from the npm registry once (the `node` package, into
# node_modules/.cache/node-versions/) and the templates' dependencies once
# (node_modules/.cache/user-apps/). Needs S3 like `npm test`: with S3_ENDPOINT unset it uses the
# local RGW (starting it if needed). Run after `npm test` by .ci/run. Extra arguments go to jest.
set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")/.."

[ -x node_modules/.bin/jest ] || npm ci --no-audit --no-fund
. scripts/node-versions.sh
[ -n "${S3_ENDPOINT:-}" ] || . scripts/use-local-s3.sh
export S3_BUCKET="${S3_BUCKET:-s3-lock-test}"

NODE_OPTIONS="${NODE_OPTIONS:-} --experimental-vm-modules --no-warnings=ExperimentalWarning" \
  node node_modules/jest/bin/jest.js -c jest.templates.config.js "$@"
