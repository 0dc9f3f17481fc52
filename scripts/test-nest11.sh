#!/usr/bin/env bash
# The Nest-facing tests (test/nest) against Nest 11, the CommonJS major, while the repository's
# own dev dependencies are Nest 12 (ESM-only). CI runs both (scripts/test.sh calls this last).
#
# Installs pinned Nest 11 packages once into node_modules/.cache/nest11 (no package.json or lock
# touched; rxjs, reflect-metadata and the AWS SDK stay the repository's own), then runs jest with
# jest.nest11.config.js, which maps `@nestjs/*` there. Child applications get the same mapping
# through a module hook (NEST_MODULES_DIR). Needs S3 like `npm test`: with S3_ENDPOINT unset it
# uses the local RGW (starting it if needed). Extra arguments go to jest.
set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")/.."

NEST11_DIR=node_modules/.cache/nest11
PACKAGES=(
  @nestjs/common@11.2.10
  @nestjs/core@11.2.10
  @nestjs/testing@11.2.6
  @nestjs/platform-express@11.2.10
  @nestjs/schedule@6.1.3
  @nestjs/config@4.0.4
)
stamp="$NEST11_DIR/.installed"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "${PACKAGES[*]}" ]; then
  rm -rf "$NEST11_DIR"
  mkdir -p "$NEST11_DIR"
  npm install --prefix "$NEST11_DIR" --no-save --no-package-lock --legacy-peer-deps \
    --no-audit --no-fund --loglevel=error "${PACKAGES[@]}"
  echo "${PACKAGES[*]}" >"$stamp"
fi

[ -n "${S3_ENDPOINT:-}" ] || . scripts/use-local-s3.sh
export S3_BUCKET="${S3_BUCKET:-s3-lock-test}"

NEST_MODULES_DIR="$PWD/$NEST11_DIR/node_modules" NEST_MAJOR=11 \
  NODE_OPTIONS="${NODE_OPTIONS:-} --experimental-vm-modules --no-warnings=ExperimentalWarning" \
  node node_modules/jest/bin/jest.js -c jest.nest11.config.js --maxWorkers=2 "$@"
