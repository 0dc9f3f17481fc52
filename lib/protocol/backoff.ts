import { type LockTimers, realTimers } from './timers.js';

/**
 * Waits before retry number `attempt` (1-based): exponential from 50 ms, capped at 2 s, with
 * jitter. Rejects with the signal's reason as soon as `signal` is aborted.
 */
export function backoff(attempt: number, timers: LockTimers = realTimers, signal?: AbortSignal): Promise<void> {
  const ceiling = Math.min(2000, 50 * 2 ** attempt);
  return timers.sleep(ceiling / 2 + timers.random() * (ceiling / 2), signal);
}
