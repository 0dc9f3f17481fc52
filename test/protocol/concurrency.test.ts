import { describe, expect, test } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlreadyLockedError, type Lock, S3LockService } from '../../lib/index.js';
import { checkLedger } from '../support/ledger.js';
import { startWorker } from '../support/processes.js';
import { testBucket, testClient, uniquePrefix } from '../support/s3-env.js';
import { MemoryLogger } from '../support/services.js';

describe('mutual exclusion under real concurrency', () => {
  test('50 concurrent acquirers in one process (each with its own client): exactly one wins, every round', async () => {
    const prefix = uniquePrefix('fifty');
    const services = Array.from({ length: 50 }, () =>
      new S3LockService({ bucket: testBucket(), prefix, client: testClient(), logger: new MemoryLogger() }),
    );
    let lastToken = 0;
    for (let round = 0; round < 5; round++) {
      const results = await Promise.allSettled(
        services.map((s, i) => s.acquire('contended', { owner: `w${i}`, expire: 30 })),
      );
      const winners = results.filter((r): r is PromiseFulfilledResult<Lock> => r.status === 'fulfilled');
      const losers = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(winners).toHaveLength(1);
      for (const loser of losers) expect(loser.reason).toBeInstanceOf(AlreadyLockedError);
      const winner = winners[0].value;
      expect(losers.every((l) => (l.reason as AlreadyLockedError).holder === winner.owner)).toBe(true);
      expect(winner.token).toBeGreaterThan(lastToken);
      lastToken = winner.token;
      expect((await services[0].inspect('contended'))?.owner).toBe(winner.owner);
      await services[Number(winner.owner!.slice(1))].release(winner);
    }
  });

  test('8 OS processes x 200 acquire/release cycles on one key: never two holders, tokens always increase', async () => {
    const ledger = join(mkdtempSync(join(tmpdir(), 's3lock-ledger-')), 'ledger.txt');
    const prefix = uniquePrefix('processes');
    const workers = Array.from({ length: 8 }, () =>
      startWorker({ mode: 'cycles', prefix, key: 'shared', expire: 60, cycles: 200, ledger, timeLimitMs: 240_000 }),
    );
    const done = await Promise.all(workers.map((w) => w.next('done')));
    for (const d of done) {
      // Every error each worker saw, exactly: none. A lost race is a conflict (AlreadyLockedError),
      // counted apart; it is never reported as a store error.
      expect({ acquired: d.acquired, lost: d.lost, errors: d.errors, errorMessages: d.errorMessages }).toEqual({
        acquired: 200,
        lost: 0,
        errors: {},
        errorMessages: [],
      });
      expect(Number.isInteger(d.conflicts) && (d.conflicts as number) >= 0).toBe(true);
    }
    // Eight processes on one key with no pause between cycles: they did contend.
    expect(done.reduce((sum, d) => sum + (d.conflicts as number), 0)).toBeGreaterThan(0);
    const verdict = checkLedger(ledger);
    expect(verdict.acquisitions).toBe(1600);
    expect(verdict.overlaps).toEqual([]);
    expect(verdict.nonIncreasingTokens).toEqual([]);
  }, 300_000);
});
