import { describe, expect, test } from '@jest/globals';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  CorruptLockError,
  InvalidLockArgumentError,
  type Lock,
  S3LockService,
  S3LockStoreError,
} from '../../lib/index.js';
import { testBucket, testClient, uniquePrefix } from '../support/s3-env.js';
import { MemoryLogger, testService } from '../support/services.js';

/** Runs `fn`, expects an `InvalidLockArgumentError` about `argument`, and nothing written. */
async function expectRefused(argument: string, fn: (s: S3LockService) => Promise<unknown>): Promise<void> {
  const { service, client, prefix } = testService('bad');
  const error = await fn(service).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(InvalidLockArgumentError);
  expect((error as InvalidLockArgumentError).argument).toBe(argument);
  expect((error as Error).message).toMatch(/Nothing was written|need a bucket name/);
  const listed = await client.send(new ListObjectsV2Command({ Bucket: testBucket(), Prefix: prefix }));
  expect(listed.KeyCount ?? 0).toBe(0);
}

describe('bad input: a clear, typed error, and nothing written', () => {
  test.each([
    ['empty', ''],
    ['over 1024 bytes with the prefix', 'k'.repeat(1020)],
    ['multi-byte characters over the limit', 'é'.repeat(600)],
    ['a control character', 'nightly\njob'],
    ['a C1 control character (U+0085)', 'nightly\u0085job'],
    ['a right-to-left override (U+202E)', 'nightly\u202Ejob'],
    ['a line separator (U+2028)', 'nightly\u2028job'],
    ['a zero-width space (U+200B)', 'nightly\u200Bjob'],
    ['a lone surrogate (U+D800)', 'nightly\uD800job'],
    ['not a string', 42],
  ])('key: %s', (_label, key) => expectRefused('key', (s) => s.acquire(key as string)));

  test('a lone surrogate in a key is refused at once, before any request (not after S3 retries)', async () => {
    const { service } = testService('bad-surrogate');
    const started = performance.now();
    const error = await service.acquire('job\uDC00').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidLockArgumentError);
    expect((error as Error).message).toContain('a lone surrogate (not well-formed UTF-16) (U+DC00) at index 3');
    expect(performance.now() - started).toBeLessThan(100);
  });

  test.each([[-1], [0], [1.5], ['10'], [Number.NaN], [Number.POSITIVE_INFINITY], [null]])(
    'expire: %p',
    (expire) => expectRefused('expire', (s) => s.acquire('job', { expire: expire as number })),
  );

  test.each([[-1], ['1'], [Number.NaN], [60], [120]])('wait: %p (expire 60)', (wait) =>
    expectRefused('wait', (s) => s.acquire('job', { expire: 60, wait: wait as number })),
  );

  test.each([[''], [7], ['bad\u0000owner'], ['bad\u202Eowner'], ['bad\uFEFFowner'], ['bad\uD800owner']])('owner: %p', (owner) =>
    expectRefused('owner', (s) => s.acquire('job', { owner: owner as string })),
  );

  test.each([[undefined], [''], ['   '], [42]])('bucket: %p', (bucket) =>
    expectRefused('bucket', async () => new S3LockService({ bucket: bucket as string, client: testClient() })),
  );

  test('options that are not numbers, modes that do not exist', async () => {
    await expectRefused('mode', async () => new S3LockService({ bucket: 'b', mode: 'fast' as 'conditional' }));
    await expectRefused('requestTimeoutMs', async () => new S3LockService({ bucket: 'b', requestTimeoutMs: -5 }));
    await expectRefused('maxAttempts', async () => new S3LockService({ bucket: 'b', maxAttempts: 0 }));
    await expectRefused('client', async () => new S3LockService({ bucket: 'b', client: {} as never }));
  });

  test('release or extend of something that is not a held lock', async () => {
    await expectRefused('lock', (s) => s.release({ key: 'job' } as Lock));
    await expectRefused('lock', (s) => s.extend(null as unknown as Lock));
    const { service } = testService('bad-extend');
    const lock = await service.acquire('job', { expire: 30 });
    const error = await service.extend(lock, -3).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidLockArgumentError);
    expect((error as InvalidLockArgumentError).argument).toBe('expire');
    expect((await service.inspect('job'))?.etag).toBe(lock.etag);
  });
});

describe('S3 that cannot be used: a clear, typed error', () => {
  test('wrong credentials', async () => {
    const client = testClient({ credentials: { accessKeyId: 's3lock-test-key', secretAccessKey: 'wrong' } });
    const service = new S3LockService({ bucket: testBucket(), client, prefix: uniquePrefix('creds'), logger: new MemoryLogger() });
    const error = await service.acquire('job').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(S3LockStoreError);
    expect((error as S3LockStoreError).statusCode).toBe(403);
    expect((error as Error).message).toMatch(/credentials were refused/);
    expect((error as Error).message).not.toContain('wrong');
  });

  test('no credentials at all: said as such, not as refused credentials', async () => {
    // What the AWS SDK's default credential chain rejects with when it finds nothing.
    const none = () => Promise.reject(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));
    const client = testClient({ credentials: none });
    const service = new S3LockService({ bucket: testBucket(), client, prefix: uniquePrefix('nocreds'), logger: new MemoryLogger() });
    const error = await service.acquire('job').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(S3LockStoreError);
    expect((error as Error).message).toMatch(/No AWS credentials were found: set AWS_ACCESS_KEY_ID/);
    expect((error as Error).message).not.toMatch(/refused|UnknownError/);
    client.destroy();
  });

  test('a bucket that does not exist', async () => {
    const service = new S3LockService({ bucket: 'no-such-bucket-s3lock', client: testClient(), logger: new MemoryLogger() });
    const error = await service.verifyStore().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(S3LockStoreError);
    expect((error as Error).message).toMatch(/bucket does not exist/);
  });

  test('an endpoint where nothing listens: bounded retries, then says S3 is unreachable', async () => {
    const client = testClient({ endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });
    const service = new S3LockService({ bucket: testBucket(), client, maxAttempts: 2, logger: new MemoryLogger() });
    const started = Date.now();
    const error = await service.acquire('job').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(S3LockStoreError);
    expect((error as Error).message).toMatch(/unreachable/);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('an object at the key that is not a lock document: CorruptLockError, object untouched', () => {
  test.each([
    ['not JSON', 'garbage{', /not JSON/],
    ['a JSON array', '[1,2]', /not a JSON object/],
    ['expire of the wrong type', '{"expire": "60", "lock_time": "2024-01-01T00:00:00+00:00", "release_time": null, "owner": "x"}', /expire/],
    ['lock_time not a time', '{"expire": 60, "lock_time": "yesterday", "release_time": null, "owner": "x"}', /lock_time/],
    ['a foreign document with other fields', '{"holder": "x", "until": 1700000000}', /unexpected fields/],
    ['a field missing', '{"expire": 60, "lock_time": "2024-01-01T00:00:00+00:00", "owner": "x"}', /lacks the fields release_time/],
    ['a huge body', 'x'.repeat(200_000), /bytes long/],
  ])('%s', async (_label, body, reason) => {
    const { service, client, prefix } = testService('corrupt');
    const Key = `${prefix}job`;
    await client.send(new PutObjectCommand({ Bucket: testBucket(), Key, Body: body }));
    for (const call of [() => service.acquire('job'), () => service.inspect('job')]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CorruptLockError);
      expect((error as CorruptLockError).reason).toMatch(reason);
      expect((error as Error).message).toContain(Key);
    }
    const after = await client.send(new GetObjectCommand({ Bucket: testBucket(), Key }));
    expect(await after.Body!.transformToString()).toBe(body);
  });
});
