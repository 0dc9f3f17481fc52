import type { ClassifiedFailure } from './s3-errors.js';

/** An object as read from the store. */
export interface StoredObject {
  /** The body, or `null` when it is larger than a lock document can be (`size` says how large). */
  body: string | null;
  size: number;
  /** The ETag exactly as the store returned it. */
  etag: string;
  lastModified: Date;
  metadata: Record<string, string> | undefined;
}

/** A read: the object (or `null` if there is none) and the store's time of the answer. */
export interface ReadResult {
  object: StoredObject | null;
  serverTime: Date;
}

/** The outcome of a write. */
export type WriteResult =
  | { outcome: 'written'; etag: string }
  | { outcome: 'precondition-failed' }
  | { outcome: 'unknown'; failure: ClassifiedFailure };

/** Object keys found under a prefix, in key order. */
export interface ListResult {
  objectKeys: string[];
  /** True when more than the requested number of keys exist. */
  truncated: boolean;
}

/** The store's clock as a worker sees it. */
export interface StoreClock {
  /** The estimated current time of the store. */
  now(): Date;
  /** A time the store's clock has certainly reached (`Lock.expiresAt` is computed from it). */
  earliest(): Date;
  /** A time the store's clock has certainly not passed yet, never going backwards (`lock_time`). */
  latest(): Date;
  /**
   * This worker's own clock (ms), the one its schedulers fire by: a `@Cron` call belongs to the
   * occurrence it says was due. `Date.now()` when absent. The in-memory store gives its own
   * time, so that in a test the test's clock is the only one.
   */
  workerNow?(): number;
}

/**
 * The seam between the lock protocol and the object store: everything the protocol, the store
 * check and the CLI ask of S3. Implemented for S3 (`S3Store`) and in memory
 * (`InMemoryLockStore`, for tests, with a controllable clock).
 *
 * Reads throw `S3LockStoreError` when the store keeps failing; writes return their outcome, and
 * an outcome that cannot be known (a time-out, a 5xx, a 409) is `unknown`, to be settled by
 * reading again.
 */
export interface LockStore {
  /** The bucket, for messages. */
  readonly bucket: string;
  /** The store's clock, as learned from its answers. */
  readonly clock: StoreClock;
  /**
   * Reads an object (`object` is `null` when there is none); `maxAttempts` bounds the requests when it is retried (a health probe sends
   * exactly one). A store without retries ignores it.
   */
  read(objectKey: string, maxAttempts?: number): Promise<ReadResult>;
  /** Writes only if no object exists at the key (`If-None-Match: *`). */
  create(objectKey: string, body: string, metadata: Record<string, string>): Promise<WriteResult>;
  /** Writes only if the object's ETag is still `etag` (`If-Match`). */
  replace(objectKey: string, etag: string, body: string, metadata: Record<string, string>): Promise<WriteResult>;
  /** An unconditional write: only for the `write-wait-verify` mode and the store check. */
  putUnconditional(objectKey: string, body: string, metadata: Record<string, string>): Promise<WriteResult>;
  /** Object keys under `prefix`, in key order, at most `limit` of them. */
  list(prefix: string, limit: number): Promise<ListResult>;
  /** Deletes an object unconditionally: only for the store check's own probe object. */
  deleteProbe(objectKey: string): Promise<void>;
}

/** An ETag without quotes or weak prefix, for comparisons. */
export function bareEtag(etag: string): string {
  return etag.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}

/** Whether two ETags name the same state, whatever quoting each store or client used. */
export function sameEtag(a: string, b: string): boolean {
  return bareEtag(a) === bareEtag(b);
}
