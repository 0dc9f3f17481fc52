import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Waits before retry number `attempt` (1-based): exponential from 50 ms, capped at 2 s, with
 * jitter. Rejects with an `AbortError` as soon as `signal` is aborted.
 */
export function backoff(attempt: number, signal?: AbortSignal): Promise<void> {
  const ceiling = Math.min(2000, 50 * 2 ** attempt);
  return sleep(ceiling / 2 + Math.random() * (ceiling / 2), undefined, { signal });
}
