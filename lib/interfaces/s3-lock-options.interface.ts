import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import type { LockStore } from '../protocol/lock-store.js';

/**
 * How locks are written.
 * - `conditional` (default): atomic, with S3 conditional writes (`If-None-Match` / `If-Match`).
 * - `write-wait-verify`: the origin design's protocol for stores without conditional writes:
 *   read, write, wait `wait` seconds, read back. Not atomic: two workers that write within the
 *   same `wait` window can both believe they hold the lock. Requires `wait` > 0.
 */
export type S3LockMode = 'conditional' | 'write-wait-verify';

/** Where log lines go; Nest's `Logger` fits. */
export interface S3LockLogger {
  log(message: string): void;
  warn(message: string): void;
  debug?(message: string): void;
}

/** Options of `S3LockService` (and of `S3LockModule.forRoot`). */
export interface S3LockServiceOptions {
  /** The bucket that holds the lock objects. Required. */
  bucket: string;
  /**
   * The S3 client to use. When left out, one is built from `clientConfig`, falling back to the
   * AWS SDK's default chain (environment, shared config, instance role).
   */
  client?: S3Client;
  /** Configuration for the S3 client built when `client` is not given. */
  clientConfig?: S3ClientConfig;
  /**
   * **For tests.** A lock store to use instead of S3: an `InMemoryLockStore` from
   * `nestjs-s3-lock/testing`, whose clock a test advances. When set, no S3 client is created,
   * and `client`, `clientConfig`, `requestTimeoutMs` and `expectedBucketOwner` must not be set.
   * `S3LockTestingModule` and `createInMemoryS3Lock` set it for you.
   */
  store?: LockStore;
  /**
   * Prepended to every key to form the S3 object key.
   * @default 'locks/'
   */
  prefix?: string;
  /**
   * A readable name for this worker, used as the first part of every owner it writes
   * (`<owner>:<random>`).
   * @default `<host name>:<pid>`
   */
  owner?: string;
  /**
   * Default `expire` in seconds (whole number, at least 1).
   * @default 60
   */
  expire?: number;
  /**
   * Default `wait` in seconds (0 or more).
   * @default 0 (in `write-wait-verify` mode it must be set above 0)
   */
  wait?: number;
  /**
   * The locking protocol; see {@link S3LockMode}.
   * @default 'conditional'
   */
  mode?: S3LockMode;
  /**
   * Check at startup (`S3LockModule`) or on `verifyStore()` that the store enforces
   * conditional writes, on a probe object under `prefix`.
   * @default true
   */
  storeCheck?: boolean;
  /**
   * Milliseconds before one S3 request is abandoned; a write abandoned this way has an unknown
   * outcome and is settled by re-reading.
   * @default 10000
   */
  requestTimeoutMs?: number;
  /**
   * How many read-decide-write rounds one operation may take when S3 answers with throttling
   * (503), conflicts (409), server errors (5xx) or time-outs, with exponential backoff between
   * them, before it fails with `S3LockStoreError`.
   * @default 5
   */
  maxAttempts?: number;
  /**
   * Sent as `ExpectedBucketOwner` on every request, so a bucket that changed hands is refused.
   */
  expectedBucketOwner?: string;
  /** Where log lines go. @default a Nest `Logger` with context `S3LockService` */
  logger?: S3LockLogger;
}
