import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { AlreadyLockedError } from './errors/already-locked.error.js';
import type {
  AcquireOptions,
  RunExclusiveOptions,
  RunExclusiveResult,
} from './interfaces/acquire-options.interface.js';
import type { Lock } from './interfaces/lock.interface.js';
import type { S3LockServiceOptions } from './interfaces/s3-lock-options.interface.js';
import type {
  S3LockScheduledRunOptions,
  S3LockScheduledRunResult,
} from './interfaces/scheduled-run.interface.js';
import { attachedRunner } from './runner/attached-runner.js';
import { LockProtocol } from './protocol/lock-protocol.js';
import { ProcessLocks } from './protocol/process-locks.js';
import { objectKeyFor } from './protocol/validation.js';
import { Leadership } from './leadership/leadership.js';
import type { S3LockLeadership, S3LockLeadershipOptions } from './interfaces/leadership.interface.js';
import { S3Store } from './protocol/s3-store.js';
import { verifyStore } from './protocol/store-check.js';
import { S3_LOCK_OPTIONS } from './s3-lock.module-definition.js';
import { resolveOptions, type ResolvedS3LockOptions } from './s3-lock.options.js';

/** The locks behind each service, for the runner and leadership (internal; not part of the public API). */
const processLocks = new WeakMap<object, ProcessLocks>();

/** The locks of `service` in this process (local decisions and waiting over the protocol). Internal. */
export function locksOf(service: S3LockService): ProcessLocks {
  return processLocks.get(service)!;
}

/**
 * Distributed locks on S3: one object per key, taken and released with conditional writes.
 *
 * Injected by `S3LockModule`, or constructed directly for scripts and tests:
 *
 * @example
 * const locks = new S3LockService({ bucket: 'my-bucket', client: new S3Client({}) });
 * await locks.verifyStore();
 * const { ran } = await locks.runExclusive('nightly-report', { expire: 600 }, async (lock) => {
 *   await buildReport(lock.token);
 * });
 */
@Injectable()
export class S3LockService implements OnModuleInit, BeforeApplicationShutdown {
  /** The bucket that holds the lock objects. */
  readonly bucket: string;
  /** The prefix of every lock object key. */
  readonly prefix: string;
  /** The options in force, defaults applied. */
  protected readonly options: ResolvedS3LockOptions;
  protected readonly logger: Logger | NonNullable<S3LockServiceOptions['logger']>;
  private readonly store: S3Store;
  private readonly locks: ProcessLocks;
  private storeVerified = false;
  /** The leaderships started with `lead` and not stopped yet. */
  private readonly leaderships = new Set<S3LockLeadership>();

  constructor(@Inject(S3_LOCK_OPTIONS) options: S3LockServiceOptions) {
    this.options = resolveOptions(options);
    this.bucket = this.options.bucket;
    this.prefix = this.options.prefix;
    this.logger = this.options.logger ?? new Logger(S3LockService.name);
    this.store = new S3Store(this.options.client, this.bucket, this.options);
    const protocol = new LockProtocol(this.store, { ...this.options, logger: this.logger });
    this.locks = new ProcessLocks(protocol, () => this.store.clock.now().getTime());
    processLocks.set(this, this.locks);
  }

  /** Runs the store check at application startup, unless `storeCheck` is `false`. */
  async onModuleInit(): Promise<void> {
    if (this.options.storeCheck) await this.verifyStore();
  }

  /**
   * First step of application shutdown: ends every wait for a lock (`waitForLock`, leadership
   * followers); each such call rejects at once, holding no lock. Stops every leadership (see
   * `lead`): leaders step down and release. Other held locks are not touched.
   * Call it yourself on a service you constructed directly.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.locks.close();
    await Promise.all([...this.leaderships].map((leadership) => leadership.stop()));
  }

  /**
   * Checks that the store is reachable, that the credentials may read and write under the
   * prefix, and (in `conditional` mode) that it enforces `If-None-Match` and `If-Match`.
   * Throws `UnsupportedStoreError` or `S3LockStoreError` with what to do.
   */
  async verifyStore(): Promise<void> {
    await verifyStore(this.store, this.prefix, this.options.mode);
    // Said once: health indicators call this on every probe.
    if (this.storeVerified) return;
    this.storeVerified = true;
    this.logger.log(
      `Lock store s3://${this.bucket}/${this.prefix} ready (${this.options.mode === 'conditional' ? 'conditional writes enforced' : 'write-wait-verify mode'}).`,
    );
  }

  /**
   * Acquires the lock `key`.
   *
   * Succeeds when the key is free (never locked, released, or expired by the store's clock) or
   * already held by `options.owner`, which refreshes it. Throws `AlreadyLockedError`, naming
   * the holder, when another owner holds it: at once, without a request, when that owner is a
   * call of this service in this process. With `options.waitForLock`, keeps trying that many
   * seconds first (see docs/WAITING.md).
   * @example
   * // Queue behind a running job for up to 30 s, then give up with AlreadyLockedError.
   * const lock = await locks.acquire('migrations', { expire: 300, waitForLock: 30 });
   * @returns the held lock, with its fencing `token`.
   */
  acquire(key: string, options?: AcquireOptions): Promise<Lock> {
    return this.locks.acquire(key, options);
  }

  /** Like `acquire`, but returns `null` instead of throwing `AlreadyLockedError`. */
  async tryAcquire(key: string, options?: AcquireOptions): Promise<Lock | null> {
    try {
      return await this.locks.acquire(key, options);
    } catch (error) {
      if (error instanceof AlreadyLockedError) return null;
      throw error;
    }
  }

  /**
   * Releases a held lock: writes it back with `owner` null and `releaseTime` set, on condition
   * that it is unchanged since this holder wrote it. If another owner took it over meanwhile,
   * writes nothing, logs a warning and throws `LockLostError`. Takes only a lock returned by
   * this service's `acquire`, `extend` or `release` (use `forceRelease` for any other).
   * @returns the released state.
   */
  release(lock: Lock): Promise<Lock> {
    return this.locks.release(lock);
  }

  /**
   * Frees a lock this caller does not hold: for operators freeing the lock of a dead owner
   * (the CLI's `release --force`). Still conditional: it writes only if the lock is exactly in
   * the state `lock` shows (typically just read with `inspect`); if anyone acquired, extended or
   * released it since, it writes nothing and throws `LockLostError`. The token is kept, so the
   * next holder still gets a higher one.
   * @returns the released state.
   */
  forceRelease(lock: Lock): Promise<Lock> {
    this.logger.warn(`Forcing the release of "${lock?.key}", held by "${lock?.owner}" (token ${lock?.token}).`);
    return this.locks.release(lock, true);
  }

  /**
   * Extends a held lock: rewrites it with a fresh `lockTime` (restarting its `expire` window)
   * and optionally a new `expire`, if still held. Throws `LockLostError` if it was lost.
   * @returns the extended lock; use it (not the old one) for the next `extend` or `release`.
   */
  extend(lock: Lock, expire?: number): Promise<Lock> {
    return this.locks.extend(lock, expire);
  }

  /**
   * The store's current time, estimated from the `Date` headers of its answers (this machine's
   * clock until the first answer). Lock expiry is judged by the store's clock: compare
   * `Lock.expiresAt` with this, not with `Date.now()`, on a machine whose clock may be off.
   */
  storeTime(): Date {
    return this.store.clock.now();
  }

  /** The current state of the lock `key`, or `null` if it has never been written. */
  inspect(key: string): Promise<Lock | null> {
    return this.locks.inspect(key);
  }

  /**
   * Runs `fn` as one tick of a scheduled job, with exactly the semantics of `@WithS3Lock` on a
   * `@Cron` or `@Interval` method: for jobs the decorator cannot see (added at run time through
   * `SchedulerRegistry`, or run by a scheduler of your own). The tick is `options.tick`, or the
   * occurrence of `options.cron` (or slot of `options.interval`) this call belongs to by the
   * store's clock; a tick already run by any replica is skipped. `minHold`, `autoExtend`,
   * `onLocked`, `currentS3Lock()` (lock, token, signal) and the module's events work as for the
   * decorator; in an application, runs are released at shutdown like decorated ones.
   *
   * @example
   * const job = new CronJob('0 * * * * *', () =>
   *   locks.runScheduled({ key: 'sync', cron: '0 * * * * *' }, () => this.sync()));
   * schedulerRegistry.addCronJob('sync', job);
   * @returns `{ ran: true, result, tick }`, or `{ ran: false, reason, tick?, holder? }`.
   */
  async runScheduled<T>(
    options: S3LockScheduledRunOptions,
    fn: (lock: Lock) => T | Promise<T>,
  ): Promise<S3LockScheduledRunResult<Awaited<T>>> {
    let runner = attachedRunner(this);
    if (!runner) {
      // A service made with `new`, outside Nest: a runner of its own, with the default options.
      const { S3LockRunner } = await import('./runner/s3-lock.runner.js');
      runner = new S3LockRunner(this, { bucket: this.bucket });
    }
    return runner.runScheduled(options, fn);
  }

  /**
   * Makes this replica compete for the leadership of `key`: one replica at a time is the leader
   * (holds the lock `key` and keeps extending it); when it dies, loses S3 or stops, another
   * takes over (within about `expire` + 2 s after a crash, at once after `stop()`). A leader
   * learns that it lost the lease (`term.signal` aborts) before any other replica can take it.
   * Shutdown stops it. See docs/LEADERSHIP.md, and `@WhileLeader` for the decorator form.
   *
   * @example
   * const leadership = locks.lead('queue-consumer', {
   *   expire: 15,
   *   onElected: async ({ token, signal }) => consumer.run({ fencingToken: token, signal }),
   *   onDeposed: (_term, reason) => logger.warn(`no longer leader: ${reason.message}`),
   * });
   * // later: leadership.isLeader, leadership.token; at the end:
   * await leadership.stop();
   */
  lead(key: string, options: S3LockLeadershipOptions = {}): S3LockLeadership {
    objectKeyFor(this.prefix, key);
    const leadership: S3LockLeadership = new Leadership(this.locks, key, options, this.logger, () =>
      this.leaderships.delete(leadership),
    );
    this.leaderships.add(leadership);
    return leadership;
  }

  /**
   * Acquires `key`, runs `fn`, and releases the lock in `finally`. When another owner holds
   * the key, `fn` does not run and the result says who holds it. An error of `fn` propagates
   * unchanged; a failed release is logged and does not mask the outcome of `fn`.
   */
  async runExclusive<T>(
    key: string,
    options: RunExclusiveOptions | undefined,
    fn: (lock: Lock) => T | Promise<T>,
  ): Promise<RunExclusiveResult<T>> {
    let lock: Lock;
    try {
      lock = await this.locks.acquire(key, options);
    } catch (error) {
      if (error instanceof AlreadyLockedError) return { ran: false, holder: error.holder };
      throw error;
    }
    try {
      return { ran: true, result: await fn(lock) };
    } finally {
      await this.locks.release(lock).catch((error: unknown) => {
        this.logger.warn(`Release of "${key}" after the run failed: ${(error as Error).message}`);
      });
    }
  }
}
