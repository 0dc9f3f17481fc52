import type { Lock } from './interfaces/lock.interface.js';
import { CONDITIONAL_WRITES_ADVICE } from './protocol/s3-errors.js';

const iso = (d: Date | null): string => (d ? d.toISOString() : 'never');

/** Every message text the library shows a person (service, protocol and Nest layer), in one place. */
export const messages = {
  alreadyLocked: (lock: Lock) =>
    `Lock "${lock.key}" is held by "${lock.owner}" since ${iso(lock.lockTime)} ` +
    `(expires about ${iso(lock.expiresAt)} by the store's clock, token ${lock.token}).`,

  lostRace: (current: Lock, attempts: number) =>
    `Lock "${current.key}" was taken by other writers first, ${attempts} times in a row ` +
    `(each write of this call lost to theirs); they have released it since ` +
    `(${current.owner === null ? 'it is free now' : `"${current.owner}" held it until ${iso(current.expiresAt)}`}). ` +
    'This call does not hold the lock. Retry if you still need it.',

  foreignRewrites: (current: Lock, attempts: number) =>
    `Lock "${current.key}" kept changing while this call waited to take it: all ${attempts} attempts of this call were lost ` +
    "to other writers, the last to a new state written by another tool (one that keeps no fencing token, such as the origin design's) " +
    "within the store's current second, over which no token can be issued until that second has passed. " +
    `This call does not hold the lock (${current.owner === null ? 'it is free now' : `"${current.owner}" held it until ${iso(current.expiresAt)}`}). ` +
    'Retry later; if it keeps happening, that tool rewrites the key about every second: keep it off this key.',

  acquireAborted: (key: string, reason: unknown, written: 'no' | 'released' | 'failed') =>
    `Acquiring lock "${key}" was aborted (${reason instanceof Error ? reason.message : String(reason)}): ` +
    (written === 'no'
      ? 'this call holds no lock.'
      : written === 'released'
        ? 'the lock this call had just written was released again; this call holds no lock.'
        : 'the lock this call had just written could not be released; it expires after its `expire` seconds.'),

  lockLost: (lock: Lock, current: Lock | null) =>
    `Lock "${lock.key}" is no longer held by "${lock.owner}" (token ${lock.token}): ` +
    (current === null
      ? 'its object is gone. '
      : current.owner === null
        ? 'it was released by someone else. '
        : current.token === 0
          ? `it was overwritten by another tool (the origin design's writer, no fencing token), now held by "${current.owner}". `
          : `it is now held by "${current.owner}" (token ${current.token}). `) +
    'Nothing was written. If this happens in normal runs, raise `expire` or extend the lock while working.',

  corruptLock: (key: string, objectKey: string, reason: string) =>
    `The object "${objectKey}" for lock "${key}" is not a lock document: ${reason}. ` +
    'Nothing was written. Check what wrote it; if it is garbage, delete the object and retry.',

  invalidKey: (reason: string) => `Invalid lock key: ${reason}. Nothing was written.`,

  invalidOption: (name: string, expected: string, value: unknown) =>
    `Invalid ${name}: expected ${expected}, got ${describe(value)}. Nothing was written.`,

  unreadableName: (name: string, unreadable: string, quoted: string) =>
    `Invalid ${name}: it contains ${unreadable}, which a person cannot read correctly ` +
    `(${quoted}); use visible characters only. Nothing was written.`,

  missingBucket: (value: unknown) =>
    `S3LockModule, S3LockService and S3LockClient need a bucket name: got ${describe(value)}. ` +
    "Pass it as S3LockModule.forRoot('my-bucket') or { bucket: 'my-bucket' }.",

  writeWaitVerifyNeedsWait: () =>
    "mode 'write-wait-verify' needs wait > 0 seconds (for example wait: 1, the origin design's default): " +
    'it is what gives a concurrent writer time to show up before ownership is confirmed.',

  storeIgnores: (header: 'If-None-Match' | 'If-Match', bucket: string, objectKey: string) =>
    `The S3 store for bucket "${bucket}" ignores ${header} on PutObject (checked on "${objectKey}"): ` +
    'locks on it would not be atomic. Use a store with conditional writes (AWS S3, Ceph RGW, MinIO, R2), ' +
    "or opt in to the origin design's weaker protocol with { mode: 'write-wait-verify', wait: 1 } " +
    '(two workers writing within the same wait window can both run). ' +
    'To skip this check (not recommended), set storeCheck: false.',

  storeLacksConditionalWrites: (bucket: string, objectKey: string) =>
    `The S3 store for bucket "${bucket}" does not implement conditional writes (HTTP 501 on "${objectKey}"): ` +
    `locks on it would not be atomic. ${CONDITIONAL_WRITES_ADVICE}`,

  storeRejectsOwnEtag: (bucket: string, objectKey: string) =>
    `The S3 store for bucket "${bucket}" refuses If-Match with the ETag it returned itself, quoted or not ` +
    `(checked on "${objectKey}"). Locks cannot be taken over or released safely on it.`,

  storeError: (operation: string, bucket: string, objectKey: string, detail: string, advice: string) =>
    `S3 ${operation} on s3://${bucket}/${objectKey} failed: ${detail}. ${advice}`,

  storeExcludes: (option: string) =>
    `"${option}" has no effect with "store" (the locks live in that store, not on S3); remove one of the two.`,

  listDenied: () =>
    'Access denied: listing needs s3:ListBucket on the bucket (for the prefix); status and release do not.',

  outcomeUnknown: (operation: 'acquire' | 'extend' | 'release', key: string, attempts: number, last: string) =>
    `Could not settle ${operation} of lock "${key}" after ${attempts} attempts (last: ${last}); ` +
    (last.startsWith('precondition') ? 'other writers kept changing it (heavy contention). ' : 'the store is failing or throttling. ') +
    (operation === 'acquire'
      ? 'This call does not hold the lock. A write of it that is still in flight could yet land, and would then hold the lock until it expires. Retry later.'
      : 'The lock may still be held until it expires. Retry later.'),

  foreignClockBehind: (key: string, objectKey: string) =>
    `Lock "${key}" was last written by another tool (no fencing token kept) and the store's clock ` +
    `has not moved past that write's LastModified second after several tries, so a new token might not exceed the old ones. ` +
    `Nothing was written. Check the store's clock (s3://…/${objectKey}) and retry.`,

  notIssued: (operation: 'release' | 'extend') =>
    `${operation}() takes a lock returned by acquire(), extend() or release() of this service; ` +
    'this one was not (a copy, or a state read with inspect()). Nothing was written. ' +
    'To free a lock you do not hold on purpose (an operator freeing a dead owner), use forceRelease(lock).',

  lostDuringWait: (key: string) =>
    `Lock "${key}" changed hands during the confirmation wait: another writer replaced it.`,

  staleRelease: (lock: Lock, current: Lock | null) =>
    `Release of "${lock.key}" by "${lock.owner}" wrote nothing: ` +
    (current?.owner ? `"${current.owner}" holds it now.` : 'the lock changed since it was taken.'),

  // The Nest layer: decorator, interceptor, module, locked runs.

  notAMethod: (where: string) =>
    `@WithS3Lock can only decorate a method, but ${where} is not a function. ` +
    'Put it on a method of a class that Nest creates (a provider or a controller).',

  staticMethod: (where: string) =>
    `@WithS3Lock cannot decorate the static method ${where}: Nest injects the lock into ` +
    'instances. Move the job to an instance method of a provider.',

  badKeyOption: (value: unknown) =>
    `@WithS3Lock needs a key: a non-empty string or a function (args, instance) => string, got ${describe(value)}.`,

  badKeyResult: (method: string, value: unknown) =>
    `The key function of @WithS3Lock on ${method} returned ${describe(value)}; it must return a ` +
    'non-empty string. The method did not run.',

  notCreatedByNest: (method: string) =>
    `${method} is decorated with @WithS3Lock, but this instance has no lock service: it was not ` +
    'created by Nest (created with `new`, or the method was called without its instance). ' +
    'Get the instance from Nest (inject it, or app.get()). The method did not run.',

  moduleMissing: () =>
    'A class with a @WithS3Lock method is in a module where S3LockModule is not available, so its ' +
    "calls could not take a lock. Import S3LockModule.forRoot('my-bucket') (or forRootAsync) with " +
    '{ isGlobal: true } in the root module, or import the module that registers it into this one.',

  acquired: (method: string, key: string, token: number | undefined) =>
    `Acquired lock "${key}" (token ${token}) for ${method}.`,

  finished: (method: string, key: string, durationMs: number, end: 'released' | 'held') =>
    `${method} finished in ${Math.round(durationMs)} ms; lock "${key}" ` +
    (end === 'released' ? 'released.' : 'kept until its minHold is over.'),

  skipped: (method: string, lock: Lock & { owner: string }) =>
    `Skipped ${method}: lock "${lock.key}" is held by "${lock.owner}" ` +
    `(since ${iso(lock.lockTime)}, expires about ${iso(lock.expiresAt)}).`,

  tickAlreadyRun: (method: string, key: string, tick: Date, holder: string | null | undefined) =>
    `Skipped ${method}: its tick ${tick.toISOString()} (lock "${key}") was taken by another run` +
    (holder ? `; "${holder}" holds the lock now.` : ' (it has finished).'),

  tickLostRace: (method: string, key: string, tick: Date) =>
    `Skipped ${method}: another replica claimed its tick ${tick.toISOString()} (lock "${key}") a moment earlier.`,

  badInterval: (name: string, value: unknown) =>
    `The interval of ${name} must be a whole number of milliseconds, at least 1; got ${describe(value)}.`,

  badCron: (name: string, value: unknown) =>
    `The cron schedule of ${name} must be a cron expression or a Date; got ${describe(value)}.`,

  cronMissing: (name: string) =>
    `${name} runs on a cron schedule, and its ticks are computed with the \`cron\` package, which could ` +
    'not be loaded. It comes with @nestjs/schedule; install it (`npm install cron`) if your package manager does not hoist it.',

  badSchedule: (value: unknown) =>
    'runScheduled needs one of { cron }, { interval } or { tick } (a Date or ms since the epoch) ' +
    `in its options; got ${describe(value)}.`,

  shuttingDown: (method: string, key: string) =>
    `Skipped ${method}: the application is shutting down, so lock "${key}" was not taken.`,

  releaseFailed: (method: string, key: string, error: unknown) =>
    `Releasing lock "${key}" after ${method} failed: ${errorText(error)}. ` +
    'It will expire on its own after its `expire` seconds.',

  lost: (method: string, key: string, error: unknown) =>
    `Lost lock "${key}" while ${method} was running: ${errorText(error)} ` +
    'The run signal was aborted; another replica may now run the same job.',

  extendFailed: (key: string, error: unknown) =>
    `Extending lock "${key}" failed (will retry while it is still held): ${errorText(error)}`,

  expiredWhileRunning: (key: string, expire: number) =>
    `Lock "${key}" expired while its method was still running: it was not extended within ` +
    `its expire of ${expire} s (the signal fires up to a second early, before any other owner can take it). ` +
    'Raise `expire` or set `autoExtend: true`.',

  abortedForShutdown: (key: string) =>
    `The application is shutting down; the lock "${key}" will be released.`,

  releasedAtShutdown: (key: string, method: string) =>
    `Released lock "${key}" of ${method} at shutdown while the method was still running.`,

  hookFailed: (hook: string, error: unknown) =>
    `The S3LockModule events.${hook} hook threw; ignored: ${errorText(error)}`,

  conflict: () => 'This operation is already running. Try again later.',

  // Waiting for a lock and leadership (lib/protocol/process-locks.ts, lib/leadership/).
  elected: (key: string, token: number) => `This replica is now the leader of "${key}" (token ${token}).`,

  deposed: (key: string, token: number, why: string) =>
    `This replica is no longer the leader of "${key}" (token ${token}): ${why}`,

  leaseRunningOut: (key: string, expire: number) =>
    `the lease of "${key}" (expire ${expire} s) could not be extended in time: S3 did not answer, ` +
    'or this process stalled. It steps down before another replica can take over, and competes again.',

  leadershipRetry: (key: string, error: unknown) =>
    `Competing for the leadership of "${key}" failed (will try again): ${errorText(error)}`,

  leaderHandlerFailed: (key: string, handler: string, error: unknown) =>
    `The ${handler} handler of the leadership of "${key}" failed: ${errorText(error)}`,
} as const;

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  return typeof value;
}
