import { performance } from 'node:perf_hooks';
import { LockLostError } from '../errors/lock-lost.error.js';
import { S3LockError } from '../errors/s3-lock.error.js';
import type { Lock } from '../interfaces/lock.interface.js';
import type { S3LockRunContext } from '../s3-lock.context.js';
import { coreMessages } from '../core/core.messages.js';
import { lostSignalMarginMs } from '../protocol/lease-margin.js';
import type { TickClaim } from '../protocol/tick-claims.js';

/** How a run ended, for the log and the `released` event. */
export type RunEnd =
  | 'released'
  /** Kept until `minHold` is over, then left to expire. */
  | 'held'
  /** Not released: the lock had already been lost or released at shutdown. */
  | 'not-held';

/** The writes a run makes on its lock (the protocol's, with the options the runner gives). */
export interface LockWriter {
  extend(lock: Lock, expire?: number): Promise<Lock>;
  /** Releases `lock`; with `cover`, the released state also claims that tick. */
  release(lock: Lock, cover?: TickClaim): Promise<Lock>;
}

/** What a run tells its owner (the runner) while it goes. */
export interface RunListener {
  /** The lock was lost while the method ran; the signal is already aborted. */
  lost(error: Error): void;
  /** A write on the lock failed in a way worth a warning (not a loss). */
  warn(message: string): void;
  /** The reason the signal gets when the lease runs out unextended, if not the runner's. */
  expiredError?(): Error;
}

/** Below this, automatic extensions would only add S3 requests. */
const MIN_EXTEND_INTERVAL_MS = 250;

/** Re-exported for the callers that knew it here; its home is `protocol/lease-margin.ts`. */
export { lostSignalMarginMs } from '../protocol/lease-margin.js';

/**
 * One decorated call that holds its lock: the lock's latest state, the run's `AbortSignal`, the
 * automatic extension and the expiry watch, and how the lock is given up at the end. Every write
 * on the lock (extend, release) is queued, so they never race each other. Internal.
 */
export class LockedRun implements S3LockRunContext {
  private current: Lock;
  private readonly controller = new AbortController();
  private extendTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private held = true;
  private lost = false;
  /** Local monotonic time (ms) when the lock was taken. */
  readonly acquiredAt = performance.now();

  constructor(
    private readonly writer: LockWriter,
    /** The decorated method, as `ClassName.methodName`, for log lines. */
    private readonly method: string,
    lock: Lock,
    /** Local monotonic time (ms) when the write that took the lock started. */
    writeStartedAt: number,
    autoExtend: boolean,
    private readonly listener: RunListener,
    /** @inheritdoc */
    readonly tick: Date | undefined,
  ) {
    this.current = lock;
    this.watchExpiry(writeStartedAt);
    if (autoExtend) {
      const every = Math.max(MIN_EXTEND_INTERVAL_MS, (lock.expire * 1000) / 3);
      // extendOnce never rejects: failures go to the listener.
      this.extendTimer = setInterval(() => void this.enqueue(() => this.extendOnce()), every);
      this.extendTimer.unref();
    }
  }

  /** @inheritdoc */
  get lock(): Lock {
    return this.current;
  }

  /** @inheritdoc */
  get token(): number {
    return this.current.token;
  }

  /** @inheritdoc */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Aborts the run's signal (the method decides whether to stop); the lock stays held. */
  abort(reason: Error): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  /**
   * Ends the run after the method returned or threw: stops the timers and either releases the
   * lock (claiming `cover()`, the latest tick that passed meanwhile, if given) or, when `minHold`
   * seconds have not passed since it was taken, keeps it held by this run's owner until then (it
   * then expires). Never throws: a failed write is reported to the listener and the lock expires
   * on its own.
   */
  finish(minHold: number, cover?: () => Promise<TickClaim | undefined>): Promise<RunEnd> {
    this.stopTimers();
    return this.enqueue(async () => {
      if (!this.held) return 'not-held';
      this.held = false;
      const remainingSeconds = minHold - (performance.now() - this.acquiredAt) / 1000;
      try {
        if (remainingSeconds > 0) {
          this.current = await this.writer.extend(this.current, Math.ceil(remainingSeconds));
          return 'held';
        }
        this.current = await this.writer.release(this.current, await cover?.());
        return 'released';
      } catch (error) {
        this.listener.warn(coreMessages.releaseFailed(this.method, this.current.key, error));
        return 'not-held';
      }
    });
  }

  /**
   * Releases the lock while the method may still be running (application shutdown). The
   * release is conditional: if another owner took the lock meanwhile, nothing is written.
   * @returns whether this call released it.
   */
  releaseNow(): Promise<boolean> {
    this.stopTimers();
    return this.enqueue(async () => {
      if (!this.held) return false;
      this.held = false;
      try {
        this.current = await this.writer.release(this.current);
        return true;
      } catch (error) {
        this.listener.warn(coreMessages.releaseFailed(this.method, this.current.key, error));
        return false;
      }
    });
  }

  private async extendOnce(): Promise<void> {
    if (!this.held) return;
    const startedAt = performance.now();
    try {
      this.current = await this.writer.extend(this.current);
      this.watchExpiry(startedAt);
    } catch (error) {
      if (error instanceof LockLostError) {
        this.lose(error);
      } else {
        this.listener.warn(coreMessages.extendFailed(this.current.key, error));
      }
    }
  }

  /**
   * Aborts the signal {@link lostSignalMarginMs} before the lock's `expire` has passed since the
   * write that set it started (a lower bound of the store's view), unless a later write moved
   * the deadline.
   */
  private watchExpiry(writeStartedAt: number): void {
    clearTimeout(this.expiryTimer);
    const { expire } = this.current;
    const deadline = writeStartedAt + expire * 1000 - lostSignalMarginMs(expire);
    this.expiryTimer = setTimeout(() => {
      // Not necessarily taken over: the final release stays conditional and may still succeed.
      if (!this.held) return;
      const error = this.listener.expiredError?.() ?? new S3LockError(coreMessages.expiredWhileRunning(this.current.key, this.current.expire));
      this.lose(error, true);
    }, Math.max(0, deadline - performance.now()));
    this.expiryTimer.unref();
  }

  private lose(error: Error, mayStillRelease = false): void {
    if (this.lost) return;
    this.lost = true;
    if (!mayStillRelease) this.held = false;
    this.stopTimers();
    this.abort(error);
    this.listener.lost(error);
  }

  private stopTimers(): void {
    clearInterval(this.extendTimer);
    clearTimeout(this.expiryTimer);
    this.extendTimer = undefined;
    this.expiryTimer = undefined;
  }

  private enqueue<T>(operation: () => Promise<T>): Promise<T> {
    const next = this.queue.then(operation);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
