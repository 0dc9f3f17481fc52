import { afterEach, describe, expect, test } from '@jest/globals';
import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { Cron, ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { currentS3Lock, type S3LockRunEvent, WithS3Lock } from '../index.js';
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
async function replica(store: InMemoryLockStore, skipped: S3LockRunEvent[]) {
  let settle: () => void = () => undefined;
  const done = () => settle();
  const moduleRef = await Test.createTestingModule({
    imports: [
      ScheduleModule.forRoot(),
      S3LockTestingModule.forRoot({ store, events: { released: done, skipped: (e) => (skipped.push(e), done()) } }),
    ],
    providers: [Scheduled],
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
  return { jobs: moduleRef.get(Scheduled), tick };
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
});
