import { performance } from 'node:perf_hooks';
import { setTimeout as sleepFor } from 'node:timers/promises';

/**
 * The time sources of the lock protocol, in one place so that a simulation can run the real
 * protocol in virtual time: this worker's wall clock, its sleeps (backoff, the wait for the
 * store's clock, the `wait` confirmation) and the randomness of backoff jitter.
 */
export interface LockTimers {
  /** This worker's wall clock, in milliseconds since the epoch (like `Date.now()`). */
  now(): number;
  /**
   * A clock that is never stepped (NTP steps, a person setting the time), on the scale of
   * `now()` at process start: `performance.timeOrigin + performance.now()`. The estimate of the
   * store's clock is kept against it, so a step of the wall clock does not move the estimate.
   * Absent: `now()`.
   */
  steadyNow?(): number;
  /** Resolves after `ms` milliseconds; rejects with the signal's reason if it is aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** A number in [0, 1), like `Math.random()`. */
  random(): number;
}

/** The real clock, timers and `Math.random`: what the library uses outside simulations. */
export const realTimers: LockTimers = {
  now: () => Date.now(),
  steadyNow: () => performance.timeOrigin + performance.now(),
  sleep: (ms, signal) => sleepFor(ms, undefined, signal ? { signal } : undefined),
  random: () => Math.random(),
};
