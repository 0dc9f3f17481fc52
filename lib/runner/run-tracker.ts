import { setTimeout as sleep } from 'node:timers/promises';
import { S3LockError } from '../errors/s3-lock.error.js';
import type { S3LockLogger } from '../interfaces/s3-lock-options.interface.js';
import { messages } from '../s3-lock.messages.js';
import type { LockedRun } from './locked-run.js';

interface Tracked {
  run: LockedRun;
  method: string;
  settled: Promise<unknown>;
}

/**
 * The locked runs of this application that are going now, and what happens to their locks at
 * shutdown: first their signals are aborted and they get `shutdownTimeoutMs` to finish; then the
 * locks of those still going are released (conditionally: another owner's lock is never touched).
 */
export class RunTracker {
  private readonly running = new Set<Tracked>();
  private closing = false;

  constructor(
    private readonly shutdownTimeoutMs: number,
    private readonly logger: S3LockLogger,
  ) {}

  /** Whether the application is shutting down: no new locked run may start. */
  get isClosing(): boolean {
    return this.closing;
  }

  /** Keeps `run` here until `work` settles; returns `work`. */
  track<T>(run: LockedRun, method: string, work: Promise<T>): Promise<T> {
    const tracked: Tracked = { run, method, settled: work.then(() => undefined, () => undefined) };
    this.running.add(tracked);
    void tracked.settled.then(() => this.running.delete(tracked));
    return work;
  }

  /** Refuses new runs, aborts the signal of every running one, and waits for them a while. */
  async drain(): Promise<void> {
    this.closing = true;
    if (this.running.size === 0) return;
    for (const { run } of this.running) run.abort(new S3LockError(messages.abortedForShutdown(run.lock.key)));
    const abandon = new AbortController();
    await Promise.race([
      Promise.all([...this.running].map((t) => t.settled)),
      sleep(this.shutdownTimeoutMs, undefined, { signal: abandon.signal, ref: false }).catch(() => undefined),
    ]);
    abandon.abort();
  }

  /**
   * Releases the lock of every run still going. Locks kept for `minHold` after a finished run
   * are left to expire, as `minHold` promises.
   */
  async releaseAll(): Promise<void> {
    this.closing = true;
    await Promise.all(
      [...this.running].map(async ({ run, method }) => {
        if (await run.releaseNow()) this.logger.warn(messages.releasedAtShutdown(run.lock.key, method));
      }),
    );
  }
}
