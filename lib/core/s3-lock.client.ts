import { AlreadyLockedError } from '../errors/already-locked.error.js';
import type {
  AcquireOptions,
  RunExclusiveOptions,
  RunExclusiveResult,
} from '../interfaces/acquire-options.interface.js';
import type { Lock } from '../interfaces/lock.interface.js';
import type { S3LockLogger, S3LockServiceOptions } from '../interfaces/s3-lock-options.interface.js';
import type { S3LockLeadership, S3LockLeadershipOptions } from '../interfaces/leadership.interface.js';
import { Leadership } from '../leadership/leadership.js';
import { LockProtocol } from '../protocol/lock-protocol.js';
import type { LockStore, StoreClock } from '../protocol/lock-store.js';
import { ProcessLocks } from '../protocol/process-locks.js';
import { objectKeyFor } from '../protocol/validation.js';
import { probeStore, verifyStore } from '../protocol/store-check.js';
import { resolveOptions, type ResolvedS3LockOptions } from '../s3-lock.options.js';
import { coreMessages } from './core.messages.js';
import { processWarningLogger } from './default-logger.js';

/** Options of `S3LockClient`: the same as those of `S3LockService`. */
export type S3LockClientOptions = S3LockServiceOptions;

/**
 * Distributed locks on S3 without Nest: one object per key, taken and released with
 * conditional writes. Needs only `@aws-sdk/client-s3`; importing `nestjs-s3-lock/core` loads
 * no `@nestjs/*` module. The Nest `S3LockService` is this class, made injectable.
 *
 * Without a `logger` it prints nothing on success and reports warnings (a lost lock, a failed
 * release) as Node process warnings of type `S3LockWarning`.
 *
 * @example
 * import { S3LockClient } from 'nestjs-s3-lock/core';
 *
 * const locks = new S3LockClient({ bucket: 'my-bucket' });
 * await locks.verifyStore();
 * const { ran } = await locks.runExclusive('nightly-report', { expire: 600 }, async (lock) => {
 *   await buildReport(lock.token);
 * });
 * await locks.close(); // destroys the S3 client it created (never one you passed)
 */
export class S3LockClient {
  /** The bucket that holds the lock objects. */
  readonly bucket: string;
  /** The prefix of every lock object key. */
  readonly prefix: string;
  /** The options in force, defaults applied. */
  protected readonly options: ResolvedS3LockOptions;
  /** Where this instance's log lines go: `options.logger`, else `defaultLogger()`. */
  protected readonly logger: S3LockLogger;
  private readonly store: LockStore;
  private readonly locks: ProcessLocks;
  /** The leaderships started with `lead` and not stopped yet. */
  private readonly leaderships = new Set<S3LockLeadership>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private storeVerified = false;
  private storeVerifiedAtMs: number | undefined;
  private closing: Promise<void> | undefined;
  /**
   * Aborted by `close()` (and at application shutdown): ends the waits of the acquisitions in
   * progress then. Replaced once aborted, so that a later call is not refused.
   */
  private stopping = new AbortController();

  constructor(options: S3LockClientOptions) {
    this.options = resolveOptions(options);
    this.bucket = this.options.bucket;
    this.prefix = this.options.prefix;
    this.logger = this.options.logger ?? this.defaultLogger();
    this.store = this.options.store;
    const protocol = new LockProtocol(this.store, {
      ...this.options,
      logger: this.logger,
      shutdownSignal: () => this.stopping.signal,
    });
    this.locks = new ProcessLocks(protocol, {
      storeNow: () => this.store.clock.now().getTime(),
      abortProtocolWaits: (reason) => {
        const inProgress = this.stopping;
        this.stopping = new AbortController();
        inProgress.abort(reason);
      },
      track: (work) => this.track(work),
    });
  }

  /**
   * The in-process lock layer under this client's methods (in-process decisions, waiting, tick
   * claims), for integrations that build locked runs on it: the Nest layer's runner. Its
   * requests count as in flight for `close()`. Applications use the methods of this class.
   * A plain property, so a client wrapped in a Proxy (an instrumentation agent, a test spy)
   * works exactly like an unwrapped one.
   */
  get processLocks(): ProcessLocks {
    return this.locks;
  }

  /** The store's clock as this client estimates it, with the bounds of the estimate. */
  storeClock(): StoreClock {
    return this.store.clock;
  }

  /**
   * The logger used when the options give none. Called once, from the constructor, before
   * subclass fields exist: return a new logger, read no instance state.
   */
  protected defaultLogger(): S3LockLogger {
    return processWarningLogger;
  }

  /**
   * Checks that the store is reachable, that the credentials may read and write under the
   * prefix, and (in `conditional` mode) that it enforces `If-None-Match` and `If-Match`.
   * Throws `UnsupportedStoreError` or `S3LockStoreError` with what to do.
   */
  async verifyStore(): Promise<void> {
    await this.track(verifyStore(this.store, this.prefix, this.options.mode));
    this.storeVerifiedAtMs = performance.now();
    // Said once: health indicators call this periodically.
    if (this.storeVerified) return;
    this.storeVerified = true;
    this.logger.log(
      `Lock store s3://${this.bucket}/${this.prefix} ready (${this.options.mode === 'conditional' ? 'conditional writes enforced' : 'write-wait-verify mode'}).`,
    );
  }

  /**
   * The cheap check of the store, for health probes: one GET of a probe key that does not
   * exist (a 404 is the healthy answer). Proves the store answers and the credentials may read
   * under the prefix; not that conditional writes are enforced (that is `verifyStore`).
   */
  async probeStore(): Promise<void> {
    await this.track(probeStore(this.store, this.prefix));
  }

  /** Milliseconds since `verifyStore()` last succeeded on this instance, or `undefined` if it never did. */
  msSinceStoreVerified(): number | undefined {
    return this.storeVerifiedAtMs === undefined ? undefined : performance.now() - this.storeVerifiedAtMs;
  }

  /**
   * Acquires the lock `key`.
   *
   * Succeeds when the key is free (never locked, released, or expired by the store's clock) or
   * already held by `options.owner`, which refreshes it. Throws `AlreadyLockedError`, naming
   * the holder, when another owner holds it (at once, without a request, when that owner is a
   * call of this instance in this process) or other writers won every attempt of this call
   * (`holder` is then `UNKNOWN_HOLDER` if they have released it since), and
   * `AcquireAbortedError` when `options.signal`, `close()` or the application's shutdown
   * ended one of its waits. With `options.waitForLock`, keeps trying that many seconds first
   * (see docs/DECORATOR.md, "Waiting for a lock").
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
      return await this.acquire(key, options);
    } catch (error) {
      if (error instanceof AlreadyLockedError) return null;
      throw error;
    }
  }

  /**
   * Releases a held lock: writes it back with `owner` null and `releaseTime` set, on condition
   * that it is unchanged since this holder wrote it. If another owner took it over meanwhile,
   * writes nothing, logs a warning and throws `LockLostError`. Takes only a lock returned by
   * this instance's `acquire`, `extend` or `release` (use `forceRelease` for any other).
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
   * Makes this replica compete for the leadership of `key`: one replica at a time is the leader
   * (holds the lock `key` and keeps extending it); when it dies, loses S3 or stops, another
   * takes over (within about `expire` + 2 s after a crash, at once after `stop()`). A leader
   * learns that it lost the lease (`term.signal` aborts) before any other replica can take it.
   * `stopWaiting()` and `close()` (and so application shutdown) stop it. See docs/LEADERSHIP.md,
   * and `@WhileLeader` for the decorator form.
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
   * Ends the waits of every acquisition in progress (`waitForLock` among them; see
   * `abortAcquisitions`) and stops every leadership (leaders step down and release). Other held
   * locks are not touched, and later calls may wait again. Application shutdown calls it first;
   * `close()` calls it too.
   */
  async stopWaiting(reason: Error = new Error(coreMessages.waitingStopped())): Promise<void> {
    this.abortAcquisitions(reason);
    await Promise.all([...this.leaderships].map((leadership) => leadership.stop()));
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
      lock = await this.acquire(key, options);
    } catch (error) {
      if (error instanceof AlreadyLockedError) return { ran: false, holder: error.holder };
      throw error;
    }
    try {
      return { ran: true, result: await fn(lock) };
    } finally {
      await this.release(lock).catch((error: unknown) => {
        this.logger.warn(coreMessages.releaseFailed('the run', key, error));
      });
    }
  }

  /**
   * Ends this instance: ends the waits of acquisitions in progress (`AcquireAbortedError`),
   * waits for its requests in flight (a release at shutdown among them),
   * then destroys the S3 client if the library created it (from `clientConfig` or the
   * environment). A client passed as `options.client` is never destroyed: its owner does that.
   * Waits and leaderships end first (see `stopWaiting`); other held locks are not released
   * (release them first). Idempotent; do not use the instance after.
   */
  close(): Promise<void> {
    this.abortAcquisitions(new Error(coreMessages.clientClosing()));
    this.closing ??= this.drainAndDestroy();
    return this.closing;
  }

  /**
   * Ends the waits of every acquisition in progress (for the lock with `waitForLock`, for the
   * store's clock, the `wait` confirmation, a backoff): each rejects with `AcquireAbortedError`
   * carrying `reason`, after releasing a lock it had just written. Later calls are not affected,
   * nor are releases and extensions. `close()` does this first.
   */
  protected abortAcquisitions(reason: Error): void {
    this.locks.close(reason);
  }

  private async drainAndDestroy(): Promise<void> {
    await this.stopWaiting(new Error(coreMessages.clientClosing()));
    // Other shutdown hooks of the same phase (Nest calls a module's hooks together) may start
    // their last requests now: let them begin before waiting for what is in flight.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    if (this.options.ownsClient) this.options.client?.destroy();
  }

  /** Counts `work` as in flight until it settles (for `close()`); returns it. */
  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    const settled = (): void => void this.inFlight.delete(work);
    void work.then(settled, settled);
    return work;
  }
}
