#!/usr/bin/env node
/**
 * The `nestjs-s3-lock` command: inspect and free locks from a shell. See `USAGE` (or run it
 * with `--help`) and the README section "Operations".
 */
import { runCli } from './run-cli.js';

const code = await runCli(process.argv.slice(2), process.env, {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
process.exitCode = code;
