import { describe, expect, test } from '@jest/globals';
import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CorruptLockError } from '../../lib/index.js';
import { testBucket } from '../support/s3-env.js';
import { testService } from '../support/services.js';

/** A released lock document with our metadata, carrying `token` as placed by hand. */
async function placeReleased(client: S3Client, objectKey: string, token: string): Promise<string> {
  const body = JSON.stringify({ expire: 60, lock_time: '2026-01-01T00:00:00.000000+00:00', release_time: '2026-01-01T00:00:01.000000+00:00', owner: null });
  const put = await client.send(
    new PutObjectCommand({
      Bucket: testBucket(),
      Key: objectKey,
      Body: body,
      ContentType: 'application/json',
      Metadata: { 's3lock-version': '1', 's3lock-token': token, 's3lock-write': 'hand-placed' },
    }),
  );
  return put.ETag!;
}

describe('fencing tokens near 2^53, placed by hand', () => {
  const reason = (shown: number) =>
    `its fencing token (x-amz-meta-s3lock-token ${shown}) is too large to be increased as a safe integer ` +
    '(above 9007199254740990), so no token issued after it could be trusted to be higher';

  /** `call` fails with CorruptLockError giving `reason`, saying what to do. */
  async function expectCorrupt(call: Promise<unknown>, why: string): Promise<void> {
    const error = await call.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptLockError);
    expect((error as CorruptLockError).reason).toBe(why);
    expect((error as Error).message).toContain('Nothing was written. Check what wrote it; if it is garbage, delete the object and retry.');
  }

  test.each([
    ['2^53 + 1 (not a safe integer)', '9007199254740993', 9007199254740992],
    ['far above 2^53', '123456789012345678901234567890', 1.2345678901234568e29],
  ])('token %s: acquire, tryAcquire and inspect refuse the lock as corrupt, and nothing is written', async (_label, token, shown) => {
    const { service, client, prefix } = testService('token-limit');
    const etag = await placeReleased(client, `${prefix}job`, token);
    await expectCorrupt(service.acquire('job', { owner: 'nest' }), reason(shown));
    await expectCorrupt(service.tryAcquire('job'), reason(shown));
    await expectCorrupt(service.inspect('job'), reason(shown));
    const after = await client.send(new HeadObjectCommand({ Bucket: testBucket(), Key: `${prefix}job` }));
    expect(after.ETag).toBe(etag);
  });

  test('token 2^53 - 1: readable, but no token can follow it: acquire refuses, nothing is written', async () => {
    const { service, client, prefix } = testService('token-limit-max');
    const etag = await placeReleased(client, `${prefix}job`, '9007199254740991');
    expect(await service.inspect('job')).toMatchObject({ owner: null, token: Number.MAX_SAFE_INTEGER });
    await expectCorrupt(service.acquire('job', { owner: 'nest' }), reason(Number.MAX_SAFE_INTEGER));
    const after = await client.send(new HeadObjectCommand({ Bucket: testBucket(), Key: `${prefix}job` }));
    expect(after.ETag).toBe(etag);
  });

  test('the largest token a lock may carry is still increased, and the lock so taken is released normally', async () => {
    const { service, client, prefix } = testService('token-max');
    await placeReleased(client, `${prefix}job`, '9007199254740990');
    const lock = await service.acquire('job', { owner: 'nest' });
    expect(lock.token).toBe(Number.MAX_SAFE_INTEGER);
    expect(Number.isSafeInteger(lock.token)).toBe(true);
    const released = await service.release(lock);
    expect(released).toMatchObject({ owner: null, token: Number.MAX_SAFE_INTEGER });
    // From there on, no further token can be issued: refused (also on the one-request path of
    // this process, which wrote the state last), never an unsafe integer.
    await expectCorrupt(service.acquire('job', { owner: 'nest-2' }), reason(Number.MAX_SAFE_INTEGER));
    expect(await service.inspect('job')).toMatchObject({ owner: null, token: Number.MAX_SAFE_INTEGER });
  });
});
