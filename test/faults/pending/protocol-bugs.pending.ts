import { afterEach, describe, expect, test } from '@jest/globals';
import { S3LockStoreError } from '../../../lib/index.js';
import { type FaultFixture, faultFixture } from '../../support/fault-fixture.js';

/**
 * Faults the protocol does not handle well yet (see docs/drafts/reliability.md, "Known issues").
 * Not matched by jest's `npm test` pattern; run with jest.pending.config.js.
 */
describe('pending: protocol bugs found by fault injection', () => {
  let f: FaultFixture;
  afterEach(async () => f?.close());

  test('a release that landed unheard is not reported as lost when the key changed hands before the re-read', async () => {
    f = await faultFixture('pending-release-landed');
    const lock = await f.service.acquire('job', { owner: 'bob', expire: 30 });
    f.proxy.add({ match: { operation: 'PutObject', header: 'if-match' }, action: { kind: 'drop-response' } });
    // Between the lost answer and the library's re-read, a rival takes the (released) lock.
    f.proxy.add({
      match: { operation: 'GetObject' },
      action: { kind: 'hook', run: async () => void (await f.rival.acquire('job', { owner: 'carol', expire: 30 })) },
    });
    const outcome = await f.service.release(lock).catch((e: unknown) => e);
    // The release landed (carol could only take it because it did: bob's lock had 30 s left).
    expect(outcome).toMatchObject({ owner: null, token: lock.token });
    expect(f.logger.warnings()).toEqual([]);
    expect(await f.raw('job')).toMatchObject({ owner: 'carol' });
  });

  test('losing every race to a fast-churning rival (S3 healthy) is not reported as "the store is failing"', async () => {
    f = await faultFixture('pending-contention');
    await f.rival.release(await f.rival.acquire('job', { owner: 'carol', expire: 30 }));
    // Before each of bob's writes reaches S3, the rival takes the lock and releases it again:
    // every write of bob's gets 412, and every re-read shows the lock free.
    f.proxy.add({
      match: { operation: 'PutObject' },
      times: Infinity,
      action: {
        kind: 'hook',
        run: async () => void (await f.rival.release(await f.rival.acquire('job', { owner: 'carol', expire: 30 }))),
      },
    });
    const outcome = await f.service.acquire('job', { owner: 'bob', expire: 30 }).catch((e: unknown) => e);
    expect(f.proxy.recorded('PutObject').every((r) => r.upstreamStatus === 412)).toBe(true);
    // S3 never failed: whatever acquire reports, it must not blame the store.
    expect(outcome).not.toBeInstanceOf(S3LockStoreError);
  });
});
