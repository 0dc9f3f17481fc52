import { S3LockError } from './s3-lock.error.js';

/**
 * Thrown by the startup store check when the S3 store does not enforce conditional writes
 * (`If-None-Match: *` or `If-Match`), so the atomic protocol would not be safe on it.
 * The message says how to opt in to the origin design's write-wait-verify mode instead.
 */
export class UnsupportedStoreError extends S3LockError {
  /** Which check failed: `if-none-match`, `if-match` or `etag`. */
  readonly check: 'if-none-match' | 'if-match' | 'etag';

  constructor(check: 'if-none-match' | 'if-match' | 'etag', message: string) {
    super(message);
    this.check = check;
  }
}
