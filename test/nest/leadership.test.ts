import { afterAll, afterEach, describe, expect, test } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { currentS3Lock, S3LockModule, type S3LockLeaderTerm, S3LockService, WhileLeader } from '../../lib/index.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { checkLedger } from '../support/ledger.js';
import { startWorker, type Worker, type WorkerEvent } from '../support/processes.js';
import { s3Endpoint, testBucket, uniquePrefix } from '../support/s3-env.js';
import { testService } from '../support/services.js';
import { closeAfterEach, MemoryNestLogger, waitFor } from './support/nest-helpers.js';

// Leadership: one replica at a time leads a key, with failover. Three worker processes compete
// (test/support/worker/lock-worker.mjs, mode 'lead'); each term's start and end go to a shared
// ledger, which shows at most one leader at any time. Short leases keep it quick.

const EXPIRE = 3;
const dir = mkdtempSync(join(tmpdir(), 's3-lock-lead-'));
const workers: Worker[] = [];
afterAll(() => {
  for (const worker of workers) worker.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** The first `name` event of any of `among` printed after `after` (ms since the epoch). */
async function nextEvent(among: Worker[], name: string, after: number, timeoutMs: number): Promise<{ worker: Worker; event: WorkerEvent }> {
  let found: { worker: Worker; event: WorkerEvent } | undefined;
  await waitFor(() => {
    for (const worker of among) {
      const event = worker.events.find((e) => e.event === name && e.at > after);
      if (event && (!found || event.at < found.event.at)) found = { worker, event };
    }
    return found !== undefined;
  }, timeoutMs, 20);
  return found!;
}

const elected = (among: Worker[]) => among.flatMap((w) => w.events.filter((e) => e.event === 'elected'));

describe('leadership across three processes', () => {
  test('one leader at a time; a leader cut off from S3 steps down before another takes over; SIGKILL hands over within expire + 2 s; SIGTERM at once', async () => {
    const ledger = join(dir, 'ledger.log');
    writeFileSync(ledger, '');
    const prefix = uniquePrefix('leadership');
    const proxy = await FaultProxy.start({ upstream: s3Endpoint() });
    try {
      const base = { mode: 'lead', prefix, key: 'leader', expire: EXPIRE, ledger, timeLimitMs: 60_000 };
      // The first replica reaches S3 through a proxy that the test can cut.
      const cut = startWorker({ ...base, endpoint: proxy.url, requestTimeoutMs: 500, maxAttempts: 1, clientMaxAttempts: 1 });
      workers.push(cut);
      await cut.next('elected');
      const others = [startWorker(base), startWorker(base)];
      workers.push(...others);
      await Promise.all(others.map((w) => w.next('started')));
      // Stays: nothing may happen here. A follower tries at once, then at most 1 s apart (first
      // pauses 125-250 ms): 1.5 s is several tries each, enough to see a wrong takeover when loaded.
      await sleep(1500);
      expect(elected(others)).toEqual([]);

      // Cut off from S3: it learns it is no longer leader before another one is elected.
      const cutAt = Date.now();
      await proxy.cutOff();
      const deposed = await nextEvent([cut], 'deposed', cutAt, 10_000);
      const second = await nextEvent(others, 'elected', cutAt, 10_000);
      expect(deposed.event.at).toBeLessThan(second.event.at);
      expect(deposed.event.reason).toBe(
        `the lease of "leader" (expire ${EXPIRE} s) could not be extended in time: S3 did not answer, ` +
          'or this process stalled. It steps down before another replica can take over, and competes again.',
      );
      expect(second.event.at - cutAt).toBeLessThan(EXPIRE * 1000 + 2000);
      // The cut replica competes again: its reads through the restored proxy are answered.
      const restoredAt = Date.now();
      await proxy.restore();
      await waitFor(() => proxy.recorded('GetObject').some((r) => r.at >= restoredAt && r.clientStatus === 200), 15_000);

      // SIGKILL of the leader: its lease runs out, then another replica leads.
      const killedAt = Date.now();
      second.worker.child.kill('SIGKILL');
      // A dead process holds nothing any more: its term ends here, in the ledger.
      appendFileSync(ledger, `release ${String(second.event.token)} ${String(second.event.owner)} ${killedAt}\n`);
      const alive = [cut, ...others.filter((w) => w !== second.worker)];
      const third = await nextEvent(alive, 'elected', killedAt, 10_000);
      expect(third.event.at - killedAt).toBeLessThan(EXPIRE * 1000 + 2000);

      // SIGTERM: the leader steps down and releases; the last replica takes over at once.
      const termAt = Date.now();
      third.worker.child.kill('SIGTERM');
      const fourth = await nextEvent(alive.filter((w) => w !== third.worker), 'elected', termAt, 5000);
      expect(fourth.event.at - termAt).toBeLessThan(1500);
      expect(await third.worker.exited).toBe(0);

      const verdict = checkLedger(ledger);
      expect(verdict).toEqual({ acquisitions: 4, overlaps: [], nonIncreasingTokens: [] });
      expect(readFileSync(ledger, 'utf8')).not.toBe('');
    } finally {
      await proxy.close();
    }
  }, 60_000);
});

const apps = closeAfterEach();
afterEach(() => undefined);

@Injectable()
class Consumer {
  readonly terms: { token: number; contextToken: number | undefined; aborted: string | undefined }[] = [];

  @WhileLeader('consumer', { expire: EXPIRE })
  async consume(term: S3LockLeaderTerm): Promise<void> {
    const record = { token: term.token, contextToken: currentS3Lock()?.token, aborted: undefined as string | undefined };
    this.terms.push(record);
    await new Promise<void>((resolve) => term.signal.addEventListener('abort', () => resolve(), { once: true }));
    record.aborted = (term.signal.reason as Error).message;
  }
}

async function startApp(prefix: string) {
  const app = await Test.createTestingModule({
    imports: [S3LockModule.forRoot({ bucket: testBucket(), prefix, storeCheck: false })],
    providers: [Consumer],
  })
    .setLogger(new MemoryNestLogger())
    .compile();
  apps.push(app);
  await app.init();
  return { app, consumer: app.get(Consumer) };
}

describe('@WhileLeader', () => {
  test('runs the method on one application at a time, with the term in currentS3Lock(); shutdown hands over at once', async () => {
    const prefix = uniquePrefix('while-leader');
    const a = await startApp(prefix);
    await waitFor(() => a.consumer.terms.length === 1, 5000);
    const b = await startApp(prefix);
    // Stays: nothing may happen here. b tries at once, then at most 1 s apart (first pauses
    // 125-250 ms): 1.5 s is several tries, enough to see a wrong takeover when loaded.
    await sleep(1500);
    expect(b.consumer.terms).toEqual([]);
    const [first] = a.consumer.terms;
    expect(first!.contextToken).toBe(first!.token);

    const closedAt = Date.now();
    await a.app.close();
    apps.splice(apps.indexOf(a.app), 1);
    expect(first!.aborted).toBe('the leadership of "consumer" was stopped');
    await waitFor(() => b.consumer.terms.length === 1, 3000);
    expect(Date.now() - closedAt).toBeLessThan(1500);
    expect(b.consumer.terms[0]!.token).toBeGreaterThan(first!.token);
  }, 30_000);
});

describe('S3LockService.lead', () => {
  test('isLeader, token and signal follow the term; stop() steps down and releases', async () => {
    const { service } = testService('lead-api');
    const events: string[] = [];
    const leadership = service.lead('job', {
      expire: EXPIRE,
      onElected: (term) => events.push(`elected ${term.token}`),
      onDeposed: (term, reason) => events.push(`deposed ${term.token}: ${reason.message}`),
    });
    expect(leadership.isLeader).toBe(false);
    const term = await leadership.whenLeader();
    expect(leadership.isLeader).toBe(true);
    expect(leadership.token).toBe(term.token);
    expect(leadership.signal).toBe(term.signal);
    // Kept across several extensions. Stays: a time longer than the lease is what is under test.
    await sleep(EXPIRE * 1000 + 500);
    expect(leadership.isLeader).toBe(true);
    expect(term.lock.lockTime.getTime()).toBeGreaterThan(Date.now() - EXPIRE * 1000);
    await leadership.stop();
    expect(leadership.isLeader).toBe(false);
    expect(term.signal.aborted).toBe(true);
    expect(events).toEqual([`elected ${term.token}`, `deposed ${term.token}: the leadership of "job" was stopped`]);
    expect((await service.inspect('job'))!.owner).toBeNull();
    expect(service instanceof S3LockService).toBe(true);
  }, 20_000);
});
