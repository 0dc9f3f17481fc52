import { AsyncLocalStorage } from 'node:async_hooks';
import { processShared } from './core/process-shared.js';
import type { Lock } from './interfaces/lock.interface.js';

/** What a method decorated with `@WithS3Lock` can learn about its lock while it runs. */
export interface S3LockRunContext {
  /** The lock as last written by this run (replaced after every automatic extension). */
  readonly lock: Lock;
  /** The fencing token of this run: pass it to the resource you protect. */
  readonly token: number;
  /**
   * Aborted when this run no longer holds its lock: an extension was refused (another owner
   * took it over), its `expire` passed without an extension, or the application is shutting
   * down. `signal.reason` says which. Pass it to `fetch`, streams, or check `aborted` between steps.
   */
  readonly signal: AbortSignal;
  /**
   * The tick this run claimed, by the store's clock, when it was called by `@nestjs/schedule`
   * (a `@Cron` occurrence or an `@Interval` slot) or through `runScheduled`; `undefined` for a
   * direct call.
   */
  readonly tick: Date | undefined;
}

/** One per process, shared by the CommonJS and the ES module build (see core/process-shared.ts). */
const storage = processShared('run-context', () => new AsyncLocalStorage<S3LockRunContext>());

/**
 * The lock of the `@WithS3Lock` method running now (in this async call chain), or `undefined`
 * outside one. Backed by `AsyncLocalStorage`, so it follows `await`s and timers started by the method.
 *
 * @example
 * \@Cron('0 * * * *')
 * \@WithS3Lock('hourly-export', { expire: 120, autoExtend: true })
 * async export() {
 *   const { token, signal } = currentS3Lock()!;
 *   for (const batch of batches) {
 *     if (signal.aborted) return; // the lock was lost: stop writing
 *     await this.store.write(batch, { fencingToken: token });
 *   }
 * }
 */
export function currentS3Lock(): S3LockRunContext | undefined {
  return storage.getStore();
}

/** Runs `fn` with `context` as `currentS3Lock()`. Internal. */
export function runInS3LockContext<T>(context: S3LockRunContext, fn: () => T): T {
  return storage.run(context, fn);
}
