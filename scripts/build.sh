#!/usr/bin/env bash
# `npm run build`: both builds of the package from lib/.
#   dist/       the ES module build (`import`), with its .d.ts
#   dist/cjs/   the CommonJS build (`require`, jest's CommonJS mode), with its .d.ts; its
#               package.json says "type": "commonjs", so Node and TypeScript read it as such
# `--clean` removes dist/ first (prepack does, so `npm pack` never ships stale files). Without
# it, files are rewritten in place: test runs sharing this tree keep a usable dist/ meanwhile.
set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")/.."
[ "${1:-}" = "--clean" ] && rm -rf dist
npx --no-install tsc -p tsconfig.build.json
npx --no-install tsc -p tsconfig.build.cjs.json
echo '{ "type": "commonjs" }' >dist/cjs/package.json
