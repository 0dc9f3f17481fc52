import { afterEach, describe, expect, test } from '@jest/globals';
import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { Cron, ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { currentS3Lock, type S3LockRunEvent, S3LockService, WithS3Lock } from '../index.js';
import { InMemoryLockStore, S3LockTestingModule } from '../testing/index.js';

/** A scheduled job, fired by the test through the scheduler at chosen store times. */
@Injectable()
class Scheduled {
  readonly ticks: (number | undefined)[] = [];

  @Cron('0 * * * * *', { name: 'every-minute', disabled: true })
  @WithS3Lock('minute-report', { expire: 30 })
  async minute(): Promise<void> {
    this.ticks.push(currentS3Lock()!.tick?.getTime());
  }
}

const apps: INestApplicationContext[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

/** One replica; `tick()` fires its cron job as the scheduler does and waits for the outcome. */
async function replica(store: InMemoryLockStore, skipped: S3LockRunEvent[], jobs: new () => object = Scheduled) {
  let settle: () => void = () => undefined;
  const done = () => settle();
  const moduleRef = await Test.createTestingModule({
    imports: [
      ScheduleModule.forRoot(),
      S3LockTestingModule.forRoot({ store, events: { released: done, skipped: (e) => (skipped.push(e), done()) } }),
    ],
    providers: [jobs],
  })
    .setLogger({ log: () => undefined, warn: () => undefined, error: () => undefined })
    .compile();
  await moduleRef.init();
  apps.push(moduleRef);
  const job = moduleRef.get(SchedulerRegistry).getCronJob('every-minute');
  const tick = async () => {
    const outcome = new Promise<void>((resolve) => (settle = resolve));
    void job.fireOnTick();
    await outcome;
  };
  return { jobs: moduleRef.get(jobs) as Scheduled, tick };
}

describe('tick-aware locking on the in-memory store', () => {
  test('each @Cron tick runs on one replica; the next tick runs again; the run knows its tick', async () => {
    const store = new InMemoryLockStore({ startTime: new Date('2030-01-01T10:00:00.200Z') });
    const skipped: S3LockRunEvent[] = [];
    const [a, b] = [await replica(store, skipped), await replica(store, skipped)];
    await a.tick();
    await b.tick(); // the same tick, a moment later on another replica
    expect(a.jobs.ticks).toEqual([Date.parse('2030-01-01T10:00:00Z')]);
    expect(b.jobs.ticks).toEqual([]);
    expect(skipped.map((e) => [e.key, e.reason, e.tick?.toISOString()])).toEqual([
      ['minute-report', 'tick-claimed', '2030-01-01T10:00:00.000Z'],
    ]);
    store.advance(60);
    await b.tick();
    expect(b.jobs.ticks).toEqual([Date.parse('2030-01-01T10:01:00Z')]);
    // A direct call (not from the scheduler) is a plain lease: it runs, with no tick.
    await a.jobs.minute();
    expect(a.jobs.ticks).toEqual([Date.parse('2030-01-01T10:00:00Z'), undefined]);
  });

  test('a rolling deploy: a build with the class renamed and the cron written another way shares the ticks; a job named apart does not', async () => {
    @Injectable()
    class RenamedInTheNextBuild {
      readonly ticks: number[] = [];

      @Cron('0 0-59/1 * * * *', { name: 'every-minute', disabled: true })
      @WithS3Lock('minute-report', { expire: 30 })
      async minuteReport(): Promise<void> {
        this.ticks.push(currentS3Lock()!.tick!.getTime());
      }
    }
    @Injectable()
    class AnotherJobOnTheKey {
      readonly ticks: number[] = [];

      @Cron('0 * * * * *', { name: 'every-minute', disabled: true })
      @WithS3Lock('minute-report', { expire: 30, job: 'cleanup' })
      async cleanup(): Promise<void> {
        this.ticks.push(currentS3Lock()!.tick!.getTime());
      }
    }
    const store = new InMemoryLockStore({ startTime: new Date('2030-01-01T10:00:00.200Z') });
    const skipped: S3LockRunEvent[] = [];
    const old = await replica(store, skipped);
    const next = await replica(store, skipped, RenamedInTheNextBuild);
    const other = await replica(store, skipped, AnotherJobOnTheKey);
    await old.tick();
    await next.tick(); // the same tick, on a replica of the next build
    await other.tick(); // the same tick of another job on the key: it runs
    expect(old.jobs.ticks).toEqual([Date.parse('2030-01-01T10:00:00Z')]);
    expect((next.jobs as unknown as RenamedInTheNextBuild).ticks).toEqual([]);
    expect((other.jobs as unknown as AnotherJobOnTheKey).ticks).toEqual([Date.parse('2030-01-01T10:00:00Z')]);
    expect(skipped.map((e) => [e.method, e.reason])).toEqual([['RenamedInTheNextBuild.minuteReport', 'tick-claimed']]);
    await expect(async () => WithS3Lock('k', { job: '' })).rejects.toThrow(/job/);
  });

  test('a run that began after an occurrence does not claim it at release: the replicas that fired for it still run it', async () => {
    // The case of a replica whose clock is minutes off (it maps its call by the store's clock,
    // known only within a second): at 10:01:00.020 its call maps to 10:00, which nobody ran; its
    // run ends after 10:01. Its release must not claim 10:01, which it never ran.
    const T = Date.parse('2030-01-01T10:01:00Z');
    const store = new InMemoryLockStore({ startTime: new Date(T + 20) });
    const offClock = Object.create(store, {
      clock: {
        value: {
          now: () => store.now(),
          earliest: () => new Date(store.now().getTime() - 600),
          latest: () => new Date(store.now().getTime() + 400),
          workerNow: () => store.now().getTime() + 4 * 60_000,
        },
      },
    }) as InMemoryLockStore;
    const modules = await Promise.all(
      [offClock, store].map((s) => Test.createTestingModule({ imports: [S3LockTestingModule.forRoot({ store: s })] }).compile()),
    );
    apps.push(...modules);
    const [ahead, inTime] = modules.map((m) => m.get(S3LockService));
    const minute = { key: 'minute', cron: '0 * * * * *' };
    const late = await ahead!.runScheduled(minute, () => store.advance(1));
    expect([late.ran, late.tick?.toISOString()]).toEqual([true, '2030-01-01T10:00:00.000Z']);
    const onTime = await inTime!.runScheduled(minute, () => 'ran');
    expect([onTime.ran, onTime.tick?.toISOString()]).toEqual([true, '2030-01-01T10:01:00.000Z']);
  });

  test('ticks no replica ran are said: one warning and the missed event, from the state the call reads anyway', async () => {
    const store = new InMemoryLockStore({ startTime: new Date('2030-01-01T10:00:00.200Z') });
    const missed: S3LockRunEvent[] = [];
    const warnings: string[] = [];
    const moduleRef = await Test.createTestingModule({
      imports: [S3LockTestingModule.forRoot({ store, events: { missed: (e) => missed.push(e) } })],
    })
      .setLogger({ log: () => undefined, warn: (m: unknown) => void warnings.push(String(m)), error: () => undefined })
      .compile();
    await moduleRef.init();
    apps.push(moduleRef);
    const locks = moduleRef.get(S3LockService);
    const minute = { key: 'report', name: 'Reports.minute', cron: '0 * * * * *' };
    await locks.runScheduled(minute, () => 'ran'); // 10:00
    store.advance(60);
    await locks.runScheduled(minute, () => 'ran'); // 10:01: nothing missed
    store.advance(180); // nobody fires at 10:02 and 10:03
    await locks.runScheduled(minute, () => 'ran'); // 10:04
    expect(missed).toEqual([
      {
        key: 'report',
        method: 'Reports.minute',
        tick: new Date('2030-01-01T10:04:00Z'),
        missed: { count: 2, atLeast: false, first: new Date('2030-01-01T10:02:00Z'), last: new Date('2030-01-01T10:03:00Z') },
      },
    ]);
    expect(warnings).toEqual([
      'Reports.minute: 2 ticks of lock "report" ran on no replica (2030-01-01T10:02:00.000Z to 2030-01-01T10:03:00.000Z): ' +
        'none was up or fired for them, or each found the lock held. Running the tick of 2030-01-01T10:04:00.000Z now.',
    ]);
    // A skip is no miss: the next tick, found claimed, is said by nobody.
    await locks.runScheduled(minute, () => 'ran');
    expect(missed).toHaveLength(1);
  });

  test('the test\'s clock is the only one: a cron tick follows the store\'s time even when it is near the real time', async () => {
    // The store starts at the real time; the worker's clock must not be taken from Date.now(),
    // or the second call (one second later for the test, a few ms for the machine) would map to
    // the first call's tick and skip.
    const store = new InMemoryLockStore();
    const moduleRef = await Test.createTestingModule({ imports: [S3LockTestingModule.forRoot({ store })] }).compile();
    apps.push(moduleRef);
    const locks = moduleRef.get(S3LockService);
    const first = await locks.runScheduled({ key: 'poll', cron: '* * * * * *' }, () => 'ran');
    store.advance(1);
    const second = await locks.runScheduled({ key: 'poll', cron: '* * * * * *' }, () => 'ran');
    expect([first.ran, second.ran]).toEqual([true, true]);
    expect(second.tick!.getTime() - first.tick!.getTime()).toBe(1000);
  });

  test('a run that ends just before the next occurrence does not claim it, however coarse the estimate of the store\'s clock', async () => {
    // A store whose clock is known only within a second, as from `Date` headers: the estimate's
    // midpoint may already be past an occurrence the store has not reached.
    class CoarseClockStore extends InMemoryLockStore {
      override readonly clock = {
        now: () => new Date(this.now().getTime() + 400),
        earliest: () => this.now(),
        latest: () => new Date(this.now().getTime() + 800),
        workerNow: () => this.now().getTime(),
      };
    }
    const T = Date.parse('2030-01-01T10:00:00Z');
    const store = new CoarseClockStore({ startTime: new Date(T + 100) });
    const moduleRef = await Test.createTestingModule({ imports: [S3LockTestingModule.forRoot({ store })] }).compile();
    apps.push(moduleRef);
    const locks = moduleRef.get(S3LockService);
    const every2s = { key: 'sync', cron: '*/2 * * * * *' };
    // The run ends 300 ms before the next occurrence; the estimate's midpoint is 100 ms past it.
    const first = await locks.runScheduled(every2s, () => store.setTime(T + 1700));
    store.setTime(T + 2010);
    const next = await locks.runScheduled(every2s, () => 'ran');
    expect([first.ran, first.tick?.getTime()]).toEqual([true, T]);
    expect([next.ran, next.tick?.getTime()]).toEqual([true, T + 2000]);
  });
});
