import { InvalidLockArgumentError } from '../errors/invalid-lock-argument.error.js';
import { messages } from '../s3-lock.messages.js';

/** S3's limit on an object key, in UTF-8 bytes. */
export const MAX_OBJECT_KEY_BYTES = 1024;
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Validates a lock key and returns the S3 object key (`prefix + key`). */
export function objectKeyFor(prefix: string, key: unknown): string {
  if (typeof key !== 'string') throw invalidKey(`expected a string, got ${typeof key}`);
  if (key.length === 0) throw invalidKey('it is empty');
  if (CONTROL.test(key)) throw invalidKey(`it contains a control character (${JSON.stringify(key)})`);
  const objectKey = prefix + key;
  const bytes = Buffer.byteLength(objectKey, 'utf8');
  if (bytes > MAX_OBJECT_KEY_BYTES) {
    throw invalidKey(
      `with the prefix "${prefix}" it is ${bytes} bytes long; S3 allows ${MAX_OBJECT_KEY_BYTES}`,
    );
  }
  return objectKey;
}

function invalidKey(reason: string): InvalidLockArgumentError {
  return new InvalidLockArgumentError('key', messages.invalidKey(reason));
}

/** `expire`: a whole number of seconds, at least 1. */
export function validExpire(value: unknown, name = 'expire'): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > 2 ** 31 - 1) {
    throw new InvalidLockArgumentError(name, messages.invalidOption(name, 'a whole number of seconds, at least 1', value));
  }
  return value;
}

/** `wait`: seconds, 0 or more, finite. */
export function validWait(value: unknown, name = 'wait'): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 3600) {
    throw new InvalidLockArgumentError(name, messages.invalidOption(name, 'a number of seconds from 0 to 3600', value));
  }
  return value;
}

/** `wait` must end well before the lock can expire, or the confirmation read proves nothing. */
export function checkWaitBelowExpire(wait: number, expire: number): void {
  if (wait >= expire) {
    throw new InvalidLockArgumentError(
      'wait',
      messages.invalidOption('wait', `less than expire (${expire} s)`, wait),
    );
  }
}

/** A non-empty string without control characters, at most `max` characters. */
export function validName(value: unknown, name: string, max = 512, allowEmpty = false): string {
  if (
    typeof value !== 'string' ||
    (!allowEmpty && value.length === 0) ||
    value.length > max ||
    CONTROL.test(value)
  ) {
    throw new InvalidLockArgumentError(
      name,
      messages.invalidOption(name, `a ${allowEmpty ? '' : 'non-empty '}string of at most ${max} characters without control characters`, value),
    );
  }
  return value;
}

/** A whole number within [min, max]. */
export function validInteger(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidLockArgumentError(name, messages.invalidOption(name, `a whole number from ${min} to ${max}`, value));
  }
  return value;
}

/** `waitForLock`: seconds, 0 or more, at most a day. */
export function validWaitForLock(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 86_400) {
    throw new InvalidLockArgumentError('waitForLock', messages.invalidOption('waitForLock', 'a number of seconds from 0 to 86400', value));
  }
  return value;
}
