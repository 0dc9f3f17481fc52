import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { AlreadyLockedError, S3LockService, UnsupportedStoreError } from '../../lib/index.js';
import { testBucket } from '../support/s3-env.js';
import { startS3rver } from '../support/s3rver.js';
import { MemoryLogger, testService } from '../support/services.js';

describe('the startup store check', () => {
  test('passes on RGW and learns its ETag form, leaving no probe object behind', async () => {
    const { service, logger, prefix, client } = testService('check-rgw');
    await service.verifyStore();
    expect(logger.lines.some((l) => l.message.includes('conditional writes enforced'))).toBe(true);
    const listed = await client.send(new ListObjectsV2Command({ Bucket: testBucket(), Prefix: prefix }));
    expect(listed.KeyCount ?? 0).toBe(0);
  });

  describe('on a store that ignores conditional headers (s3rver)', () => {
    let s3rver: Awaited<ReturnType<typeof startS3rver>>;
    let client: S3Client;
    beforeAll(async () => {
      s3rver = await startS3rver('plain');
      client = new S3Client({
        endpoint: s3rver.endpoint,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      });
    });
    afterAll(async () => {
      client.destroy();
      await s3rver.close();
    });

    test('refuses to start, saying why and how to opt in', async () => {
      const service = new S3LockService({ bucket: 'plain', client, logger: new MemoryLogger() });
      const error = await service.onModuleInit().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnsupportedStoreError);
      expect((error as Error).message).toMatch(/ignores If-None-Match/);
      expect((error as Error).message).toMatch(/mode: 'write-wait-verify', wait: 1/);
      expect((error as Error).message).toMatch(/storeCheck: false/);
    });

    test("the opt-in write-wait-verify mode works there, with the seed's wait", async () => {
      const options = { bucket: 'plain', client, logger: new MemoryLogger(), mode: 'write-wait-verify' as const, wait: 1 };
      const service = new S3LockService(options);
      await service.onModuleInit();
      const started = Date.now();
      const alice = await service.acquire('job', { owner: 'alice', expire: 10 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
      await expect(service.acquire('job', { owner: 'bob' })).rejects.toBeInstanceOf(AlreadyLockedError);
      await service.release(alice);
      expect((await service.acquire('job', { owner: 'bob' })).owner).toBe('bob');
    });

    test('write-wait-verify mode without a wait is refused at construction', () => {
      expect(() => new S3LockService({ bucket: 'plain', client, mode: 'write-wait-verify' })).toThrow(/needs wait > 0/);
    });
  });
});
