import { afterEach, describe, expect, test } from '@jest/globals';
import { type FaultFixture, faultFixture } from '../../support/fault-fixture.js';

/**
 * Faults the protocol does not handle well yet. Not matched by jest's `npm test` pattern; run
 * with jest.pending.config.js (see its header). Move a test to test/faults/ once it passes.
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
});
