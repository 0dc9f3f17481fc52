import { describe, expect, test } from '@jest/globals';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { setTimeout as sleep } from 'node:timers/promises';
import { LockLostError } from '../../lib/index.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { s3Endpoint, testBucket, testClient } from '../support/s3-env.js';
import { OriginAlreadyLockedError, SeedTool, seedOverwrite } from '../support/seed-writer.js';
import { testService } from '../support/services.js';

// A fleet where Nest workers and workers of the seed's Python tool share keys. The local RGW
// runs on this machine's clock, so here the store's time and `Date.now()` are the same clock.

describe('mixed fleets with the seed tool', () => {
  test('a forced release of a state the seed tool wrote never lets a fencing token repeat', async () => {
    const worker = testService('mixed-token');
    // The operator's process (the CLI's `release --force`), on the same prefix.
    const operator = testService('mixed-token-op', { prefix: worker.prefix });
    for (let trial = 0; trial < 6; trial++) {
      const key = `job-${trial}`;
      const held = await worker.service.acquire(key, { owner: 'nest', expire: 30 });
      await seedOverwrite(worker.client, `${worker.prefix}${key}`, 'python-worker');
      const seen = await operator.service.inspect(key);
      expect(seen).toMatchObject({ owner: 'python-worker', token: 0 });
      await operator.service.forceRelease(seen!);
      // The next acquisition, by the worker (general path) or by the operator's own process
      // (which wrote the released state last), in the same second as all of the above.
      const next = await (trial % 2 === 0 ? worker : operator).service.acquire(key, { owner: `next-${trial}` });
      expect(next.token).toBeGreaterThan(held.token);
    }
  });

  test('lock_time is never earlier than the write (a seed worker judges expiry by it); expiresAt never later', async () => {
    // A fresh service has a fresh store-clock estimate: the widest, where the midpoint of the
    // estimate was up to 0.5 s early.
    for (let trial = 0; trial < 20; trial++) {
      const { service, client, prefix } = testService('mixed-locktime');
      const startedAt = Date.now();
      const lock = await service.acquire('job', { owner: 'nest', expire: 30 });
      const body = await (await client.send(new GetObjectCommand({ Bucket: testBucket(), Key: `${prefix}job` }))).Body!.transformToString();
      const lockTime = Date.parse(JSON.parse(body).lock_time);
      expect(lockTime).toBeGreaterThanOrEqual(startedAt);
      expect(lock.lockTime.getTime()).toBe(lockTime);
      // The holder's own deadline stays on the early side: never later than the write + expire.
      expect(lock.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 30_000);
    }
  });

  test('a seed worker (its `wait` at 0) polling a lock of 1 s never takes it over before 1 s has passed', async () => {
    for (let trial = 0; trial < 6; trial++) {
      const { service, client, prefix } = testService('mixed-takeover');
      const seed = new SeedTool(testBucket(), `${prefix}job`, 1, 0);
      const startedAt = Date.now();
      await service.acquire('job', { owner: 'nest', expire: 1 });
      let takenAt: number | undefined;
      while (takenAt === undefined) {
        try {
          await seed.acquire(client, 'python-worker');
          takenAt = Date.now();
        } catch (error) {
          expect(error).toBeInstanceOf(OriginAlreadyLockedError);
          await sleep(5); // stays: the seed worker's own poll interval, as fast as it goes: the behaviour under test
        }
      }
      expect(takenAt - startedAt).toBeGreaterThanOrEqual(1000);
    }
  });

  test("a seed worker's overwrite in its race window: two believe they hold; the Nest holder learns it at its next write, naming the foreign state", async () => {
    const { service, client, prefix } = testService('mixed-race');
    await service.release(await service.acquire('job', { owner: 'earlier', expire: 30 }));
    // The seed worker reads the lock free; before its unconditional write, the Nest worker's
    // conditional write lands; then the seed's write lands over it.
    const proxy = await FaultProxy.start({ upstream: s3Endpoint() });
    const seedClient = testClient({ endpoint: proxy.url, maxAttempts: 1 });
    try {
      let nest: Awaited<ReturnType<typeof service.acquire>> | undefined;
      proxy.add({
        match: { operation: 'PutObject' },
        action: { kind: 'hook', run: async () => void (nest = await service.acquire('job', { owner: 'nest', expire: 30 })) },
      });
      const seedLock = await new SeedTool(testBucket(), `${prefix}job`, 30, 0).acquire(seedClient, 'python-worker');
      expect(seedLock.owner).toBe('python-worker');
      expect(nest?.owner).toBe('nest'); // both believe they hold it: the seed tool's unconditional write

      const extended = await service.extend(nest!).catch((e: unknown) => e);
      expect(extended).toBeInstanceOf(LockLostError);
      const lost = extended as LockLostError;
      expect(lost.current).toMatchObject({ owner: 'python-worker', token: 0 });
      expect(lost.message).toBe(
        `Lock "job" is no longer held by "nest" (token ${nest!.token}): it was overwritten by another tool ` +
          '(the origin design\'s writer, no fencing token), now held by "python-worker". Nothing was written. ' +
          'If this happens in normal runs, raise `expire` or extend the lock while working.',
      );
      const released = await service.release(nest!).catch((e: unknown) => e);
      expect(released).toBeInstanceOf(LockLostError);
      expect((released as LockLostError).message).toBe(lost.message);
      // Nothing of ours was written over the seed's lock.
      expect(await service.inspect('job')).toMatchObject({ owner: 'python-worker', token: 0 });
    } finally {
      seedClient.destroy();
      await proxy.close();
    }
  });
});
