import { S3LockError } from './s3-lock.error.js';

/**
 * Thrown when S3 could not be used: unreachable, wrong credentials, access denied, a missing
 * bucket, or an outcome that stayed unknown after the bounded retries. The message says what to
 * check; `cause` holds the AWS SDK error.
 */
export class S3LockStoreError extends S3LockError {
  /** The S3 operation that failed, e.g. `GetObject`. */
  readonly operation: string;
  /** The HTTP status of the last answer, if S3 answered at all. */
  readonly statusCode: number | undefined;

  constructor(
    operation: string,
    message: string,
    statusCode: number | undefined,
    cause: unknown,
  ) {
    super(message, { cause });
    this.operation = operation;
    this.statusCode = statusCode;
  }
}
