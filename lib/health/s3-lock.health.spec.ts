import { afterEach, describe, expect, test } from '@jest/globals';
import { type INestApplicationContext } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import { InMemoryLockStore, S3LockTestingModule } from '../testing/index.js';
import { S3LockHealthIndicator } from './index.js';

const apps: INestApplicationContext[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

async function indicatorOn(store: InMemoryLockStore): Promise<S3LockHealthIndicator> {
  const moduleRef = await Test.createTestingModule({
    imports: [TerminusModule.forRoot({ logger: false }), S3LockTestingModule.forRoot({ store, storeCheck: false })],
    providers: [S3LockHealthIndicator],
  }).compile();
  await moduleRef.init();
  apps.push(moduleRef);
  return moduleRef.get(S3LockHealthIndicator);
}

describe('S3LockHealthIndicator on the in-memory store', () => {
  test('up with the bucket and prefix; a cached up result is reused', async () => {
    const store = new InMemoryLockStore();
    const health = await indicatorOn(store);
    expect(await health.isHealthy()).toEqual({ 's3-lock': { status: 'up', bucket: 'in-memory', prefix: 'locks/' } });
    const up = { locks: { status: 'up', bucket: 'in-memory', prefix: 'locks/' } };
    expect(await health.isHealthy('locks', { cacheForMs: 60_000 })).toEqual(up);
    expect(store.keys()).toEqual([]); // the probes were removed
    // The store now fails every request: within cacheFor the up result of the same key is
    // reused (no request), while a call that allows no cache, or another key, sees the failure.
    store.read = () => Promise.reject(new Error('store down'));
    store.create = () => Promise.reject(new Error('store down'));
    expect(await health.isHealthy('locks', { cacheForMs: 60_000 })).toEqual(up);
    expect(await health.isHealthy('locks', { cacheFor: 60_000 })).toEqual(up); // the deprecated name, the same
    expect((await health.isHealthy('locks')).locks.status).toBe('down');
    expect((await health.isHealthy('other', { cacheForMs: 60_000 })).other.status).toBe('down');
  });

  test('down, never thrown, when the store fails or does not answer in time', async () => {
    const store = new InMemoryLockStore();
    const health = await indicatorOn(store);
    store.create = () => Promise.resolve({ outcome: 'written', etag: '"1"' }); // ignores If-None-Match
    const down = await health.isHealthy('locks');
    expect(down.locks).toMatchObject({ status: 'down', error: 'UnsupportedStoreError' });
    expect(String(down.locks.message)).toMatch(/If-None-Match/);
    const read = store.read.bind(store);
    let answer: () => void = () => undefined;
    store.read = (objectKey) => new Promise((resolve) => (answer = () => resolve(read(objectKey))));
    const slow = await health.isHealthy('locks', { timeoutMs: 20 });
    expect(slow.locks).toMatchObject({ status: 'down', error: 'Error', message: 'The lock store did not answer within 20 ms.' });
    answer(); // the read in flight ends, so the application can close
  });
});
