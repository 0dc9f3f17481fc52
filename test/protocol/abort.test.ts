import { describe, expect, test } from '@jest/globals';
import { HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Test } from '@nestjs/testing';
import { AcquireAbortedError, S3LockModule, S3LockService } from '../../lib/index.js';
import { S3LockClient } from '../../lib/core/index.js';
import { faultFixture } from '../support/fault-fixture.js';
import { testBucket, testClient, uniquePrefix } from '../support/s3-env.js';
import { seedOverwrite } from '../support/seed-writer.js';
import { testService } from '../support/services.js';
import { waitFor } from '../support/wait.js';

/** Rejects with what `promise` rejected with, and how long after `startedAt` (ms). */
async function rejection(promise: Promise<unknown>, startedAt: number): Promise<{ error: unknown; afterMs: number }> {
  const error = await promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (e: unknown) => e,
  );
  return { error, afterMs: performance.now() - startedAt };
}

describe('aborting an acquisition ends its waits at once', () => {
  test('during the `wait` confirmation: rejects promptly, after releasing the lock it had written', async () => {
    const { service } = testService('abort-wait');
    const controller = new AbortController();
    const pending = service.acquire('job', { owner: 'nest', expire: 60, wait: 30, signal: controller.signal });
    await waitFor(async () => (await service.inspect('job'))?.owner === 'nest', 10_000); // written, now confirming
    const startedAt = performance.now();
    controller.abort(new Error('the job was cancelled'));
    const { error, afterMs } = await rejection(pending, startedAt);
    // Timed from the abort: the 1500 ms this test allowed from the call, less its former 300 ms sleep.
    expect(afterMs).toBeLessThan(1200);
    expect(error).toBeInstanceOf(AcquireAbortedError);
    expect(error).toMatchObject({ key: 'job', released: true, reason: controller.signal.reason });
    expect((error as Error).message).toBe(
      'Acquiring lock "job" was aborted (the job was cancelled): the lock this call had just written was released again; this call holds no lock.',
    );
    expect(await service.inspect('job')).toMatchObject({ owner: null });
  });

  test("during the wait for the store's clock over the seed tool's document: rejects promptly, writes nothing", async () => {
    const { service, client, prefix } = testService('abort-clock');
    // Early in a second, so that the acquisition reads the seed's document in the second it
    // was written, and has to wait for the store's clock to move on before issuing a token.
    await waitFor(() => Date.now() % 1000 <= 100, 5_000, 5);
    await seedOverwrite(client, `${prefix}job`, null);
    const before = await client.send(new HeadObjectCommand({ Bucket: testBucket(), Key: `${prefix}job` }));
    let reads = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName === 'GetObjectCommand') reads++;
        return result;
      },
      { step: 'initialize', name: 'countReads' },
    );
    const controller = new AbortController();
    const pending = service.acquire('job', { owner: 'nest', signal: controller.signal });
    // It read the seed's document, written in the store's current second: now it waits for the clock.
    await waitFor(() => reads > 0, 10_000, 5);
    const startedAt = performance.now();
    controller.abort(new Error('stop'));
    const { error, afterMs } = await rejection(pending, startedAt);
    // Timed from the abort: the 250 ms this test allowed from the call, less its former 100 ms sleep.
    expect(afterMs).toBeLessThan(150);
    expect(error).toBeInstanceOf(AcquireAbortedError);
    expect(error).toMatchObject({ key: 'job', released: false });
    expect((error as Error).message).toBe('Acquiring lock "job" was aborted (stop): this call holds no lock.');
    const after = await client.send(new HeadObjectCommand({ Bucket: testBucket(), Key: `${prefix}job` }));
    expect(after.ETag).toBe(before.ETag);
  });

  test('during the backoff after failed writes: rejects promptly instead of retrying on', async () => {
    const f = await faultFixture('abort-backoff');
    try {
      f.proxy.add({ match: { operation: 'PutObject' }, times: Infinity, action: { kind: 'error', status: 503, code: 'SlowDown' } });
      const controller = new AbortController();
      const pending = f.service.acquire('job', { owner: 'nest', signal: controller.signal });
      // Its first write was answered 503: now it backs off before the next.
      await waitFor(() => f.proxy.recorded('PutObject').some((r) => r.clientStatus === 503), 10_000, 5);
      const startedAt = performance.now();
      controller.abort(new Error('stop'));
      const { error, afterMs } = await rejection(pending, startedAt);
      // Timed from the abort: the 400 ms this test allowed from the call, less its former 250 ms sleep.
      expect(afterMs).toBeLessThan(150);
      expect(error).toBeInstanceOf(AcquireAbortedError);
      expect((error as Error).message).toBe('Acquiring lock "job" was aborted (stop): this call holds no lock.');
      // Fewer writes than the five attempts it would have made, and none landed.
      expect(f.proxy.recorded('PutObject').length).toBeLessThan(5);
      expect(await f.raw('job')).toBeNull();
    } finally {
      await f.close();
    }
  });

  test('an already aborted signal: rejects before any request', async () => {
    const { service, client, prefix } = testService('abort-before');
    const error = await service.acquire('job', { signal: AbortSignal.abort(new Error('too late')) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AcquireAbortedError);
    expect((error as Error).message).toBe('Acquiring lock "job" was aborted (too late): this call holds no lock.');
    const listed = await client.send(new ListObjectsV2Command({ Bucket: testBucket(), Prefix: prefix }));
    expect(listed.KeyCount ?? 0).toBe(0);
    await expect(service.tryAcquire('job', { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AcquireAbortedError);
  });

  test('a signal that is not an AbortSignal is refused', async () => {
    const { service } = testService('abort-bad');
    const error = await service.acquire('job', { signal: 'soon' as unknown as AbortSignal }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'InvalidLockArgumentError', argument: 'signal' });
  });
});

describe('application shutdown aborts the waits of every acquisition in progress', () => {
  test('S3LockService in a Nest app: app.close() ends a `wait` confirmation at once; the lock is released; releases still work', async () => {
    const prefix = uniquePrefix('abort-shutdown');
    const app = await Test.createTestingModule({
      imports: [S3LockModule.forRoot({ bucket: testBucket(), client: testClient(), prefix, storeCheck: false })],
    }).compile();
    await app.init();
    const service = app.get(S3LockService);
    const held = await service.acquire('held', { owner: 'nest', expire: 60 });
    const pending = service.acquire('job', { owner: 'nest', expire: 60, wait: 30 });
    await waitFor(async () => (await service.inspect('job'))?.owner === 'nest', 10_000); // written, now confirming
    const startedAt = performance.now();
    await app.close();
    const { error, afterMs } = await rejection(pending, startedAt);
    // Timed from the close: the 1500 ms this test allowed from the call, less its former 300 ms sleep.
    expect(afterMs).toBeLessThan(1200);
    expect(error).toBeInstanceOf(AcquireAbortedError);
    expect(error).toMatchObject({ key: 'job', released: true });
    expect((error as Error).message).toBe(
      'Acquiring lock "job" was aborted (the application is shutting down): the lock this call had just written was released again; this call holds no lock.',
    );
    expect(await service.inspect('job')).toMatchObject({ owner: null });
    // A lock held before shutdown can still be released after it.
    expect(await service.release(held)).toMatchObject({ owner: null });
  });
});

describe('S3LockClient.close() aborts the waits of the acquisitions in progress', () => {
  test('close() ends a `wait` confirmation at once, releasing its lock; a call made afterwards is not refused', async () => {
    const client = testClient();
    const locks = new S3LockClient({ bucket: testBucket(), client, prefix: uniquePrefix('abort-close'), logger: { log() {}, warn() {} } });
    try {
      const pending = locks.acquire('job', { owner: 'script', expire: 60, wait: 30 });
      await waitFor(async () => (await locks.inspect('job'))?.owner === 'script', 10_000); // written, now confirming
      const startedAt = performance.now();
      const closed = locks.close();
      const { error, afterMs } = await rejection(pending, startedAt);
      await closed;
      // Timed from the close: the 1500 ms this test allowed from the call, less its former 300 ms sleep.
      expect(afterMs).toBeLessThan(1200);
      expect(error).toBeInstanceOf(AcquireAbortedError);
      expect((error as Error).message).toBe(
        'Acquiring lock "job" was aborted (the lock client is closing): the lock this call had just written was released again; this call holds no lock.',
      );
      expect(await locks.inspect('job')).toMatchObject({ owner: null });
      // The client was the caller's, so it still works; the abort was for the calls in progress only.
      const later = await locks.acquire('job', { owner: 'script' });
      expect((await locks.release(later)).owner).toBeNull();
    } finally {
      client.destroy();
    }
  });
});
