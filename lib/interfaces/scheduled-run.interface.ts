import type { S3LockRunOptions, S3LockSkipReason } from './s3-lock-module-options.interface.js';

/**
 * Options of `S3LockService.runScheduled`: the lock key, the job's schedule (exactly one of
 * `cron`, `interval` or `tick`), and the options of `@WithS3Lock`.
 */
export interface S3LockScheduledRunOptions extends S3LockRunOptions {
  /** The lock key. */
  key: string;
  /**
   * The job's name, for log lines and events, and (with the schedule) the identity of its tick
   * claims: give each job sharing a key its own name.
   * @default the key
   */
  name?: string;
  /** A cron expression (as `@Cron` takes it); the tick is its occurrence this call belongs to. */
  cron?: string;
  /** The time zone of `cron` (an IANA name). @default UTC, as `@nestjs/schedule` */
  timeZone?: string;
  /** The UTC offset of `cron`, in minutes (instead of `timeZone`). */
  utcOffset?: number;
  /** An interval in milliseconds; the tick is the slot of a grid on the store's clock. */
  interval?: number;
  /** The tick itself, as the caller's scheduler knows it (a Date, or ms since the epoch). */
  tick?: Date | number;
}

/** What `S3LockService.runScheduled` reports. */
export type S3LockScheduledRunResult<T> =
  | { ran: true; result: T; tick: Date }
  | {
      ran: false;
      /** Why the callback did not run. */
      reason: S3LockSkipReason;
      /** The tick of this call (unset when it was not computed: shutting down). */
      tick?: Date;
      /** The owner that holds the lock, when known. */
      holder?: string;
    };
