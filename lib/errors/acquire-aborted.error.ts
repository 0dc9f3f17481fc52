import { protocolMessages } from '../protocol/protocol.messages.js';
import { S3LockError } from './s3-lock.error.js';

/**
 * Thrown by `acquire`, `tryAcquire` and `runExclusive` when their `signal` (or the service's
 * own, aborted when the application shuts down) was aborted before the call could finish: a
 * wait (for the store's clock, the `wait` confirmation, a backoff after a failed write) ended
 * early. The call holds no lock: one it had just written was released first (`released`).
 */
export class AcquireAbortedError extends S3LockError {
  /** The key the caller asked for (without the configured prefix). */
  readonly key: string;
  /** The signal's `reason`. */
  readonly reason: unknown;
  /**
   * Whether the call had written the lock and released it again before throwing. `false` when
   * nothing was held, or when that release failed (the lock then expires after its `expire`).
   */
  readonly released: boolean;

  /**
   * @param written whether the call had written the lock: `'no'`, or yes and then `'released'`
   *   it, or yes and its release `'failed'` (the lock then expires on its own).
   */
  constructor(key: string, reason: unknown, written: 'no' | 'released' | 'failed') {
    super(protocolMessages.acquireAborted(key, reason, written), { cause: reason });
    this.key = key;
    this.reason = reason;
    this.released = written === 'released';
  }
}
