import { S3LockError } from './s3-lock.error.js';

/**
 * How the library judged the failure behind an `S3LockStoreError`:
 * - `'fatal'`: retrying will not help (403, a missing bucket, a bad request, no credentials);
 * - `'unknown'`: the store kept failing, throttling or timing out (409, 5xx, 503, no answer),
 *   and the bounded retries ran out;
 * - `'precondition'`: a conditional write was refused where it had to succeed (the store check).
 */
export type S3LockStoreFailureKind = 'fatal' | 'unknown' | 'precondition' | 'not-found';

/** What is known of the failure behind an `S3LockStoreError`. */
export interface S3LockStoreErrorDetails {
  /** The HTTP status of the last answer, if S3 answered at all. */
  statusCode?: number;
  /** The error code S3 (or the network) gave, e.g. `NoSuchBucket`, `AccessDenied`, `ECONNREFUSED`. */
  code?: string;
  /** How the library judged it; see {@link S3LockStoreFailureKind}. */
  kind?: S3LockStoreFailureKind;
  /** The AWS SDK's error, with its `$metadata`. */
  cause?: unknown;
}

/**
 * Thrown when S3 could not be used: unreachable, no credentials found, credentials refused,
 * access denied, a missing bucket, or an outcome that stayed unknown after the bounded retries.
 * The message says what to check; `cause` is the AWS SDK's error (unset when the library itself
 * gave up, e.g. after retries that all ended in unknown outcomes).
 */
export class S3LockStoreError extends S3LockError {
  /** The S3 operation that failed, e.g. `GetObject`. */
  readonly operation: string;
  /** The HTTP status of the last answer, if S3 answered at all. */
  readonly statusCode: number | undefined;
  /** The error code S3 (or the network) gave, if any. */
  readonly code: string | undefined;
  /** How the library judged the failure, if it came from one request. */
  readonly kind: S3LockStoreFailureKind | undefined;

  constructor(operation: string, message: string, details: S3LockStoreErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.operation = operation;
    this.statusCode = details.statusCode;
    this.code = details.code;
    this.kind = details.kind;
  }
}
