import { LockLostError } from '../errors/lock-lost.error.js';
import type { Lock } from '../interfaces/lock.interface.js';
import type { S3LockClient } from '../core/s3-lock.client.js';

/** What `forceRelease` did. */
export type ForceReleaseResult =
  /** The lock was held (by `before.owner`) and is now released: `after`. */
  | { outcome: 'released'; before: Lock; after: Lock }
  /** The lock was already released; nothing was written. */
  | { outcome: 'already-released'; before: Lock }
  /** The lock changed since `before` was read; nothing was written. `current` is its state now. */
  | { outcome: 'refused'; before: Lock; current: Lock | null };

/**
 * Frees a lock on behalf of its holder (a dead replica, typically), conditionally on the state
 * `seen` that was just read and shown: the release is written with `If-Match` on that state's
 * ETag, so if anyone acquired, extended or released the lock in between, nothing is written
 * and the result is `refused`. Never frees a lock blindly.
 *
 * The token is kept (a release does not issue one), so the next acquisition still gets a
 * higher token than the dead holder had.
 */
export async function forceRelease(service: S3LockClient, seen: Lock): Promise<ForceReleaseResult> {
  if (seen.owner === null) return { outcome: 'already-released', before: seen };
  try {
    const after = await service.forceRelease(seen);
    return { outcome: 'released', before: seen, after };
  } catch (error) {
    if (error instanceof LockLostError) {
      return { outcome: 'refused', before: seen, current: error.current };
    }
    throw error;
  }
}
