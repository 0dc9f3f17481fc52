import { describe, expect, test } from '@jest/globals';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { listLocks } from '../../lib/cli/list-locks.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, S3LockService, S3LockStoreError } from '../../lib/index.js';
import { S3Store } from '../../lib/protocol/s3-store.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { s3Endpoint, testBucket, testClient, uniquePrefix } from '../support/s3-env.js';
import { MemoryLogger } from '../support/services.js';
import { onRgwOnly } from '../support/store-kind.js';

const OWNER = '111122223333';

/** A client for the test store that records each request's method and ExpectedBucketOwner header. */
function recordingOwnerHeader() {
  const client = testClient();
  const seen: { method: string; list: boolean; owner: string | undefined }[] = [];
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { method: string; headers: Record<string, string>; query?: Record<string, unknown> };
      seen.push({
        method: request.method,
        list: request.query?.['list-type'] !== undefined,
        owner: request.headers['x-amz-expected-bucket-owner'],
      });
      return next(args);
    },
    { step: 'build', name: 'recordOwnerHeader' },
  );
  return { client, seen };
}

describe('ExpectedBucketOwner', () => {
  test('is sent on every request the library makes: the store check, acquire, release, inspect and the listing', async () => {
    const { client, seen } = recordingOwnerHeader();
    const prefix = uniquePrefix('ebo');
    const settings = { requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS, maxAttempts: 3, expectedBucketOwner: OWNER };
    const store = new S3Store(client, testBucket(), settings);
    const service = new S3LockService({ bucket: testBucket(), store, prefix, logger: new MemoryLogger() });
    await service.verifyStore();
    await service.release(await service.acquire('job'));
    await service.inspect('job');
    // The CLI's `list`: ListObjectsV2 through the same store, then a read per lock.
    const listed = await listLocks(store, service);
    expect(listed.locks.map((l) => l.key)).toEqual(['job']);
    expect(seen.some((s) => s.method === 'GET' && s.list)).toBe(true);
    expect([...new Set(seen.map((s) => s.method))]).toEqual(expect.arrayContaining(['GET', 'PUT', 'DELETE']));
    expect(seen.filter((s) => s.owner !== OWNER)).toEqual([]);
  });

  onRgwOnly('only a store that refuses the quoted If-Match (RGW) makes the library send a HEAD to learn the ETag form').test(
    'is sent on the HEAD a bare-ETag store makes the library send',
    async () => {
      const { client, seen } = recordingOwnerHeader();
      const service = new S3LockService({ bucket: testBucket(), client, prefix: uniquePrefix('ebo-head'), expectedBucketOwner: OWNER, logger: new MemoryLogger() });
      await service.verifyStore();
      expect(seen.filter((s) => s.method === 'HEAD')).toEqual([expect.objectContaining({ owner: OWNER })]);
      client.destroy();
    },
  );

  test('a bucket owned by another account is refused with a clear error, and nothing is written', async () => {
    // RGW ignores the header; the proxy answers as AWS does when the owner does not match.
    const proxy = await FaultProxy.start({ upstream: s3Endpoint() });
    const prefix = uniquePrefix('ebo-wrong');
    try {
      proxy.add({
        match: { header: { name: 'x-amz-expected-bucket-owner', value: OWNER } },
        action: { kind: 'error', status: 403, code: 'AccessDenied', message: 'Access Denied' },
        times: Number.POSITIVE_INFINITY,
      });
      const client = testClient({ endpoint: proxy.url, maxAttempts: 1 });
      const service = new S3LockService({ bucket: testBucket(), client, prefix, expectedBucketOwner: OWNER, logger: new MemoryLogger() });
      for (const call of [() => service.verifyStore(), () => service.acquire('job')]) {
        const error = await call().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(S3LockStoreError);
        expect((error as S3LockStoreError).statusCode).toBe(403);
        expect((error as Error).message).toMatch(/expectedBucketOwner/);
      }
      const listed = await testClient().send(new ListObjectsV2Command({ Bucket: testBucket(), Prefix: prefix }));
      expect(listed.KeyCount ?? 0).toBe(0);
      client.destroy();
    } finally {
      await proxy.close();
    }
  });
});

describe('credentials never reach logs or error messages', () => {
  test('wrong keys, a refused store, an unreachable store, faults and conflicts', async () => {
    const secret = process.env.AWS_SECRET_ACCESS_KEY!;
    const accessKey = process.env.AWS_ACCESS_KEY_ID!;
    const logger = new MemoryLogger();
    const texts: string[] = [];
    const collect = async (run: () => Promise<unknown>) => {
      const error = await run().catch((e: unknown) => e);
      if (error instanceof Error) texts.push(error.message, String(error.stack), JSON.stringify(error));
    };
    const prefix = uniquePrefix('secrets');
    const service = (client = testClient()) => new S3LockService({ bucket: testBucket(), client, prefix, logger, maxAttempts: 2 });

    await collect(() => service(testClient({ credentials: { accessKeyId: accessKey, secretAccessKey: 'not-the-secret' } })).acquire('job'));
    await collect(() => service(testClient({ credentials: { accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: secret } })).acquire('job'));
    await collect(() => service(testClient({ endpoint: 'http://127.0.0.1:9', maxAttempts: 1 })).verifyStore());
    const proxy = await FaultProxy.start({ upstream: s3Endpoint() });
    try {
      proxy.add({ match: { operation: 'PutObject' }, action: { kind: 'error', status: 500, code: 'InternalError' }, times: 3 });
      const faulty = service(testClient({ endpoint: proxy.url, maxAttempts: 1 }));
      await collect(() => faulty.acquire('job', { owner: 'alice', expire: 30 }));
      const held = await faulty.acquire('job', { owner: 'alice', expire: 30 });
      await collect(() => service().acquire('job', { owner: 'bob' }));
      await faulty.release(held);
    } finally {
      await proxy.close();
    }
    texts.push(...logger.lines.map((l) => l.message));
    expect(texts.length).toBeGreaterThan(5);
    for (const text of texts) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(accessKey);
    }
  });
});
