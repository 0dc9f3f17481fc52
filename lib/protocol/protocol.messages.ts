import type { Lock } from '../interfaces/lock.interface.js';

/** The way out for a store without conditional writes. */
const USE_CONDITIONAL_WRITES =
  "Use a store with conditional writes (AWS S3, Ceph RGW, MinIO, R2), or opt in to the origin design's weaker protocol " +
  "with { mode: 'write-wait-verify', wait: 1 } (two workers writing within the same wait window can both run).";

/**
 * What to do about a store that answers 501 to conditional writes (such as OpenStack Swift's S3
 * layer): the way out, and what turning the check off would and would not do.
 */
const CONDITIONAL_WRITES_ADVICE =
  `${USE_CONDITIONAL_WRITES} ` +
  'storeCheck: false skips the startup check, but in the default mode every acquire would then fail the same way.';

/** What to check when S3 cannot be reached. */
const CHECK_THE_ENDPOINT =
  'check the endpoint (AWS_ENDPOINT_URL_S3 / S3_ENDPOINT), the network and that the store is running.';

/**
 * The message texts of the lock protocol (lib/protocol/) and of the errors it throws
 * (lib/errors/): who holds a lock, lost and aborted locks, key and option checks, the store and
 * its startup check, and the advice given with an S3 failure (the CLI shows these too).
 * Imports nothing but a type, so that every layer may use it. The Nest-free client's own texts
 * (options, leadership, locked runs) are in `lib/core/core.messages.ts`, the Nest layer's in
 * `lib/s3-lock.messages.ts`; both build on the helpers at the end of this file.
 */
export const protocolMessages = {
  /** Who holds `lock`, for every message that says so: `"key" is held by "owner" since …`. */
  heldBy: (lock: Lock) =>
    `"${lock.key}" is held by "${lock.owner}" since ${isoOrNever(lock.lockTime)} ` +
    `(expires about ${isoOrNever(lock.expiresAt)} by the store's clock, token ${lock.token})`,

  alreadyLocked: (lock: Lock) => `Lock ${protocolMessages.heldBy(lock)}.`,

  lostRace: (current: Lock, attempts: number) =>
    `Lock "${current.key}" was taken by other writers first, ${attempts} times in a row ` +
    `(each write of this call lost to theirs); they have released it since (${lastHolder(current)}). ` +
    'This call does not hold the lock. Retry if you still need it.',

  foreignRewrites: (current: Lock, attempts: number) =>
    `Lock "${current.key}" kept changing while this call waited to take it: all ${attempts} attempts of this call were lost ` +
    "to other writers, the last to a new state written by another tool (one that keeps no fencing token, such as the origin design's) " +
    "within the store's current second, over which no token can be issued until that second has passed. " +
    `This call does not hold the lock (${lastHolder(current)}). ` +
    'Retry later; if it keeps happening, that tool rewrites the key about every second: keep it off this key.',

  acquireAborted: (key: string, reason: unknown, written: 'no' | 'released' | 'failed') =>
    `Acquiring lock "${key}" was aborted (${errorText(reason)}): ` +
    (written === 'no'
      ? 'this call holds no lock.'
      : written === 'released'
        ? 'the lock this call had just written was released again; this call holds no lock.'
        : 'the lock this call had just written could not be released; it expires after its `expire` seconds.'),

  /** The reason given to the waits that application shutdown ends. */
  applicationShuttingDown: () => 'the application is shutting down',

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
    `Invalid ${name}: expected ${expected}, got ${describeValue(value)}. Nothing was written.`,

  unreadableName: (name: string, unreadable: string, quoted: string) =>
    `Invalid ${name}: it contains ${unreadable}, which a person cannot read correctly ` +
    `(${quoted}); use visible characters only. Nothing was written.`,

  writeWaitVerifyNeedsWait: () =>
    "mode 'write-wait-verify' needs wait > 0 seconds (for example wait: 1, the origin design's default): " +
    'it is what gives a concurrent writer time to show up before ownership is confirmed.',

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

  // The store and its startup check (lib/protocol/s3-store.ts, store-check.ts).

  storeIgnores: (header: 'If-None-Match' | 'If-Match', bucket: string, objectKey: string) =>
    `The S3 store for bucket "${bucket}" ignores ${header} on PutObject (checked on "${objectKey}"): ` +
    `locks on it would not be atomic. ${USE_CONDITIONAL_WRITES} ` +
    'To skip this check (not recommended), set storeCheck: false.',

  storeLacksConditionalWrites: (bucket: string, objectKey: string) =>
    `The S3 store for bucket "${bucket}" does not implement conditional writes (HTTP 501 on "${objectKey}"): ` +
    `locks on it would not be atomic. ${CONDITIONAL_WRITES_ADVICE}`,

  storeRejectsOwnEtag: (bucket: string, objectKey: string) =>
    `The S3 store for bucket "${bucket}" refuses If-Match with the ETag it returned itself, quoted or not ` +
    `(checked on "${objectKey}"). Locks cannot be taken over or released safely on it.`,

  storeError: (operation: string, bucket: string, objectKey: string, detail: string, advice: string) =>
    `S3 ${operation} on s3://${bucket}/${objectKey} failed: ${detail}. ${advice}`,

  probeWriteFailed: () => 'The store check could not write its probe object; check the store and retry.',

  // What to do about an S3 failure, by its kind (lib/protocol/s3-errors.ts); `storeError` ends with it.

  noSuchBucket: () => 'The bucket does not exist: create it or fix the bucket name.',

  notImplemented: () =>
    'The store does not implement a request header the lock needs (conditional writes: If-None-Match / If-Match). ' +
    CONDITIONAL_WRITES_ADVICE,

  unreachable: () => `S3 is unreachable: ${CHECK_THE_ENDPOINT}`,

  noAnswer: () => `S3 did not answer: ${CHECK_THE_ENDPOINT}`,

  noCredentials: () =>
    'No AWS credentials were found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), ' +
    'run where an instance or task role is available, or pass clientConfig.credentials.',

  credentialsRefused: () =>
    'The credentials were refused: check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the profile or role in use).',

  accessDenied: () =>
    'Access denied: the identity needs s3:GetObject and s3:PutObject on the lock prefix, and s3:ListBucket on the bucket ' +
    '(without it, AWS answers 403 instead of 404 for a lock that does not exist yet); see the IAM policy in docs/OPERATIONS.md of the package. ' +
    'If expectedBucketOwner is set, the bucket owner must match it.',

  listDenied: () =>
    'Access denied: listing needs s3:ListBucket on the bucket (for the prefix); status and release do not.',

  otherRegion: () => "The bucket is in another region: set AWS_REGION (or clientConfig.region) to the bucket's region.",

  refused: () => 'S3 refused the request; see the cause for details.',
} as const;

/** Who held a lock last, for a call that lost it to others: `it is free now` or the holder and until when. */
function lastHolder(current: Lock): string {
  return current.owner === null ? 'it is free now' : `"${current.owner}" held it until ${isoOrNever(current.expiresAt)}`;
}

/** A date for a message, or `never`. */
export function isoOrNever(date: Date | null): string {
  return date ? date.toISOString() : 'never';
}

/** What an error (or any thrown value) says, for a message. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `errorText(error)` as a sentence: ending with one full stop. */
export function errorSentence(error: unknown): string {
  const text = errorText(error);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/** A value a user passed, for a message: strings quoted and cut at 80 characters, objects by their type. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  return typeof value;
}
