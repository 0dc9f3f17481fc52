import { describe, expect, test } from '@jest/globals';
import { type DynamicModule, Injectable, type Type } from '@nestjs/common';
import { Cron, Interval, ScheduleModule, SchedulerRegistry, Timeout } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { map, type Observable, take, timer } from 'rxjs';
import {
  AlreadyLockedError,
  currentS3Lock,
  InvalidLockArgumentError,
  S3LockError,
  S3LockModule,
  type S3LockModuleOptions,
  type S3LockRunEvent,
  S3LockService,
  WithS3Lock,
} from '../../lib/index.js';
import { testBucket, testClient, uniquePrefix } from '../support/s3-env.js';
import { closeAfterEach, countingClient, gate, MemoryNestLogger, waitFor } from './support/nest-helpers.js';

const apps = closeAfterEach();

/** An initialised application with `providers` and S3LockModule on a fresh prefix. */
async function start(providers: Type[], options: Partial<S3LockModuleOptions> = {}, imports: DynamicModule[] = []) {
  const logger = new MemoryNestLogger();
  const events: Record<string, S3LockRunEvent[]> = { acquired: [], skipped: [], released: [], lost: [] };
  const { client, counts } = countingClient();
  const app = await Test.createTestingModule({
    imports: [
      S3LockModule.forRoot({
        bucket: testBucket(),
        client,
        prefix: uniquePrefix('nest-decorator'),
        storeCheck: false,
        events: {
          acquired: (e) => events.acquired.push(e),
          skipped: (e) => events.skipped.push(e),
          released: (e) => events.released.push(e),
          lost: (e) => events.lost.push(e),
        },
        ...options,
      }),
      ...imports,
    ],
    providers,
  })
    .setLogger(logger)
    .compile();
  apps.push(app);
  await app.init();
  return { app, logger, events, counts, service: app.get(S3LockService) };
}

@Injectable()
class ScheduledJobs {
  readonly tokens: number[] = [];

  @WithS3Lock('above-interval')
  @Interval('above-interval', 60_000)
  above(): void {}

  @Interval('below-interval', 60_000)
  @WithS3Lock('below-interval')
  below(): void {}

  @WithS3Lock('above-cron')
  @Cron('0 0 * * * *', { name: 'above-cron' })
  aboveCron(): void {}

  @Cron('0 0 * * * *', { name: 'below-cron' })
  @WithS3Lock('below-cron')
  belowCron(): void {}

  @Timeout('below-timeout', 60_000)
  @WithS3Lock('below-timeout')
  belowTimeout(): void {}

  @WithS3Lock('fast')
  @Interval('fast', 100)
  fast(): void {
    this.tokens.push(currentS3Lock()!.token);
  }
}

describe('@WithS3Lock keeps the method a scheduled job, in either decorator order', () => {
  test('every job is registered with @nestjs/schedule and keeps its name', async () => {
    const { app } = await start([ScheduledJobs], {}, [ScheduleModule.forRoot()]);
    const registry = app.get(SchedulerRegistry);
    expect(registry.getIntervals().sort()).toEqual(['above-interval', 'below-interval', 'fast']);
    expect([...registry.getCronJobs().keys()].sort()).toEqual(['above-cron', 'below-cron']);
    expect(registry.getTimeouts()).toEqual(['below-timeout']);
    expect(ScheduledJobs.prototype.above.name).toBe('above');
    expect(ScheduledJobs.prototype.belowCron.name).toBe('belowCron');
  });

  test('a scheduled run holds its lock (fencing tokens rise tick after tick)', async () => {
    const { app } = await start([ScheduledJobs], {}, [ScheduleModule.forRoot()]);
    const jobs = app.get(ScheduledJobs);
    await waitFor(() => jobs.tokens.length >= 3, 5_000);
    const [a, b, c] = jobs.tokens;
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(a!);
    expect(c).toBeGreaterThan(b!);
  });
});

describe('applying @WithS3Lock', () => {
  test('on something that is not a method fails when the class is defined', () => {
    const descriptor: PropertyDescriptor = { value: 42, writable: true, configurable: true };
    expect(() => WithS3Lock('k')({}, 'notAMethod', descriptor)).toThrow(/can only decorate a method.*notAMethod/);
  });

  test('on a static method fails with what to do', () => {
    expect(() => {
      class Jobs {
        @WithS3Lock('k')
        static run(): void {}
      }
      return Jobs;
    }).toThrow(/static method Jobs\.run/);
  });

  test.each([[''], [42], [null]])('with key %p fails when the class is defined', (key) => {
    expect(() => WithS3Lock(key as string)).toThrow(InvalidLockArgumentError);
  });

  test('with a bad option fails when the class is defined', () => {
    expect(() => WithS3Lock('k', { onLocked: 'wait' as 'skip' })).toThrow(/onLocked/);
    expect(() => WithS3Lock('k', { expire: 0 })).toThrow(/expire/);
    expect(() => WithS3Lock('k', { minHold: -1 })).toThrow(/minHold/);
  });
});

@Injectable()
class Work {
  runs = 0;
  gate = gate();

  @WithS3Lock('sync')
  sync(a: number, b: number): number {
    this.runs++;
    return a + b + (currentS3Lock() ? 1000 : 0);
  }

  @WithS3Lock('async')
  async slow(): Promise<string> {
    this.runs++;
    await this.gate.promise;
    return `token ${currentS3Lock()!.token}`;
  }

  @WithS3Lock('async-throw', { onLocked: 'throw' })
  async slowOrThrow(): Promise<string> {
    this.runs++;
    await this.gate.promise;
    return 'done';
  }

  @WithS3Lock({ key: (args, instance) => `tenant-${String(args[0])}-${(instance as Work).kind}` })
  async perTenant(tenant: string): Promise<string> {
    this.runs++;
    return currentS3Lock()!.lock.key;
  }

  @WithS3Lock({ key: ([tenant]) => tenant as string })
  async badKey(_tenant: unknown): Promise<void> {
    this.runs++;
  }

  @WithS3Lock('fails')
  async fails(error: Error): Promise<void> {
    this.runs++;
    throw error;
  }

  @WithS3Lock('fails-sync')
  failsSync(error: Error): void {
    this.runs++;
    throw error;
  }

  @WithS3Lock('observable')
  counted(): Observable<number> {
    return timer(0, 20).pipe(
      take(3),
      map((n) => (currentS3Lock() ? n : -1)),
    );
  }

  readonly kind = 'work';
}

describe('a decorated method', () => {
  test('sync and async methods run under their lock and return their result (as a Promise)', async () => {
    const { app, service } = await start([Work]);
    const work = app.get(Work);
    const sum = work.sync(1, 2);
    expect(sum).toBeInstanceOf(Promise);
    await expect(sum).resolves.toBe(1003);
    work.gate.open();
    await expect(work.slow()).resolves.toMatch(/^token \d+$/);
    expect(await service.inspect('sync')).toMatchObject({ owner: null });
    expect(await service.inspect('async')).toMatchObject({ owner: null });
  });

  test('a method returning an Observable is subscribed to under the lock and resolves to its last value', async () => {
    const { app, service, events } = await start([Work]);
    const work = app.get(Work);
    await expect(work.counted() as unknown as Promise<number>).resolves.toBe(2);
    expect(events.released.map((e) => e.key)).toEqual(['observable']);
    expect(events.released[0]!.durationMs).toBeGreaterThanOrEqual(35);
    expect(await service.inspect('observable')).toMatchObject({ owner: null });
  });

  test('two overlapping calls in one process: one runs, the other is skipped, naming key and holder', async () => {
    const { app, service, logger, events } = await start([Work]);
    const work = app.get(Work);
    const first = work.slow();
    await waitFor(() => work.runs === 1, 5_000);
    const holder = (await service.inspect('async'))!.owner!;
    await expect(work.slow()).resolves.toBeUndefined();
    work.gate.open();
    await expect(first).resolves.toMatch(/^token/);
    expect(work.runs).toBe(1);
    expect(logger.s3Lock('debug')).toContainEqual(expect.stringContaining(`Skipped Work.slow: lock "async" is held by "${holder}"`));
    expect(events.skipped).toEqual([{ key: 'async', method: 'Work.slow', reason: 'locked', holder }]);
    expect(events.acquired).toHaveLength(1);
    expect(events.released).toHaveLength(1);
  });

  test("in 'throw' mode the second call rejects with AlreadyLockedError naming the holder", async () => {
    const { app } = await start([Work]);
    const work = app.get(Work);
    const first = work.slowOrThrow();
    await waitFor(() => work.runs === 1, 5_000);
    const second = await work.slowOrThrow().catch((e: unknown) => e);
    expect(second).toBeInstanceOf(AlreadyLockedError);
    expect((second as AlreadyLockedError).key).toBe('async-throw');
    work.gate.open();
    await expect(first).resolves.toBe('done');
    expect(work.runs).toBe(1);
  });

  test('the module default onLocked applies where the method sets none', async () => {
    const { app } = await start([Work], { onLocked: 'throw' });
    const work = app.get(Work);
    const first = work.slow();
    await waitFor(() => work.runs === 1, 5_000);
    await expect(work.slow()).rejects.toBeInstanceOf(AlreadyLockedError);
    work.gate.open();
    await first;
  });

  test('a key function gets the arguments and the instance; its result is checked on every call', async () => {
    const { app, service } = await start([Work]);
    const work = app.get(Work);
    await expect(work.perTenant('acme')).resolves.toBe('tenant-acme-work');
    expect(await service.inspect('tenant-acme-work')).toMatchObject({ owner: null });
    const bad = await work.badKey('').catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(InvalidLockArgumentError);
    expect((bad as Error).message).toContain('Work.badKey returned ""');
    await expect(work.badKey(7)).rejects.toThrow('Work.badKey returned 7');
    await expect(work.badKey('a\u0000b')).rejects.toThrow(/control character/);
    expect(work.runs).toBe(1);
  });

  test('a method that throws: the same error reaches the caller and the lock is released', async () => {
    const { app, service, events } = await start([Work]);
    const work = app.get(Work);
    const error = new Error('boom');
    await expect(work.fails(error)).rejects.toBe(error);
    const syncError = new TypeError('sync boom');
    await expect(work.failsSync(syncError)).rejects.toBe(syncError);
    expect(await service.inspect('fails')).toMatchObject({ owner: null });
    expect((await service.inspect('fails'))!.releaseTime).toBeInstanceOf(Date);
    expect(await service.inspect('fails-sync')).toMatchObject({ owner: null });
    expect(events.released.map((e) => e.key)).toEqual(['fails', 'fails-sync']);
  });

  test('on an instance Nest did not create: a clear error, and the method does not run', async () => {
    await start([Work]);
    const work = new Work();
    const error = await work.perTenant('acme').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(S3LockError);
    expect((error as Error).message).toMatch(/Work\.perTenant is decorated with @WithS3Lock.*not created by Nest/);
    const detached = work.sync;
    await expect(detached(1, 2)).rejects.toThrow(/Work\.sync/);
    expect(work.runs).toBe(0);
  });
});

@Injectable()
class TickJobs {
  readonly runs: (number | undefined)[] = [];
  readonly timeoutTicks: (Date | undefined)[] = [];
  startupRun: Promise<void> | undefined;

  @Cron('* * * * * *')
  @WithS3Lock('tick-report')
  async report(): Promise<void> {
    this.runs.push(currentS3Lock()!.tick?.getTime());
  }

  @WithS3Lock('tick-once')
  @Timeout(100)
  async once(): Promise<void> {
    this.timeoutTicks.push(currentS3Lock()!.tick);
  }

  /** A direct call while the application initialises. */
  onModuleInit(): void {
    this.startupRun = this.report();
  }
}

describe('scheduled calls and direct calls of the same method', () => {
  test('the scheduler\'s calls claim ticks; calls from anywhere else are direct and never refused as "already run"', async () => {
    const { app, events } = await start([TickJobs], {}, [ScheduleModule.forRoot()]);
    const jobs = app.get(TickJobs);
    await jobs.startupRun;
    // The startup call is direct: it runs, with no tick, unless the scheduler's first call (a
    // second may begin while the application starts) took the lock first; then it was skipped
    // as any contender is, because the lock was held, never as "already run".
    const startupSkips = events.skipped.filter((e) => e.key === 'tick-report').map((e) => [e.reason, e.tick]);
    const startupRan = startupSkips.length === 0;
    if (startupRan) expect(jobs.runs[0]).toBeUndefined();
    else expect({ startupSkips, runs: jobs.runs.length }).toEqual({ startupSkips: [['locked', undefined]], runs: 1 });
    await waitFor(() => jobs.runs.some((tick) => tick !== undefined), 5000);
    const scheduled = jobs.runs.find((tick) => tick !== undefined)!;
    expect(scheduled % 1000).toBe(0);
    // (Once that run has released: while it holds the lock, this process refuses other calls itself.)
    await waitFor(() => events.released.some((e) => e.tick?.getTime() === scheduled), 5000);
    // Right after the tick ran, two direct calls: both run (no tick), neither is refused.
    await jobs.report();
    await jobs.report();
    expect(jobs.runs.filter((tick) => tick === undefined)).toHaveLength(startupRan ? 3 : 2);
    expect(events.skipped.filter((e) => e.key === 'tick-report').length).toBe(startupSkips.length);
    // @Timeout keeps lease semantics: no tick.
    await waitFor(() => jobs.timeoutTicks.length === 1, 5000);
    expect(jobs.timeoutTicks).toEqual([undefined]);
    // Scheduled runs each had their own tick.
    const ticks = jobs.runs.filter((tick): tick is number => tick !== undefined);
    expect(new Set(ticks).size).toBe(ticks.length);
  });

  test('runScheduled: a tick runs once; a later one runs; the result says why a call was skipped', async () => {
    const { service, events } = await start([]);
    const tick = Date.UTC(2026, 11, 2, 10, 0, 0);
    const seen: (Date | undefined)[] = [];
    const job = () => {
      seen.push(currentS3Lock()?.tick);
      return 'done';
    };
    const first = await service.runScheduled({ key: 'scheduled', name: 'sync', tick }, job);
    expect(first).toEqual({ ran: true, result: 'done', tick: new Date(tick) });
    expect(await service.runScheduled({ key: 'scheduled', name: 'sync', tick }, job)).toEqual({
      ran: false,
      reason: 'tick-claimed',
      tick: new Date(tick),
    });
    // An earlier tick is never run after a later one.
    expect(await service.runScheduled({ key: 'scheduled', name: 'sync', tick: tick - 60_000 }, job)).toMatchObject({
      ran: false,
      reason: 'tick-claimed',
    });
    expect(await service.runScheduled({ key: 'scheduled', name: 'sync', tick: new Date(tick + 60_000) }, job)).toMatchObject({
      ran: true,
      result: 'done',
    });
    // Another job on the same key keeps its own claims.
    expect(await service.runScheduled({ key: 'scheduled', name: 'other', tick }, job)).toMatchObject({ ran: true });
    expect(seen).toEqual([new Date(tick), new Date(tick + 60_000), new Date(tick)]);
    expect(events.skipped.map((e) => [e.method, e.reason, e.tick?.getTime()])).toEqual([
      ['sync', 'tick-claimed', tick],
      ['sync', 'tick-claimed', tick - 60_000],
    ]);
  });

  test('runScheduled from a cron expression or an interval: calls in the same tick run once', async () => {
    const { service } = await start([]);
    const cron = await Promise.all([0, 1, 2].map(() => service.runScheduled({ key: 'cron-job', cron: '0 0 * * * *' }, () => 1)));
    expect(cron.filter((r) => r.ran)).toHaveLength(1);
    expect(cron.filter((r) => !r.ran).map((r) => (r.ran ? '' : r.reason))).toEqual(['tick-claimed', 'tick-claimed']);
    const every = await Promise.all([0, 1].map(() => service.runScheduled({ key: 'interval-job', interval: 3_600_000 }, () => 1)));
    expect(every.filter((r) => r.ran)).toHaveLength(1);
  });

  test('runScheduled refuses a call without exactly one schedule', async () => {
    const { service } = await start([]);
    await expect(service.runScheduled({ key: 'x' }, () => 1)).rejects.toThrow(InvalidLockArgumentError);
    await expect(service.runScheduled({ key: 'x', cron: '* * * * * *', interval: 5 }, () => 1)).rejects.toThrow(
      'runScheduled needs one of { cron }, { interval } or { tick }',
    );
  });
});

@Injectable()
class ConfirmingJobs {
  runs = 0;

  /** Waits 5 s after acquiring before confirming ownership (the origin design's `wait`). */
  @WithS3Lock('confirming', { wait: 5, expire: 30 })
  async confirm(): Promise<void> {
    this.runs++;
  }
}

describe('shutdown during an acquisition', () => {
  test('ends the wait at once: the call is skipped as shutting down, and the lock it had written is released', async () => {
    const { app, events, service } = await start([ConfirmingJobs]);
    const jobs = app.get(ConfirmingJobs);
    const call = jobs.confirm();
    await waitFor(async () => (await service.inspect('confirming'))?.owner != null, 3000);
    const closing = Date.now();
    await app.close();
    await expect(call).resolves.toBeUndefined();
    expect(Date.now() - closing).toBeLessThan(2000);
    expect(jobs.runs).toBe(0);
    expect(events.skipped).toEqual([{ key: 'confirming', method: 'ConfirmingJobs.confirm', reason: 'shutting-down' }]);
    const after = new S3LockService({ bucket: testBucket(), client: testClient(), prefix: service.prefix, storeCheck: false });
    expect(await after.inspect('confirming')).toMatchObject({ owner: null });
    await after.close();
  });
});
