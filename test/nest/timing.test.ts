import { describe, expect, test } from '@jest/globals';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  currentS3Lock,
  type Lock,
  LockLostError,
  S3LockModule,
  type S3LockModuleOptions,
  type S3LockRunEvent,
  S3LockService,
  WithS3Lock,
} from '../../lib/index.js';
import { testBucket, testClient, uniquePrefix } from '../support/s3-env.js';
import { testService } from '../support/services.js';
import { gate, MemoryNestLogger, waitFor } from './support/nest-helpers.js';

// Real timing on S3, with short `expire` values. The store judges expiry to the second and
// adds one second, so a lock of `expire` seconds is taken over between expire and expire + 2 s
// after it was written. Each test starts its own application: they run concurrently.

interface Started<T> {
  app: TestingModule;
  jobs: T;
  service: S3LockService;
  /** Another replica: a service on the same prefix with its own client and owner. */
  other: S3LockService;
  logger: MemoryNestLogger;
  lost: S3LockRunEvent[];
}

/** Nest's logger is process-wide: the concurrent tests share one and look for their own keys. */
const logger = new MemoryNestLogger();

async function start<T>(jobs: new () => T, options: Partial<S3LockModuleOptions> = {}): Promise<Started<T>> {
  const prefix = uniquePrefix('nest-timing');
  const lost: S3LockRunEvent[] = [];
  const app = await Test.createTestingModule({
    imports: [
      S3LockModule.forRoot({
        bucket: testBucket(),
        client: testClient(),
        prefix,
        storeCheck: false,
        events: { lost: (e) => lost.push(e) },
        ...options,
      }),
    ],
    providers: [jobs],
  })
    .setLogger(logger)
    .compile();
  await app.init();
  const other = testService('other', { prefix, owner: 'other-replica' }).service;
  return { app, jobs: app.get(jobs), service: app.get(S3LockService), other, logger, lost };
}

/** Tries to take `key` as the other replica every 200 ms until it succeeds; resolves to when. */
async function takeOverWhenFree(other: S3LockService, key: string, startedAt: number, limitMs: number): Promise<{ at: number; lock: Lock }> {
  for (;;) {
    const lock = await other.tryAcquire(key, { owner: 'other-replica', expire: 30 });
    if (lock) return { at: Date.now() - startedAt, lock };
    if (Date.now() - startedAt > limitMs) throw new Error(`"${key}" still held after ${limitMs} ms`);
    await sleep(200); // stays: the pause of this bounded poll, itself a waitFor (one that says when it succeeded)
  }
}

@Injectable()
class HoldJobs {
  runs = 0;

  @WithS3Lock('hold', { expire: 10, minHold: 2 })
  async quick(): Promise<void> {
    this.runs++;
  }

  @WithS3Lock('hold-long-run', { expire: 10, minHold: 1 })
  async longerThanMinHold(): Promise<void> {
    await sleep(1_200); // stays: the run's own work, longer than its minHold of 1 s: the time under test
  }
}

describe('minHold', () => {
  test.concurrent('after a short run the lock stays held for minHold seconds, then frees itself', async () => {
    const { app, jobs, other, service } = await start(HoldJobs);
    try {
      const startedAt = Date.now();
      await jobs.quick();
      const ranAt = Date.now();
      const held = await service.inspect('hold');
      expect(held?.owner).toMatch(/:[0-9a-f]{8}$/); // still the run's own owner, not released
      expect(held?.expire).toBeLessThanOrEqual(2);
      await expect(jobs.quick()).resolves.toBeUndefined(); // the same tick, fired again: skipped
      expect(jobs.runs).toBe(1);
      // Taken between startedAt and ranAt; free from 2 s to about 4 s after that (1-s store clock).
      const { at } = await takeOverWhenFree(other, 'hold', startedAt, 8_000);
      expect(at).toBeGreaterThanOrEqual(1_900);
      expect(at - (ranAt - startedAt)).toBeLessThanOrEqual(5_000);
    } finally {
      await app.close();
    }
  });

  test.concurrent('a run longer than minHold releases at once', async () => {
    const { app, jobs, service } = await start(HoldJobs);
    try {
      await jobs.longerThanMinHold();
      expect(await service.inspect('hold-long-run')).toMatchObject({ owner: null });
    } finally {
      await app.close();
    }
  });
});

@Injectable()
class LongJobs {
  observed: { tokens: number[]; lockTimes: number[]; aborted: unknown } = { tokens: [], lockTimes: [], aborted: undefined };

  @WithS3Lock('extended', { expire: 2, autoExtend: true })
  async extended(): Promise<string> {
    return this.work(4_500);
  }

  /** Ignores its signal, so the lock is taken over before it ends. */
  @WithS3Lock('not-extended', { expire: 2 })
  async notExtended(): Promise<string> {
    return this.work(6_000, false);
  }

  @WithS3Lock('lost', { expire: 3, autoExtend: true })
  async untilLost(): Promise<string> {
    return this.work(4_000);
  }

  /** Works for up to `ms`, stopping early when the lock's signal aborts (if `stopOnAbort`). */
  private async work(ms: number, stopOnAbort = true): Promise<string> {
    const context = currentS3Lock()!;
    const until = Date.now() + ms;
    while (Date.now() < until && !(stopOnAbort && context.signal.aborted)) {
      this.observed.tokens.push(context.token);
      this.observed.lockTimes.push(context.lock.lockTime.getTime());
      await sleep(100); // stays: the run's own work, which looks at its lock every 100 ms for `ms`
    }
    this.observed.aborted = context.signal.reason;
    return context.signal.aborted ? 'stopped' : 'done';
  }
}

@Injectable()
class MarginJobs {
  readonly abortedAt = new Map<string, number>();
  private readonly takenOver = new Map<string, ReturnType<typeof gate>>();

  /** Opened by the test once another owner took `key`. */
  takeover(key: string): ReturnType<typeof gate> {
    if (!this.takenOver.has(key)) this.takenOver.set(key, gate());
    return this.takenOver.get(key)!;
  }

  /**
   * Overruns its 2-second lock, until another owner has taken it, and notes when its signal
   * says the lock is lost.
   */
  @WithS3Lock({ key: ([key]) => key as string, expire: 2 })
  async overrun(key: string): Promise<void> {
    const { signal } = currentS3Lock()!;
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    this.abortedAt.set(key, performance.now());
    await this.takeover(key).promise;
  }
}

describe('the lost-lease signal', () => {
  test.concurrent('fires at least a quarter of expire (500 ms of 2 s) before another owner can take the lock', async () => {
    const { app, jobs, other } = await start(MarginJobs);
    try {
      const keys = ['margin-1', 'margin-2', 'margin-3', 'margin-4', 'margin-5'];
      const gaps = await Promise.all(
        keys.map(async (key, i) => {
          await sleep(i * 170); // stays: spreads the writes over the store's second, as the test means to
          const run = jobs.overrun(key);
          // The other replica tries from the signal on, every 10 ms: a lock it could take at once
          // then shows as a gap below 450 ms, as one taken before the signal would have.
          await waitFor(() => jobs.abortedAt.has(key), 10_000, 10);
          await waitFor(async () => (await other.tryAcquire(key, { owner: 'other-replica' })) !== null, 15_000, 10);
          const takenAt = performance.now();
          jobs.takeover(key).open();
          await run;
          return Math.round(takenAt - jobs.abortedAt.get(key)!);
        }),
      );
      // Without the margin the gap is anything from a few ms to a second, depending on where in
      // the store's second the write fell.
      expect(gaps.filter((gap) => gap < 450)).toEqual([]);
    } finally {
      await app.close();
    }
  });
});

describe('long runs', () => {
  test.concurrent('autoExtend keeps a lock of expire 2 s held through a 4.5 s run', async () => {
    const { app, jobs, other, service, lost } = await start(LongJobs);
    try {
      const run = jobs.extended();
      await waitFor(() => jobs.observed.tokens.length > 0, 3_000); // the run holds the lock
      const startedAt = Date.now();
      for (const at of [2_500, 3_500, 4_200]) {
        // Stays: these moments, past the 2 s expire, are the times under test.
        await sleep(at - (Date.now() - startedAt));
        await expect(other.tryAcquire('extended', { owner: 'other-replica' })).resolves.toBeNull();
      }
      await expect(run).resolves.toBe('done');
      const { tokens, lockTimes } = jobs.observed;
      expect(new Set(tokens).size).toBe(1); // extensions keep the fencing token
      expect(lockTimes.at(-1)! - lockTimes[0]!).toBeGreaterThanOrEqual(2_000);
      expect(lost).toEqual([]);
      expect(await service.inspect('extended')).toMatchObject({ owner: null });
    } finally {
      await app.close();
    }
  });

  test.concurrent('without autoExtend the lock expires mid-run: the signal aborts, and the final release leaves the new holder alone', async () => {
    const { app, jobs, other, service, lost, logger } = await start(LongJobs);
    try {
      const startedAt = Date.now();
      const run = jobs.notExtended();
      await waitFor(() => jobs.observed.tokens.length > 0, 3_000); // the run holds the lock
      const { at, lock } = await takeOverWhenFree(other, 'not-extended', startedAt, 5_500);
      expect(at).toBeGreaterThanOrEqual(2_000);
      await expect(run).resolves.toBe('stopped');
      expect(logger.s3Lock('warn')).toContainEqual(expect.stringMatching(/Releasing lock "not-extended" after LongJobs\.notExtended failed/));
      expect(String(jobs.observed.aborted)).toContain('expired while its method was still running');
      expect(lost.map((e) => e.key)).toEqual(['not-extended']);
      expect(await service.inspect('not-extended')).toMatchObject({ owner: 'other-replica', token: lock.token });
      expect(logger.s3Lock('warn')).toContainEqual(expect.stringContaining('Lost lock "not-extended" while LongJobs.notExtended was running'));
    } finally {
      await app.close();
    }
  });

  test.concurrent('when an extension finds the lock gone, the signal aborts with LockLostError', async () => {
    const { app, jobs, service, lost } = await start(LongJobs);
    try {
      const run = jobs.untilLost();
      await waitFor(() => jobs.observed.tokens.length > 0, 3_000);
      const client = testClient();
      await client.send(new DeleteObjectCommand({ Bucket: testBucket(), Key: `${service.prefix}lost` }));
      await expect(run).resolves.toBe('stopped'); // well before its 4 s
      expect(jobs.observed.aborted).toBeInstanceOf(LockLostError);
      expect(lost).toHaveLength(1);
      expect(lost[0]!.error).toBeInstanceOf(LockLostError);
      expect(await service.inspect('lost')).toBeNull(); // nothing written after the loss
      client.destroy();
    } finally {
      await app.close();
    }
  });
});

@Injectable()
class ShutdownJobs {
  @WithS3Lock('cooperative', { expire: 30 })
  async cooperative(): Promise<string> {
    const { signal } = currentS3Lock()!;
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    return `aborted: ${String(signal.reason)}`;
  }

  stubbornFinished = false;
  /** Opened by the test: the run goes on until then, through the shutdown. */
  readonly stubbornMayFinish = gate();

  @WithS3Lock('stubborn', { expire: 30 })
  async stubborn(): Promise<string> {
    await this.stubbornMayFinish.promise;
    this.stubbornFinished = true;
    return 'finished after shutdown';
  }

  quickRuns = 0;

  @WithS3Lock('held-for-min', { expire: 30, minHold: 20 })
  async quick(): Promise<void> {
    this.quickRuns++;
  }
}

describe('application shutdown', () => {
  test.concurrent('aborts running methods, which release their locks; a minHold lock is left to expire', async () => {
    const { app, jobs, service } = await start(ShutdownJobs);
    await jobs.quick();
    const run = jobs.cooperative();
    await waitFor(async () => (await service.inspect('cooperative'))?.owner != null, 3_000);
    await app.close();
    await expect(run).resolves.toMatch(/aborted: .*shutting down/);
    expect(await service.inspect('cooperative')).toMatchObject({ owner: null });
    expect((await service.inspect('held-for-min'))!.owner).not.toBeNull();
  });

  test.concurrent('releases the lock of a method still running after shutdownTimeout', async () => {
    const { app, jobs, service, logger } = await start(ShutdownJobs, { shutdownTimeout: 1 });
    const run = jobs.stubborn();
    await waitFor(async () => (await service.inspect('stubborn'))?.owner != null, 3_000);
    await app.close();
    expect(jobs.stubbornFinished).toBe(false); // shutdown did not wait for it beyond 1 s
    expect(await service.inspect('stubborn')).toMatchObject({ owner: null });
    expect(logger.s3Lock('warn')).toContainEqual(expect.stringContaining('Released lock "stubborn" of ShutdownJobs.stubborn at shutdown'));
    jobs.stubbornMayFinish.open();
    await expect(run).resolves.toBe('finished after shutdown');
    expect(await service.inspect('stubborn')).toMatchObject({ owner: null });
    // No new locked run once closed: the method is not entered, and the lock is not touched.
    const heldForMin = await service.inspect('held-for-min');
    const runsBefore = jobs.quickRuns;
    await expect(jobs.quick()).resolves.toBeUndefined();
    expect(jobs.quickRuns).toBe(runsBefore);
    expect(await service.inspect('held-for-min')).toEqual(heldForMin);
  });
});
