import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { Interval, ScheduleModule } from '@nestjs/schedule';
import { Test, type TestingModule } from '@nestjs/testing';
import { S3LockModule, type S3LockRunEvent, WithS3Lock } from '../../lib/index.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { s3Endpoint, testBucket, testClient, uniquePrefix } from '../support/s3-env.js';
import { MemoryNestLogger, waitFor } from './support/nest-helpers.js';

@Injectable()
class TickJobs {
  readonly runs: number[] = [];

  @Interval(200)
  @WithS3Lock('outage-job', { expire: 5 })
  async tick(): Promise<void> {
    this.runs.push(Date.now());
  }
}

describe('S3 unreachable in the middle of a run', () => {
  let proxy: FaultProxy;
  let app: TestingModule;
  const logger = new MemoryNestLogger();
  const skipped: S3LockRunEvent[] = [];

  beforeAll(async () => {
    proxy = await FaultProxy.start({ upstream: s3Endpoint() });
    app = await Test.createTestingModule({
      imports: [
        ScheduleModule.forRoot(),
        S3LockModule.forRoot({
          bucket: testBucket(),
          prefix: uniquePrefix('outage'),
          client: testClient({ endpoint: proxy.url, maxAttempts: 1 }),
          requestTimeoutMs: 500,
          maxAttempts: 2,
          events: { skipped: (e) => skipped.push(e) },
        }),
      ],
      providers: [TickJobs],
    })
      .setLogger(logger)
      .compile();
    await app.init();
  });

  afterAll(async () => {
    await app.close();
    await proxy.close();
  });

  test('a scheduled job is skipped while S3 is down (never run unlocked) and runs again once it is back', async () => {
    const jobs = app.get(TickJobs);
    await waitFor(() => jobs.runs.length >= 2, 10_000);

    const skippedWhileDown = () => skipped.filter((e) => e.reason === 'store-unavailable').length;
    const before = skippedWhileDown();
    const cutAt = Date.now();
    await proxy.cutOff();
    // Three ticks tried and skipped while S3 is down (its skipped event, each time).
    await waitFor(() => skippedWhileDown() >= before + 3, 15_000);
    const restoredAt = Date.now();
    await proxy.restore();
    await waitFor(() => jobs.runs.filter((t) => t > restoredAt).length >= 2, 10_000);

    // A run already past its acquire when S3 went away may start a moment later; none after.
    expect(jobs.runs.filter((t) => t > cutAt + 200 && t < restoredAt)).toEqual([]);
    // The library said why the ticks did not run, once: a warning when it started, a line when it
    // ended; no error (the scheduler's stack trace per tick) at all.
    // (A run in flight when S3 went away may also say that its release failed.) The ticks the
    // outage cost are said once S3 is back: they ran on no replica.
    const lines = [...logger.s3Lock('warn'), ...logger.s3Lock('log')].filter((m) => m.includes('"outage-job"'));
    expect(lines.filter((m) => /^TickJobs\.tick: (more than )?\d+ ticks? of lock "outage-job" ran on no replica/.test(m))).toHaveLength(1);
    const said = lines.filter(
      (m) => !/^Releasing lock "outage-job" after TickJobs\.tick failed: .* It will expire on its own/.test(m) && !/ran on no replica/.test(m),
    );
    expect(said).toHaveLength(2);
    expect(said[0]).toMatch(/^S3 cannot be used for lock "outage-job": .*(unreachable|ECONNREFUSED|ECONNRESET).* TickJobs\.tick is skipped/);
    expect(said[1]).toMatch(/^S3 answers again for lock "outage-job": \d+ scheduled runs were skipped/);
    expect(logger.lines.filter((l) => l.level === 'error')).toEqual([]);
  });
});
