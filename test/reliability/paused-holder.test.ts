import { describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AlreadyLockedError } from '../../lib/index.js';
import { readRaw } from '../support/fault-fixture.js';
import { startWorker } from '../support/processes.js';
import { testClient } from '../support/s3-env.js';
import { testService } from '../support/services.js';

/** Polls `check` every `everyMs` until it returns a value, for at most `ms`. */
async function waitFor<T>(check: () => T | undefined | Promise<T | undefined>, ms: number, what: string, everyMs = 20): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs); // stays: the pause of this bounded poll, itself a waitFor (one that returns the value)
  }
}

describe('a holder paused (SIGSTOP) for longer than expire, then resumed', () => {
  test('is refused before expire, taken over after; on resume its late release writes nothing and says so', async () => {
    const ledger = join(mkdtempSync(join(tmpdir(), 's3lock-paused-')), 'ledger.txt');
    const { service: rival, prefix } = testService('paused-holder');
    const direct = testClient();
    const worker = startWorker({ mode: 'cycles', prefix, key: 'job', expire: 3, cycles: 1, holdMs: 2500, ledger, timeLimitMs: 30_000 });
    try {
      const line = await waitFor(
        () => (existsSync(ledger) ? readFileSync(ledger, 'utf8').split('\n').find((l) => l.startsWith('acquire')) : undefined),
        20_000,
        'the worker to acquire',
      );
      worker.child.kill('SIGSTOP');
      const [, token, owner] = line.split(' ');

      // Paused, its lock still live: refused, naming the paused holder.
      const early = await rival.acquire('job', { owner: 'rival', expire: 30 }).catch((e: unknown) => e);
      expect(early).toBeInstanceOf(AlreadyLockedError);
      expect((early as AlreadyLockedError).holder).toBe(owner);

      // After expire (by the store's clock), taken over.
      const lock = await waitFor(async () => (await rival.tryAcquire('job', { owner: 'rival', expire: 30 })) ?? undefined, 15_000, 'the takeover', 200);
      expect(lock).not.toBeNull();
      expect(lock!.token).toBeGreaterThan(Number(token));

      // Resumed: its hold ends, its release finds the lock lost, writes nothing.
      worker.child.kill('SIGCONT');
      const done = await worker.next('done');
      // Every error the worker saw, exactly: the one LockLostError of its release.
      expect({ acquired: done.acquired, lost: done.lost, errors: done.errors, errorMessages: done.errorMessages }).toEqual({
        acquired: 1,
        lost: 1,
        errors: { LockLostError: 1 },
        errorMessages: [expect.stringMatching(/^LockLostError: Lock "job" is no longer held by "[^"]+" \(token \d+\): it is now held by "rival" \(token \d+\)\./)],
      });
      expect(await readRaw(direct, `${prefix}job`)).toMatchObject({ owner: 'rival', token: lock!.token });
      expect((await rival.inspect('job'))?.etag.replace(/"/g, '')).toBe(lock!.etag.replace(/"/g, ''));
    } finally {
      worker.child.kill('SIGCONT');
      worker.child.kill('SIGKILL');
      direct.destroy();
    }
  }, 40_000);
});
