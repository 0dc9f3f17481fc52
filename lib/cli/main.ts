#!/usr/bin/env node
/**
 * The `nestjs-s3-lock` command: inspect and free locks from a shell. See `USAGE` (or run it
 * with `--help`) and docs/OPERATIONS.md. Loads the Nest-free core only (no `@nestjs/*`).
 */
import module from 'node:module';

// Node 22.1+ keeps the code it compiled between runs (loading the AWS SDK is most of a start);
// a no-op on Node 20. Before the CLI's own modules load, hence the dynamic import below.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
// The AWS SDK's notice about Node 20 (eight lines on every call) is for the application that
// runs on it, not for a command's output; set the variable to false to see it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

void import('./run-cli.js').then(({ runCli }) =>
  runCli(process.argv.slice(2), process.env, {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  }).then((code) => {
    process.exitCode = code;
  }),
);
