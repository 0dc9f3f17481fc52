import { Inject, Optional, UseInterceptors } from '@nestjs/common';
import { InvalidLockArgumentError } from '../errors/invalid-lock-argument.error.js';
import { S3LockError } from '../errors/s3-lock.error.js';
import type {
  S3LockKey,
  WithS3LockOptions,
  WithS3LockRunOptions,
} from '../interfaces/s3-lock-module-options.interface.js';
import { S3LockInterceptor } from '../interceptors/s3-lock.interceptor.js';
import { checkDecoratorOptions } from '../runner/run-options.js';
import { S3LockRunner } from '../runner/s3-lock.runner.js';
import {
  S3_LOCK_OPTIONS_METADATA,
  S3_LOCK_RUNNER_PROPERTY,
} from '../s3-lock.internal-constants.js';
import { messages } from '../s3-lock.messages.js';
import { copyMethodMetadata } from './copy-method-metadata.js';
import { processShared } from '../core/process-shared.js';

type WithRunner = { [S3_LOCK_RUNNER_PROPERTY]?: S3LockRunner };

/** The `@WithS3Lock` methods of each class prototype (one map per process, whichever build decorated them). */
const decoratedMethods = processShared('decorated-methods', () => new WeakMap<object, Set<string | symbol>>());

/**
 * Runs the decorated method only while holding the S3 lock `key`: on one replica at a time.
 * Meant above all for `@Cron`, `@Interval` and `@Timeout` jobs (in either decorator order),
 * and works on any method of a provider or controller, sync or async.
 *
 * Each call takes the lock with a fresh owner, runs the method, and releases the lock when it
 * returns or throws (its error reaches the caller unchanged). When another owner holds the
 * lock, the method does not run and the call resolves to `undefined` (`onLocked: 'skip'`, the
 * default) or rejects with `AlreadyLockedError` (`onLocked: 'throw'`; `409` over HTTP).
 *
 * A call made by `@nestjs/schedule` for a `@Cron` or `@Interval` job also claims its tick (the
 * occurrence it was fired for, by the store's clock) in the lock object: each tick runs once
 * across all replicas, whatever their timers and clocks do, with no option to tune. A tick
 * already run is skipped whatever `onLocked` says. Calls of the same method from anywhere else
 * (a controller, a test, another job) are direct calls: they are not ticks and only take the
 * lock. See docs/SCHEDULING.md.
 * The decorated method always returns a Promise (declare it `async` so its type says so); a
 * method that returns an Observable is subscribed to under the lock and resolves to its last value.
 * Inside it, `currentS3Lock()` gives the lock,
 * its fencing token and an `AbortSignal`.
 *
 * Needs `S3LockModule` in the application: without it Nest fails at startup, and an instance
 * Nest did not create refuses to run the method (it never runs unlocked).
 *
 * @param key the lock key, or a function `(args, instance) => key` called on every call
 * @param options see {@link WithS3LockOptions} (but the key); defaults come from `S3LockModule.forRoot`. The
 *   short form `@WithS3Lock(key, expire, wait)` sets only those two.
 *
 * @example
 * \@Injectable()
 * export class ReportJobs {
 *   \@Cron('0 0 3 * * *')
 *   \@WithS3Lock('nightly-report', { expire: 600 })
 *   async nightlyReport() { ... }
 *
 *   \@Cron('0 0 * * * *')
 *   \@WithS3Lock('sync', 60, 1) // key, expire, wait
 *   async sync() { ... }
 *
 *   \@WithS3Lock({ key: ([tenant]) => `export:${tenant}`, onLocked: 'throw' })
 *   async export(tenant: string) { ... }
 * }
 */
export function WithS3Lock(key: S3LockKey, options?: WithS3LockRunOptions): MethodDecorator;
/**
 * The short form, in the design's own words (key, expire, wait): `@WithS3Lock('report', 60, 1)`
 * is `@WithS3Lock('report', { expire: 60, wait: 1 })`.
 * @param expire seconds until a holder that died frees the lock; see `S3LockRunOptions.expire`
 * @param wait seconds to wait after writing before confirming; see `S3LockRunOptions.wait`
 */
export function WithS3Lock(key: S3LockKey, expire: number, wait?: number): MethodDecorator;
/** The same, with the key among the options. */
export function WithS3Lock(options: WithS3LockOptions): MethodDecorator;
export function WithS3Lock(
  keyOrOptions: S3LockKey | WithS3LockOptions,
  optionsOrExpire?: WithS3LockRunOptions | number,
  wait?: number,
  ...more: unknown[]
): MethodDecorator {
  if (more.length > 0) throw new InvalidLockArgumentError('options', messages.badDecoratorArgument(more[0], 'extra'));
  const lockOptions = checkDecoratorOptions(
    typeof keyOrOptions === 'object' && keyOrOptions !== null
      ? keyOrOptions
      : { ...shortFormOptions(optionsOrExpire, wait), key: keyOrOptions },
  );
  return (target, propertyKey, descriptor) => {
    const where = `${typeof target === 'function' ? target.name : target.constructor.name}.${String(propertyKey)}`;
    const original: unknown = descriptor.value;
    if (typeof original !== 'function') throw new TypeError(messages.notAMethod('@WithS3Lock', where));
    if (typeof target === 'function') throw new TypeError(messages.staticMethod(where));

    const wrapper = function (this: WithRunner | undefined, ...args: unknown[]): Promise<unknown> {
      const runner = this?.[S3_LOCK_RUNNER_PROPERTY];
      if (!runner) return Promise.reject(new S3LockError(messages.notCreatedByNest(where)));
      return runner.runDecorated(this as object, propertyKey, where, lockOptions, args, () => original.apply(this, args));
    };
    copyMethodMetadata(original, wrapper);
    Reflect.defineMetadata(S3_LOCK_OPTIONS_METADATA, lockOptions, wrapper);
    descriptor.value = wrapper as typeof descriptor.value;
    // On controllers: a lock conflict becomes 409. On providers: Nest creates the interceptor
    // in the class's module at startup, which fails clearly when S3LockModule is missing there.
    UseInterceptors(S3LockInterceptor)(target, propertyKey, descriptor);
    registerMethod(target, propertyKey);
    return descriptor;
  };
}

/**
 * The options of `@WithS3Lock(key, options)` or of the short form `@WithS3Lock(key, expire,
 * wait)`; anything else in second place is refused when the class is defined (never dropped).
 */
function shortFormOptions(optionsOrExpire: WithS3LockRunOptions | number | undefined, wait: number | undefined): WithS3LockRunOptions {
  if (typeof optionsOrExpire === 'number') return wait === undefined ? { expire: optionsOrExpire } : { expire: optionsOrExpire, wait };
  if (optionsOrExpire !== undefined && (typeof optionsOrExpire !== 'object' || optionsOrExpire === null)) {
    throw new InvalidLockArgumentError('options', messages.badDecoratorArgument(optionsOrExpire));
  }
  if (wait !== undefined) throw new InvalidLockArgumentError('wait', messages.badDecoratorArgument(wait, 'wait'));
  return optionsOrExpire ?? {};
}

/**
 * Records a decorated method of `prototype` and, the first time, asks Nest to inject the runner
 * into every instance under a hidden symbol. The injection goes through a setter, so the runner
 * learns of each instance as Nest creates it (see `runner/scheduled-calls.ts`).
 */
function registerMethod(prototype: object, key: string | symbol): void {
  let keys = decoratedMethods.get(prototype);
  if (keys) {
    keys.add(key);
    return;
  }
  keys = new Set([key]);
  decoratedMethods.set(prototype, keys);
  Inject(S3LockRunner)(prototype, S3_LOCK_RUNNER_PROPERTY);
  Optional()(prototype, S3_LOCK_RUNNER_PROPERTY);
  Object.defineProperty(prototype, S3_LOCK_RUNNER_PROPERTY, {
    configurable: true,
    get: () => undefined,
    set(this: object, runner: S3LockRunner | undefined) {
      adoptInstance(this, runner);
    },
  });
}

/** Keeps the runner Nest injected into `instance`, and lets it adopt the instance once. */
function adoptInstance(instance: object, runner: S3LockRunner | undefined): void {
  if (Object.getOwnPropertyDescriptor(instance, S3_LOCK_RUNNER_PROPERTY)?.value === runner) return;
  Object.defineProperty(instance, S3_LOCK_RUNNER_PROPERTY, { value: runner, configurable: true, writable: true });
  if (!runner) return;
  const methods = new Set<string | symbol>();
  for (let proto = Object.getPrototypeOf(instance); proto; proto = Object.getPrototypeOf(proto)) {
    decoratedMethods.get(proto)?.forEach((key) => methods.add(key));
  }
  runner.adopt(instance, methods);
}
