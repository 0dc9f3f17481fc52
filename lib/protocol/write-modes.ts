import { InvalidLockArgumentError } from '../errors/invalid-lock-argument.error.js';
import type { S3LockMode } from '../interfaces/s3-lock-options.interface.js';
import { protocolMessages } from './protocol.messages.js';
import { type LockStore, sameEtag, type WriteResult } from './lock-store.js';
import type { Observed } from './lock-state.js';

/**
 * How a mode writes lock states: the one difference between `conditional` (every write
 * conditional, atomic) and `write-wait-verify` (the origin design: unconditional writes, made
 * safe only by `wait`). The protocol's decisions (who holds, expiry, tokens, ticks, settling
 * unknown outcomes) are the same in both.
 */
export interface WriteMode {
  readonly name: S3LockMode;
  /** Throws `InvalidLockArgumentError` when an acquisition's `wait` does not suit the mode. */
  checkWait(wait: number): void;
  /**
   * Whether a repeat holder may take the state it wrote last in one request, with no read
   * (only a conditional write can be made on a state not read just before).
   */
  readonly repeatWithoutRead: boolean;
  /** Writes a new state over `seen` (an acquisition): `seen.object` is what it replaces. */
  take(objectKey: string, seen: Observed, body: string, metadata: Record<string, string>): Promise<WriteResult>;
  /** Rewrites a held state (extension, release), if the object is still at `etag`. */
  rewrite(objectKey: string, etag: string, body: string, metadata: Record<string, string>): Promise<WriteResult>;
  /**
   * Whether a write whose outcome was unknown, conditional on `condition` (an ETag, `null`
   * for a create), can no longer land now that the object is `seen`.
   */
  cannotLand(seen: Observed, condition: string | null | undefined): boolean;
}

/** The write mode `mode` over `store`. */
export function writeModeFor(mode: S3LockMode, store: LockStore): WriteMode {
  return mode === 'conditional' ? conditionalWrites(store) : writeWaitVerify(store);
}

/**
 * Every write conditional: a new lock with `If-None-Match: *`, any other state with `If-Match`
 * on the ETag it replaces. A 412 means someone else wrote first.
 */
function conditionalWrites(store: LockStore): WriteMode {
  return {
    name: 'conditional',
    checkWait: () => undefined,
    repeatWithoutRead: true,
    take: (objectKey, seen, body, metadata) =>
      seen.object ? store.replace(objectKey, seen.object.etag, body, metadata) : store.create(objectKey, body, metadata),
    rewrite: (objectKey, etag, body, metadata) => store.replace(objectKey, etag, body, metadata),
    // ETags of lock states never repeat (see `formatTime`): once the state a write was
    // conditional on is gone, that write can never land.
    cannotLand(seen, condition) {
      if (condition === undefined) return false;
      if (condition === null) return seen.object !== null;
      return !seen.object || !sameEtag(seen.object.etag, condition);
    },
  };
}

/**
 * The origin design, for stores without conditional writes: write unconditionally, then wait
 * `wait` seconds and read back. A rewrite reads first and writes only if the lock is unchanged;
 * not atomic: a takeover between that read and the write is overwritten (the origin design's flaw).
 */
function writeWaitVerify(store: LockStore): WriteMode {
  return {
    name: 'write-wait-verify',
    checkWait(wait) {
      if (wait <= 0) throw new InvalidLockArgumentError('wait', protocolMessages.writeWaitVerifyNeedsWait());
    },
    repeatWithoutRead: false,
    take: (objectKey, _seen, body, metadata) => store.putUnconditional(objectKey, body, metadata),
    async rewrite(objectKey, etag, body, metadata) {
      const read = await store.read(objectKey);
      if (!read.object || !sameEtag(read.object.etag, etag)) return { outcome: 'precondition-failed' };
      return store.putUnconditional(objectKey, body, metadata);
    },
    // An unconditional write may still land whatever the object shows now.
    cannotLand: () => false,
  };
}
