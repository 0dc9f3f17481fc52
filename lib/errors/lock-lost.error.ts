import type { Lock } from '../interfaces/lock.interface.js';
import { protocolMessages } from '../protocol/protocol.messages.js';
import { S3LockError } from './s3-lock.error.js';

/**
 * Thrown by `release` and `extend` when the lock is no longer the caller's: it expired and
 * another owner took it over, or it was freed by force. Nothing was written to the store.
 */
export class LockLostError extends S3LockError {
  /** The key of the lost lock (without the configured prefix). */
  readonly key: string;
  /** The lock the caller believed it held. */
  readonly lock: Lock;
  /** The lock as it stands in the store now, or `null` if the object is gone. */
  readonly current: Lock | null;

  constructor(lock: Lock, current: Lock | null) {
    super(protocolMessages.lockLost(lock, current));
    this.key = lock.key;
    this.lock = lock;
    this.current = current;
  }
}
