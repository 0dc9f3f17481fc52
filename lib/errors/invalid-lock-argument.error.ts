import { S3LockError } from './s3-lock.error.js';

/**
 * Thrown before any request is sent when a key, an option or a configuration value is invalid
 * (an empty or oversize key, a negative `expire`, a missing bucket, ...). Nothing was written.
 */
export class InvalidLockArgumentError extends S3LockError {
  /** The name of the argument or option that was rejected, e.g. `expire` or `key`. */
  readonly argument: string;

  constructor(argument: string, message: string) {
    super(message);
    this.argument = argument;
  }
}
