import type { Lock } from './interfaces/lock.interface.js';

const iso = (d: Date): string => d.toISOString();

/**
 * Every message text of the Nest layer (decorator, interceptor, module), in one place.
 * Kept next to `s3-lock.messages.ts`, which holds those of the service and the protocol.
 */
export const nestMessages = {
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
    `its expire of ${expire} s. Raise \`expire\` or set \`autoExtend: true\`.`,

  abortedForShutdown: (key: string) =>
    `The application is shutting down; the lock "${key}" will be released.`,

  releasedAtShutdown: (key: string, method: string) =>
    `Released lock "${key}" of ${method} at shutdown while the method was still running.`,

  hookFailed: (hook: string, error: unknown) =>
    `The S3LockModule events.${hook} hook threw; ignored: ${errorText(error)}`,

  conflict: () => 'This operation is already running. Try again later.',
} as const;

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  return typeof value;
}
