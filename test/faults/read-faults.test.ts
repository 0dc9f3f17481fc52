import { afterEach, describe, expect, test } from '@jest/globals';
import { type FaultFixture, faultFixture } from '../support/fault-fixture.js';
import { S3_FAULTS } from '../support/fault-proxy.js';

/** Reads that break, and the last attempt's write landing unheard: settled, never a raw error. */
describe('faults on reads, and on the last attempt', () => {
  let f: FaultFixture;
  afterEach(async () => f?.close());

  test('a read stalled mid-body past requestTimeoutMs is retried, and the acquisition goes on', async () => {
    f = await faultFixture('fstall-get', { requestTimeoutMs: 1000 });
    await f.rival.release(await f.rival.acquire('job', { owner: 'alice', expire: 30 }));
    f.proxy.add({ match: { operation: 'GetObject' }, action: { kind: 'stall' } });
    const started = Date.now();
    const lock = await f.service.acquire('job', { owner: 'bob', expire: 30 });
    expect(Date.now() - started).toBeLessThan(6000);
    expect(f.proxy.recorded('GetObject').map((r) => r.action)).toEqual(['stall', 'forward']);
    expect(await f.raw('job')).toMatchObject({ owner: 'bob', token: lock.token });
  });

  test('a connection reset mid-body of a read is retried, and the acquisition goes on', async () => {
    f = await faultFixture('freset-body');
    await f.rival.release(await f.rival.acquire('job', { owner: 'alice', expire: 30 }));
    f.proxy.add({ match: { operation: 'GetObject' }, action: { kind: 'stall', ms: 50 } });
    const lock = await f.service.acquire('job', { owner: 'bob', expire: 30 });
    expect(await f.raw('job')).toMatchObject({ owner: 'bob', token: lock.token });
  });

  test('503 on a read, then a good answer: the read is retried and inspect shows the holder', async () => {
    f = await faultFixture('f503-read');
    await f.rival.acquire('job', { owner: 'alice', expire: 30 });
    f.proxy.add({ match: { operation: 'GetObject' }, times: 2, action: S3_FAULTS.slowDown });
    expect(await f.service.inspect('job')).toMatchObject({ owner: 'alice' });
    expect(f.proxy.recorded('GetObject').map((r) => r.action)).toEqual(['error-503', 'error-503', 'forward']);
  });

  test("the last attempt's write landed unheard: a final read finds it, and acquire returns the lock", async () => {
    f = await faultFixture('flast-unknown', { maxAttempts: 2 });
    f.proxy.add({ match: { operation: 'PutObject', header: 'if-none-match' }, action: S3_FAULTS.internalError });
    f.proxy.add({ match: { operation: 'PutObject', header: 'if-none-match' }, action: { kind: 'drop-response' } });
    const lock = await f.service.acquire('job', { owner: 'bob', expire: 30 });
    expect(f.proxy.recorded('PutObject').map((r) => r.action)).toEqual(['error-500', 'drop-response']);
    expect(await f.raw('job')).toMatchObject({ owner: 'bob', token: lock.token });
  });
});
