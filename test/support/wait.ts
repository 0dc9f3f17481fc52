import { setTimeout as sleep } from 'node:timers/promises';

/**
 * How a test waits for something the library does in real time: for the observable event (a
 * state in the store, a log line, a signal), never for a fixed time. See CONTRIBUTING.md, "How
 * a test waits".
 */

/**
 * Polls `check` every `everyMs` until it returns true; rejects after `timeoutMs`. The bound is
 * a failure, not the expected path: make it generous, a loaded CI machine is slow.
 */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(everyMs); // the poll interval of this helper, the one place a test polls
  }
}

/** Settles when `signal` aborts (at once if it already has). */
export function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
