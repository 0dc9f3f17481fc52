import { afterEach, describe, expect, test } from '@jest/globals';
import { type Lock, LockLostError } from '../../lib/index.js';
import { type FaultFixture, faultFixture } from '../support/fault-fixture.js';
import { S3_FAULTS } from '../support/fault-proxy.js';
import { waitFor } from '../support/wait.js';

/** Release and extend when their conditional write fails: settled by re-reading S3. */
describe('release and extend when the conditional write fails', () => {
  let f: FaultFixture;
  afterEach(async () => f?.close());

  /** S3 shows the lock released, and another owner can take it. */
  async function expectReleased(token: number): Promise<void> {
    const stored = await f.raw('job');
    expect(stored).toMatchObject({ owner: null, token });
    expect(stored?.releaseTime).toEqual(expect.any(String));
    const next = await f.rival.acquire('job', { owner: 'rival', expire: 30 });
    expect(next.token).toBeGreaterThan(token);
  }

  test.each([
    ['forward-then-drop (the release landed unheard)', { kind: 'drop-response' } as const, 1],
    ['500 to a release that landed', { ...S3_FAULTS.internalError, forward: true }, 1],
    ['500 InternalError (not forwarded)', S3_FAULTS.internalError, 2],
    ['409 ConditionalRequestConflict (not forwarded)', S3_FAULTS.conditionalConflict, 2],
    ['connection reset (not forwarded)', { kind: 'reset' } as const, 2],
  ])('%s: release is recognised as done', async (_name, action, puts) => {
    f = await faultFixture('frelease');
    const lock = await f.service.acquire('job', { owner: 'bob', expire: 30 });
    f.proxy.clearRecords();
    f.proxy.add({ match: { operation: 'PutObject', header: 'if-match' }, action });
    const released = await f.service.release(lock);
    expect(released).toMatchObject({ owner: null, token: lock.token });
    expect(f.proxy.recorded('PutObject')).toHaveLength(puts);
    expect(f.logger.warnings()).toEqual([]);
    await expectReleased(lock.token);
  });

  test('forward-then-drop with the default SDK client: its retry gets 412, the release is still recognised', async () => {
    f = await faultFixture('frelease-sdk', { sdkMaxAttempts: 3 });
    const lock = await f.service.acquire('job', { owner: 'bob', expire: 30 });
    f.proxy.clearRecords();
    f.proxy.add({ match: { operation: 'PutObject', header: 'if-match' }, action: { kind: 'drop-response' } });
    const released = await f.service.release(lock);
    expect(released.owner).toBeNull();
    expect(f.proxy.recorded('PutObject').map((r) => r.upstreamStatus)).toEqual([200, 412]);
    await expectReleased(lock.token);
  });

  test('a release stalled past requestTimeoutMs (landed, no answer): settled by re-reading', async () => {
    f = await faultFixture('frelease-stall', { requestTimeoutMs: 1000 });
    const lock = await f.service.acquire('job', { owner: 'bob', expire: 30 });
    f.proxy.add({ match: { operation: 'PutObject', header: 'if-match' }, action: { kind: 'stall' } });
    const started = Date.now();
    expect((await f.service.release(lock)).owner).toBeNull();
    expect(Date.now() - started).toBeLessThan(6000);
    await expectReleased(lock.token);
  });

  test('forward-then-drop on extend: the extension is recognised, and the returned lock releases cleanly', async () => {
    f = await faultFixture('fextend');
    const lock = await f.service.acquire('job', { owner: 'bob', expire: 30 });
    f.proxy.add({ match: { operation: 'PutObject', header: 'if-match' }, action: { kind: 'drop-response' } });
    const extended = await f.service.extend(lock, 45);
    expect(extended).toMatchObject({ owner: 'bob', expire: 45, token: lock.token });
    expect(await f.raw('job')).toMatchObject({ owner: 'bob', expire: 45 });
    expect((await f.service.release(extended)).owner).toBeNull();
    await expectReleased(lock.token);
  });

  test('a stale release whose answer is lost after a takeover: LockLostError, S3 unchanged', async () => {
    f = await faultFixture('fstale', { expire: 1 });
    const lock = await f.service.acquire('job', { owner: 'bob', expire: 1 });
    // The takeover, as soon as the store's clock has bob's lock expired.
    let carol = null as Lock | null;
    await waitFor(async () => (carol = await f.rival.tryAcquire('job', { owner: 'carol', expire: 30 })) !== null, 15_000, 100);
    f.proxy.add({ match: { operation: 'PutObject', header: 'if-match' }, action: { kind: 'drop-response' } });
    const error = await f.service.release(lock).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockLostError);
    expect(await f.raw('job')).toMatchObject({ owner: 'carol', token: carol!.token });
    expect(f.logger.warnings().join('\n')).toContain('carol');
  });

  test('a release that landed unheard is not reported as lost when the key changed hands before the re-read', async () => {
    f = await faultFixture('f-release-landed');
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

  test('the same when the SDK retried the landed release and its retry was refused (412)', async () => {
    f = await faultFixture('f-release-sdk-retry', { sdkMaxAttempts: 3 });
    const lock = await f.service.acquire('job', { owner: 'bob', expire: 30 });
    // The release lands, but the client hears 500; the SDK sends it again and gets 412.
    f.proxy.add({ match: { operation: 'PutObject', header: 'if-match' }, action: { ...S3_FAULTS.internalError, forward: true } });
    f.proxy.add({
      match: { operation: 'GetObject' },
      action: { kind: 'hook', run: async () => void (await f.rival.acquire('job', { owner: 'carol', expire: 30 })) },
    });
    f.proxy.clearRecords();
    const outcome = await f.service.release(lock).catch((e: unknown) => e);
    expect(f.proxy.recorded('PutObject').map((r) => [r.action, r.upstreamStatus, r.clientStatus])).toEqual([
      ['error-500', 200, 500],
      ['forward', 412, 412],
    ]);
    expect(outcome).toMatchObject({ owner: null, token: lock.token });
    expect(f.logger.warnings()).toEqual([]);
    expect(await f.raw('job')).toMatchObject({ owner: 'carol' });
  });
});
