import { describe, expect, test } from '@jest/globals';
import type { Lock } from '../interfaces/lock.interface.js';
import { formatStatus, formatTable, isExpired, relative, reportOf, TABLE_TIMES_NOTE } from './lock-report.js';

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
    expect(lines).toHaveLength(4);
    expect(lines[0]!.indexOf('STATE')).toBe(lines[1]!.indexOf('held'));
    expect(lines[2]).toMatch(/^b\s+invalid\s+\(it is not JSON\)$/);
    expect(lines[3]).toBe(TABLE_TIMES_NOTE);
    expect(formatTable([])).toBe('KEY  STATE  HOLDER  WRITTEN AT  EXPIRES AT  TOKEN\n');
  });

  test('two clocks, said so: lock_time is the holder\'s estimate (ms), expiry counts from the store\'s Last-Modified second', () => {
    // The case a user met: lock_time 19:32:39.008, expire 30, expires 19:33:08 (the store wrote at 19:32:38).
    const seen = lock({ lockTime: at('2026-12-01T19:32:39.008Z'), expire: 30, expiresAt: at('2026-12-01T19:33:08.000Z') });
    const report = reportOf(seen, 's3://b/job', at('2026-12-01T19:32:40Z'));
    expect(report).toMatchObject({
      lockTime: '2026-12-01T19:32:39.008Z',
      writtenAt: '2026-12-01T19:32:38.000Z',
      expiresAt: '2026-12-01T19:33:08.000Z',
    });
    const status = formatStatus(report);
    expect(status).toContain("locked at:   2026-12-01T19:32:39.008Z (the holder's lock_time: its estimate of the store's clock)\n");
    expect(status).toContain("written at:  2026-12-01T19:32:38Z (the store's Last-Modified, in whole seconds)\n");
    expect(status).toContain("expires at:  2026-12-01T19:33:08Z (in 28s, by the store's clock: written at + expire)\n");
    expect(formatTable([report]).split('\n')[1]).toMatch(/^job\s+held\s+w1\s+2026-12-01T19:32:38Z\s+2026-12-01T19:33:08Z\s+5$/);
  });
});
