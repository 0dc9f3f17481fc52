import { InvalidLockArgumentError } from '../errors/invalid-lock-argument.error.js';
import { protocolMessages } from './protocol.messages.js';

/** S3's limit on an object key, in UTF-8 bytes. */
export const MAX_OBJECT_KEY_BYTES = 1024;

/**
 * Characters a person cannot read correctly in a key or a name: C0 and C1 controls, bidi
 * embeddings, overrides and isolates, line and paragraph separators, zero-width characters,
 * and lone surrogates (not well-formed UTF-16, so not valid in an S3 key).
 */
const UNREADABLE: readonly { pattern: RegExp; what: string }[] = [
  { pattern: /[\u0000-\u001f\u007f]/, what: 'a control character' },
  { pattern: /[\u0080-\u009f]/, what: 'a C1 control character' },
  { pattern: /[\u202a-\u202e\u2066-\u2069]/, what: 'a bidirectional override or isolate' },
  { pattern: /[\u2028\u2029]/, what: 'a line or paragraph separator' },
  { pattern: /[\u200b-\u200d\u2060\ufeff]/, what: 'a zero-width character' },
  { pattern: /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/, what: 'a lone surrogate (not well-formed UTF-16)' },
];

const ANY_UNREADABLE = new RegExp(UNREADABLE.map((u) => u.pattern.source).join('|'), 'g');

/** `value` quoted, with every unreadable character written as a `\uXXXX` escape, safe to show. */
export function quoteVisibly(value: string): string {
  const hex = (c: string) => c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
  return `"${value.replace(/["\\]/g, '\\$&').replace(ANY_UNREADABLE, (c) => `\\u${hex(c)}`)}"`;
}

/**
 * What makes `value` unreadable, naming the first such character by its code point (e.g.
 * `a bidirectional override or isolate (U+202E) at index 3`), or `null` when there is none.
 */
export function unreadableCharacter(value: string): string | null {
  let found: { index: number; what: string } | undefined;
  for (const { pattern, what } of UNREADABLE) {
    const match = pattern.exec(value);
    if (match && (found === undefined || match.index < found.index)) found = { index: match.index, what };
  }
  if (found === undefined) return null;
  const codePoint = value.charCodeAt(found.index).toString(16).toUpperCase().padStart(4, '0');
  return `${found.what} (U+${codePoint}) at index ${found.index}`;
}

/** Validates a lock key and returns the S3 object key (`prefix + key`). */
export function objectKeyFor(prefix: string, key: unknown): string {
  if (typeof key !== 'string') throw invalidKey(`expected a string, got ${typeof key}`);
  if (key.length === 0) throw invalidKey('it is empty');
  const unreadable = unreadableCharacter(key);
  if (unreadable) throw invalidKey(`it contains ${unreadable}, which a person cannot read correctly (${quoteVisibly(key)}); use visible characters only`);
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
  return new InvalidLockArgumentError('key', protocolMessages.invalidKey(reason));
}

/** `expire`: a whole number of seconds, at least 1. */
export function validExpire(value: unknown, name = 'expire'): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > 2 ** 31 - 1) {
    throw new InvalidLockArgumentError(name, protocolMessages.invalidOption(name, 'a whole number of seconds, at least 1', value));
  }
  return value;
}

/** `wait`: seconds, 0 or more, finite. */
export function validWait(value: unknown, name = 'wait'): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 3600) {
    throw new InvalidLockArgumentError(name, protocolMessages.invalidOption(name, 'a number of seconds from 0 to 3600', value));
  }
  return value;
}

/** `wait` must end well before the lock can expire, or the confirmation read proves nothing. */
export function checkWaitBelowExpire(wait: number, expire: number): void {
  if (wait >= expire) {
    throw new InvalidLockArgumentError(
      'wait',
      protocolMessages.invalidOption('wait', `less than expire (${expire} s)`, wait),
    );
  }
}

/**
 * A non-empty string of at most `max` characters, none of them unreadable (see
 * {@link unreadableCharacter}).
 */
export function validName(value: unknown, name: string, max = 512, allowEmpty = false): string {
  const expected = `a ${allowEmpty ? '' : 'non-empty '}string of at most ${max} characters without control or invisible characters`;
  if (typeof value !== 'string' || (!allowEmpty && value.length === 0) || value.length > max) {
    throw new InvalidLockArgumentError(name, protocolMessages.invalidOption(name, expected, value));
  }
  const unreadable = unreadableCharacter(value);
  if (unreadable) {
    throw new InvalidLockArgumentError(name, protocolMessages.unreadableName(name, unreadable, quoteVisibly(value)));
  }
  return value;
}

/** A whole number within [min, max]. */
export function validInteger(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidLockArgumentError(name, protocolMessages.invalidOption(name, `a whole number from ${min} to ${max}`, value));
  }
  return value;
}

/** `waitForLock`: seconds, 0 or more, at most a day. */
export function validWaitForLock(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 86_400) {
    throw new InvalidLockArgumentError('waitForLock', protocolMessages.invalidOption('waitForLock', 'a number of seconds from 0 to 86400', value));
  }
  return value;
}
