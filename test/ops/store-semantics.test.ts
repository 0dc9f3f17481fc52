import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, test } from '@jest/globals';
import { AlreadyLockedError, LockLostError, type Lock, type S3LockServiceOptions } from '../../lib/index.js';
import { InMemoryLockStore, InMemoryS3Client } from '../../lib/testing/index.js';
import { testClient } from '../support/s3-env.js';
import { testService } from '../support/services.js';

/** How a test reaches one store, and how time passes on it. */
interface StoreUnderTest {
  connection: Pick<S3LockServiceOptions, 'client' | 'store'>;
  /** Lets `ms` pass on the store's clock: real time, or the in-memory store's own clock. */
  elapse(ms: number): Promise<void>;
  /** The time on that clock, in milliseconds. */
  now(): number;
}

// The sleep stays: on a real store, letting time pass on its clock is the time under test.
const realTime = { elapse: (ms: number) => sleep(ms), now: () => Date.now() };

/**
 * One table of behaviour, run against every store: the real Ceph RGW and the in-memory doubles
 * users test their applications with. Any difference between them fails here.
 */
const stores: [string, () => StoreUnderTest][] = [
  ['the real S3 store (Ceph RGW)', () => ({ connection: { client: testClient() }, ...realTime })],
  ['InMemoryS3Client', () => ({ connection: { client: new InMemoryS3Client() }, ...realTime })],
  [
    'InMemoryLockStore',
    () => {
      const store = new InMemoryLockStore();
      return {
        connection: { store },
        elapse: (ms) => Promise.resolve(store.advance(ms / 1000)),
        now: () => store.now().getTime(),
      };
    },
  ],
];

describe.each(stores)('lock semantics on %s', (_name, makeStore) => {
  /** Two services (two replicas) sharing one store and one prefix. */
  function replicas(name: string) {
    const { connection, elapse, now } = makeStore();
    const a = testService(name, { ...connection, owner: 'replica-a' });
    const b = testService(name, { ...connection, owner: 'replica-b', prefix: a.prefix });
    return { a: a.service, b: b.service, prefix: a.prefix, elapse, now };
  }

  test('the store passes the store check (conditional writes enforced)', async () => {
    const { a } = replicas('check');
    await expect(a.verifyStore()).resolves.toBeUndefined();
  });

  test('acquire: the store holds the lock with its owner, expiry and token', async () => {
    const { a, b, now } = replicas('acquire');
    const lock = await a.acquire('job', { owner: 'alice', expire: 30 });
    expect(lock).toMatchObject({ key: 'job', owner: 'alice', expire: 30, releaseTime: null });
    expect(lock.token).toBeGreaterThan(0);
    const seen = await b.inspect('job');
    expect(seen).toMatchObject({ owner: 'alice', expire: 30, token: lock.token, releaseTime: null });
    expect(seen!.expiresAt.getTime() - now()).toBeGreaterThan(25_000);
    expect(await b.inspect('never-taken')).toBeNull();
  });

  test('skip: another owner is refused, naming the holder; runExclusive does not run', async () => {
    const { a, b } = replicas('skip');
    await a.acquire('job', { owner: 'alice', expire: 30 });
    const refused = await b.acquire('job', { owner: 'bob' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AlreadyLockedError);
    expect((refused as AlreadyLockedError).holder).toBe('alice');
    expect(await b.tryAcquire('job', { owner: 'bob' })).toBeNull();
    let ran = false;
    const outcome = await b.runExclusive('job', { owner: 'bob' }, () => {
      ran = true;
    });
    expect(outcome).toEqual({ ran: false, holder: 'alice' });
    expect(ran).toBe(false);
    expect(await a.inspect('job')).toMatchObject({ owner: 'alice' });
  });

  test('release: frees the lock for the next owner; a stale release writes nothing', async () => {
    const { a, b } = replicas('release');
    const alice = await a.acquire('job', { owner: 'alice', expire: 30 });
    const released = await a.release(alice);
    expect(released).toMatchObject({ owner: null, token: alice.token });
    expect(released.releaseTime).toBeInstanceOf(Date);
    expect(await b.inspect('job')).toMatchObject({ owner: null, token: alice.token });

    const bob = await b.acquire('job', { owner: 'bob', expire: 30 });
    const stale = await a.release(alice).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(LockLostError);
    expect((stale as LockLostError).current?.owner).toBe('bob');
    expect(await a.inspect('job')).toMatchObject({ owner: 'bob', token: bob.token, etag: bob.etag });
  });

  test('expiry: a lock is taken over once it expired by the store clock, never before', async () => {
    const { a, b, elapse, now } = replicas('expiry');
    const alice = await a.acquire('job', { owner: 'alice', expire: 1 });
    const takenAt = now();
    let bob: Lock | null = null;
    let attempts = 0;
    while (bob === null && now() - takenAt < 6000 && attempts < 100) {
      attempts++;
      bob = await b.tryAcquire('job', { owner: 'bob', expire: 30 });
      if (bob === null) await elapse(200);
    }
    const tookOverAfter = now() - takenAt;
    expect(bob).toMatchObject({ owner: 'bob' });
    expect(attempts).toBeGreaterThan(1); // refused at first, while alice's lock was live
    expect(tookOverAfter).toBeGreaterThanOrEqual(1000);
    expect(tookOverAfter).toBeLessThan(4000);
    expect(bob!.token).toBeGreaterThan(alice.token);
    // alice comes back late: her release and extend write nothing.
    await expect(a.release(alice)).rejects.toBeInstanceOf(LockLostError);
    await expect(a.extend(alice)).rejects.toBeInstanceOf(LockLostError);
    expect(await a.inspect('job')).toMatchObject({ owner: 'bob', token: bob!.token });
  });

  test('tokens: strictly increase with every acquisition; extend keeps the token', async () => {
    const { a, b } = replicas('tokens');
    const t1 = await a.acquire('job', { owner: 'alice', expire: 30 });
    const t2 = await a.acquire('job', { owner: 'alice', expire: 30 }); // repeat holder
    const extended = await a.extend(t2, 40);
    expect(extended).toMatchObject({ token: t2.token, expire: 40 });
    expect(extended.etag).not.toBe(t2.etag);
    await a.release(extended);
    const t3 = await b.acquire('job', { owner: 'bob', expire: 30 });
    await b.release(t3);
    const t4 = await a.acquire('job', { owner: 'alice', expire: 30 });
    const tokens = [t1, t2, t3, t4].map((l) => l.token);
    expect(tokens).toEqual([...tokens].sort((x, y) => x - y));
    expect(new Set(tokens).size).toBe(4);
    expect(await b.inspect('job')).toMatchObject({ owner: 'alice', token: t4.token });
  });

  test('concurrent acquisition: exactly one of many owners wins', async () => {
    const { a, b } = replicas('race');
    const contenders = Array.from({ length: 8 }, (_, i) =>
      (i % 2 ? a : b).tryAcquire('job', { owner: `owner-${i}`, expire: 30 }),
    );
    const winners = (await Promise.all(contenders)).filter((l): l is Lock => l !== null);
    expect(winners).toHaveLength(1);
    expect(await a.inspect('job')).toMatchObject({ owner: winners[0]!.owner, token: winners[0]!.token });
  });
});
