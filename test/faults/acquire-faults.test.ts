import { afterEach, describe, expect, test } from '@jest/globals';
import { AlreadyLockedError, type Lock, UNKNOWN_HOLDER } from '../../lib/index.js';
import { type FaultFixture, faultFixture } from '../support/fault-fixture.js';
import { type FaultAction, S3_FAULTS } from '../support/fault-proxy.js';
import { waitFor } from '../support/wait.js';

/**
 * Acquire under each answer S3 (or the network) can give to its conditional write, with the
 * proxy injecting it deterministically. Each test checks what S3 holds afterwards and who
 * believes they hold the lock: never two holders.
 */
describe('acquire when the conditional write fails', () => {
  let f: FaultFixture;
  afterEach(async () => f?.close());

  const refusal = (promise: Promise<Lock>) =>
    promise.then(
      (lock) => {
        throw new Error(`expected AlreadyLockedError, got the lock ${JSON.stringify(lock)}`);
      },
      (error: unknown) => error as AlreadyLockedError,
    );

  /** The lock returned to the caller is what S3 holds, and a rival is refused naming its owner. */
  async function expectHeldBy(lock: Lock, owner: string): Promise<void> {
    expect(lock.owner).toBe(owner);
    const stored = await f.raw('job');
    expect(stored).toMatchObject({ owner, token: lock.token });
    const rival = await refusal(f.rival.acquire('job', { owner: 'rival', expire: 30 }));
    expect(rival).toBeInstanceOf(AlreadyLockedError);
    expect(rival.holder).toBe(owner);
  }

  test('412 on create: a competitor wrote first; the loser is refused naming the holder', async () => {
    f = await faultFixture('f412-create');
    f.proxy.add({
      match: { operation: 'PutObject', header: 'if-none-match' },
      action: { kind: 'hook', run: async () => void (await f.rival.acquire('job', { owner: 'alice', expire: 30 })) },
    });
    const error = await refusal(f.service.acquire('job', { owner: 'bob', expire: 30 }));
    expect(error).toBeInstanceOf(AlreadyLockedError);
    expect(error.holder).toBe('alice');
    expect(f.proxy.recorded('PutObject')).toEqual([
      expect.objectContaining({ condition: 'if-none-match', action: 'forward', upstreamStatus: 412 }),
    ]);
    expect(await f.raw('job')).toMatchObject({ owner: 'alice' });
  });

  test('412 on takeover: the released lock was taken between read and write; refused naming the holder', async () => {
    f = await faultFixture('f412-match');
    await f.rival.release(await f.rival.acquire('job', { owner: 'alice', expire: 30 }));
    f.proxy.add({
      match: { operation: 'PutObject', header: 'if-match' },
      action: { kind: 'hook', run: async () => void (await f.rival.acquire('job', { owner: 'carol', expire: 30 })) },
    });
    const error = await refusal(f.service.acquire('job', { owner: 'bob', expire: 30 }));
    expect(error.holder).toBe('carol');
    expect(f.proxy.recorded('PutObject')).toEqual([expect.objectContaining({ condition: 'if-match', upstreamStatus: 412 })]);
    expect(await f.raw('job')).toMatchObject({ owner: 'carol' });
  });

  test.each([
    ['409 ConditionalRequestConflict', 'if-none-match', S3_FAULTS.conditionalConflict, 'error-409'],
    ['500 InternalError', 'if-none-match', S3_FAULTS.internalError, 'error-500'],
    ['409 ConditionalRequestConflict', 'if-match', S3_FAULTS.conditionalConflict, 'error-409'],
    ['500 InternalError', 'if-match', S3_FAULTS.internalError, 'error-500'],
  ] as const)('%s on an %s write (not forwarded): outcome unknown, re-read, acquired on the next attempt', async (_n, condition, fault, kind) => {
    f = await faultFixture(`f-${kind}-${condition}`);
    if (condition === 'if-match') await f.rival.release(await f.rival.acquire('job', { owner: 'alice', expire: 30 }));
    f.proxy.add({ match: { operation: 'PutObject', header: condition }, action: fault });
    const lock = await f.service.acquire('job', { owner: 'bob', expire: 30 });
    expect(f.proxy.recorded('PutObject').map((r) => [r.condition, r.action, r.upstreamStatus])).toEqual([
      [condition, kind, null],
      [condition, 'forward', 200],
    ]);
    await expectHeldBy(lock, 'bob');
  });

  test('409 while a competitor took the lock: re-read, refused naming the holder (never two holders)', async () => {
    f = await faultFixture('f409-rival');
    f.proxy.add({
      match: { operation: 'PutObject', header: 'if-none-match' },
      action: {
        kind: 'hook',
        run: async () => {
          await f.rival.acquire('job', { owner: 'alice', expire: 30 });
          return S3_FAULTS.conditionalConflict;
        },
      },
    });
    const error = await refusal(f.service.acquire('job', { owner: 'bob', expire: 30 }));
    expect(error.holder).toBe('alice');
    expect(await f.raw('job')).toMatchObject({ owner: 'alice' });
  });

  test("RGW's 500 to a race loser (the store refused the write; the client sees 500): refused naming the winner", async () => {
    f = await faultFixture('f500-loser');
    await f.rival.release(await f.rival.acquire('job', { owner: 'alice', expire: 30 }));
    f.proxy.add({
      match: { operation: 'PutObject', header: 'if-match' },
      action: {
        kind: 'hook',
        run: async () => {
          await f.rival.acquire('job', { owner: 'carol', expire: 30 });
          return { ...S3_FAULTS.internalError, code: 'UnknownError', forward: true };
        },
      },
    });
    const error = await refusal(f.service.acquire('job', { owner: 'bob', expire: 30 }));
    expect(error.holder).toBe('carol');
    expect(f.proxy.recorded('PutObject')).toEqual([expect.objectContaining({ upstreamStatus: 412, clientStatus: 500 })]);
    expect(await f.raw('job')).toMatchObject({ owner: 'carol' });
  });

  test('500 to a write that landed: the library finds its own write id and holds the lock, one PUT only', async () => {
    f = await faultFixture('f500-landed');
    f.proxy.add({ match: { operation: 'PutObject', header: 'if-none-match' }, action: { ...S3_FAULTS.internalError, forward: true } });
    const lock = await f.service.acquire('job', { owner: 'bob', expire: 30 });
    expect(f.proxy.recorded('PutObject')).toEqual([expect.objectContaining({ upstreamStatus: 200, clientStatus: 500 })]);
    await expectHeldBy(lock, 'bob');
  });

  test.each(['if-none-match', 'if-match'] as const)(
    'forward-then-drop on the %s write: it landed, the library recognises its write and returns the lock',
    async (condition) => {
      f = await faultFixture(`fdrop-${condition}`);
      if (condition === 'if-match') await f.rival.release(await f.rival.acquire('job', { owner: 'alice', expire: 30 }));
      f.proxy.add({ match: { operation: 'PutObject', header: condition }, action: { kind: 'drop-response' } });
      const lock = await f.service.acquire('job', { owner: 'bob', expire: 30 });
      expect(f.proxy.recorded('PutObject')).toEqual([expect.objectContaining({ action: 'drop-response', upstreamStatus: 200 })]);
      expect(f.proxy.recorded('GetObject').length).toBeGreaterThanOrEqual(2);
      await expectHeldBy(lock, 'bob');
    },
  );

  test('forward-then-drop with the default SDK client: its retry gets 412, the library still recognises its write', async () => {
    f = await faultFixture('fdrop-sdk', { sdkMaxAttempts: 3 });
    f.proxy.add({ match: { operation: 'PutObject', header: 'if-none-match' }, action: { kind: 'drop-response' } });
    const lock = await f.service.acquire('job', { owner: 'bob', expire: 30 });
    expect(f.proxy.recorded('PutObject').map((r) => [r.action, r.upstreamStatus])).toEqual([
      ['drop-response', 200],
      ['forward', 412],
    ]);
    await expectHeldBy(lock, 'bob');
  });

  test('forward-then-drop on the repeat holder one-request path: settled by a read, token as in S3', async () => {
    f = await faultFixture('fdrop-repeat');
    const first = await f.service.acquire('job', { owner: 'bob', expire: 30 });
    f.proxy.clearRecords();
    f.proxy.add({ match: { operation: 'PutObject', header: 'if-match' }, action: { kind: 'drop-response' } });
    const again = await f.service.acquire('job', { owner: 'bob', expire: 30 });
    expect(again.token).toBeGreaterThan(first.token);
    expect(f.proxy.recorded('PutObject')).toHaveLength(1);
    await expectHeldBy(again, 'bob');
  });

  test('connection reset before the write reached S3: nothing landed, the next attempt acquires', async () => {
    f = await faultFixture('freset');
    f.proxy.add({ match: { operation: 'PutObject', header: 'if-none-match' }, action: { kind: 'reset' } });
    const lock = await f.service.acquire('job', { owner: 'bob', expire: 30 });
    expect(f.proxy.recorded('PutObject').map((r) => r.action)).toEqual(['reset', 'forward']);
    await expectHeldBy(lock, 'bob');
  });

  test('a write stalled past requestTimeoutMs (it landed, no answer): unknown, settled by re-reading', async () => {
    f = await faultFixture('fstall-put', { requestTimeoutMs: 1000 });
    f.proxy.add({ match: { operation: 'PutObject', header: 'if-none-match' }, action: { kind: 'stall' } });
    const started = Date.now();
    const lock = await f.service.acquire('job', { owner: 'bob', expire: 30 });
    expect(Date.now() - started).toBeLessThan(6000);
    expect(f.proxy.recorded('PutObject')).toEqual([expect.objectContaining({ action: 'stall', upstreamStatus: 200, clientStatus: null })]);
    await expectHeldBy(lock, 'bob');
  });

  test('a write delayed past requestTimeoutMs that lands late: the retry wins, the late write is refused by S3', async () => {
    f = await faultFixture('fdelay-put', { requestTimeoutMs: 1000 });
    f.proxy.add({ match: { operation: 'PutObject', header: 'if-none-match' }, action: { kind: 'delay', ms: 3000 } });
    const lock = await f.service.acquire('job', { owner: 'bob', expire: 30 });
    const late = f.proxy.recorded('PutObject')[0];
    await waitFor(() => late.upstreamStatus !== null, 20_000); // the store answered the late write
    expect(late).toMatchObject({ action: 'delay', upstreamStatus: 412 });
    expect((await f.raw('job'))?.etag.replace(/"/g, '')).toBe(lock.etag.replace(/"/g, ''));
    await expectHeldBy(lock, 'bob');
  });

  /**
   * Before each of bob's writes reaches S3, the rival takes the lock and (unless at write
   * `keepAtWrite`) releases it; then bob's write goes on, answered by the store or with `answer`.
   */
  function churn(keepAtWrite?: number, answer?: FaultAction): void {
    let writes = 0;
    f.proxy.add({
      match: { operation: 'PutObject' },
      times: Infinity,
      action: {
        kind: 'hook',
        run: async () => {
          const rival = await f.rival.acquire('job', { owner: 'carol', expire: 30 });
          if (++writes !== keepAtWrite) await f.rival.release(rival);
          return answer;
        },
      },
    });
  }

  test('losing every race to a fast-churning rival (S3 healthy): AlreadyLockedError, not a store error; the winners are unknown', async () => {
    f = await faultFixture('fcontention');
    await f.rival.release(await f.rival.acquire('job', { owner: 'carol', expire: 30 }));
    // Every write of bob's gets 412, and every re-read shows the lock free again.
    churn();
    const outcome = await f.service.acquire('job', { owner: 'bob', expire: 30 }).catch((e: unknown) => e);
    expect(f.proxy.recorded('PutObject').map((r) => r.upstreamStatus)).toEqual([412, 412, 412, 412, 412]);
    expect(outcome).toBeInstanceOf(AlreadyLockedError);
    const error = outcome as AlreadyLockedError;
    expect(error.holder).toBe(UNKNOWN_HOLDER);
    expect(error.key).toBe('job');
    expect(error.message).toBe(
      'Lock "job" was taken by other writers first, 5 times in a row (each write of this call lost to theirs); ' +
        'they have released it since (it is free now). This call does not hold the lock. Retry if you still need it.',
    );
    // `lock` is the state read after the last race: the rival's release, truthfully.
    const stored = await f.raw('job');
    expect(stored).toMatchObject({ owner: null });
    expect(error.lock).toMatchObject({ key: 'job', owner: null, token: stored!.token, etag: stored!.etag });
  });

  test('tryAcquire that loses every race returns null, and writes nothing of its own', async () => {
    f = await faultFixture('fcontention-try');
    await f.rival.release(await f.rival.acquire('job', { owner: 'carol', expire: 30 }));
    churn();
    expect(await f.service.tryAcquire('job', { owner: 'bob', expire: 30 })).toBeNull();
    expect(f.proxy.recorded('PutObject').map((r) => r.upstreamStatus)).toEqual([412, 412, 412, 412, 412]);
    expect(await f.raw('job')).toMatchObject({ owner: null });
  });

  test("losing every race, answered with RGW's 500 to race losers: the re-read settles it as lost, not a store failure", async () => {
    f = await faultFixture('fcontention-500');
    await f.rival.release(await f.rival.acquire('job', { owner: 'carol', expire: 30 }));
    // The rival writes first; bob's write is refused by the store (412), but bob hears a 500.
    churn(undefined, { kind: 'error', status: 500, code: 'UnknownError', forward: true });
    const outcome = await f.service.acquire('job', { owner: 'bob', expire: 30 }).catch((e: unknown) => e);
    expect(f.proxy.recorded('PutObject').map((r) => [r.upstreamStatus, r.clientStatus])).toEqual(Array(5).fill([412, 500]));
    expect(outcome).toBeInstanceOf(AlreadyLockedError);
    expect((outcome as AlreadyLockedError).holder).toBe(UNKNOWN_HOLDER);
    expect(await f.raw('job')).toMatchObject({ owner: null });
  });

  test('losing the last race to a winner that still holds the lock names that winner', async () => {
    f = await faultFixture('fcontention-named');
    await f.rival.release(await f.rival.acquire('job', { owner: 'carol', expire: 30 }));
    churn(5);
    const outcome = await f.service.acquire('job', { owner: 'bob', expire: 30 }).catch((e: unknown) => e);
    expect(f.proxy.recorded('PutObject').map((r) => r.upstreamStatus)).toEqual([412, 412, 412, 412, 412]);
    expect(outcome).toBeInstanceOf(AlreadyLockedError);
    expect((outcome as AlreadyLockedError).holder).toBe('carol');
    expect((outcome as AlreadyLockedError).message).toMatch(/^Lock "job" is held by "carol" since /);
    expect(await f.raw('job')).toMatchObject({ owner: 'carol' });
  });
});
