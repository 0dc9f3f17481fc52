import { Injectable, type DynamicModule } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { Test, type TestingModule } from '@nestjs/testing';
import { afterEach, describe, expect, test } from '@jest/globals';
import { S3LockModule, S3LockService, WithS3Lock } from '../../lib/index.js';
import {
  createInMemoryS3Lock,
  InMemoryS3Client,
  S3LockTestingModule,
} from '../../lib/testing/index.js';

/** The application code under test: a decorated cron job, as in the README. */
@Injectable()
class ReportJobs {
  runs = 0;

  @Cron('0 0 3 * * *')
  @WithS3Lock('nightly-report', { expire: 600 })
  async nightlyReport(): Promise<string> {
    this.runs++;
    return 'built';
  }
}

/** The README's "Testing your app" example, and the shortcuts, run for real (no S3 server). */
describe('testing an application with the in-memory lock store', () => {
  const opened: TestingModule[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((m) => m.close()));
  });

  async function appWith(lockModule: DynamicModule): Promise<TestingModule> {
    const moduleRef = await Test.createTestingModule({
      imports: [lockModule],
      providers: [ReportJobs],
    })
      .setLogger({ log: () => undefined, warn: () => undefined, error: () => undefined })
      .compile();
    opened.push(moduleRef);
    await moduleRef.init();
    return moduleRef;
  }

  test('README example: the job runs when the lock is free, skips while another replica holds it', async () => {
    const moduleRef = await appWith(
      S3LockModule.forRoot({ bucket: 'test', client: new InMemoryS3Client() }),
    );
    const jobs = moduleRef.get(ReportJobs);
    const locks = moduleRef.get(S3LockService);

    await expect(jobs.nightlyReport()).resolves.toBe('built');
    expect(jobs.runs).toBe(1);
    expect(await locks.inspect('nightly-report')).toMatchObject({ owner: null }); // released after the run

    const other = await locks.acquire('nightly-report', { owner: 'other-replica', expire: 60 });
    await expect(jobs.nightlyReport()).resolves.toBeUndefined(); // skipped
    expect(jobs.runs).toBe(1);

    await locks.release(other);
    await jobs.nightlyReport();
    expect(jobs.runs).toBe(2);
  });

  test('two app instances sharing one InMemoryS3Client behave like two replicas on one bucket', async () => {
    const client = new InMemoryS3Client();
    const [a, b] = await Promise.all([
      appWith(S3LockModule.forRoot({ bucket: 'test', client })),
      appWith(S3LockModule.forRoot({ bucket: 'test', client })),
    ]);
    const held = await a.get(S3LockService).acquire('nightly-report', { owner: 'replica-a', expire: 60 });
    await b.get(ReportJobs).nightlyReport();
    expect(b.get(ReportJobs).runs).toBe(0);
    expect(client.keys('test')).toEqual(['locks/nightly-report']);
    await a.get(S3LockService).release(held);
    await b.get(ReportJobs).nightlyReport();
    expect(b.get(ReportJobs).runs).toBe(1);
  });

  test('S3LockTestingModule.forRoot() and createInMemoryS3Lock() are shortcuts for the same', async () => {
    const moduleRef = await appWith(S3LockTestingModule.forRoot({ expire: 30 }));
    await moduleRef.get(ReportJobs).nightlyReport();
    expect(moduleRef.get(ReportJobs).runs).toBe(1);
    const service = moduleRef.get(S3LockService);
    expect(service.bucket).toBe('in-memory');
    expect((await service.acquire('k')).expire).toBe(30);

    const client = new InMemoryS3Client();
    const replicaA = createInMemoryS3Lock({ client });
    const replicaB = createInMemoryS3Lock({ client });
    const lock = await replicaA.acquire('k', { owner: 'a' });
    await expect(replicaB.tryAcquire('k', { owner: 'b' })).resolves.toBeNull();
    await replicaA.release(lock);
    await expect(replicaB.tryAcquire('k', { owner: 'b' })).resolves.toMatchObject({ owner: 'b' });
  });
});
