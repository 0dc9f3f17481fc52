import { createRequire, syncBuiltinESMExports } from 'node:module';

const require = createRequire(import.meta.url);
const timers = require('node:timers/promises') as { setTimeout: (ms?: number, ...rest: unknown[]) => Promise<unknown> };

/**
 * Records every `setTimeout` of `node:timers/promises` (the library's only way to sleep: the
 * `wait` confirmation, retry backoff and clock waits), so the bench can tell whether a call
 * slept, and for how long, without trusting the timings alone.
 *
 * Works on modules already loaded: Node keeps the ESM named exports of built-in modules in sync
 * with their CommonJS object once `syncBuiltinESMExports()` is called.
 */
export class SleepProbe {
  private recorded: number[] = [];
  private readonly original = timers.setTimeout;

  /** Starts recording. */
  install(): void {
    const recorded = this.recorded;
    const original = this.original;
    timers.setTimeout = function probedSetTimeout(ms?: number, ...rest: unknown[]) {
      recorded.push(ms ?? 1);
      return original(ms, ...rest);
    };
    syncBuiltinESMExports();
  }

  /** Stops recording and restores the original. */
  uninstall(): void {
    timers.setTimeout = this.original;
    syncBuiltinESMExports();
  }

  /** Sleeps recorded since the last `reset`, in milliseconds. */
  get sleeps(): readonly number[] {
    return this.recorded;
  }

  /** Forgets what was recorded. */
  reset(): void {
    this.recorded.length = 0;
  }
}
