import { describe, expect, test } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { currentS3Lock, LockLostError, S3LockModule, type S3LockRunEvent, S3LockService, WithS3Lock } from '../../lib/index.js';
import { testBucket, testClient, uniquePrefix } from '../support/s3-env.js';
import { seedOverwrite } from '../support/seed-writer.js';
import { aborted, MemoryNestLogger, waitFor } from './support/nest-helpers.js';

@Injectable()
class Jobs {
  abortedAt: number | undefined;
  reason: unknown;

  @WithS3Lock('shared-with-python', { expire: 3, autoExtend: true })
  async work(): Promise<void> {
    const { signal } = currentS3Lock()!;
    // Until the library aborts the signal; 8 s at most, so a signal never aborted fails the test below.
    await Promise.race([aborted(signal), aborted(AbortSignal.timeout(8_000))]);
    this.abortedAt = Date.now();
    this.reason = signal.reason;
  }
}

describe("a seed tool worker overwrites a lock a decorated method holds (its race window)", () => {
  test('with autoExtend, the next extension (within expire / 3) reports the loss, naming the foreign state', async () => {
    const prefix = uniquePrefix('nest-seed-overwrite');
    const lost: S3LockRunEvent[] = [];
    const client = testClient();
    const app = await Test.createTestingModule({
      imports: [S3LockModule.forRoot({ bucket: testBucket(), client, prefix, storeCheck: false, events: { lost: (e) => lost.push(e) } })],
      providers: [Jobs],
    })
      .setLogger(new MemoryNestLogger())
      .compile();
    await app.init();
    try {
      const jobs = app.get(Jobs);
      const service = app.get(S3LockService);
      const run = jobs.work();
      await waitFor(async () => (await service.inspect('shared-with-python'))?.owner != null, 10_000);
      const overwrittenAt = Date.now();
      await seedOverwrite(client, `${prefix}shared-with-python`, 'python-worker', 3);
      await run;
      // Extensions run every expire / 3 = 1 s: the loss is seen by the first one after the write.
      const learnedAfterMs = jobs.abortedAt! - overwrittenAt;
      expect(learnedAfterMs).toBeLessThan(1_000 + 500);
      expect(jobs.reason).toBeInstanceOf(LockLostError);
      const error = jobs.reason as LockLostError;
      expect(error.current).toMatchObject({ owner: 'python-worker', token: 0 });
      expect(error.message).toContain('it was overwritten by another tool (the origin design\'s writer, no fencing token), now held by "python-worker".');
      expect(lost.map((e) => [e.key, e.error])).toEqual([['shared-with-python', error]]);
      // Nothing of ours was written over the seed's lock after the loss.
      expect(await service.inspect('shared-with-python')).toMatchObject({ owner: 'python-worker', token: 0 });
    } finally {
      await app.close();
      client.destroy();
    }
  });
});
