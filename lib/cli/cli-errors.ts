import { CorruptLockError } from '../errors/corrupt-lock.error.js';
import { InvalidLockArgumentError } from '../errors/invalid-lock-argument.error.js';
import { LockLostError } from '../errors/lock-lost.error.js';
import { S3LockStoreError } from '../errors/s3-lock-store.error.js';
import { ExitCode } from './exit-codes.js';

/** A failure the CLI reports with a message of its own and a chosen exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

const CREDENTIAL_CODES = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'CredentialsProviderError',
  'AccessDenied',
  'InvalidToken',
  'ExpiredToken',
]);

/** The exit code for an error thrown while running a command. */
export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof CliError) return error.exitCode;
  if (error instanceof InvalidLockArgumentError) return ExitCode.Usage;
  if (error instanceof CorruptLockError) return ExitCode.NotALock;
  if (error instanceof LockLostError) return ExitCode.Refused;
  if (error instanceof S3LockStoreError) {
    if (error.code === 'NoSuchBucket') return ExitCode.NoSuchBucket;
    if (error.statusCode === 403 || CREDENTIAL_CODES.has(error.code ?? '')) return ExitCode.AccessDenied;
    if (error.kind === 'fatal') return ExitCode.Failure;
    // 'unknown' (unreachable, time-out, 5xx), or an outcome that stayed unknown after retries.
    return ExitCode.Unreachable;
  }
  return ExitCode.Failure;
}

/** The one-line message for an error: the library's messages already say what to do. */
export function messageFor(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
