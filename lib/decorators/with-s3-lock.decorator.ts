import { Inject, Optional, UseInterceptors } from '@nestjs/common';
import { S3LockError } from '../errors/s3-lock.error.js';
import type {
  S3LockKey,
  S3LockRunOptions,
  WithS3LockOptions,
} from '../interfaces/s3-lock-module-options.interface.js';
import { S3LockInterceptor } from '../interceptors/s3-lock.interceptor.js';
import {
  S3_LOCK_INTERCEPTOR_PROPERTY,
  S3_LOCK_OPTIONS_METADATA,
} from '../s3-lock.internal-constants.js';
import { messages } from '../s3-lock.messages.js';
import { checkDecoratorOptions } from '../s3-lock.run-options.js';
import { copyMethodMetadata } from './copy-method-metadata.js';
import { processShared } from '../core/process-shared.js';

type WithInterceptor = { [S3_LOCK_INTERCEPTOR_PROPERTY]?: S3LockInterceptor };

/** Classes that already ask Nest for the interceptor (one set per process, whichever build decorated them). */
const injected = processShared('decorated-classes', () => new WeakSet<object>());

/**
 * Runs the decorated method only while holding the S3 lock `key`: on one replica at a time,
 * once per call. Meant above all for `@Cron`, `@Interval` and `@Timeout` jobs (in either
 * decorator order), and works on any method of a provider or controller, sync or async.
 *
 * Each call takes the lock with a fresh owner, runs the method, and releases the lock when it
 * returns or throws (its error reaches the caller unchanged). When another owner holds the
 * lock, the method does not run and the call resolves to `undefined` (`onLocked: 'skip'`, the
 * default) or rejects with `AlreadyLockedError` (`onLocked: 'throw'`; `409` over HTTP).
 * The decorated method always returns a Promise (declare it `async` so its type says so); a
 * method that returns an Observable is subscribed to under the lock and resolves to its last value.
 * Inside it, `currentS3Lock()` gives the lock,
 * its fencing token and an `AbortSignal`.
 *
 * Needs `S3LockModule` in the application: without it Nest fails at startup, and an instance
 * Nest did not create refuses to run the method (it never runs unlocked).
 *
 * @param key the lock key, or a function `(args, instance) => key` called on every call
 * @param options see {@link S3LockRunOptions}; defaults come from `S3LockModule.forRoot`
 *
 * @example
 * \@Injectable()
 * export class ReportJobs {
 *   \@Cron('0 0 3 * * *')
 *   \@WithS3Lock('nightly-report', { expire: 600, minHold: 30 })
 *   async nightlyReport() { ... }
 *
 *   \@WithS3Lock({ key: ([tenant]) => `export:${tenant}`, onLocked: 'throw' })
 *   async export(tenant: string) { ... }
 * }
 */
export function WithS3Lock(key: S3LockKey, options?: S3LockRunOptions): MethodDecorator;
/** The same, with the key among the options. */
export function WithS3Lock(options: WithS3LockOptions): MethodDecorator;
export function WithS3Lock(
  keyOrOptions: S3LockKey | WithS3LockOptions,
  options: S3LockRunOptions = {},
): MethodDecorator {
  const lockOptions = checkDecoratorOptions(
    typeof keyOrOptions === 'object' && keyOrOptions !== null
      ? keyOrOptions
      : { ...options, key: keyOrOptions },
  );
  return (target, propertyKey, descriptor) => {
    const where = `${typeof target === 'function' ? target.name : target.constructor.name}.${String(propertyKey)}`;
    const original: unknown = descriptor.value;
    if (typeof original !== 'function') throw new TypeError(messages.notAMethod(where));
    if (typeof target === 'function') throw new TypeError(messages.staticMethod(where));

    const wrapper = function (this: WithInterceptor | undefined, ...args: unknown[]): Promise<unknown> {
      const interceptor = this?.[S3_LOCK_INTERCEPTOR_PROPERTY];
      if (!interceptor) return Promise.reject(new S3LockError(messages.notCreatedByNest(where)));
      return interceptor.run({
        instance: this as object,
        method: where,
        args,
        options: lockOptions,
        invoke: () => original.apply(this, args),
      });
    };
    copyMethodMetadata(original, wrapper);
    Reflect.defineMetadata(S3_LOCK_OPTIONS_METADATA, lockOptions, wrapper);
    descriptor.value = wrapper as typeof descriptor.value;
    // On controllers: a lock conflict becomes 409. On providers: Nest creates the interceptor
    // in the class's module at startup, which fails clearly when S3LockModule is missing there.
    UseInterceptors(S3LockInterceptor)(target, propertyKey, descriptor);
    injectInterceptor(target);
    return descriptor;
  };
}

/** Asks Nest to set the interceptor on every instance of the class, under a hidden symbol. */
function injectInterceptor(prototype: object): void {
  if (injected.has(prototype)) return;
  injected.add(prototype);
  Inject(S3LockInterceptor)(prototype, S3_LOCK_INTERCEPTOR_PROPERTY);
  Optional()(prototype, S3_LOCK_INTERCEPTOR_PROPERTY);
}
