import { describeValue, errorSentence, errorText } from '../protocol/protocol.messages.js';

/**
 * The message texts of the Nest-free client (`nestjs-s3-lock/core`) beyond the protocol: its
 * options (lib/s3-lock.options.ts), closing and runExclusive (lib/core/s3-lock.client.ts),
 * leadership (lib/leadership/leadership.ts) and the locked run that extends and releases a lock
 * while a method works (lib/runner/locked-run.ts). Loads nothing of the Nest layer; the Nest
 * layer's texts are in `lib/s3-lock.messages.ts`, the protocol's in
 * `lib/protocol/protocol.messages.ts`.
 */
export const coreMessages = {
  missingBucket: (value: unknown) =>
    `S3LockModule, S3LockService and S3LockClient need a bucket name: got ${describeValue(value)}. ` +
    "Pass it as S3LockModule.forRoot('my-bucket') or { bucket: 'my-bucket' }.",

  storeExcludes: (option: string) =>
    `"${option}" has no effect with "store" (the locks live in that store, not on S3); remove one of the two.`,

  /** The reason given to the waits that `close()` ends. */
  clientClosing: () => 'the lock client is closing',

  /** The reason given to the waits that `stopWaiting()` ends, when its caller gives none. */
  waitingStopped: () => 'waiting was stopped',

  // A locked run: a method (or a leader's term) working while its lock is held.

  releaseFailed: (method: string, key: string, error: unknown) =>
    `Releasing lock "${key}" after ${method} failed: ${errorSentence(error)} ` +
    'It will expire on its own after its `expire` seconds.',

  extendFailed: (key: string, error: unknown) =>
    `Extending lock "${key}" failed (will retry while it is still held): ${errorText(error)}`,

  expiredWhileRunning: (key: string, expire: number) =>
    `Lock "${key}" expired while its method was still running: it was not extended within ` +
    `its expire of ${expire} s (the signal fires up to a second early, before any other owner can take it). ` +
    'Raise `expire` or set `autoExtend: true`.',

  // Leadership.

  elected: (key: string, token: number) => `This replica is now the leader of "${key}" (token ${token}).`,

  deposed: (key: string, token: number, why: string) =>
    `This replica is no longer the leader of "${key}" (token ${token}): ${why}`,

  leaseRunningOut: (key: string, expire: number) =>
    `the lease of "${key}" (expire ${expire} s) could not be extended in time: S3 did not answer, ` +
    'or this process stalled. It steps down before another replica can take over, and competes again.',

  leadershipRetry: (key: string, error: unknown) =>
    `Competing for the leadership of "${key}" failed (will try again): ${errorText(error)}`,

  leaderHandlerFailed: (key: string, handler: string, error: unknown) =>
    `The ${handler} handler of the leadership of "${key}" failed: ${errorText(error)}`,
} as const;
