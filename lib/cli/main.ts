#!/usr/bin/env node
/**
 * The `nestjs-s3-lock` command: inspect and free locks from a shell. See `USAGE` (or run it
 * with `--help`) and docs/OPERATIONS.md. Loads the Nest-free core only (no `@nestjs/*`).
 */
import { runCli } from './run-cli.js';

void runCli(process.argv.slice(2), process.env, {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
}).then((code) => {
  process.exitCode = code;
});
