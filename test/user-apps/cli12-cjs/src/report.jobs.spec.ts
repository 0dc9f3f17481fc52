import { Test } from '@nestjs/testing';
import { S3LockService } from 'nestjs-s3-lock';
import type { Lock } from 'nestjs-s3-lock/core';
import { S3LockTestingModule } from 'nestjs-s3-lock/testing';
import { ReportJobs } from './report.jobs';

describe('ReportJobs', () => {
  it('runs the nightly report under its lock, and skips it while another replica holds the lock', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [S3LockTestingModule.forRoot()],
      providers: [ReportJobs],
    }).compile();
    await moduleRef.init();
    const jobs = moduleRef.get(ReportJobs);
    const locks = moduleRef.get(S3LockService);

    await jobs.nightlyReport();
    expect(jobs.tokens).toEqual([expect.any(Number)]);

    const held: Lock = await locks.acquire('nightly-report', { owner: 'replica-2' });
    await jobs.nightlyReport();
    expect(jobs.tokens).toHaveLength(1);
    await locks.release(held);

    await jobs.nightlyReport();
    expect(jobs.tokens).toHaveLength(2);
    await moduleRef.close();
  });
});
