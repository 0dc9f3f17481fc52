import { describe, expect, test } from '@jest/globals';
import type { Lock } from '../interfaces/lock.interface.js';
import { formatTable, isExpired, relative, reportOf } from './lock-report.js';

const at = (iso: string) => new Date(iso);
const lock = (over: Partial<Lock> = {}): Lock => ({
  key: 'job',
  owner: 'w1',
  expire: 10,
  lockTime: at('2026-01-01T00:00:00.400Z'),
  releaseTime: null,
  token: 5,
  etag: '"e"',
  expiresAt: at('2026-01-01T00:00:10.000Z'), // LastModified 00:00:00 + 10 s
  ...over,
});

describe('lock reports', () => {
  test('expiry is judged like the lock: whole seconds of the store clock, never early', () => {
    expect(isExpired(lock(), at('2026-01-01T00:00:10.999Z'))).toBe(false);
    expect(isExpired(lock(), at('2026-01-01T00:00:11.000Z'))).toBe(true);
    expect(isExpired(lock({ owner: null }), at('2030-01-01T00:00:00Z'))).toBe(false);
  });

  test('states: held, expired, released (which has no expiry)', () => {
    expect(reportOf(lock(), 's3://b/k', at('2026-01-01T00:00:05Z'))).toMatchObject({ state: 'held', expiresInSeconds: 5 });
    expect(reportOf(lock(), 's3://b/k', at('2026-01-01T00:01:00Z'))).toMatchObject({ state: 'expired', expiresInSeconds: -50 });
    expect(reportOf(lock({ owner: null, releaseTime: at('2026-01-01T00:00:03Z') }), 's3://b/k', at('2026-01-01T00:00:05Z')))
      .toMatchObject({ state: 'released', holder: null, expiresAt: null, expiresInSeconds: null, releaseTime: '2026-01-01T00:00:03.000Z' });
  });

  test('relative times read naturally', () => {
    expect(relative(0)).toBe('in 0s');
    expect(relative(59)).toBe('in 59s');
    expect(relative(21_599)).toBe('in 5h 59m');
    expect(relative(-90)).toBe('1m 30s ago');
    expect(relative(-2 * 86_400 - 3600)).toBe('2d 1h ago');
  });

  test('the table aligns its columns', () => {
    const now = at('2026-01-01T00:00:05Z');
    const table = formatTable([
      reportOf(lock({ key: 'a-long-key' }), 's3://b/a', now),
      { key: 'b', object: 's3://b/b', state: 'invalid', error: 'it is not JSON' },
    ]);
    const lines = table.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]!.indexOf('STATE')).toBe(lines[1]!.indexOf('held'));
    expect(lines[2]).toMatch(/^b\s+invalid\s+\(it is not JSON\)$/);
  });
});
