import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { Interval, ScheduleModule } from '@nestjs/schedule';
import { Test, type TestingModule } from '@nestjs/testing';
import { setTimeout as sleep } from 'node:timers/promises';
import { S3LockModule, WithS3Lock } from '../../lib/index.js';
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

    const cutAt = Date.now();
    await proxy.cutOff();
    await sleep(1500);
    const restoredAt = Date.now();
    await proxy.restore();
    await waitFor(() => jobs.runs.filter((t) => t > restoredAt).length >= 2, 10_000);

    // A run already past its acquire when S3 went away may start a moment later; none after.
    expect(jobs.runs.filter((t) => t > cutAt + 200 && t < restoredAt)).toEqual([]);
    // The scheduler logged why the ticks did not run.
    expect(logger.lines.some((l) => l.level === 'error' && /unreachable|ECONNREFUSED|ECONNRESET/.test(l.message))).toBe(true);
  });
});
