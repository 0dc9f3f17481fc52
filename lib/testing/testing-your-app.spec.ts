import { afterEach, describe, expect, test } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { InvalidLockArgumentError, S3LockService, WithS3Lock } from '../index.js';
import { createInMemoryS3Lock, InMemoryLockStore, InMemoryS3Client, S3LockTestingModule } from './index.js';

/** The application code under test: a decorated job, as in docs/TESTING.md. */
@Injectable()
class ReportJobs {
  runs = 0;

  @WithS3Lock('nightly-report', { expire: 600 })
  async nightlyReport(): Promise<void> {
    this.runs++;
  }
}

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

describe('testing an application on the in-memory lock store', () => {
  const opened: TestingModule[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((m) => m.close()));
  });

  async function app(lockModule = S3LockTestingModule.forRoot()): Promise<TestingModule> {
    const moduleRef = await Test.createTestingModule({ imports: [lockModule], providers: [ReportJobs] })
      .setLogger(quiet)
      .compile();
    opened.push(moduleRef);
    await moduleRef.init();
    return moduleRef;
  }

  test("docs/TESTING.md: a crashed replica's lock expires when the test advances the clock", async () => {
    const moduleRef = await app();
    const started = performance.now(); // the test itself, without Nest's start-up
    const jobs = moduleRef.get(ReportJobs);
    const store = moduleRef.get(InMemoryLockStore);

    // Another replica took the lock and died without releasing it.
    await moduleRef.get(S3LockService).acquire('nightly-report', { owner: 'crashed-replica', expire: 600 });
    await jobs.nightlyReport();
    expect(jobs.runs).toBe(0); // skipped: the lock is held

    store.advance(600);
    await jobs.nightlyReport();
    expect(jobs.runs).toBe(0); // not yet: expiry is judged to the second, with one second of margin

    store.advance(1);
    await jobs.nightlyReport();
    expect(jobs.runs).toBe(1); // the expired lock was taken over
    expect(await moduleRef.get(S3LockService).inspect('nightly-report')).toMatchObject({ owner: null });
    expect(performance.now() - started).toBeLessThan(1000);
  });

  test('the store of the testing module holds what the application wrote; the store check passes on it', async () => {
    const store = new InMemoryLockStore({ startTime: new Date('2030-01-01T00:00:00Z') });
    const moduleRef = await app(S3LockTestingModule.forRoot({ store, storeCheck: true, prefix: 'jobs/' }));
    expect(moduleRef.get(InMemoryLockStore)).toBe(store);
    await moduleRef.get(ReportJobs).nightlyReport();
    expect(store.keys()).toEqual(['jobs/nightly-report']);
    const lock = await moduleRef.get(S3LockService).inspect('nightly-report');
    expect(lock).toMatchObject({ owner: null, lockTime: new Date('2030-01-01T00:00:00Z') });
    expect(moduleRef.get(S3LockService).storeTime()).toEqual(new Date('2030-01-01T00:00:00Z'));
  });

  test('never a real client: options left undefined fall back to the in-memory store, clientConfig is refused', async () => {
    // With a real client from the environment, the store check at init would fail (no S3 here).
    const moduleRef = await app(S3LockTestingModule.forRoot({ client: undefined, storeCheck: true }));
    await moduleRef.get(ReportJobs).nightlyReport();
    expect(moduleRef.get(InMemoryLockStore).keys()).toEqual(['locks/nightly-report']);

    const service = createInMemoryS3Lock({ client: undefined, store: undefined });
    await expect(service.verifyStore()).resolves.toBeUndefined();
    await expect(service.acquire('k', { owner: 'a' })).resolves.toMatchObject({ owner: 'a' });

    const refused = (() => {
      try {
        return createInMemoryS3Lock({ clientConfig: { region: 'eu-west-1' } });
      } catch (error) {
        return error;
      }
    })();
    expect(refused).toBeInstanceOf(InvalidLockArgumentError);
    expect((refused as InvalidLockArgumentError).message).toMatch(/"clientConfig" has no effect with "store"/);
  });

  test('replicas share one store; an explicit InMemoryS3Client is still used as given', async () => {
    const store = new InMemoryLockStore();
    const replicaA = createInMemoryS3Lock({ store });
    const replicaB = createInMemoryS3Lock({ store });
    const lock = await replicaA.acquire('k', { owner: 'a', expire: 30 });
    await expect(replicaB.tryAcquire('k', { owner: 'b' })).resolves.toBeNull();
    store.advance(31);
    const taken = await replicaB.acquire('k', { owner: 'b' });
    expect(taken.token).toBeGreaterThan(lock.token);

    const client = new InMemoryS3Client();
    const onClient = createInMemoryS3Lock({ client });
    await onClient.acquire('k', { owner: 'c' });
    expect(client.keys('in-memory')).toEqual(['locks/k']);
  });
});

describe('InMemoryLockStore', () => {
  test('its clock moves only when told; bad moves are refused; objects can be read, deleted and cleared', async () => {
    const store = new InMemoryLockStore({ startTime: new Date('2030-01-01T00:00:00.700Z') });
    expect(store.clock.now()).toEqual(new Date('2030-01-01T00:00:00.700Z'));
    store.advance(1.5);
    expect(store.now()).toEqual(new Date('2030-01-01T00:00:02.200Z'));
    store.setTime(new Date('2029-12-31T23:59:59Z'));
    expect(store.now()).toEqual(new Date('2029-12-31T23:59:59Z'));
    expect(() => store.advance(-1)).toThrow(RangeError);
    expect(() => store.setTime(Number.NaN)).toThrow(RangeError);

    const written = await store.create('k', '{}', { 'S3Lock-Token': '7' });
    const again = await store.putUnconditional('k', '{}', {});
    expect(written.outcome === 'written' && again.outcome === 'written' && written.etag !== again.etag).toBe(true);
    store.setTime(Date.parse('2030-01-01T00:00:05.900Z'));
    expect((await store.read('k')).serverTime).toEqual(new Date('2030-01-01T00:00:05Z')); // a Date header, whole seconds
    expect(store.get('k')).toMatchObject({ body: '{}', lastModified: new Date('2029-12-31T23:59:59Z'), metadata: {} });
    expect(store.get('none')).toBeNull();
    expect(await store.list('', 10)).toEqual({ objectKeys: ['k'], truncated: false });
    expect(store.delete('k')).toBe(true);
    expect(store.delete('k')).toBe(false);
    await store.create('a', '{}', {});
    store.clear();
    expect(store.keys()).toEqual([]);
  });
});
