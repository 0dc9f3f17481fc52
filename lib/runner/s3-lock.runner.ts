import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { isObservable, lastValueFrom } from 'rxjs';
import { AcquireAbortedError } from '../errors/acquire-aborted.error.js';
import { AlreadyLockedError } from '../errors/already-locked.error.js';
import { InvalidLockArgumentError } from '../errors/invalid-lock-argument.error.js';
import { S3LockStoreError } from '../errors/s3-lock-store.error.js';
import type { Lock } from '../interfaces/lock.interface.js';
import type {
  S3LockEvents,
  S3LockModuleOptions,
  S3LockRunEvent,
  S3LockSkipReason,
  WithS3LockOptions,
} from '../interfaces/s3-lock-module-options.interface.js';
import type {
  S3LockScheduledRunOptions,
  S3LockScheduledRunResult,
} from '../interfaces/scheduled-run.interface.js';
import type { ProcessLocks } from '../protocol/process-locks.js';
import { TickClaimedError } from '../protocol/tick-claimed.js';
import type { TickClaim } from '../protocol/tick-claims.js';
import { runInS3LockContext } from '../s3-lock.context.js';
import { S3_LOCK_LOGGER_CONTEXT } from '../s3-lock.internal-constants.js';
import { messages } from '../s3-lock.messages.js';
import { coreMessages } from '../core/core.messages.js';
import { S3_LOCK_OPTIONS } from '../s3-lock.module-definition.js';
import { S3LockService } from '../s3-lock.service.js';
import { type CallTime, cronSchedule, fixedTick, intervalSchedule, type JobSchedule } from './job-schedule.js';
import { LockedRun, type LockWriter } from './locked-run.js';
import {
  checkScheduledRunOptions,
  resolveRunDefaults,
  resolveRunOptions,
  type ResolvedRunDefaults,
  type ResolvedRunOptions,
} from './run-options.js';
import { RunTracker } from './run-tracker.js';
import { StoreOutages } from './store-outages.js';
import {
  type InstalledEntry,
  installScheduledEntries,
  removeScheduledEntry,
  type ScheduleMetadata,
  takeScheduledMark,
} from './scheduled-calls.js';

/** One call to run under a lock, whoever asked (the decorator or `runScheduled`). */
interface LockedCall {
  /** The job, as `ClassName.methodName` or the name given to `runScheduled`. */
  readonly method: string;
  readonly key: string;
  readonly options: ResolvedRunOptions;
  /** Set for a scheduled call: its ticks run once each. */
  readonly schedule: JobSchedule | undefined;
  readonly invoke: (lock: Lock) => unknown;
}

/**
 * Runs every locked call of the application, from key to release: resolves the options and the
 * tick, acquires the lock (a fresh owner per call, so two overlapping calls are two contenders),
 * runs the method with its lock in `currentS3Lock()`, keeps it extended if asked, and releases
 * it (or keeps it for `minHold`) when the method returns or throws; emits the module's events;
 * gives the locks back at shutdown. A scheduled call (a `@Cron` or `@Interval` job, or
 * `runScheduled`) also claims its tick, so each tick runs once across all replicas.
 * Internal: applications use `@WithS3Lock` and `S3LockService.runScheduled`.
 */
@Injectable()
export class S3LockRunner implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(S3_LOCK_LOGGER_CONTEXT);
  private readonly defaults: ResolvedRunDefaults;
  private readonly protocol: ProcessLocks;
  private readonly writer: LockWriter;
  private readonly tracker: RunTracker;
  private readonly outages: StoreOutages;
  private readonly resolved = new WeakMap<object, ResolvedRunOptions>();
  private readonly schedules = new WeakMap<ScheduleMetadata, JobSchedule>();
  private entries: InstalledEntry[] = [];
  /** Set once the application has bootstrapped: from then on, scheduled entry points are ticks. */
  private scheduling = false;

  constructor(
    @Inject(S3LockService) private readonly service: S3LockService,
    @Inject(S3_LOCK_OPTIONS) options: S3LockModuleOptions,
  ) {
    this.defaults = resolveRunDefaults(options);
    this.protocol = service.processLocks;
    this.writer = {
      extend: (lock, expire) => this.protocol.extend(lock, expire),
      release: (lock, cover) => this.protocol.release(lock, false, cover),
    };
    this.tracker = new RunTracker(this.defaults.shutdownTimeoutMs, this.logger);
    this.outages = new StoreOutages(this.logger, () => service.storeClock().now().getTime());
  }

  /** Gives a new instance with `@WithS3Lock` methods the scheduled entry points of its jobs. */
  adopt(instance: object, methods: Iterable<string | symbol>): void {
    this.entries.push(...installScheduledEntries(instance, methods));
  }

  /** The schedulers have taken their entry points: every other caller now makes direct calls. */
  onApplicationBootstrap(): void {
    for (const entry of this.entries) removeScheduledEntry(entry);
    this.entries = [];
    this.scheduling = true;
  }

  /** First step of shutdown: no new runs, no more waiting; running ones are asked to stop and given time. */
  beforeApplicationShutdown(): Promise<void> {
    // Before the service's own hook (the runner depends on it): calls waiting for a lock end now.
    this.protocol.close();
    return this.tracker.drain();
  }

  /** Last step of shutdown: releases the locks of runs still going. */
  onApplicationShutdown(): Promise<void> {
    return this.tracker.releaseAll();
  }

  /**
   * One call of a `@WithS3Lock` method. Resolves to the method's result, or to `undefined` when
   * it was skipped; rejects with the method's own error, or `AlreadyLockedError` when the lock
   * is held elsewhere and `onLocked` is `'throw'`.
   */
  async runDecorated(
    instance: object,
    propertyKey: string | symbol,
    method: string,
    decorated: Readonly<WithS3LockOptions>,
    args: unknown[],
    invoke: () => unknown,
  ): Promise<unknown> {
    const mark = takeScheduledMark(instance, propertyKey);
    const options = this.optionsOf(decorated);
    const outcome = await this.execute({
      method,
      key: this.keyOf(options, args, instance, method),
      options,
      schedule: mark && this.scheduling ? this.scheduleOf(method, jobOf(options, method), mark) : undefined,
      invoke,
    });
    return outcome.ran ? outcome.result : undefined;
  }

  /** See `S3LockService.runScheduled`. */
  runScheduled<T>(
    options: S3LockScheduledRunOptions,
    fn: (lock: Lock) => T | Promise<T>,
  ): Promise<S3LockScheduledRunResult<Awaited<T>>> {
    const checked = checkScheduledRunOptions(options);
    const name = checked.name ?? checked.key;
    const schedule =
      checked.cron !== undefined
        ? cronSchedule(name, { cronTime: checked.cron, timeZone: checked.timeZone, utcOffset: checked.utcOffset })
        : checked.interval !== undefined
          ? intervalSchedule(name, checked.interval)
          : fixedTick(name, new Date(checked.tick!).getTime());
    return this.execute({
      method: name,
      key: checked.key,
      options: resolveRunOptions(checked, this.defaults),
      schedule,
      invoke: fn,
    }) as Promise<S3LockScheduledRunResult<Awaited<T>>>;
  }

  private async execute(call: LockedCall): Promise<S3LockScheduledRunResult<unknown>> {
    const { method, key, options } = call;
    if (this.tracker.isClosing) return this.skip(call, 'shutting-down');
    const calledAt = this.callTime();
    const tick = call.schedule ? await call.schedule.tickOf(calledAt) : undefined;
    let lock: Lock;
    /** The job's previous claimed tick, in the state this call's claim replaced. */
    let replaced: number | undefined;
    try {
      const { expire, wait, waitForLock } = options;
      const claim = tick && { ...tick, onClaimed: (previous: number | undefined) => void (replaced = previous) };
      lock = await this.protocol.acquire(key, { expire, wait, waitForLock }, claim);
    } catch (error) {
      // Nothing but shutdown (or close()) aborts the acquisition of a runner's call.
      if (error instanceof AcquireAbortedError) return this.skip(call, 'shutting-down', tick);
      if (error instanceof S3LockStoreError && call.schedule) {
        // The scheduler would log a stack trace on every tick: say it here, once, and skip.
        this.outages.failed(key, method, error);
        return this.skip(call, 'store-unavailable', tick);
      }
      if (!(error instanceof S3LockStoreError)) this.outages.answered(key);
      if (error instanceof TickClaimedError) return this.skip(call, 'tick-claimed', tick, error);
      if (!(error instanceof AlreadyLockedError)) throw error;
      const skipped = this.skip(call, 'locked', tick, error);
      if (options.onLocked === 'throw') throw error;
      return skipped;
    }
    this.outages.answered(key);
    if (call.schedule && tick && replaced !== undefined) await this.reportMissed(call, call.schedule, tick, replaced);
    if (this.tracker.isClosing) {
      // Shutdown began while the lock was being taken: give it back rather than start a run.
      await this.protocol.release(lock).catch((error: unknown) => this.logger.warn(coreMessages.releaseFailed(method, key, error)));
      return this.skip(call, 'shutting-down', tick);
    }
    const run = new LockedRun(this.writer, method, lock, this.protocol.writeStartedAt(lock), options.autoExtend, {
      lost: (error) => this.onLost({ key, method, lock: run.lock, error }),
      warn: (message) => this.logger.warn(message),
    }, tick ? new Date(tick.at) : undefined);
    const result = await this.tracker.track(run, method, this.runHolding(run, call, tick, calledAt.storeLatest));
    return { ran: true, result, tick: new Date(tick?.at ?? run.lock.lockTime.getTime()) };
  }

  /** @param calledAt when the call began: a time the store's clock had certainly not passed then (ms). */
  private async runHolding(run: LockedRun, call: LockedCall, tick: TickClaim | undefined, calledAt: number): Promise<unknown> {
    const { key, method } = call;
    const tickField = tick ? { tick: new Date(tick.at) } : {};
    this.logger.debug(messages.acquired(method, key, run.lock.token));
    this.emit('acquired', { key, method, lock: run.lock, ...tickField });
    try {
      return await runInS3LockContext(run, () => this.settle(() => call.invoke(run.lock)));
    } finally {
      const cover = call.schedule ? () => this.latestTick(call.schedule!, calledAt) : undefined;
      const end = await run.finish(call.options.minHold, cover);
      if (end !== 'not-held') {
        const durationMs = performance.now() - run.acquiredAt;
        this.logger.debug(messages.finished(method, key, durationMs, end));
        this.emit('released', { key, method, lock: run.lock, durationMs, ...tickField });
      }
    }
  }

  /**
   * Says which ticks of the job ran on no replica between its previous run (the claim the state
   * this lock replaced carried) and this one: one warning and the `missed` event. No request.
   */
  private async reportMissed(call: LockedCall, schedule: JobSchedule, tick: TickClaim, previous: number): Promise<void> {
    const between = await schedule.ticksBetween(previous, tick.at).catch(() => undefined);
    if (!between) return;
    const missed = { count: between.count, atLeast: between.atLeast, first: new Date(between.first), last: new Date(between.last) };
    this.logger.warn(messages.missedTicks(call.method, call.key, missed, new Date(tick.at)));
    this.emit('missed', { key: call.key, method: call.method, tick: new Date(tick.at), missed });
  }

  /** Now, by this worker's clock (which schedulers fire by) and by the store's. */
  private callTime(): CallTime {
    const clock = this.service.storeClock();
    return {
      local: clock.workerNow?.() ?? Date.now(),
      storeEarliest: clock.earliest().getTime(),
      storeLatest: clock.latest().getTime(),
    };
  }

  /**
   * The latest tick of `schedule` by now, which a run that lasted past it also covers: never an
   * occurrence the store's clock may not have reached (replicas still fire for it), nor one that
   * may have come before the call began at `calledAt` (its own replicas fired for it then, and
   * may be waiting on this run: claiming it would leave it run by nobody).
   */
  private async latestTick(schedule: JobSchedule, calledAt: number): Promise<TickClaim | undefined> {
    const latest = await schedule.latestBy(this.service.storeClock().earliest().getTime()).catch(() => undefined);
    return latest && latest.at > calledAt ? latest : undefined;
  }

  /** Logs why `call` did not run (at debug level: on all replicas but one, it is every tick), emits `skipped`. */
  private skip(
    call: LockedCall,
    reason: S3LockSkipReason,
    tick?: TickClaim,
    error?: AlreadyLockedError | TickClaimedError,
  ): S3LockScheduledRunResult<never> {
    const { method, key } = call;
    const tickTime = tick ? new Date(tick.at) : undefined;
    const holder =
      error instanceof AlreadyLockedError ? error.holder : (error?.current?.owner ?? undefined);
    if (reason === 'shutting-down') this.logger.warn(messages.shuttingDown(method, key));
    else if (reason === 'store-unavailable') this.logger.debug(messages.skippedStoreUnavailable(method, key));
    else if (error instanceof AlreadyLockedError) this.logger.debug(messages.skipped(method, { ...error.lock, owner: error.holder }));
    else if (error?.refusal === 'lost-race') this.logger.debug(messages.tickLostRace(method, key, tickTime!));
    else this.logger.debug(messages.tickAlreadyRun(method, key, tickTime!, holder));
    const details = { ...(tickTime ? { tick: tickTime } : {}), ...(holder ? { holder } : {}) };
    this.emit('skipped', { key, method, reason, ...details });
    return { ran: false, reason, ...details };
  }

  private onLost(event: S3LockRunEvent): void {
    this.logger.warn(messages.lost(event.method, event.key, event.error));
    this.emit('lost', event);
  }

  /** Calls the user's hook `name`, if any; a hook that throws is logged and ignored. */
  private emit(name: keyof S3LockEvents, event: S3LockRunEvent): void {
    const hook = this.defaults.events[name];
    if (!hook) return;
    try {
      hook.call(this.defaults.events, event);
    } catch (error) {
      this.logger.warn(messages.hookFailed(name, error));
    }
  }

  /**
   * Runs the method and waits for what it started: a Promise, or an Observable, which is
   * subscribed to here (under the lock) and settles to its last value.
   */
  private async settle(invoke: () => unknown): Promise<unknown> {
    const result = await invoke();
    return isObservable(result) ? lastValueFrom(result, { defaultValue: undefined }) : result;
  }

  private scheduleOf(method: string, job: string, metadata: ScheduleMetadata): JobSchedule {
    let schedule = this.schedules.get(metadata);
    if (!schedule) {
      schedule = 'cron' in metadata ? cronSchedule(method, metadata.cron, job) : intervalSchedule(method, metadata.interval, job);
      this.schedules.set(metadata, schedule);
    }
    return schedule;
  }

  private optionsOf(options: Readonly<WithS3LockOptions>): ResolvedRunOptions {
    let resolved = this.resolved.get(options);
    if (!resolved) {
      resolved = resolveRunOptions(options, this.defaults);
      this.resolved.set(options, resolved);
    }
    return resolved;
  }

  private keyOf(options: ResolvedRunOptions, args: unknown[], instance: object, method: string): string {
    if (typeof options.key === 'string') return options.key;
    const key = options.key(args, instance);
    if (typeof key !== 'string' || key.length === 0) {
      throw new InvalidLockArgumentError('key', messages.badKeyResult(method, key));
    }
    return key;
  }
}

/**
 * A decorated job's identity in tick claims: its `job` option, else its lock key when that is a
 * string, else `ClassName.methodName` (see `WithS3LockOptions.job`).
 */
function jobOf(options: ResolvedRunOptions, method: string): string {
  return options.job ?? (typeof options.key === 'string' ? options.key : method);
}
