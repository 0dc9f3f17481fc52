# Sourced: installs Node 22 and 24 from the npm registry (the `node` package) once, into
# node_modules/.cache/node-versions/<major>/, and exports NODE_22 and NODE_24 with their paths.
NODE_VERSIONS_DIR="$PWD/node_modules/.cache/node-versions"
for major in 22 24; do
  bin="$NODE_VERSIONS_DIR/$major/node_modules/.bin/node"
  if ! "$bin" --version 2>/dev/null | grep -q "^v$major\."; then
    rm -rf "$NODE_VERSIONS_DIR/$major"
    npm install --prefix "$NODE_VERSIONS_DIR/$major" --no-save --no-package-lock --no-audit --no-fund \
      --loglevel=error "node@$major" >&2
  fi
  export "NODE_$major=$bin"
done
