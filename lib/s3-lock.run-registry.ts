import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { S3LockError } from './errors/s3-lock.error.js';
import type {
  S3LockEvents,
  S3LockModuleOptions,
  S3LockRunEvent,
} from './interfaces/s3-lock-module-options.interface.js';
import { S3_LOCK_LOGGER_CONTEXT } from './s3-lock.internal-constants.js';
import { S3_LOCK_OPTIONS } from './s3-lock.module-definition.js';
import { messages } from './s3-lock.messages.js';
import type { LockedRun } from './s3-lock.run.js';
import { resolveRunDefaults, type ResolvedRunDefaults } from './s3-lock.run-options.js';

interface Tracked {
  run: LockedRun;
  method: string;
  settled: Promise<unknown>;
}

/**
 * The decorated calls of this application that hold a lock now, the module-wide defaults and
 * event hooks, and what happens to those locks at shutdown. One per `S3LockModule`. Internal.
 */
@Injectable()
export class S3LockRunRegistry implements BeforeApplicationShutdown, OnApplicationShutdown {
  /** The module-wide settings of decorated calls, defaults applied. */
  readonly defaults: ResolvedRunDefaults;
  private readonly logger = new Logger(S3_LOCK_LOGGER_CONTEXT);
  private readonly running = new Set<Tracked>();
  private closing = false;

  constructor(@Inject(S3_LOCK_OPTIONS) options: S3LockModuleOptions) {
    this.defaults = resolveRunDefaults(options);
  }

  /** Whether the application is shutting down: no new locked run may start. */
  get isClosing(): boolean {
    return this.closing;
  }

  /** Keeps `run` in the registry until `work` settles; returns `work`. */
  track<T>(run: LockedRun, method: string, work: Promise<T>): Promise<T> {
    const tracked: Tracked = { run, method, settled: work.then(() => undefined, () => undefined) };
    this.running.add(tracked);
    void tracked.settled.then(() => this.running.delete(tracked));
    return work;
  }

  /** Calls the user's hook `name`, if any; a hook that throws is logged and ignored. */
  emit(name: keyof S3LockEvents, event: S3LockRunEvent): void {
    const hook = this.defaults.events[name];
    if (!hook) return;
    try {
      hook.call(this.defaults.events, event);
    } catch (error) {
      this.logger.warn(messages.hookFailed(name, error));
    }
  }

  /**
   * First step of shutdown: refuses new runs, aborts the signal of every running one, and
   * waits (up to `shutdownTimeout`) for them to finish and release their locks themselves.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    if (this.running.size === 0) return;
    for (const { run } of this.running) run.abort(new S3LockError(messages.abortedForShutdown(run.lock.key)));
    const abandon = new AbortController();
    await Promise.race([
      Promise.all([...this.running].map((t) => t.settled)),
      sleep(this.defaults.shutdownTimeoutMs, undefined, { signal: abandon.signal, ref: false }).catch(() => undefined),
    ]);
    abandon.abort();
  }

  /**
   * Last step of shutdown: stops the extension of every run still going and releases its lock,
   * on condition that this run still holds it (another owner's lock is never touched). Locks
   * kept for `minHold` after a finished run are left to expire, as `minHold` promises.
   */
  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    await Promise.all(
      [...this.running].map(async ({ run, method }) => {
        if (await run.releaseNow()) this.logger.warn(messages.releasedAtShutdown(run.lock.key, method));
      }),
    );
  }
}
