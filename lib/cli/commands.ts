import type { S3Client } from '@aws-sdk/client-s3';
import type { Lock } from '../interfaces/lock.interface.js';
import type { S3LockLogger } from '../interfaces/s3-lock-options.interface.js';
import { type LockStore, sameEtag } from '../protocol/lock-store.js';
import { S3Store } from '../protocol/s3-store.js';
import { DEFAULT_REQUEST_TIMEOUT_MS } from '../s3-lock.constants.js';
import { createClient } from '../s3-lock.options.js';
import { S3LockClient } from '../core/s3-lock.client.js';
import { CliError, exitCodeFor, messageFor } from './cli-errors.js';
import { ExitCode } from './exit-codes.js';
import { forceRelease } from './force-release.js';
import { listLocks } from './list-locks.js';
import {
  describeHolder,
  formatStatus,
  formatTable,
  type InvalidReport,
  type LockReport,
  reportOf,
} from './lock-report.js';
import type { CliInvocation, CliOutput } from './run-cli.js';

/** What a command needs. */
interface Context {
  service: S3LockClient;
  store: LockStore;
  flags: Pick<CliInvocation, 'json' | 'force' | 'etag'>;
  output: CliOutput;
}

/** The CLI writes its own messages; the service's log lines would only repeat them. */
const silent: S3LockLogger = { log: () => undefined, warn: () => undefined };

/** How many attempts each CLI request gets before it reports the store's failure. */
const CLI_MAX_ATTEMPTS = 3;

/** Whether `source` is a lock store rather than an S3 client. */
function isLockStore(source: S3Client | LockStore): source is LockStore {
  return typeof (source as LockStore).read === 'function' && typeof (source as LockStore).list === 'function';
}

/**
 * Runs a parsed command against S3, on an `S3LockClient` (the Nest-free core),
 * and returns its exit code; failures are written to `output.err` with what to do.
 * Every request, the listing included, goes through one lock store (with the request time-out).
 * @param source an S3 client to use instead of one from the environment, or a lock store such
 *   as `InMemoryLockStore` (for tests).
 */
export async function runCommand(
  invocation: CliInvocation,
  output: CliOutput,
  source?: S3Client | LockStore,
): Promise<ExitCode> {
  const s3 = source === undefined ? createClient() : undefined;
  try {
    const store =
      source !== undefined && isLockStore(source)
        ? source
        : new S3Store((source as S3Client | undefined) ?? s3!, invocation.bucket, {
            requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
            maxAttempts: CLI_MAX_ATTEMPTS,
          });
    const service = new S3LockClient({
      bucket: invocation.bucket,
      prefix: invocation.prefix,
      store,
      storeCheck: false,
      owner: 'nestjs-s3-lock-cli',
      maxAttempts: CLI_MAX_ATTEMPTS,
      logger: silent,
    });
    const context: Context = { service, store, flags: invocation, output };
    if (invocation.command === 'list') return await list(context);
    if (invocation.command === 'status') return await status(context, invocation.key!);
    return await release(context, invocation.key!);
  } catch (error) {
    output.err(`nestjs-s3-lock: ${messageFor(error)}\n`);
    return exitCodeFor(error);
  } finally {
    s3?.destroy();
  }
}

async function status(context: Context, key: string): Promise<ExitCode> {
  const report = await read(context, key);
  context.output.out(context.flags.json ? json(report) : formatStatus(report));
  return ExitCode.Ok;
}

async function list(context: Context): Promise<ExitCode> {
  const { service, output } = context;
  const found = await listLocks(context.store, service);
  const now = service.storeTime();
  const reports: (LockReport | InvalidReport)[] = found.locks.map((entry) =>
    'lock' in entry
      ? reportOf(entry.lock, objectUrl(service, entry.key), now)
      : { key: entry.key, object: objectUrl(service, entry.key), state: 'invalid', error: entry.invalid },
  );
  if (context.flags.json) {
    output.out(
      json({
        bucket: service.bucket,
        prefix: service.prefix,
        storeTime: now.toISOString(),
        truncated: found.truncated,
        locks: reports,
      }),
    );
  } else if (reports.length === 0) {
    output.out(`No locks under s3://${service.bucket}/${service.prefix}\n`);
  } else {
    output.out(formatTable(reports));
  }
  if (found.truncated) {
    output.err('nestjs-s3-lock: more locks exist than were listed (limit 10000); narrow --prefix.\n');
  }
  return ExitCode.Ok;
}

async function release(context: Context, key: string): Promise<ExitCode> {
  const { service, output, flags } = context;
  const seen = await service.inspect(key);
  if (!seen) throw unknownKey(service, key);
  const before = reportOf(seen, objectUrl(service, key), context.service.storeTime());
  output.out(formatStatus(before));
  if (flags.etag !== undefined && !sameEtag(flags.etag, seen.etag)) {
    output.err(
      `nestjs-s3-lock: refused: lock "${key}" changed since you saw it (ETag ${flags.etag}, now ${seen.etag}). ` +
        'Nothing was written. Run status again and decide on what it shows now.\n',
    );
    return ExitCode.Refused;
  }
  const result = await forceRelease(service, seen);
  switch (result.outcome) {
    case 'already-released':
      output.out(`Lock "${key}" is already released; nothing was written.\n`);
      return ExitCode.Ok;
    case 'refused':
      output.err(
        `nestjs-s3-lock: refused: lock "${key}" changed between reading and releasing ` +
          `(${describeCurrent(result.current)}). Nothing was written. Run status again and decide on what it shows now.\n`,
      );
      return ExitCode.Refused;
    case 'released':
      output.out(
        `Released lock "${key}", which was ${describeHolder(before)}. ` +
          `Wrote owner null and release time ${result.after.releaseTime?.toISOString()}, on condition that ` +
          `the lock was unchanged since it was read (If-Match ${seen.etag}). The next owner to acquire it gets a higher token.\n`,
      );
      if (before.state === 'held') {
        output.err(
          `nestjs-s3-lock: warning: the lock had not expired. If "${before.holder}" is still running, it no longer ` +
            'holds the lock: its next extend or release fails with LockLostError, but its current run is not stopped.\n',
        );
      }
      return ExitCode.Ok;
  }
}

/** Reads one lock and reports it; throws for a key with no lock object. */
async function read(context: Context, key: string): Promise<LockReport> {
  const { service } = context;
  const lock = await service.inspect(key);
  if (!lock) throw unknownKey(service, key);
  return reportOf(lock, objectUrl(service, key), context.service.storeTime());
}

function unknownKey(service: S3LockClient, key: string): CliError {
  return new CliError(
    `no lock "${key}": there is no object ${objectUrl(service, key)}. ` +
      'Check the key and --prefix (nestjs-s3-lock list shows the locks under a prefix).',
    ExitCode.UnknownKey,
  );
}

function describeCurrent(current: Lock | null): string {
  if (current === null) return 'its object is gone';
  if (current.owner === null) return `it was released meanwhile, ETag now ${current.etag}`;
  return `now held by "${current.owner}", token ${current.token}, ETag ${current.etag}`;
}

function objectUrl(service: S3LockClient, key: string): string {
  return `s3://${service.bucket}/${service.prefix}${key}`;
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

