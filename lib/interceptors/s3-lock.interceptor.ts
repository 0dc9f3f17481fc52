import {
  type CallHandler,
  ConflictException,
  type ExecutionContext,
  type HttpException,
  Inject,
  Injectable,
  Logger,
  type NestInterceptor,
  Optional,
} from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { catchError, isObservable, lastValueFrom, type Observable, throwError } from 'rxjs';
import { AlreadyLockedError } from '../errors/already-locked.error.js';
import { InvalidLockArgumentError } from '../errors/invalid-lock-argument.error.js';
import { S3LockError } from '../errors/s3-lock.error.js';
import type { Lock } from '../interfaces/lock.interface.js';
import type {
  S3LockRunEvent,
  WithS3LockOptions,
} from '../interfaces/s3-lock-module-options.interface.js';
import { runInS3LockContext } from '../s3-lock.context.js';
import { S3_LOCK_LOGGER_CONTEXT } from '../s3-lock.internal-constants.js';
import { messages } from '../s3-lock.messages.js';
import { LockedRun, type RunEnd } from '../s3-lock.run.js';
import { S3LockRunRegistry } from '../s3-lock.run-registry.js';
import { resolveRunOptions, type ResolvedRunOptions } from '../s3-lock.run-options.js';
import { S3LockService } from '../s3-lock.service.js';

/** One call of a method decorated with `@WithS3Lock`, as the decorator hands it over. */
export interface S3LockedCall {
  /** The instance the method was called on. */
  readonly instance: object;
  /** The method, as `ClassName.methodName`. */
  readonly method: string;
  /** The call's arguments. */
  readonly args: unknown[];
  /** The decorator's options. */
  readonly options: Readonly<WithS3LockOptions>;
  /** Runs the original method with the call's instance and arguments. */
  readonly invoke: () => unknown;
}

/**
 * Holds the one path every `@WithS3Lock` call takes: resolve the key, acquire the lock (a fresh
 * owner per call, so two overlapping calls are two contenders), run the method with its lock in
 * `currentS3Lock()`, keep it extended if asked, and release it (or keep it for `minHold`) when
 * the method returns or throws. The method's outcome always reaches the caller unchanged.
 *
 * As a Nest interceptor (added by `@WithS3Lock` to its method, or with
 * `@UseInterceptors(S3LockInterceptor)` on a controller) it turns an `AlreadyLockedError` from
 * a handler, or from a locked service method the handler called, into `409 Conflict` without
 * naming the holder. The lock itself is taken inside the decorated method, once per call,
 * with the arguments the handler receives (after pipes).
 *
 * The protected hooks (`onAcquired`, `onLocked`, `onReleased`, `onLost`, `toHttpException`)
 * may be overridden in a subclass.
 */
@Injectable()
export class S3LockInterceptor implements NestInterceptor {
  protected readonly logger = new Logger(S3_LOCK_LOGGER_CONTEXT);
  protected readonly service: S3LockService;
  protected readonly registry: S3LockRunRegistry;
  private readonly resolved = new WeakMap<object, ResolvedRunOptions>();

  constructor(
    @Optional() @Inject(S3LockService) service?: S3LockService,
    @Optional() @Inject(S3LockRunRegistry) registry?: S3LockRunRegistry,
  ) {
    // Nest creates this interceptor in every module with a @WithS3Lock method: failing here
    // makes a missing S3LockModule a startup error with a clear message.
    if (!service || !registry) throw new S3LockError(messages.moduleMissing());
    this.service = service;
    this.registry = registry;
  }

  /** Maps a lock conflict to `409 Conflict` on HTTP; passes everything else through. */
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      catchError((error: unknown) =>
        throwError(() =>
          error instanceof AlreadyLockedError && context.getType() === 'http'
            ? this.toHttpException(error)
            : error,
        ),
      ),
    );
  }

  /**
   * Runs one decorated call under its lock. Resolves to the method's result, or to
   * `undefined` when the lock is held elsewhere in `'skip'` mode; rejects with the method's own
   * error, or `AlreadyLockedError` in `'throw'` mode.
   */
  async run(call: S3LockedCall): Promise<unknown> {
    const options = this.optionsOf(call.options);
    const key = this.keyOf(call, options);
    if (this.registry.isClosing) {
      this.logger.warn(messages.shuttingDown(call.method, key));
      return undefined;
    }
    const writeStartedAt = performance.now();
    let lock: Lock;
    try {
      lock = await this.service.acquire(key, { expire: options.expire, wait: options.wait });
    } catch (error) {
      if (error instanceof AlreadyLockedError) return this.onLocked(error, call, options);
      throw error;
    }
    if (this.registry.isClosing) {
      // Shutdown began while the lock was being taken: give it back rather than start a run.
      this.logger.warn(messages.shuttingDown(call.method, key));
      await this.service.release(lock).catch((error: unknown) => this.logger.warn(messages.releaseFailed(call.method, key, error)));
      return undefined;
    }
    const run = new LockedRun(this.service, call.method, lock, writeStartedAt, options.autoExtend, {
      lost: (error) => this.onLost({ key, method: call.method, lock: run.lock, error }),
      warn: (message) => this.logger.warn(message),
    });
    return this.registry.track(run, call.method, this.runHolding(run, call, options));
  }

  /** Called when the lock was taken, just before the method runs. Logs and emits `acquired`. */
  protected onAcquired(event: S3LockRunEvent): void {
    this.logger.debug(messages.acquired(event.method, event.key, event.lock?.token));
    this.registry.emit('acquired', event);
  }

  /**
   * Called when another owner holds the lock. Logs who (at debug level: on every replica but
   * one this is the normal outcome of every tick), emits `skipped`, then resolves to
   * `undefined` (`'skip'`) or rethrows the `AlreadyLockedError` (`'throw'`).
   */
  protected onLocked(error: AlreadyLockedError, call: S3LockedCall, options: ResolvedRunOptions): unknown {
    this.logger.debug(messages.skipped(call.method, { ...error.lock, owner: error.holder }));
    this.registry.emit('skipped', { key: error.key, method: call.method, holder: error.holder });
    if (options.onLocked === 'throw') throw error;
    return undefined;
  }

  /**
   * Called after the method finished and its lock was released (`end` is `'released'`) or kept
   * for `minHold` (`'held'`). Not called when the lock had been lost. Emits `released`.
   */
  protected onReleased(event: S3LockRunEvent, end: Exclude<RunEnd, 'not-held'>): void {
    this.logger.debug(messages.finished(event.method, event.key, event.durationMs ?? 0, end));
    this.registry.emit('released', event);
  }

  /** Called when the lock was lost while the method ran (its signal is aborted). Logs and emits `lost`. */
  protected onLost(event: S3LockRunEvent): void {
    this.logger.warn(messages.lost(event.method, event.key, event.error));
    this.registry.emit('lost', event);
  }

  /** The HTTP answer to a lock conflict: 409, without the holder's name. */
  protected toHttpException(_error: AlreadyLockedError): HttpException {
    return new ConflictException(messages.conflict());
  }

  private async runHolding(run: LockedRun, call: S3LockedCall, options: ResolvedRunOptions): Promise<unknown> {
    const key = run.lock.key;
    this.onAcquired({ key, method: call.method, lock: run.lock });
    try {
      return await runInS3LockContext(run, () => this.settle(call.invoke));
    } finally {
      const end = await run.finish(options.minHold);
      if (end !== 'not-held') this.onReleased({ key, method: call.method, lock: run.lock, durationMs: performance.now() - run.acquiredAt }, end);
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

  private optionsOf(options: Readonly<WithS3LockOptions>): ResolvedRunOptions {
    let resolved = this.resolved.get(options);
    if (!resolved) {
      resolved = resolveRunOptions(options, this.registry.defaults);
      this.resolved.set(options, resolved);
    }
    return resolved;
  }

  private keyOf(call: S3LockedCall, options: ResolvedRunOptions): string {
    if (typeof options.key === 'string') return options.key;
    const key = options.key(call.args, call.instance);
    if (typeof key !== 'string' || key.length === 0) {
      throw new InvalidLockArgumentError('key', messages.badKeyResult(call.method, key));
    }
    return key;
  }
}
