import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
  Optional,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { S3LockClient } from './core/s3-lock.client.js';
import type { Lock } from './interfaces/lock.interface.js';
import { protocolMessages } from './protocol/protocol.messages.js';
import type { S3LockLogger, S3LockServiceOptions } from './interfaces/s3-lock-options.interface.js';
import type {
  S3LockScheduledRunOptions,
  S3LockScheduledRunResult,
} from './interfaces/scheduled-run.interface.js';
import type { ScheduledRunner } from './runner/scheduled-runner.js';
import { S3_LOCK_OPTIONS } from './s3-lock.module-definition.js';
import { printedAsOneLine } from './startup-error.js';

/**
 * Distributed locks on S3: one object per key, taken and released with conditional writes.
 * The Nest face of `S3LockClient` (`nestjs-s3-lock/core`): the same methods, injectable, logging
 * through Nest's `Logger`, checking the store at startup (unless `storeCheck: false`) and
 * destroying the S3 client it created at shutdown; plus `runScheduled`, the decorator's tick
 * semantics for jobs it cannot see.
 *
 * Injected by `S3LockModule`, or constructed directly for scripts and tests:
 *
 * @example
 * const locks = new S3LockService({ bucket: 'my-bucket', client: new S3Client({}) });
 * await locks.verifyStore();
 * const { ran } = await locks.runExclusive('nightly-report', { expire: 600 }, async (lock) => {
 *   await buildReport(lock.token);
 * });
 */
@Injectable()
export class S3LockService extends S3LockClient implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  /**
   * @param options the module's options (see `S3LockModule.forRoot`)
   * @param moduleRef given by Nest: where `runScheduled` finds the module's runner. Without it
   *   (a service made with `new`), `runScheduled` uses a runner of its own.
   */
  private startupCheck: Promise<void> | undefined;

  constructor(
    @Inject(S3_LOCK_OPTIONS) options: S3LockServiceOptions,
    @Optional() @Inject(ModuleRef) private readonly moduleRef?: ModuleRef,
  ) {
    super(options);
  }

  /** A Nest `Logger` with context `S3LockService`. */
  protected override defaultLogger(): S3LockLogger {
    return new Logger(S3LockService.name);
  }

  /**
   * Runs the store check at application startup, unless `storeCheck` is `false`; `S3LockModule`
   * has already run it while Nest created its providers (see `checkStoreAtStartup`).
   */
  async onModuleInit(): Promise<void> {
    await this.checkStoreAtStartup();
  }

  /**
   * The startup store check, once per service (unless `storeCheck` is `false`). `S3LockModule`
   * runs it while Nest creates its providers, so that a failure takes Nest's own path for a
   * failed startup: one line logged by Nest's `ExceptionHandler` (what failed and what to do;
   * with `NODE_DEBUG=s3lock` in the environment, the error's stack, fields and cause too), then
   * exit code 1 (or, with `abortOnError: false`, `NestFactory.create` rejects with the error).
   */
  checkStoreAtStartup(): Promise<void> {
    this.startupCheck ??= this.options.storeCheck
      ? this.verifyStore().catch((error: unknown) => {
          throw printedAsOneLine(error);
        })
      : Promise.resolve();
    return this.startupCheck;
  }

  /**
   * First step of shutdown: ends the waits of every acquisition still in progress (each
   * rejects with `AcquireAbortedError`, after releasing a lock it had just written), so they
   * neither start a run nor hold up the shutdown, and stops every leadership (see
   * `stopWaiting`). Releases and extensions go on.
   */
  beforeApplicationShutdown(): Promise<void> {
    return this.stopWaiting(new Error(protocolMessages.applicationShuttingDown()));
  }

  /**
   * Last step of shutdown: once the requests in flight (the releases of runs still going among
   * them) are done, destroys the S3 client the library created; a client passed in
   * `options.client` is left to its owner.
   */
  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  /**
   * Runs `fn` as one tick of a scheduled job, with exactly the semantics of `@WithS3Lock` on a
   * `@Cron` or `@Interval` method: for jobs the decorator cannot see (added at run time through
   * `SchedulerRegistry`, or run by a scheduler of your own). The tick is `options.tick`, or the
   * occurrence of `options.cron` (or slot of `options.interval`) this call belongs to by the
   * store's clock; a tick already run by any replica is skipped. `minHold`, `autoExtend`,
   * `onLocked`, `currentS3Lock()` (lock, token, signal) and the module's events work as for the
   * decorator; in an application, runs are released at shutdown like decorated ones.
   *
   * @example
   * const job = new CronJob('0 * * * * *', () =>
   *   locks.runScheduled({ key: 'sync', cron: '0 * * * * *' }, () => this.sync()));
   * schedulerRegistry.addCronJob('sync', job);
   * @returns `{ ran: true, result, tick }`, or `{ ran: false, reason, tick?, holder? }`.
   */
  async runScheduled<T>(
    options: S3LockScheduledRunOptions,
    fn: (lock: Lock) => T | Promise<T>,
  ): Promise<S3LockScheduledRunResult<Awaited<T>>> {
    // Imported when first needed: the runner's module imports this one.
    const { S3LockRunner } = await import('./runner/s3-lock.runner.js');
    // The module's runner, found by the module's own injector (never by this object's identity:
    // Nest may hand out this service wrapped in a Proxy); a service made with `new` gets a
    // runner of its own, with the default options.
    const runner: ScheduledRunner = this.moduleRunner(S3LockRunner) ?? new S3LockRunner(this, { bucket: this.bucket });
    return runner.runScheduled(options, fn);
  }

  /** The runner registered beside this service in its module, if any. */
  private moduleRunner(token: new (...args: never[]) => ScheduledRunner): ScheduledRunner | undefined {
    try {
      return this.moduleRef?.get(token, { strict: true });
    } catch {
      return undefined; // a module of the user's that provides the service without the runner
    }
  }
}
