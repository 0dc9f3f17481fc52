import { describe, expect, test } from '@jest/globals';
import type { Lock } from '../interfaces/lock.interface.js';
import { LocalHolds } from './local-holds.js';

const lock = (owner: string, expire = 60): Lock => ({
  key: 'k',
  owner,
  expire,
  lockTime: new Date(),
  releaseTime: null,
  token: 1,
  etag: '"e"',
  expiresAt: new Date(Date.now() + expire * 1000),
});

describe('LocalHolds', () => {
  test('refuses other owners while trusted; the holder itself passes; a drop frees the key', async () => {
    const holds = new LocalHolds();
    const held = lock('a');
    holds.hold(held, performance.now());
    expect(holds.heldByOther('k', undefined)).toBe(held);
    expect(holds.heldByOther('k', 'b')).toBe(held);
    expect(holds.heldByOther('k', 'a')).toBeUndefined();
    expect(holds.trusts(held)).toBe(true);
    const free = holds.whenFree('k');
    holds.drop(lock('someone-else'));
    expect(holds.heldByOther('k', undefined)).toBe(held);
    holds.drop(held);
    await free;
    expect(holds.heldByOther('k', undefined)).toBeUndefined();
  });

  test('trust ends the lost-signal margin before expire: a quarter of it, at most a second', async () => {
    const holds = new LocalHolds();
    const held = lock('a', 2);
    // Written 1.4 s ago with expire 2: trusted until 1.5 s after the write.
    holds.hold(held, performance.now() - 1400);
    expect(holds.trusts(held)).toBe(true);
    await holds.whenFree('k');
    expect(holds.trusts(held)).toBe(false);
    expect(holds.heldByOther('k', undefined)).toBeUndefined();
  });
});
