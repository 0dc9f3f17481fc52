import { describe, expect, test } from '@jest/globals';
import { AlreadyLockedError } from '../errors/already-locked.error.js';
import { createInMemoryS3Lock } from '../testing/create-in-memory-s3-lock.js';
import { InMemoryLockStore } from '../testing/in-memory-lock-store.js';

describe('in-process decisions on the in-memory store', () => {
  test('a key held in this process is refused without asking the store; advancing the store clock past its lease lets the store decide', async () => {
    const store = new InMemoryLockStore();
    const locks = createInMemoryS3Lock({ store });
    const held = await locks.acquire('job', { expire: 10 });
    let requests = 0;
    for (const name of ['read', 'create', 'replace'] as const) {
      const original = store[name].bind(store) as (...args: unknown[]) => unknown;
      (store as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
        requests++;
        return original(...args);
      };
    }
    const refused = await Promise.all(Array.from({ length: 20 }, () => locks.acquire('job').catch((e: unknown) => e)));
    expect(refused.every((e) => e instanceof AlreadyLockedError && e.holder === held.owner)).toBe(true);
    expect(requests).toBe(0);
    // The store's clock moves past the lease (no real time passes): the store decides again.
    store.advance(12);
    const next = await locks.acquire('job');
    expect(next.token).toBeGreaterThan(held.token);
  });
});
