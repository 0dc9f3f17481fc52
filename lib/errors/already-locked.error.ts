import type { Lock } from '../interfaces/lock.interface.js';
import { protocolMessages } from '../protocol/protocol.messages.js';
import { S3LockError } from './s3-lock.error.js';

/**
 * The `holder` of an `AlreadyLockedError` when the call lost every one of its attempts to
 * other writers and none of them was seen holding the lock afterwards (they had already
 * released it): the winners are not known.
 */
export const UNKNOWN_HOLDER = '(unknown: lost the race to other writers)';

/**
 * Thrown by `acquire` when another owner holds a live (unexpired) lock on the key, or when
 * other writers won every attempt of this call (each write refused with 412: the key was taken
 * by someone else each time). Same name and meaning as the origin design's `AlreadyLockedError`.
 */
export class AlreadyLockedError extends S3LockError {
  /** The key the caller asked for (without the configured prefix). */
  readonly key: string;
  /**
   * The owner that holds the lock now; {@link UNKNOWN_HOLDER} when this call lost its race to
   * writers that had released the lock again by the time it was read.
   */
  readonly holder: string;
  /**
   * The lock as it stands in the store, held by `holder`. After a lost race whose winners are
   * gone, the state last read (released, `owner` null).
   */
  readonly lock: Lock;

  constructor(lock: Lock & { owner: string });
  constructor(lock: Lock, holder: string, message: string);
  constructor(lock: Lock, holder = lock.owner ?? UNKNOWN_HOLDER, message = protocolMessages.alreadyLocked(lock)) {
    super(message);
    this.key = lock.key;
    this.holder = holder;
    this.lock = lock;
  }

  /**
   * The error for a call whose every write was refused because other writers changed the key
   * first (`by: 'foreign'`: the last changes were another tool's, which this call had to wait
   * out). `current` is the state read afterwards: it names the holder when one holds it live.
   * @internal
   */
  static lostRace(current: Lock, live: boolean, attempts: number, by: 'writes' | 'foreign' = 'writes'): AlreadyLockedError {
    if (live && current.owner !== null) return new AlreadyLockedError({ ...current, owner: current.owner });
    const message = by === 'foreign' ? protocolMessages.foreignRewrites(current, attempts) : protocolMessages.lostRace(current, attempts);
    return new AlreadyLockedError(current, UNKNOWN_HOLDER, message);
  }
}
