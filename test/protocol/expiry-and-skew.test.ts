import { afterEach, describe, expect, test } from '@jest/globals';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { setTimeout as sleep } from 'node:timers/promises';
import { AlreadyLockedError, LockLostError } from '../../lib/index.js';
import { startWorker, type Worker } from '../support/processes.js';
import { testBucket } from '../support/s3-env.js';
import { testService } from '../support/services.js';

const TEN_MINUTES = 10 * 60 * 1000;
const running: Worker[] = [];
afterEach(() => {
  for (const w of running.splice(0)) w.child.kill('SIGKILL');
});
const worker = (config: Record<string, unknown>, skew = 0) => {
  const w = startWorker(config, skew);
  running.push(w);
  return w;
};

/** The worker really ran on a shifted clock (its event times are off by `skew`). */
function expectSkewed(workerNow: number, skew: number): void {
  expect(Math.abs(workerNow - Date.now() - skew)).toBeLessThan(5000);
}

/** Polls `acquire` until it succeeds; returns the local time of the first success. */
async function pollUntilAcquired(attempt: () => Promise<unknown>, limitMs: number): Promise<number> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    try {
      await attempt();
      return Date.now();
    } catch (error) {
      if (!(error instanceof AlreadyLockedError)) throw error;
    }
    await sleep(100); // stays: the pause of this bounded poll (a waitFor that returns when it succeeded)
  }
  throw new Error('never acquired');
}

describe('expiry of a dead holder, by the store clock', () => {
  test('a holder killed with SIGKILL is taken over after expire, and not before', async () => {
    const { service, prefix } = testService('killed');
    const holder = worker({ mode: 'hold', prefix, key: 'job', expire: 3 });
    const acquired = await holder.next('acquired');
    holder.child.kill('SIGKILL');
    await holder.exited;

    const takenAt = await pollUntilAcquired(() => service.acquire('job', { owner: 'successor' }), 10_000);
    const startedAt = acquired.startedAt as number;
    // Not before: the holder's write landed after startedAt, and it is good for 3 s.
    expect(takenAt).toBeGreaterThanOrEqual(startedAt + 3000);
    // And not much after: the store clock has 1-second resolution, judged conservatively.
    expect(takenAt).toBeLessThanOrEqual((acquired.at as number) + 3000 + 2600);
    expect((await service.inspect('job'))?.owner).toBe('successor');
  });
});

describe.each([
  ['+10 minutes', TEN_MINUTES],
  ['-10 minutes', -TEN_MINUTES],
])('a worker whose clock is off by %s', (_label, skew) => {
  test('does not steal a live lock', async () => {
    const { service, prefix } = testService('skew-live');
    // Long enough to outlive a slow worker start on a busy machine.
    const held = await service.acquire('job', { owner: 'healthy', expire: 300 });
    const skewed = worker({ mode: 'take', prefix, key: 'job', expire: 20, pollMs: 250, timeLimitMs: 2500 }, skew);
    const done = await skewed.next('done');
    expectSkewed(done.at as number, skew);
    expect(done.acquired).toBe(false);
    expect(skewed.events.filter((e) => e.event === 'refused').length).toBeGreaterThan(0);
    expect(skewed.events.filter((e) => e.event === 'refused').every((e) => e.holder === 'healthy')).toBe(true);
    expect((await service.inspect('job'))?.owner).toBe('healthy');
    await service.release(held);
  });

  test('takes over a dead lock after expire, neither early nor 10 minutes late', async () => {
    const { service, prefix } = testService('skew-dead');
    const abandoned = await service.acquire('job', { owner: 'dead', expire: 2 });
    const skewed = worker({ mode: 'take', prefix, key: 'job', expire: 20, owner: 'skewed', pollMs: 100, timeLimitMs: 8000 }, skew);
    await skewed.next('started');
    const started = Date.now();
    const done = await skewed.next('done');
    expectSkewed(done.at as number, skew);
    expect(done.acquired).toBe(true);
    // Taken over within the 2 s expire plus the store clock's resolution, not 10 minutes late.
    expect(Date.now() - Math.max(started, abandoned.lockTime.getTime() + 2000)).toBeLessThan(4000);
    expect(Date.now() - abandoned.lockTime.getTime()).toBeGreaterThanOrEqual(2000);
    expect((await service.inspect('job'))?.owner).toBe('skewed');
  });

  test('writes lock_time by the store clock, so others judge its lock correctly', async () => {
    const { service, prefix } = testService('skew-holder');
    const holder = worker({ mode: 'hold', prefix, key: 'job', expire: 2 }, skew);
    expectSkewed((await holder.next('acquired')).at as number, skew);
    const stored = await service.inspect('job');
    expect(Math.abs(stored!.lockTime.getTime() - Date.now())).toBeLessThan(3000);
    await expect(service.acquire('job')).rejects.toBeInstanceOf(AlreadyLockedError);
    holder.child.kill('SIGKILL');
    await pollUntilAcquired(() => service.acquire('job', { owner: 'successor' }), 8000);
  });
});

describe('release only by the holder', () => {
  test('a stale release after a takeover writes nothing, says so, and leaves S3 unchanged', async () => {
    const { service, client, prefix, logger } = testService('stale');
    const alice = await service.acquire('job', { owner: 'alice', expire: 1 });
    // The takeover, as soon as the store's clock has alice's lock expired.
    const bob = await pollUntilAcquired(() => service.acquire('job', { owner: 'bob', expire: 30 }), 15_000);
    expect(bob).toBeGreaterThan(0);
    const raw = async () => {
      const out = await client.send(new GetObjectCommand({ Bucket: testBucket(), Key: `${prefix}job` }));
      return { etag: out.ETag, body: await out.Body!.transformToString() };
    };
    const before = await raw();

    const error = await service.release(alice).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockLostError);
    expect((error as LockLostError).current?.owner).toBe('bob');
    expect(await raw()).toEqual(before);
    expect(logger.warnings().some((w) => w.includes('"bob"'))).toBe(true);

    const extended = await service.extend(alice).catch((e: unknown) => e);
    expect(extended).toBeInstanceOf(LockLostError);
    expect(await raw()).toEqual(before);
  });
});
