import { performance } from 'node:perf_hooks';
import type { Lock } from '../interfaces/lock.interface.js';
import { lostSignalMarginMs } from './lease-margin.js';

interface Hold {
  lock: Lock;
  /** Local monotonic time (ms) until which no other owner can have taken the lock. */
  trustedUntil: number;
  timer: NodeJS.Timeout;
  ended: Promise<void>;
  end: () => void;
}

/**
 * The locks this process (one service) holds, and until when it can trust that it still holds
 * them without asking S3: until {@link lostSignalMarginMs} before `expire` has passed since the
 * write that set the lock started (the margin of the runner's lost-lease signal). While a hold
 * is trusted, another call in this process on the same key needs no request to be refused;
 * once it is released, lost, or past that moment, S3 decides again. Refusing on a hold is
 * always safe: it can only make a call give up, never let two owners in.
 */
export class LocalHolds {
  private readonly holds = new Map<string, Hold>();

  /** The lock held here on `key` by an owner other than `owner` (any, if undefined), while it is trusted. */
  heldByOther(key: string, owner: string | undefined): (Lock & { owner: string }) | undefined {
    const hold = this.holds.get(key);
    if (!hold || hold.lock.owner === null) return undefined;
    if (performance.now() >= hold.trustedUntil) {
      this.end(key, hold);
      return undefined;
    }
    return owner !== undefined && hold.lock.owner === owner ? undefined : (hold.lock as Lock & { owner: string });
  }

  /** Whether this process still holds `lock` (same key and owner) and can trust it. */
  trusts(lock: Lock): boolean {
    const hold = this.holds.get(lock.key);
    return hold !== undefined && hold.lock.owner === lock.owner && performance.now() < hold.trustedUntil;
  }

  /** Resolves when the hold on `key` ends (released, lost or no longer trusted); at once if there is none. */
  whenFree(key: string): Promise<void> {
    return this.holds.get(key)?.ended ?? Promise.resolve();
  }

  /** Records `lock`, just acquired or extended by a write that started at `writeStartedAt` (local ms). */
  hold(lock: Lock, writeStartedAt: number): void {
    const previous = this.holds.get(lock.key);
    if (previous && previous.lock.owner !== lock.owner) this.end(lock.key, previous);
    const trustedUntil = writeStartedAt + lock.expire * 1000 - lostSignalMarginMs(lock.expire);
    const current = this.holds.get(lock.key);
    if (current) {
      clearTimeout(current.timer);
      current.lock = lock;
      current.trustedUntil = trustedUntil;
      current.timer = this.timerFor(lock.key, current);
      return;
    }
    let end!: () => void;
    const ended = new Promise<void>((resolve) => (end = resolve));
    const hold: Hold = { lock, trustedUntil, ended, end, timer: undefined as unknown as NodeJS.Timeout };
    hold.timer = this.timerFor(lock.key, hold);
    this.holds.set(lock.key, hold);
  }

  /** Moves the trust of an existing hold of `lock`'s owner (an extension); no hold, no change. */
  refresh(lock: Lock, writeStartedAt: number): void {
    if (this.holds.get(lock.key)?.lock.owner === lock.owner) this.hold(lock, writeStartedAt);
  }

  /** Ends the hold of `lock`'s owner on its key: it was released or lost. */
  drop(lock: Lock): void {
    const hold = this.holds.get(lock.key);
    if (hold && hold.lock.owner === lock.owner) this.end(lock.key, hold);
  }

  private timerFor(key: string, hold: Hold): NodeJS.Timeout {
    const timer = setTimeout(() => this.end(key, hold), Math.max(0, hold.trustedUntil - performance.now()));
    timer.unref();
    return timer;
  }

  private end(key: string, hold: Hold): void {
    clearTimeout(hold.timer);
    if (this.holds.get(key) === hold) this.holds.delete(key);
    hold.end();
  }
}
