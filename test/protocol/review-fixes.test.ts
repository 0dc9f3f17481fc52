import { describe, expect, test } from '@jest/globals';
import { S3LockService, UnsupportedStoreError, InvalidLockArgumentError, LockLostError } from '../../lib/index.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { s3Endpoint, testBucket, testClient, uniquePrefix } from '../support/s3-env.js';
import { MemoryLogger, testService } from '../support/services.js';
import { onRgwOnly } from '../support/store-kind.js';

describe('release only by the holder, force only on purpose', () => {
  test('release() refuses a state it did not hand out (read with inspect, or taken from an error); nothing is written', async () => {
    const { service } = testService('not-issued');
    const held = await service.acquire('job', { owner: 'bob', expire: 60 });
    const seen = await service.inspect('job');
    for (const attempt of [() => service.release(seen!), () => service.extend({ ...held })]) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidLockArgumentError);
      expect((error as Error).message).toMatch(/forceRelease/);
    }
    expect((await service.inspect('job'))?.etag).toBe(held.etag);
  });

  test('forceRelease() frees a lock on the state just shown, and refuses if it changed since', async () => {
    const { service } = testService('force');
    const held = await service.acquire('job', { owner: 'dead-replica', expire: 600 });
    const shown = await service.inspect('job');
    const refreshed = await service.extend(held);
    await expect(service.forceRelease(shown!)).rejects.toBeInstanceOf(LockLostError);
    expect((await service.inspect('job'))?.etag).toBe(refreshed.etag);
    const freed = await service.forceRelease((await service.inspect('job'))!);
    expect(freed).toMatchObject({ owner: null, token: refreshed.token });
  });
});

describe('the store check tests If-Match in the form the store takes', () => {
  onRgwOnly('it needs a store that refuses the quoted If-Match, so that the bare one is tried').test(
    'a store that honours a quoted If-Match but ignores a bare one (the form RGW needs) is refused',
    async () => {
      const client = testClient();
      client.middlewareStack.add(
        (next) => async (args) => {
          const headers = (args.request as { headers: Record<string, string> }).headers;
          if (headers['if-match'] !== undefined && !headers['if-match'].startsWith('"')) delete headers['if-match'];
          return next(args);
        },
        { step: 'build', name: 'ignoreBareIfMatch' },
      );
      const service = new S3LockService({ bucket: testBucket(), client, prefix: uniquePrefix('bare'), logger: new MemoryLogger() });
      const error = await service.verifyStore().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnsupportedStoreError);
      expect((error as UnsupportedStoreError).check).toBe('if-match');
    },
  );

  test('a store answering 501 NotImplemented to conditional writes is refused as unsupported, with the opt-in', async () => {
    const proxy = await FaultProxy.start({ upstream: s3Endpoint() });
    try {
      proxy.add({
        match: { operation: 'PutObject', header: 'if-none-match' },
        action: { kind: 'error', status: 501, code: 'NotImplemented', message: 'A header you provided implies functionality that is not implemented' },
        times: Number.POSITIVE_INFINITY,
      });
      const client = testClient({ endpoint: proxy.url, maxAttempts: 1 });
      const service = new S3LockService({ bucket: testBucket(), client, prefix: uniquePrefix('b2'), logger: new MemoryLogger() });
      const error = await service.verifyStore().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnsupportedStoreError);
      expect((error as Error).message).toMatch(/does not implement conditional writes.*mode: 'write-wait-verify'.*storeCheck: false/s);
      expect((error as Error).message).not.toContain('UnknownError');
      client.destroy();
    } finally {
      await proxy.close();
    }
  });
});
