import { afterEach, describe, expect, test } from '@jest/globals';
import { S3LockStoreError } from '../../lib/index.js';
import { type FaultFixture, faultFixture } from '../support/fault-fixture.js';
import { FaultProxy, S3_FAULTS } from '../support/fault-proxy.js';
import { s3Endpoint, testClient } from '../support/s3-env.js';
import { testService } from '../support/services.js';

/** A store that keeps failing: bounded retries, then a clear typed error; nothing written. */
describe('when S3 keeps failing', () => {
  let f: FaultFixture;
  afterEach(async () => f?.close());

  const failure = async (promise: Promise<unknown>): Promise<S3LockStoreError> => {
    const outcome = await promise.then(
      (value) => new Error(`expected S3LockStoreError, got ${JSON.stringify(value)}`),
      (error: unknown) => error,
    );
    expect(outcome).toBeInstanceOf(S3LockStoreError);
    return outcome as S3LockStoreError;
  };

  test('503 SlowDown on every request, default SDK client: bounded retries with backoff, then S3LockStoreError', async () => {
    f = await faultFixture('f503-all', { sdkMaxAttempts: 3 });
    f.proxy.add({ match: {}, times: Infinity, action: S3_FAULTS.slowDown });
    const started = Date.now();
    const error = await failure(f.service.acquire('job', { owner: 'bob', expire: 30 }));
    const elapsed = Date.now() - started;
    expect(error.message).toMatch(/SlowDown/);
    expect(error.message).toMatch(/retry later/i);
    expect(error.statusCode).toBe(503);
    // 5 library attempts x 3 SDK attempts, each spaced by a backoff: bounded in count and time.
    expect(f.proxy.recorded('GetObject')).toHaveLength(15);
    expect(f.proxy.recorded('PutObject')).toHaveLength(0);
    expect(elapsed).toBeGreaterThan(300);
    expect(elapsed).toBeLessThan(20_000);
    expect(await f.raw('job')).toBeNull();
  }, 30_000);

  test('503 SlowDown on every write (reads fine): "could not settle" after maxAttempts, nothing written', async () => {
    f = await faultFixture('f503-put');
    f.proxy.add({ match: { operation: 'PutObject' }, times: Infinity, action: S3_FAULTS.slowDown });
    const error = await failure(f.service.acquire('job', { owner: 'bob', expire: 30 }));
    expect(error.message).toMatch(/Could not settle acquire of lock "job" after 5 attempts/);
    expect(error.message).toMatch(/SlowDown/);
    expect(f.proxy.recorded('PutObject')).toHaveLength(5);
    expect(await f.raw('job')).toBeNull();
  });

  test('503 SlowDown on every request during release: S3LockStoreError, the lock stays with its holder', async () => {
    f = await faultFixture('f503-release');
    const lock = await f.service.acquire('job', { owner: 'bob', expire: 30 });
    f.proxy.add({ match: {}, times: Infinity, action: S3_FAULTS.slowDown });
    const error = await failure(f.service.release(lock));
    expect(error.message).toMatch(/SlowDown/);
    expect(await f.raw('job')).toMatchObject({ owner: 'bob', token: lock.token });
  });

  test('S3 unreachable: a clear error naming what to check; acquire works again once it is back', async () => {
    f = await faultFixture('f-unreachable');
    await f.proxy.cutOff();
    const error = await failure(f.service.acquire('job', { owner: 'bob', expire: 30 }));
    expect(error.message).toMatch(/ECONNREFUSED/);
    expect(error.message).toMatch(/endpoint/);
    expect(await f.raw('job')).toBeNull();
    await f.proxy.restore();
    const lock = await f.service.acquire('job', { owner: 'bob', expire: 30 });
    expect(await f.raw('job')).toMatchObject({ owner: 'bob', token: lock.token });
  });

  test('S3 unreachable at startup: verifyStore (run by onModuleInit) fails with a clear S3LockStoreError', async () => {
    const proxy = await FaultProxy.start({ upstream: s3Endpoint() });
    await proxy.cutOff();
    const client = testClient({ endpoint: proxy.url });
    const { service } = testService('f-unreachable-start', { client });
    try {
      const error = await failure(service.onModuleInit());
      expect(error.message).toMatch(/ECONNREFUSED/);
      expect(error.message).toMatch(/unreachable/);
    } finally {
      client.destroy();
      await proxy.close();
    }
  });
});
