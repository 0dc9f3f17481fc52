import type { Lock } from '../interfaces/lock.interface.js';
import { messages } from '../s3-lock.messages.js';
import { S3LockError } from './s3-lock.error.js';

/**
 * Thrown by `acquire` when another owner holds a live (unexpired) lock on the key.
 * Same name and meaning as the origin design's `AlreadyLockedError`.
 */
export class AlreadyLockedError extends S3LockError {
  /** The key the caller asked for (without the configured prefix). */
  readonly key: string;
  /** The owner that holds the lock now. */
  readonly holder: string;
  /** The lock as it stands in the store, held by `holder`. */
  readonly lock: Lock;

  constructor(lock: Lock & { owner: string }) {
    super(messages.alreadyLocked(lock));
    this.key = lock.key;
    this.holder = lock.owner;
    this.lock = lock;
  }
}
