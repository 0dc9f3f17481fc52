import { describe, expect, test } from '@jest/globals';
import { InvalidLockArgumentError } from '../errors/invalid-lock-argument.error.js';
import { objectKeyFor, unreadableCharacter, validName } from './validation.js';

/** What `fn` threw (it must throw). */
function thrown(fn: () => unknown): InvalidLockArgumentError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidLockArgumentError);
    return error as InvalidLockArgumentError;
  }
  throw new Error('expected a throw');
}

describe('keys and names a person cannot read correctly are refused at once', () => {
  const cases: [string, string, string][] = [
    ['C0 control', 'job\u0001', 'a control character (U+0001) at index 3'],
    ['C1 control NEL', 'job\u0085x', 'a C1 control character (U+0085) at index 3'],
    ['C1 control U+009F', '\u009fjob', 'a C1 control character (U+009F) at index 0'],
    ['right-to-left override', 'pay\u202Eroll', 'a bidirectional override or isolate (U+202E) at index 3'],
    ['left-to-right embedding', 'a\u202Ab', 'a bidirectional override or isolate (U+202A) at index 1'],
    ['first strong isolate', 'a\u2068b', 'a bidirectional override or isolate (U+2068) at index 1'],
    ['pop directional isolate', 'ab\u2069', 'a bidirectional override or isolate (U+2069) at index 2'],
    ['line separator', 'a\u2028b', 'a line or paragraph separator (U+2028) at index 1'],
    ['paragraph separator', 'a\u2029b', 'a line or paragraph separator (U+2029) at index 1'],
    ['zero-width space', 'job\u200B', 'a zero-width character (U+200B) at index 3'],
    ['zero-width joiner', 'j\u200Dob', 'a zero-width character (U+200D) at index 1'],
    ['word joiner', 'j\u2060ob', 'a zero-width character (U+2060) at index 1'],
    ['byte order mark', '\uFEFFjob', 'a zero-width character (U+FEFF) at index 0'],
    ['lone high surrogate', 'job\uD83D', 'a lone surrogate (not well-formed UTF-16) (U+D83D) at index 3'],
    ['lone low surrogate', '\uDE00job', 'a lone surrogate (not well-formed UTF-16) (U+DE00) at index 0'],
    ['reversed surrogate pair', 'a\uDE00\uD83D', 'a lone surrogate (not well-formed UTF-16) (U+DE00) at index 1'],
  ];

  test.each(cases)('%s: named by its code point', (_name, value, description) => {
    expect(unreadableCharacter(value)).toBe(description);
  });

  test.each(cases)('a key with a %s is an InvalidLockArgumentError naming it, escaped', (_name, value, description) => {
    const error = thrown(() => objectKeyFor('locks/', value));
    expect(error.argument).toBe('key');
    expect(error.message).toContain(description);
    expect(error.message).toContain('Nothing was written.');
    // The message itself shows the key with the character escaped, so it reads correctly.
    expect(unreadableCharacter(error.message)).toBeNull();
  });

  test.each(cases)('an owner or a prefix with a %s is refused the same way', (_name, value, description) => {
    for (const [name, max, allowEmpty] of [['owner', 512, false], ['prefix', 900, true]] as const) {
      const error = thrown(() => validName(value, name, max, allowEmpty));
      expect(error.argument).toBe(name);
      expect(error.message).toContain(`Invalid ${name}: it contains ${description}`);
      expect(unreadableCharacter(error.message)).toBeNull();
    }
  });

  test('what a person reads correctly is accepted: letters of any script, emoji, spaces, punctuation', () => {
    for (const value of ['nightly-report', 'Rechnungslauf für März', 'отчёт', '日次バッチ', 'job 🚀 #1', 'a/b:c.d_e', 'עברית']) {
      expect(unreadableCharacter(value)).toBeNull();
      expect(objectKeyFor('locks/', value)).toBe(`locks/${value}`);
      expect(validName(value, 'owner')).toBe(value);
    }
  });
});
