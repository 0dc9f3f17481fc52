import type { S3Client } from '@aws-sdk/client-s3';
import type { LockStore } from '../protocol/lock-store.js';
import { parseArgs } from 'node:util';
import { objectKeyFor } from '../protocol/validation.js';
import { DEFAULT_PREFIX, S3_LOCK_BUCKET_ENV, S3_LOCK_PREFIX_ENV } from '../s3-lock.constants.js';
import { ExitCode } from './exit-codes.js';
import { USAGE } from './usage.js';

/** Where the CLI writes. */
export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
}

/** A command line that parsed and passed the checks that need no S3. */
export interface CliInvocation {
  command: 'status' | 'list' | 'release';
  /** The lock key (`status`, `release`). */
  key: string | undefined;
  bucket: string;
  prefix: string;
  json: boolean;
  force: boolean;
  etag: string | undefined;
}

/** How many positional arguments (lock keys) each command takes. */
const ARITY = { status: 1, list: 0, release: 1 } as const;

/**
 * Runs the `nestjs-s3-lock` command with `argv` (without `node` and the script) and returns
 * its exit code (see `ExitCode`). Reads the bucket and prefix from `--bucket`/`--prefix` or
 * `S3_LOCK_BUCKET`/`S3_LOCK_PREFIX` in `env`; S3 access from the AWS SDK's default chain.
 * The AWS SDK and the lock service are loaded only once the command line is valid, so
 * `--help` and usage errors answer at once.
 * @param source an S3 client to use instead of one from the environment, or a lock store such
 *   as `InMemoryLockStore` (for tests).
 */
export async function runCli(
  argv: string[],
  env: NodeJS.ProcessEnv,
  output: CliOutput,
  source?: S3Client | LockStore,
): Promise<ExitCode> {
  const parsed = parse(argv, env);
  if (parsed === 'help') {
    output.out(USAGE);
    return ExitCode.Ok;
  }
  if (typeof parsed === 'string') {
    output.err(`nestjs-s3-lock: ${parsed}\nRun nestjs-s3-lock --help for usage.\n`);
    return ExitCode.Usage;
  }
  const { runCommand } = await import('./commands.js');
  return runCommand(parsed, output, source);
}

/** The invocation, `'help'`, or what is wrong with the command line. */
function parse(argv: string[], env: NodeJS.ProcessEnv): CliInvocation | 'help' | string {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        bucket: { type: 'string' },
        prefix: { type: 'string' },
        json: { type: 'boolean', default: false },
        force: { type: 'boolean', default: false },
        etag: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  const [command, ...rest] = positionals;
  if (command === undefined) return 'No command given.';
  if (!Object.hasOwn(ARITY, command)) return `Unknown command "${command}".`;
  const name = command as keyof typeof ARITY;
  if (rest.length !== ARITY[name]) {
    return ARITY[name] === 1
      ? `"${name}" takes one lock key, e.g. nestjs-s3-lock ${name} nightly-report.`
      : `"${name}" takes no arguments (got ${rest.join(' ')}).`;
  }
  if (name === 'release' && !values.force) {
    return 'release needs --force: it frees a lock on behalf of its holder. Check the holder is gone first (nestjs-s3-lock status <key>).';
  }
  if (values.etag !== undefined && name !== 'release') return '--etag applies to release only.';
  const bucket = values.bucket ?? env[S3_LOCK_BUCKET_ENV];
  if (!bucket) return 'No bucket: pass --bucket <name> or set S3_LOCK_BUCKET.';
  const prefix = values.prefix ?? env[S3_LOCK_PREFIX_ENV] ?? DEFAULT_PREFIX;
  if (rest[0] !== undefined) {
    try {
      objectKeyFor(prefix, rest[0]);
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }
  return {
    command: name,
    key: rest[0],
    bucket,
    prefix,
    json: values.json,
    force: values.force,
    etag: values.etag,
  };
}
