/**
 * Exit codes of the `nestjs-s3-lock` command, documented in docs/OPERATIONS.md.
 * Scripts may rely on them; never renumber.
 */
export const ExitCode = {
  /** Done: the state was shown, the lock was freed, or it was already free. */
  Ok: 0,
  /** An unexpected failure; the message says what happened. */
  Failure: 1,
  /** Bad usage: unknown command or option, missing argument, no bucket, invalid key. */
  Usage: 2,
  /** No lock object exists for the key. */
  UnknownKey: 3,
  /** `release` refused: the lock changed since it was read (or since `--etag`); nothing written. */
  Refused: 4,
  /** The bucket does not exist. */
  NoSuchBucket: 5,
  /** The credentials were refused, or access was denied. */
  AccessDenied: 6,
  /** S3 is unreachable, timing out, or failing (5xx, throttling). */
  Unreachable: 7,
  /** The object at the key is not a lock document; nothing was written. */
  NotALock: 8,
} as const;

/** One of the {@link ExitCode} values. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
