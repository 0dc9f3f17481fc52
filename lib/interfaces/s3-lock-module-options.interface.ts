import type { Lock } from './lock.interface.js';
import type { S3LockServiceOptions } from './s3-lock-options.interface.js';

/**
 * What a decorated method does when another owner holds its lock:
 * - `'skip'`: the method does not run and the call resolves to `undefined` (a log line names
 *   the key and the holder).
 * - `'throw'`: the call rejects with `AlreadyLockedError`; over HTTP, through
 *   `S3LockInterceptor`, the client gets `409 Conflict` without the holder's name.
 */
export type S3LockOnLocked = 'skip' | 'throw';

/**
 * The lock key of a decorated method: a string, or a function of the call's arguments and the
 * instance, called on every call. It must return a non-empty string without control characters.
 */
export type S3LockKey = string | ((args: unknown[], instance: object) => string);

/** How a decorated method takes its lock; set per method, with module-wide defaults. */
export interface S3LockRunOptions {
  /**
   * Seconds after which the lock counts as abandoned if neither released nor extended (a whole
   * number, at least 1). Choose it above the longest run, or turn on `autoExtend`.
   * @default the module's `expire` (60)
   */
  expire?: number;
  /**
   * Seconds to wait after acquiring before confirming ownership (only needed in
   * `write-wait-verify` mode).
   * @default the module's `wait` (0)
   */
  wait?: number;
  /**
   * What to do when another owner holds the lock; see {@link S3LockOnLocked}.
   * @default 'skip'
   */
  onLocked?: S3LockOnLocked;
  /**
   * Seconds the lock stays held at least, counted from when it was taken (ShedLock's
   * `lockAtLeastFor`). After a shorter run the lock is not released but kept by the run's owner
   * until then, so a replica whose clock fires the same tick a little later skips it. The store
   * judges expiry to the second and conservatively, so the lock is free again between `minHold`
   * and about `minHold + 2` seconds after it was taken. A whole number of seconds, 0 or more.
   * @default 0 (release as soon as the method returns)
   */
  minHold?: number;
  /**
   * Extend the lock while the method runs, about every `expire / 3` seconds, so a run may last
   * longer than `expire`. If an extension is refused (the lock was lost) the run's `signal`
   * (see `currentS3Lock()`) is aborted.
   * @default false
   */
  autoExtend?: boolean;
  /**
   * Seconds to wait for the lock while another run holds it, before `onLocked` applies (see
   * `AcquireOptions.waitForLock`): the method runs once the holder releases, if that happens in
   * time. A scheduled call (a `@Cron` / `@Interval` tick) stops waiting as soon as its tick, or
   * a later one, has been run elsewhere: a tick never runs late past the next one. Shutdown
   * ends every wait (the call is skipped with reason `'shutting-down'`).
   * @default 0 (do not wait)
   */
  waitForLock?: number;
}

/** Options of `@WithS3Lock(key, { ... })`: those of `@WithS3Lock({ ... })` but the key. */
export type WithS3LockRunOptions = Omit<WithS3LockOptions, 'key'>;

/** Options of `@WithS3Lock({ ... })`. */
export interface WithS3LockOptions extends S3LockRunOptions {
  /**
   * The job's name in the tick claims of a `@Cron` / `@Interval` method: replicas whose calls
   * have the same job name, lock key and schedule share each tick (it runs once among them). Set
   * it to tell apart two scheduled jobs that share one lock key and one schedule, or to keep a
   * job's identity when its key is a function. Renaming the class or the method, a minifier, or
   * writing the cron expression another way (`*\/2` or `0-59/2`) does not change the identity;
   * changing this name, the key or the schedule does (see docs/SCHEDULING.md).
   * @default the lock key when it is a string, else `ClassName.methodName`
   */
  job?: string;
  /** The lock key; see {@link S3LockKey}. */
  key: S3LockKey;
}

/**
 * Why a locked call did not run:
 * - `'locked'`: another run holds the lock (on another replica, or in this process).
 * - `'tick-claimed'`: a scheduled call whose tick has already been run, or claimed a moment
 *   earlier by another replica: each tick of a `@Cron` / `@Interval` job runs once.
 * - `'shutting-down'`: the application is shutting down; no new run starts.
 * - `'store-unavailable'`: a scheduled call while S3 cannot be used (unreachable, refusing,
 *   failing): the method never runs without its lock. Logged once when it starts, then at most
 *   once a minute while it lasts, and once when S3 answers again. A direct call gets the
 *   `S3LockStoreError` instead.
 */
export type S3LockSkipReason = 'locked' | 'tick-claimed' | 'shutting-down' | 'store-unavailable';

/**
 * What happened to one decorated call, passed to the `events` hooks. `key` and `method` are
 * always set; the other fields where they apply.
 */
export interface S3LockRunEvent {
  /** The lock key of this call. */
  readonly key: string;
  /** The decorated method, as `ClassName.methodName`. */
  readonly method: string;
  /** The lock this call holds or held (`acquired`, `released`, `lost`). */
  readonly lock?: Lock;
  /** The owner that holds the lock, when known (`skipped`). */
  readonly holder?: string;
  /** Why the call did not run (`skipped`). */
  readonly reason?: S3LockSkipReason;
  /** The tick of a scheduled call: the occurrence it runs (or skipped), by the store's clock. */
  readonly tick?: Date;
  /** Milliseconds the method ran (`released`). */
  readonly durationMs?: number;
  /** Why the lock was lost (`lost`). */
  readonly error?: Error;
  /**
   * The ticks of this job that ran on no replica, between its previous run (fleet-wide) and
   * this one (`missed`): how many (`atLeast`: more than that were not counted), the first and
   * the last.
   */
  readonly missed?: { readonly count: number; readonly atLeast: boolean; readonly first: Date; readonly last: Date };
}

/**
 * Hooks called on what decorated calls do, for metrics and tracing. A hook that throws is
 * logged and otherwise ignored; hooks are called synchronously and should be quick.
 */
export interface S3LockEvents {
  /** The lock was taken and the method is about to run. */
  acquired?(event: S3LockRunEvent): void;
  /** The method did not run; `event.reason` says why. */
  skipped?(event: S3LockRunEvent): void;
  /** The method finished and the lock was released (or, with `minHold`, left to expire). */
  released?(event: S3LockRunEvent): void;
  /** The lock was lost while the method ran: an extension was refused, or it expired. */
  lost?(event: S3LockRunEvent): void;
  /**
   * A scheduled call found that ticks of its job, since the job's previous run, ran on no
   * replica (none was up or fired for them, or each found the lock held); `event.missed` says
   * which, `event.tick` is the tick now running. Found from the state the call reads anyway: no
   * extra request. Also logged as one warning.
   */
  missed?(event: S3LockRunEvent): void;
}

/** Options of `S3LockModule.forRoot` / `forRootAsync`: the service's, plus the decorator's. */
export interface S3LockModuleOptions extends S3LockServiceOptions {
  /**
   * Default of `onLocked` for every `@WithS3Lock`.
   * @default 'skip'
   */
  onLocked?: S3LockOnLocked;
  /**
   * Default of `minHold` (seconds) for every `@WithS3Lock`.
   * @default 0
   */
  minHold?: number;
  /**
   * Default of `autoExtend` for every `@WithS3Lock`.
   * @default false
   */
  autoExtend?: boolean;
  /**
   * Default of `waitForLock` (seconds) for every `@WithS3Lock`; `acquire`, `tryAcquire` and
   * `runExclusive` take theirs per call.
   * @default 0
   */
  waitForLock?: number;
  /** Hooks on what decorated calls do; see {@link S3LockEvents}. */
  events?: S3LockEvents;
  /**
   * Seconds that application shutdown waits for running decorated methods (whose `signal` is
   * aborted) to finish and release their locks, before it releases the locks itself.
   * @default 10
   */
  shutdownTimeout?: number;
}

/** A class for `S3LockModule.forRootAsync({ useClass })` or `useExisting`. */
export interface S3LockOptionsFactory {
  /** Returns the module's options; may be async. */
  createS3LockOptions(): S3LockModuleOptions | Promise<S3LockModuleOptions>;
}
