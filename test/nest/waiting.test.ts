import { afterEach, describe, expect, test } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AcquireAbortedError,
  AlreadyLockedError,
  currentS3Lock,
  S3LockModule,
  type S3LockRunEvent,
  S3LockService,
  WithS3Lock,
} from '../../lib/index.js';
import { startWorker, type Worker } from '../support/processes.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { s3Endpoint, testBucket, uniquePrefix } from '../support/s3-env.js';
import { testService } from '../support/services.js';
import { closeAfterEach, countingClient, gate, MemoryNestLogger, waitFor } from './support/nest-helpers.js';

// waitForLock (keep trying until the lock is free or the time is up) and the in-process
// decisions (a key this process holds is refused without a request), on the real store.

const apps = closeAfterEach();
const workers: Worker[] = [];
afterEach(() => {
  for (const worker of workers.splice(0)) worker.child.kill('SIGKILL');
});

/**
 * A service on a fresh prefix whose key `job` another process holds (expire 30), and how many
 * of the service's reads of the lock were answered (a refused acquire reads it once).
 */
async function heldElsewhere(name: string) {
  const counting = countingClient();
  const { service, prefix } = testService(name, { client: counting.client });
  const holder = startWorker({ mode: 'hold', prefix, key: 'job', expire: 30 });
  workers.push(holder);
  const { owner } = await holder.next('acquired');
  return { service, owner, reads: () => counting.counts['GetObjectCommand:ok'] ?? 0 };
}

/** S3 requests counted so far, all commands together. */
const total = (counts: Record<string, number>): number =>
  Object.entries(counts).filter(([name]) => !name.includes(':')).reduce((sum, [, n]) => sum + n, 0);

describe('acquire with waitForLock', () => {
  test('gets a lock that another process releases after 2 s, within about a second of the release', async () => {
    const { service, prefix } = testService('wait-other');
    const holder = startWorker({ mode: 'release-after', prefix, key: 'job', expire: 30, holdMs: 2000 });
    workers.push(holder);
    await holder.next('acquired');
    const startedAt = Date.now();
    const lock = await service.acquire('job', { waitForLock: 8 });
    const acquiredAt = Date.now();
    // `at`: when the holder's release had landed.
    const { at: releasedAt, token } = await holder.next('released');
    expect(lock.token).toBeGreaterThan(token as number);
    expect(acquiredAt - startedAt).toBeGreaterThan(1500);
    expect(acquiredAt - releasedAt).toBeLessThan(1300);
    await service.release(lock);
  }, 30_000);

  test('a script that awaits a wait stays alive until it gets the lock', async () => {
    const { service, prefix } = testService('wait-script');
    const held = await service.acquire('job', { expire: 30 });
    // The waiter reaches S3 through a proxy, which shows its reads.
    const proxy = await FaultProxy.start({ upstream: s3Endpoint() });
    try {
      const waiter = startWorker({ mode: 'wait', prefix, key: 'job', expire: 30, waitForLock: 10, endpoint: proxy.url });
      workers.push(waiter);
      // Refused three times: it went through two pauses between polls, kept alive by nothing else.
      await waitFor(() => proxy.recorded('GetObject').filter((r) => r.clientStatus === 200).length >= 3, 15_000);
      await service.release(held);
      const done = await waiter.next('done');
      expect(done.acquired).toBe(true);
      expect(done.token).toBeGreaterThan(held.token);
      expect(await waiter.exited).toBe(0);
    } finally {
      await proxy.close();
    }
  }, 30_000);

  test('gives up after waitForLock seconds with AlreadyLockedError naming the holder; tryAcquire returns null', async () => {
    const { service, owner } = await heldElsewhere('wait-give-up');
    const startedAt = performance.now();
    const error = await service.acquire('job', { waitForLock: 1.5 }).catch((e: unknown) => e);
    const waited = performance.now() - startedAt;
    expect(error).toBeInstanceOf(AlreadyLockedError);
    expect((error as AlreadyLockedError).holder).toBe(owner);
    expect(waited).toBeGreaterThanOrEqual(1500);
    expect(waited).toBeLessThan(2300);
    expect(await service.tryAcquire('job', { waitForLock: 0.5 })).toBeNull();
  }, 30_000);

  test('an AbortSignal ends the wait at once, holding no lock', async () => {
    const { service, owner, reads } = await heldElsewhere('wait-abort');
    const controller = new AbortController();
    const waiting = service.acquire('job', { waitForLock: 20, signal: controller.signal }).catch((e: unknown) => e);
    await waitFor(() => reads() >= 1, 10_000, 5); // refused once: now in its wait
    const startedAt = performance.now();
    controller.abort(new Error('the caller gave up'));
    const error = (await waiting) as AcquireAbortedError;
    // Timed from the abort: the 1200 ms this test allowed from the call, less its former 700 ms sleep.
    expect(performance.now() - startedAt).toBeLessThan(500);
    expect(error).toBeInstanceOf(AcquireAbortedError);
    expect(error.message).toBe('Acquiring lock "job" was aborted (the caller gave up): this call holds no lock.');
    expect(error.released).toBe(false);
    expect((await service.inspect('job'))!.owner).toBe(owner);
  }, 30_000);

  test('stopWaiting() (shutdown, close()) ends the waits in progress; later calls may wait again', async () => {
    const { service, reads } = await heldElsewhere('wait-stop');
    const waiting = service.acquire('job', { waitForLock: 20 }).catch((e: unknown) => e);
    await waitFor(() => reads() >= 1, 10_000, 5); // refused once: now in its wait
    const stoppedAt = performance.now();
    await service.stopWaiting();
    const error = (await waiting) as AcquireAbortedError;
    expect(performance.now() - stoppedAt).toBeLessThan(300);
    expect(error).toBeInstanceOf(AcquireAbortedError);
    expect(error.message).toBe('Acquiring lock "job" was aborted (waiting was stopped): this call holds no lock.');
    const startedAt = performance.now();
    expect(await service.tryAcquire('job', { waitForLock: 0.5 })).toBeNull();
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(500);
  }, 30_000);

  test('waiters in one process share one poller: ten waiters cost the requests of one', async () => {
    const counting = countingClient();
    const { service, prefix } = testService('wait-shared', { client: counting.client });
    const holder = startWorker({ mode: 'release-after', prefix, key: 'job', expire: 30, holdMs: 2500 });
    workers.push(holder);
    await holder.next('acquired');
    counting.reset();
    const tokens: number[] = [];
    const waiters = Array.from({ length: 10 }, () =>
      service.runExclusive('job', { waitForLock: 15 }, async (lock) => {
        tokens.push(lock.token);
        await sleep(50); // stays: the run's own simulated work, while the others wait in line
      }),
    );
    const results = await Promise.all(waiters);
    expect(results.every((r) => r.ran)).toBe(true);
    // Tokens grow: the ten ran one after another.
    expect(tokens).toEqual([...tokens].sort((a, b) => a - b));
    expect(new Set(tokens).size).toBe(10);
    // About 2.5 s of polling by one poller (at most ~8 in the first second, then 1-2 a second),
    // then one acquire and one release per waiter: ten pollers would have cost five times that.
    expect(counting.counts.GetObjectCommand ?? 0).toBeLessThan(16);
  }, 30_000);
});

describe('in-process decisions', () => {
  test('twenty concurrent calls on a key this process holds: all refused with no S3 request; after release the next call acquires', async () => {
    const counting = countingClient();
    const { service } = testService('local-refusal', { client: counting.client });
    const held = await service.acquire('job', { expire: 30 });
    counting.reset();
    const results = await Promise.all(Array.from({ length: 20 }, () => service.acquire('job').catch((e: unknown) => e)));
    expect(results.every((e) => e instanceof AlreadyLockedError && e.holder === held.owner)).toBe(true);
    expect(total(counting.counts)).toBe(0);
    expect(await service.tryAcquire('job')).toBeNull();
    expect((await service.runExclusive('job', {}, () => 'ran')).ran).toBe(false);
    expect(total(counting.counts)).toBe(0);
    await service.release(held);
    counting.reset();
    const next = await service.acquire('job');
    expect(next.token).toBeGreaterThan(held.token);
    expect(total(counting.counts)).toBe(1);
    await service.release(next);
  });

  test('the moment the local holder may have lost its lease, S3 decides again', async () => {
    const counting = countingClient();
    const { service } = testService('local-expiry', { client: counting.client });
    // expire 2: trusted for 1.5 s (the lost signal's margin is a quarter of it).
    const held = await service.acquire('job', { expire: 2 });
    counting.reset();
    await expect(service.acquire('job')).rejects.toBeInstanceOf(AlreadyLockedError);
    expect(total(counting.counts)).toBe(0);
    // Stays: the 1.5 s of local trust is the time under test. It ends 1.5 s after the write
    // started (before this sleep did); the store's expiry comes 2 s at the earliest.
    await sleep(1600);
    // No longer trusted here: S3 is asked (and, within the store's expiry, still refuses).
    await expect(service.acquire('job')).rejects.toBeInstanceOf(AlreadyLockedError);
    expect(total(counting.counts)).toBe(1);
    // A waiter then takes it over once the store counts it expired.
    const next = await service.acquire('job', { waitForLock: 5 });
    expect(next.token).toBeGreaterThan(held.token);
  }, 20_000);

  test('a waiter behind a holder in the same process polls nothing and runs right after its release', async () => {
    const counting = countingClient();
    const { service } = testService('local-wait', { client: counting.client });
    const held = await service.acquire('job', { expire: 30 });
    counting.reset();
    const waiting = service.acquire('job', { waitForLock: 10 });
    // Stays: nothing may happen here. A waiter that polled would do so within its first
    // 250 ms pause, and keep at it: 1.5 s is six such pauses, enough on a loaded machine.
    await sleep(1500);
    expect(total(counting.counts)).toBe(0);
    const releasedAt = performance.now();
    await service.release(held);
    const next = await waiting;
    expect(performance.now() - releasedAt).toBeLessThan(500);
    expect(next.token).toBeGreaterThan(held.token);
  }, 20_000);
});

@Injectable()
class Jobs {
  readonly runs: string[] = [];
  readonly gate = gate();

  @WithS3Lock('report', { expire: 30 })
  async report(): Promise<void> {
    this.runs.push(`report ${currentS3Lock()!.token}`);
    await this.gate.promise;
  }

  /** Its lease runs from the write that took the lock, not from the start of the wait. */
  @WithS3Lock('lease', { expire: 3, waitForLock: 10 })
  async shortLease(): Promise<boolean> {
    await sleep(1000); // stays: the run's own work, 1 s of its lease: the time under test
    return currentS3Lock()!.signal.aborted;
  }

  @WithS3Lock('report', { expire: 30, waitForLock: 10 })
  async reportWhenFree(): Promise<string> {
    this.runs.push(`reportWhenFree ${currentS3Lock()!.token}`);
    return 'done';
  }
}

async function startApp(name: string) {
  const events: S3LockRunEvent[] = [];
  const app = await Test.createTestingModule({
    imports: [
      S3LockModule.forRoot({
        bucket: testBucket(),
        prefix: uniquePrefix(name),
        storeCheck: false,
        events: { skipped: (e) => events.push(e) },
      }),
    ],
    providers: [Jobs],
  })
    .setLogger(new MemoryNestLogger())
    .compile();
  apps.push(app);
  await app.init();
  return { app, jobs: app.get(Jobs), events, service: app.get(S3LockService) };
}

describe('@WithS3Lock with waitForLock', () => {
  test('runs the method once the holder finishes', async () => {
    const { jobs } = await startApp('decorator-wait');
    const first = jobs.report();
    await waitFor(() => jobs.runs.length === 1, 5000);
    const waiting = jobs.reportWhenFree();
    // Stays: nothing may happen here. A waiter let in wrongly would run at once (its holder is
    // in this process: no request to wait for); 800 ms is ample for that on a loaded machine.
    await sleep(800);
    expect(jobs.runs).toHaveLength(1);
    jobs.gate.open();
    await first;
    expect(await waiting).toBe('done');
    const [, second] = jobs.runs;
    expect(second).toMatch(/^reportWhenFree \d+$/);
    expect(Number(second!.split(' ')[1])).toBeGreaterThan(Number(jobs.runs[0]!.split(' ')[1]));
  });

  test('a run that waited 2.5 s for its lock keeps its whole lease (expire 3)', async () => {
    const { jobs, service } = await startApp('decorator-lease');
    const held = await service.acquire('lease', { expire: 30 });
    setTimeout(() => void service.release(held), 2500); // stays: the 2.5 s wait for the lock is the time under test
    // Not aborted one second into the run: the lost signal counts from the acquiring write.
    expect(await jobs.shortLease()).toBe(false);
  });

  test('shutdown ends the wait: the call is skipped as shutting down', async () => {
    const { app, jobs, events } = await startApp('decorator-shutdown');
    const first = jobs.report();
    await waitFor(() => jobs.runs.length === 1, 5000);
    const waiting = jobs.reportWhenFree();
    // Stays: lets the call reach its wait, which shows nothing outside the library (an in-process
    // wait sends no request and logs nothing); it takes a few microtasks, 500 ms is ample.
    await sleep(500);
    const closedAt = performance.now();
    const closing = app.close();
    expect(await waiting).toBeUndefined();
    expect(performance.now() - closedAt).toBeLessThan(1000);
    jobs.gate.open(); // the holder's run ends only now, after the wait was ended by the shutdown
    await closing;
    await first;
    apps.splice(apps.indexOf(app), 1);
    expect(jobs.runs).toHaveLength(1);
    expect(events).toEqual([{ key: 'report', method: 'Jobs.reportWhenFree', reason: 'shutting-down' }]);
  });
});
