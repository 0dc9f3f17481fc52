#!/usr/bin/env bash
# `npm run test:sim`: the deterministic simulation of the lock protocol (no S3 needed).
# SIM_RUN=long for the 1,000,000-acquisition run that writes docs/SIMULATION.md; SIM_SEED=<n>
# replays one world with its trace. See docs/SIMULATION.md.
set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")/.."
[ -x node_modules/.bin/tsc ] || npm ci --no-audit --no-fund
# Compiled with the lib/ files it imports into test/sim/.build (git-ignored), like the bench.
npx --no-install tsc -p test/sim/tsconfig.json
node test/sim/.build/test/sim/main.js "$@"
