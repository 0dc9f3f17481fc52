import { performance } from 'node:perf_hooks';
import { AlreadyLockedError } from '../errors/already-locked.error.js';
import { LockLostError } from '../errors/lock-lost.error.js';
import { AcquireAbortedError } from '../errors/acquire-aborted.error.js';
import type { AcquireOptions } from '../interfaces/acquire-options.interface.js';
import type { Lock } from '../interfaces/lock.interface.js';
import { lostSignalMarginMs } from './lease-margin.js';
import { LocalHolds } from './local-holds.js';
import { protocolMessages } from './protocol.messages.js';
import type { LockProtocol } from './lock-protocol.js';
import type { TickClaim } from './tick-claims.js';
import { validWaitForLock } from './validation.js';
import { pause, pollDelayMs, WaitingLine } from './waiting.js';

/** What `ProcessLocks` is given by the client it serves. */
export interface ProcessLocksHooks {
  /** The store's clock (ms), as the protocol estimates it. */
  storeNow: () => number;
  /** Ends the protocol's own waits in progress (its shutdown signal), as `close()` ends these. */
  abortProtocolWaits?: (reason: Error) => void;
  /** Counts a request of the protocol as in flight until it settles (the client's `close()` waits for them). */
  track?: <T>(work: Promise<T>) => Promise<T>;
}

/**
 * The locks of one service in this process, in front of the protocol: decides in the process
 * what it can, and waits for a lock when asked.
 * - While a call of this process holds a key (see {@link LocalHolds}), another call on that key
 *   under another owner is refused at once, without a request.
 * - With `waitForLock`, a refused call waits: the first waiter on a key polls S3 with
 *   {@link pollDelayMs} between polls (not at all while the holder is in this process: it waits
 *   for that holder's release); the others wait in line behind it. At the end of its time a
 *   waiter makes one last attempt, and then behaves as without waiting.
 * - `close()` (at shutdown) and each call's `signal` end the waits.
 */
export class ProcessLocks {
  private readonly holds = new LocalHolds();
  private readonly line = new WaitingLine();
  /** Aborted by `close()`: the waits in progress end. Replaced then, so later calls may wait. */
  private closer = new AbortController();
  /** When the write that took each lock started (local monotonic ms). */
  private readonly startedAt = new WeakMap<Lock, number>();

  private readonly storeNow: () => number;
  private readonly abortProtocolWaits: (reason: Error) => void;
  private readonly track: <T>(work: Promise<T>) => Promise<T>;

  constructor(private readonly protocol: LockProtocol, hooks: ProcessLocksHooks) {
    this.storeNow = hooks.storeNow;
    this.abortProtocolWaits = hooks.abortProtocolWaits ?? (() => undefined);
    this.track = hooks.track ?? ((work) => work);
  }

  /** See `S3LockService.acquire`; with `tick`, see `LockProtocol.acquire`. */
  acquire(key: string, options: AcquireOptions = {}, tick?: TickClaim): Promise<Lock> {
    return this.acquireWithin(key, options, validWaitForLock(options.waitForLock ?? 0) * 1000, tick);
  }

  /**
   * `acquire` with a wait of `waitMs` milliseconds (`Infinity`: until `options.signal` or
   * shutdown ends it, as a leadership follower waits) in place of `options.waitForLock`.
   */
  async acquireWithin(key: string, options: AcquireOptions, waitMs: number, tick?: TickClaim): Promise<Lock> {
    const { waitForLock: _seconds, signal: callSignal, ...rest } = options;
    const protocolOptions: AcquireOptions = callSignal ? { ...rest, signal: callSignal } : rest;
    if (waitMs === 0) return this.attempt(key, protocolOptions, tick);
    const closing = this.closer.signal;
    const signal = callSignal ? AbortSignal.any([callSignal, closing]) : closing;
    const deadline = performance.now() + waitMs;
    try {
      signal.throwIfAborted();
      const { first, leave } = await this.line.join(key, waitMs, signal);
      try {
        if (!first) return await this.attempt(key, protocolOptions, tick);
        return await this.poll(key, protocolOptions, tick, deadline, signal);
      } finally {
        leave();
      }
    } catch (error) {
      if (signal.aborted && error === signal.reason) throw new AcquireAbortedError(key, signal.reason, 'no');
      throw error;
    }
  }

  /**
   * When the attempt that took `lock` started (local monotonic ms, `performance.now()`): after a
   * wait, the lease runs from there, not from the start of the call.
   */
  writeStartedAt(lock: Lock): number {
    return this.startedAt.get(lock) ?? performance.now();
  }

  /**
   * Ends every wait in progress (application shutdown, `close()`): each rejects at once,
   * holding no lock. Held locks are not touched; a later call may wait again.
   */
  close(reason: Error = new Error(protocolMessages.applicationShuttingDown())): void {
    const inProgress = this.closer;
    this.closer = new AbortController();
    inProgress.abort(reason);
    this.abortProtocolWaits(reason);
  }

  /** Whether this process still holds `lock` and can trust its lease without asking S3. */
  trusts(lock: Lock): boolean {
    return this.holds.trusts(lock);
  }

  /** Extends a held lock (see `LockProtocol.extend`) and keeps this process's view of it. */
  async extend(lock: Lock, expire?: number): Promise<Lock> {
    const startedAt = performance.now();
    try {
      const extended = await this.track(this.protocol.extend(lock, expire));
      this.holds.refresh(extended, startedAt);
      return extended;
    } catch (error) {
      if (error instanceof LockLostError) this.holds.drop(lock);
      throw error;
    }
  }

  /** Releases a lock (see `LockProtocol.release`); from then on S3 decides its key again. */
  async release(lock: Lock, force = false, cover?: TickClaim): Promise<Lock> {
    try {
      return await this.track(this.protocol.release(lock, force, cover));
    } finally {
      // Released, lost, or unknown (S3 unreachable): the holder is done; S3 knows the rest.
      this.holds.drop(lock);
    }
  }

  /** See `LockProtocol.inspect`. */
  inspect(key: string): Promise<Lock | null> {
    return this.track(this.protocol.inspect(key));
  }

  /**
   * One try: refused here while this process holds the key, else decided by S3. Only calls that
   * leave `owner` to the library (a fresh owner each) take part: a call that names its `owner`
   * always asks S3, and its lock refuses no one here, since it may stand for a worker of its
   * own that a forced release elsewhere (the CLI, another tool) can free behind our back.
   */
  private async attempt(key: string, options: AcquireOptions, tick: TickClaim | undefined): Promise<Lock> {
    const local = options.owner === undefined ? this.heldHere(key) : undefined;
    if (local) throw new AlreadyLockedError(local);
    const startedAt = performance.now();
    const lock = await this.track(this.protocol.acquire(key, options, tick));
    if (options.owner === undefined) this.holds.hold(lock, startedAt);
    this.startedAt.set(lock, startedAt);
    return lock;
  }

  /**
   * The lock a call of this process holds on `key`, while trusted by this machine's monotonic
   * clock and by the store's clock too (a test's in-memory store may move its clock ahead).
   */
  private heldHere(key: string): (Lock & { owner: string }) | undefined {
    const local = this.holds.heldByOther(key, undefined);
    if (!local) return undefined;
    if (this.storeNow() < local.expiresAt.getTime() - lostSignalMarginMs(local.expire)) return local;
    this.holds.drop(local);
    return undefined;
  }

  /**
   * Milliseconds until the store counts `lock` as expired if its holder neither extends nor
   * releases it (the store judges to the second: `expire` + 1 whole seconds after the second it
   * was written), plus a little for the clock estimate: a dead holder's lock is taken over then.
   */
  private untilExpiry(lock: Lock): number {
    const writtenSecond = Math.floor((lock.expiresAt.getTime() - lock.expire * 1000) / 1000);
    return Math.max(0, (writtenSecond + lock.expire + 1) * 1000 + 50 - this.storeNow());
  }

  /** The first waiter's loop: attempt, pause, attempt, until the lock is taken or time is up. */
  private async poll(
    key: string,
    options: AcquireOptions,
    tick: TickClaim | undefined,
    deadline: number,
    signal: AbortSignal,
  ): Promise<Lock> {
    for (let poll = 1; ; poll++) {
      try {
        return await this.attempt(key, options, tick);
      } catch (error) {
        const left = deadline - performance.now();
        if (!(error instanceof AlreadyLockedError) || left <= 0) throw error;
        if (options.owner === undefined && this.heldHere(key)) {
          // The holder is in this process: its release (or the end of its trust) is the news.
          await pause(left, signal, this.holds.whenFree(key));
          poll = 0;
        } else {
          await pause(Math.min(pollDelayMs(poll), this.untilExpiry(error.lock), left), signal);
        }
      }
    }
  }
}
