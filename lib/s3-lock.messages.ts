import type { Lock } from './interfaces/lock.interface.js';
import { describeValue, errorText, protocolMessages } from './protocol/protocol.messages.js';

/**
 * The message texts of the Nest layer: the decorators, the runner and its schedules
 * (lib/runner/), the interceptor and the module. Nothing below the Nest layer imports this file,
 * so that `nestjs-s3-lock/core` loads none of it. The texts this layer shares with the Nest-free
 * client are in `lib/core/core.messages.ts` (a locked run's extend and release) and
 * `lib/protocol/protocol.messages.ts` (who holds a lock, option checks).
 */
export const messages = {
  notAMethod: (decorator: '@WithS3Lock' | '@WhileLeader', where: string) =>
    `${decorator} can only decorate a method, but ${where} is not a function. ` +
    `Put it on a method of a class that Nest creates (${decorator === '@WithS3Lock' ? 'a provider or a controller' : 'a provider'}).`,

  staticMethod: (where: string) =>
    `@WithS3Lock cannot decorate the static method ${where}: Nest injects the lock into ` +
    'instances. Move the job to an instance method of a provider.',

  badKeyOption: (value: unknown) =>
    `@WithS3Lock needs a key: a non-empty string or a function (args, instance) => string, got ${describeValue(value)}.`,

  badDecoratorArgument: (value: unknown, position: 'options' | 'wait' | 'extra' = 'options') =>
    position === 'wait'
      ? `@WithS3Lock(key, options) takes no third argument, got ${describeValue(value)}: write @WithS3Lock(key, expire, wait) with numbers, or put wait in the options.`
      : position === 'extra'
        ? `@WithS3Lock takes at most three arguments (key, expire, wait), got a fourth: ${describeValue(value)}.`
        : `@WithS3Lock(key, ...) takes an options object ({ expire, wait, ... }) or the short form (key, expire, wait) with numbers, got ${describeValue(value)}.`,

  noBucketInEnvironment: (variable: string) =>
    `S3LockModule.forRoot() was given no bucket, so it reads the environment variable ${variable}, which is not set. ` +
    `Set ${variable}=my-bucket, or name the bucket: S3LockModule.forRoot('my-bucket').`,

  badKeyResult: (method: string, value: unknown) =>
    `The key function of @WithS3Lock on ${method} returned ${describeValue(value)}; it must return a ` +
    'non-empty string. The method did not run.',

  notCreatedByNest: (method: string) =>
    `${method} is decorated with @WithS3Lock, but this instance has no lock service: it was not ` +
    'created by Nest (created with `new`, or the method was called without its instance). ' +
    'Get the instance from Nest (inject it, or app.get()). The method did not run.',

  moduleMissing: () =>
    'A class with a @WithS3Lock method is in a module where S3LockModule is not available, so its ' +
    "calls could not take a lock. Import S3LockModule.forRoot({ bucket: 'my-bucket', isGlobal: true }) " +
    '(or forRootAsync with isGlobal: true) in the root module, or import S3LockModule into this one.',

  acquired: (method: string, key: string, token: number | undefined) =>
    `Acquired lock "${key}" (token ${token}) for ${method}.`,

  finished: (method: string, key: string, durationMs: number, end: 'released' | 'held') =>
    `${method} finished in ${Math.round(durationMs)} ms; lock "${key}" ` +
    (end === 'released' ? 'released.' : 'kept until its minHold is over.'),

  skipped: (method: string, lock: Lock) => `Skipped ${method}: lock ${protocolMessages.heldBy(lock)}.`,

  tickAlreadyRun: (method: string, key: string, tick: Date, holder: string | null | undefined) =>
    `Skipped ${method}: its tick ${tick.toISOString()} (lock "${key}") was taken by another run` +
    (holder ? `; "${holder}" holds the lock now.` : ' (it has finished).'),

  tickLostRace: (method: string, key: string, tick: Date) =>
    `Skipped ${method}: another replica claimed its tick ${tick.toISOString()} (lock "${key}") a moment earlier.`,

  badInterval: (name: string, value: unknown) =>
    `The interval of ${name} must be a whole number of milliseconds, at least 1; got ${describeValue(value)}.`,

  badCron: (name: string, value: unknown) =>
    `The cron schedule of ${name} must be a cron expression or a Date; got ${describeValue(value)}.`,

  cronMissing: (name: string) =>
    `${name} runs on a cron schedule, and its ticks are computed with the \`cron\` package, which could ` +
    'not be loaded. It comes with @nestjs/schedule; install it (`npm install cron`) if your package manager does not hoist it.',

  badSchedule: (value: unknown) =>
    'runScheduled needs one of { cron }, { interval } or { tick } (a Date or ms since the epoch) ' +
    `in its options; got ${describeValue(value)}.`,

  storeUnavailable: (method: string, key: string, error: unknown) =>
    `S3 cannot be used for lock "${key}": ${errorText(error)} ${method} is skipped (it never runs without its lock) ` +
    'until S3 answers again.',

  skippedStoreUnavailable: (method: string, key: string) => `Skipped ${method}: S3 cannot be used for lock "${key}".`,

  storeStillUnavailable: (key: string, skipped: number, sinceMs: number, error: unknown) =>
    `S3 still cannot be used for lock "${key}" (for ${Math.round(sinceMs / 1000)} s; ${skipped} scheduled ` +
    `${skipped === 1 ? 'run' : 'runs'} skipped so far): ${errorText(error)}`,

  storeAvailableAgain: (key: string, skipped: number, sinceMs: number) =>
    `S3 answers again for lock "${key}": ${skipped} scheduled ${skipped === 1 ? 'run was' : 'runs were'} skipped ` +
    `while it could not be used (${Math.round(sinceMs / 1000)} s).`,

  missedTicks: (method: string, key: string, missed: { count: number; atLeast: boolean; first: Date; last: Date }, tick: Date) =>
    `${method}: ${missed.atLeast ? 'more than ' : ''}${missed.count} ${missed.count === 1 && !missed.atLeast ? 'tick' : 'ticks'} of lock "${key}" ran on no replica ` +
    `(${missed.count === 1 ? missed.first.toISOString() : `${missed.first.toISOString()} to ${missed.last.toISOString()}`}): ` +
    `none was up or fired for ${missed.count === 1 ? 'it' : 'them'}, or each found the lock held. Running the tick of ${tick.toISOString()} now.`,

  shuttingDown: (method: string, key: string) =>
    `Skipped ${method}: the application is shutting down, so it did not run (lock "${key}" is not held by it).`,

  lost: (method: string, key: string, error: unknown) =>
    `Lost lock "${key}" while ${method} was running: ${errorText(error)} ` +
    'The run signal was aborted; another replica may now run the same job.',

  abortedForShutdown: (key: string) =>
    `The application is shutting down; the lock "${key}" will be released.`,

  releasedAtShutdown: (key: string, method: string) =>
    `Released lock "${key}" of ${method} at shutdown while the method was still running.`,

  hookFailed: (hook: string, error: unknown) =>
    `The S3LockModule events.${hook} hook threw; ignored: ${errorText(error)}`,

  conflict: () => 'This operation is already running. Try again later.',
} as const;
