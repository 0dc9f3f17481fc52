import { describe, expect, test } from '@jest/globals';
import { AlreadyLockedError, UNKNOWN_HOLDER } from '../errors/already-locked.error.js';
import { CorruptLockError } from '../errors/corrupt-lock.error.js';
import { InvalidLockArgumentError } from '../errors/invalid-lock-argument.error.js';
import { LockLostError } from '../errors/lock-lost.error.js';
import { S3LockStoreError } from '../errors/s3-lock-store.error.js';
import type { S3LockMode } from '../interfaces/s3-lock-options.interface.js';
import { InMemoryLockStore } from '../testing/in-memory-lock-store.js';
import { encodeDocument } from './lock-document.js';
import { LockProtocol } from './lock-protocol.js';
import type { ReadResult, WriteResult } from './lock-store.js';
import type { LockTimers } from './timers.js';

type Operation = 'read' | 'create' | 'replace' | 'putUnconditional';
/** A scripted fault: the next call of `operation` lands (or not) and its answer is lost. */
type Fault = { operation: Operation; lands: boolean; after?: () => Promise<void> };

const unknown = { kind: 'unknown', status: 503, code: 'SlowDown', detail: 'SlowDown (HTTP 503)', advice: '', retried: false } as const;

/** The in-memory store with scripted faults: answers lost after (or without) the write landing. */
class FaultyStore extends InMemoryLockStore {
  readonly faults: Fault[] = [];
  readonly calls: Operation[] = [];

  override async read(objectKey: string): Promise<ReadResult> {
    this.calls.push('read');
    const fault = this.take('read');
    if (fault) throw new S3LockStoreError('GetObject', 'simulated read failure', { statusCode: 503, kind: 'unknown', cause: unknown });
    return super.read(objectKey);
  }

  override create(k: string, b: string, m: Record<string, string>): Promise<WriteResult> {
    return this.faulty('create', () => super.create(k, b, m));
  }

  override replace(k: string, e: string, b: string, m: Record<string, string>): Promise<WriteResult> {
    return this.faulty('replace', () => super.replace(k, e, b, m));
  }

  override putUnconditional(k: string, b: string, m: Record<string, string>): Promise<WriteResult> {
    return this.faulty('putUnconditional', () => super.putUnconditional(k, b, m));
  }

  private async faulty(operation: Operation, write: () => Promise<WriteResult>): Promise<WriteResult> {
    this.calls.push(operation);
    const fault = this.take(operation);
    if (!fault) return write();
    if (fault.lands) await write();
    await fault.after?.();
    return { outcome: 'unknown', failure: unknown };
  }

  private take(operation: Operation): Fault | undefined {
    const index = this.faults.findIndex((f) => f.operation === operation);
    return index < 0 ? undefined : this.faults.splice(index, 1)[0];
  }
}

/** Timers in the store's virtual time: a sleep advances the store's clock at once. */
function virtualTimers(store: InMemoryLockStore): LockTimers & { slept: number[] } {
  const slept: number[] = [];
  return {
    slept,
    now: () => store.now().getTime(),
    sleep: (ms) => {
      slept.push(ms);
      store.advance(ms / 1000);
      return Promise.resolve();
    },
    random: () => 0.5,
  };
}

function setup(options: { mode?: S3LockMode; wait?: number; maxAttempts?: number } = {}) {
  const store = new FaultyStore({ startTime: new Date('2030-01-01T00:00:00.250Z') });
  const timers = virtualTimers(store);
  const warnings: string[] = [];
  const logger = { log: () => undefined, warn: (m: string) => warnings.push(m), debug: () => undefined };
  const make = (workerName: string) =>
    new LockProtocol(
      store,
      { prefix: 'locks/', workerName, expire: 60, wait: options.wait ?? 0, mode: options.mode ?? 'conditional', maxAttempts: options.maxAttempts ?? 3, logger },
      timers,
    );
  return { store, timers, warnings, a: make('a'), b: make('b') };
}

describe('LockProtocol on the in-memory store, with faults and virtual time', () => {
  test('a write whose answer is lost after it landed is recognised on the re-read: acquired once', async () => {
    const { store, a, b } = setup();
    store.faults.push({ operation: 'create', lands: true });
    const lock = await a.acquire('job', { owner: 'alice' });
    expect(lock).toMatchObject({ owner: 'alice', key: 'job' });
    expect(store.calls).toEqual(['read', 'create', 'read']);
    expect(await b.inspect('job')).toMatchObject({ owner: 'alice', token: lock.token, etag: lock.etag });
    // The repeat holder takes it again in one request, with the next token.
    const again = await a.acquire('job', { owner: 'alice' });
    expect(again.token).toBe(lock.token + 1);
    expect(store.calls.slice(4)).toEqual(['replace']);
  });

  test('writes that never land: the store error says so after maxAttempts, and nothing is held', async () => {
    const { store, timers, a, b } = setup({ maxAttempts: 3 });
    store.faults.push(...Array.from({ length: 3 }, () => ({ operation: 'create' as const, lands: false })));
    const error = await a.acquire('job', { owner: 'alice' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(S3LockStoreError);
    expect((error as Error).message).toMatch(/Could not settle acquire of lock "job" after 3 attempts \(last: SlowDown \(HTTP 503\)\)/);
    expect(timers.slept).toHaveLength(3); // backoff between the rounds
    expect(await b.inspect('job')).toBeNull();
  });

  test('a failing read ends in S3LockStoreError; inspect of a missing key is null', async () => {
    const { store, a } = setup();
    expect(await a.inspect('nothing')).toBeNull();
    store.faults.push({ operation: 'read', lands: false });
    await expect(a.acquire('job')).rejects.toThrow(/simulated read failure/);
  });

  test('release and extend: landed unheard counts as done; a takeover after expiry is LockLostError', async () => {
    const { store, warnings, a, b } = setup();
    const lock = await a.acquire('job', { owner: 'alice', expire: 10 });
    store.faults.push({ operation: 'replace', lands: true });
    const extended = await a.extend(lock, 20);
    expect(extended).toMatchObject({ owner: 'alice', expire: 20, token: lock.token });
    store.faults.push({ operation: 'replace', lands: true });
    const released = await a.release(extended);
    expect(released).toMatchObject({ owner: null, token: lock.token });

    const second = await a.acquire('job', { owner: 'alice', expire: 10 });
    store.advance(11);
    const bob = await b.acquire('job', { owner: 'bob' });
    expect(bob.token).toBeGreaterThan(second.token);
    await expect(a.extend(second)).rejects.toBeInstanceOf(LockLostError);
    const lost = (await a.release(second).catch((e: unknown) => e)) as LockLostError;
    expect(lost).toBeInstanceOf(LockLostError);
    expect(lost.current).toMatchObject({ owner: 'bob' });
    expect(warnings.filter((w) => w.includes('"job"'))).toHaveLength(2);
  });

  test('a release that landed unheard, then the key changed hands before the re-read, still counts as released', async () => {
    const { store, a, b } = setup();
    const lock = await a.acquire('job', { owner: 'alice' });
    let bob = null as Awaited<ReturnType<LockProtocol['acquire']>> | null;
    store.faults.push({ operation: 'replace', lands: true, after: async () => void (bob = await b.acquire('job', { owner: 'bob' })) });
    const released = await a.release(lock);
    expect(released).toMatchObject({ owner: null, etag: '', token: lock.token });
    expect(bob!.token).toBeGreaterThan(lock.token);
  });

  test('an extension that landed unheard, then reads that failed: the holder still releases (or extends) its own lock', async () => {
    const { store, warnings, a } = setup();
    const lock = await a.acquire('job', { owner: 'alice', expire: 10 });
    // The extension lands, its answer is lost, and the re-read fails: the caller is told the store failed.
    store.faults.push({ operation: 'replace', lands: true }, { operation: 'read', lands: false });
    await expect(a.extend(lock, 20)).rejects.toBeInstanceOf(S3LockStoreError);
    const extension = store.get('locks/job')!;
    expect(extension.etag).not.toBe(lock.etag);
    // The old handle is all the caller has. The store holds this holding's own extension
    // (same owner, token and base): extend and release go on from it, no LockLostError.
    const extended = await a.extend(lock);
    expect(extended).toMatchObject({ owner: 'alice', token: lock.token, expire: 10 });
    expect(store.get('locks/job')!.etag).toBe(extended.etag);
    store.faults.push({ operation: 'replace', lands: true }, { operation: 'read', lands: false });
    await expect(a.extend(extended)).rejects.toBeInstanceOf(S3LockStoreError);
    const released = await a.release(extended);
    expect(released).toMatchObject({ owner: null, token: lock.token, etag: store.get('locks/job')!.etag });
    expect(warnings).toEqual([]);
  });

  test('a state of the same owner that is not this holding is never taken for it', async () => {
    const { store, a, b } = setup();
    const lock = await a.acquire('job', { owner: 'alice', expire: 10 });
    // The same named owner, elsewhere, after the lock expired: a new holding, with a new token.
    store.advance(11);
    const elsewhere = await b.acquire('job', { owner: 'alice', expire: 10 });
    expect(elsewhere.token).toBeGreaterThan(lock.token);
    const lost = (await a.release(lock).catch((e: unknown) => e)) as LockLostError;
    expect(lost).toBeInstanceOf(LockLostError);
    expect(lost.current).toMatchObject({ owner: 'alice', token: elsewhere.token });
    expect(store.get('locks/job')!.etag).toBe(elsewhere.etag);
    // An operator's forced release is conditional on the state shown: a later extension by its
    // holder (same owner, token and base) is not released in its place.
    const shown = (await b.inspect('job'))!;
    await b.extend(elsewhere);
    await expect(a.release(shown, true)).rejects.toBeInstanceOf(LockLostError);
    expect(store.get('locks/job')!.body).toContain('"owner": "alice"');
  });

  test('only locks this protocol handed out, and held ones, may be released or extended', async () => {
    const { a, b } = setup();
    const lock = await a.acquire('job', { owner: 'alice' });
    const seen = (await b.inspect('job'))!;
    await expect(b.release(seen)).rejects.toThrow(/release\(\) takes a lock returned by acquire\(\)/);
    await expect(b.extend({ ...lock })).rejects.toBeInstanceOf(InvalidLockArgumentError);
    await expect(a.release({ ...lock, token: 2 ** 60 })).rejects.toBeInstanceOf(InvalidLockArgumentError);
    const released = await a.release(lock);
    await expect(a.release(released)).rejects.toThrow(/this one is released/);
    await expect(b.release(seen, true)).rejects.toBeInstanceOf(LockLostError); // forced, but the state changed
  });

  test('a document of another tool written this second: waits for the store clock, then issues a higher token', async () => {
    const { store, timers, a } = setup();
    const held = await a.acquire('job', { owner: 'alice', expire: 5 });
    await a.release(held);
    const body = encodeDocument({ expire: 5, lock_time: '2030-01-01T00:00:00.300000+00:00', release_time: null, owner: 'python' });
    await store.putUnconditional('locks/job', body, {});
    const refused = await a.acquire('job', { owner: 'bob' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AlreadyLockedError);
    expect((refused as AlreadyLockedError).holder).toBe('python');
    await store.putUnconditional('locks/job', body.replace('"python"', 'null'), {});
    const lock = await a.acquire('job', { owner: 'bob' });
    expect(timers.slept).toContain(500);
    expect(lock.token).toBeGreaterThan(held.token);
  });

  test('another tool that keeps rewriting the key while this call waits for the store clock: a lost race, not a store error', async () => {
    const { store, timers, a } = setup({ maxAttempts: 3 });
    const released = (lockTime: string) =>
      encodeDocument({ expire: 5, lock_time: lockTime, release_time: lockTime, owner: null });
    await store.putUnconditional('locks/job', released('2030-01-01T00:00:00.250000+00:00'), {});
    // The other tool writes a fresh released state during each wait, in the store's new second.
    let rewrites = 0;
    const virtualSleep = timers.sleep; // the test clock's, not real time
    timers.sleep = async (ms, signal) => {
      await virtualSleep(ms, signal);
      if (rewrites < 10) {
        rewrites++;
        await store.putUnconditional('locks/job', released(store.now().toISOString().replace('Z', '000+00:00')), {});
      }
    };
    const busy = await a.acquire('job', { owner: 'bob' }).catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(AlreadyLockedError);
    expect((busy as AlreadyLockedError).holder).toBe(UNKNOWN_HOLDER);
    expect((busy as Error).message).toBe(
      'Lock "job" kept changing while this call waited to take it: all 3 attempts of this call were lost to other writers, ' +
        'the last to a new state written by another tool (one that keeps no fencing token, such as the origin design\'s) within the store\'s ' +
        'current second, over which no token can be issued until that second has passed. This call does not hold the lock ' +
        '(it is free now). Retry later; if it keeps happening, that tool rewrites the key about every second: keep it off this key.',
    );
    // When the other tool stops, the wait ends within the call: the lock is taken, nothing lost.
    rewrites = 9;
    const lock = await a.acquire('job', { owner: 'bob' });
    expect(lock).toMatchObject({ owner: 'bob' });
  });

  test('a document of another tool whose second the store clock never passes: a store error after the clock waits', async () => {
    const { store, timers, a } = setup();
    const body = encodeDocument({ expire: 5, lock_time: '2030-01-01T00:00:00.300000+00:00', release_time: null, owner: null });
    await store.putUnconditional('locks/job', body, {});
    timers.sleep = (ms) => {
      timers.slept.push(ms); // the store's clock stands still
      return Promise.resolve();
    };
    const error = await a.acquire('job', { owner: 'bob' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(S3LockStoreError);
    expect((error as Error).message).toMatch(/store's clock has not moved past that write's LastModified second/);
    expect(timers.slept).toEqual([500, 500, 500, 500, 500]);
  });

  test('objects that are not lock documents are refused with CorruptLockError, whatever their size', async () => {
    const { store, a } = setup();
    await store.putUnconditional('locks/notes', '{"expire": "soon"}', {});
    await store.putUnconditional('locks/big', 'x'.repeat(70 * 1024), {});
    await expect(a.acquire('notes')).rejects.toBeInstanceOf(CorruptLockError);
    await expect(a.inspect('big')).rejects.toThrow(/more than a lock document can be/);
  });

  test('write-wait-verify: the wait confirms the lock; a writer during the wait takes it', async () => {
    const { store, timers, a, b } = setup({ mode: 'write-wait-verify', wait: 1 });
    await expect(a.acquire('job', { wait: 0 })).rejects.toThrow(/write-wait-verify/);
    const lock = await a.acquire('job', { owner: 'alice' });
    expect(timers.slept).toEqual([1000]);
    const extended = await a.extend(lock);
    await a.release(extended);
    store.faults.push({ operation: 'putUnconditional', lands: true, after: async () => void (await store.putUnconditional('locks/job', encodeDocument({ expire: 60, lock_time: '2030-01-01T00:00:01.000000+00:00', release_time: null, owner: 'intruder' }), {})) });
    const taken = await b.acquire('job', { owner: 'bob' }).catch((e: unknown) => e);
    expect(taken).toBeInstanceOf(AlreadyLockedError);
    expect((taken as AlreadyLockedError).holder).toBe('intruder');
  });
});
