import type { S3LockLogger } from '../interfaces/s3-lock-options.interface.js';

/**
 * The logger of an `S3LockClient` given none: it prints nothing on success and turns warnings
 * (a lock lost, a release that failed, a forced release) into Node process warnings of type
 * `S3LockWarning`: on stderr by default, silenced by `--no-warnings`, and observable with
 * `process.on('warning', ...)`. Routine lines (`log`, `debug`) are dropped. The Nest
 * `S3LockService` logs through Nest's `Logger` instead.
 */
export const processWarningLogger: S3LockLogger = {
  log: () => undefined,
  warn: (message) => process.emitWarning(message, { type: 'S3LockWarning' }),
};
