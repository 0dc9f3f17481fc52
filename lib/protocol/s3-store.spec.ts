import { describe, expect, test } from '@jest/globals';
import { PutObjectCommand, S3ServiceException } from '@aws-sdk/client-s3';
import { S3LockStoreError } from '../errors/s3-lock-store.error.js';
import { UnsupportedStoreError } from '../errors/unsupported-store.error.js';
import { InMemoryS3Client } from '../testing/in-memory-s3-client.js';
import { S3Store } from './s3-store.js';
import { verifyStore } from './store-check.js';
import type { LockTimers } from './timers.js';

const settings = { requestTimeoutMs: 1000, maxAttempts: 3 };
const instant: LockTimers = { now: () => Date.now(), sleep: () => Promise.resolve(), random: () => 0.5 };

/** An in-memory client whose next answers fail as S3 fails (throttling, missing bucket, ...). */
class FailingClient extends InMemoryS3Client {
  readonly failures: (() => Error)[] = [];
  readonly sent: string[] = [];

  constructor() {
    super();
    const send = this.send.bind(this);
    this.send = ((command: { constructor: { name: string } }, options?: unknown) => {
      this.sent.push(command.constructor.name);
      const failure = this.failures.shift();
      return failure ? Promise.reject(failure()) : send(command as never, options as never);
    }) as typeof this.send;
  }
}

const s3Error = (name: string, status: number) => () =>
  new S3ServiceException({ name, $fault: status >= 500 ? 'server' : 'client', message: name, $metadata: { httpStatusCode: status } });

describe('S3Store (the S3 side of the store seam), on an in-memory S3 client', () => {
  test('reads, conditional creates and replaces, unconditional puts, and listing in key order', async () => {
    const client = new InMemoryS3Client();
    const store = new S3Store(client, 'b', { ...settings, expectedBucketOwner: '123456789012' }, instant);
    expect((await store.read('p/a')).object).toBeNull();
    const created = await store.create('p/a', '{"a":1}', { 's3lock-token': '1' });
    expect(created.outcome).toBe('written');
    expect((await store.create('p/a', 'again', {})).outcome).toBe('precondition-failed');
    const read = await store.read('p/a');
    expect(read.object).toMatchObject({ body: '{"a":1}', size: 7, metadata: { 's3lock-token': '1' } });
    const etag = read.object!.etag;
    expect((await store.replace('p/a', '"0000"', 'x', {})).outcome).toBe('precondition-failed');
    expect((await store.replace('p/a', etag, '{"a":2}', {})).outcome).toBe('written');
    expect((await store.replace('p/missing', etag, 'x', {})).outcome).toBe('precondition-failed');
    await store.putUnconditional('p/b', '{}', {});
    await store.putUnconditional('q/c', '{}', {});
    await client.send(new PutObjectCommand({ Bucket: 'b', Key: 'p/big', Body: 'x'.repeat(70 * 1024) }));
    expect((await store.read('p/big')).object).toMatchObject({ body: null, size: 70 * 1024 });
    expect(await store.list('p/', 10)).toEqual({ objectKeys: ['p/a', 'p/b', 'p/big'], truncated: false });
    expect(await store.list('p/', 2)).toEqual({ objectKeys: ['p/a', 'p/b'], truncated: true });
    await store.deleteProbe('p/b');
    expect(client.keys('b')).toEqual(['p/a', 'p/big', 'q/c']);
  });

  test('the store check passes on a store that enforces conditions, and names the one it ignores', async () => {
    const store = new S3Store(new InMemoryS3Client(), 'b', settings, instant);
    await expect(verifyStore(store, 'locks/', 'conditional')).resolves.toBeUndefined();
    await expect(verifyStore(store, 'locks/', 'write-wait-verify')).resolves.toBeUndefined();

    class IgnoresIfNoneMatch extends InMemoryS3Client {
      constructor() {
        super();
        const send = this.send.bind(this);
        this.send = ((command: { input: { IfNoneMatch?: string } }, options?: unknown) => {
          delete command.input.IfNoneMatch;
          return send(command as never, options as never);
        }) as typeof this.send;
      }
    }
    const careless = new S3Store(new IgnoresIfNoneMatch(), 'b', settings, instant);
    const error = await verifyStore(careless, 'locks/', 'conditional').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedStoreError);
    expect((error as Error).message).toMatch(/If-None-Match/);
  });

  test('transient read failures are retried with backoff; lasting ones and fatal ones end in S3LockStoreError', async () => {
    const client = new FailingClient();
    const store = new S3Store(client, 'b', settings, instant);
    client.failures.push(s3Error('SlowDown', 503), s3Error('InternalError', 500));
    expect((await store.read('k')).object).toBeNull();
    expect(client.sent).toEqual(['GetObjectCommand', 'GetObjectCommand', 'GetObjectCommand']);

    client.failures.push(s3Error('SlowDown', 503), s3Error('SlowDown', 503), s3Error('SlowDown', 503));
    const lasting = (await store.read('k').catch((e: unknown) => e)) as S3LockStoreError;
    expect(lasting).toBeInstanceOf(S3LockStoreError);
    expect(lasting).toMatchObject({ operation: 'GetObject', statusCode: 503 });

    client.failures.push(s3Error('NoSuchBucket', 404));
    const missing = (await store.create('k', '{}', {}).catch((e: unknown) => e)) as S3LockStoreError;
    expect(missing).toBeInstanceOf(S3LockStoreError);
    expect(missing.message).toMatch(/S3 PutObject on s3:\/\/b\/k failed: NoSuchBucket/);

    client.failures.push(s3Error('InternalError', 500));
    expect(await store.create('k', '{}', {})).toMatchObject({ outcome: 'unknown', failure: { kind: 'unknown', status: 500 } });

    client.failures.push(s3Error('AccessDenied', 403));
    await expect(store.list('p/', 10)).rejects.toThrow(/listing needs s3:ListBucket/);
  });
});
