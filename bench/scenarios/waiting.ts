import { setTimeout as sleep } from 'node:timers/promises';
import { AlreadyLockedError } from '../../lib/index.js';
import { benchService } from '../env.js';
import { nowMs, quantile, round } from '../stats.js';

/** Figures of `runWaiting`. */
export interface WaitingFigures {
  rounds: number;
  holdMs: number;
  /** Milliseconds from the holder's release (landed) to the waiter holding the lock. */
  noticeP50Ms: number;
  noticeMaxMs: number;
  /** S3 requests of the one waiter per round, its acquisition included. */
  requestsPerWait: number;
  /** The same with ten waiters in one process (one poller): requests per waiter. */
  tenWaitersRequestsPerWaiter: number;
}

/** Figures of `runLocalContention`. */
export interface LocalContentionFigures {
  calls: number;
  /** S3 requests per refused call, the callers in the holder's own process (one service). */
  sameProcessRequestsPerCall: number;
  /** The same with each caller a replica of its own (its own service and client). */
  otherReplicasRequestsPerCall: number;
}

/**
 * A waiting acquire: one replica holds the key for `holdMs`, then releases it; another calls
 * `acquire(key, { waitForLock: 30 })` meanwhile. Measured: how long after the release the
 * waiter held the lock, and what its wait cost in requests. Then the same with ten waiters
 * (`runExclusive` with `waitForLock`) in one process behind one holder.
 */
export async function runWaiting(prefix: string, rounds: number, holdMs: number): Promise<WaitingFigures> {
  const holder = await benchService(`${prefix}waiting/`, { owner: 'holder' });
  const waiter = await benchService(`${prefix}waiting/`, { owner: 'waiter' });
  const notice: number[] = [];
  let waitRequests = 0;
  for (let r = 0; r < rounds; r++) {
    const held = await holder.service.acquire('job', { expire: 30 });
    waiter.counter.reset();
    let releasedAt = 0;
    const releasing = sleep(holdMs).then(async () => {
      await holder.service.release(held);
      releasedAt = nowMs();
    });
    const lock = await waiter.service.acquire('job', { expire: 30, waitForLock: 30 });
    const acquiredAt = nowMs();
    await releasing;
    notice.push(acquiredAt - releasedAt);
    waitRequests += waiter.counter.total;
    await waiter.service.release(lock);
  }
  const held = await holder.service.acquire('ten', { expire: 30 });
  waiter.counter.reset();
  const releasing = sleep(holdMs).then(() => holder.service.release(held));
  const results = await Promise.all(
    Array.from({ length: 10 }, () => waiter.service.runExclusive('ten', { expire: 30, waitForLock: 60 }, () => undefined)),
  );
  await releasing;
  if (!results.every((result) => result.ran)) throw new Error('bench: a waiter did not get the lock');
  // Each waiter's own acquire and release are in the count: the polls are shared.
  const tenWaitersRequestsPerWaiter = round(waiter.counter.total / 10, 1);
  await Promise.all([holder.service.close(), waiter.service.close()]);
  return {
    rounds,
    holdMs,
    noticeP50Ms: Math.round(quantile(notice, 0.5)),
    noticeMaxMs: Math.round(Math.max(...notice)),
    requestsPerWait: round(waitRequests / rounds, 1),
    tenWaitersRequestsPerWaiter,
  };
}

/**
 * In-process contention: `calls` concurrent `acquire`s on a key that is held, made either in
 * the holder's own process (one service: decided there, no request) or by as many other
 * replicas (each its own service and client: one GET each).
 */
export async function runLocalContention(prefix: string, calls: number): Promise<LocalContentionFigures> {
  const holder = await benchService(`${prefix}local/`);
  const held = await holder.service.acquire('route', { expire: 60 });
  holder.counter.reset();
  const refusedHere = await Promise.all(Array.from({ length: calls }, () => holder.service.acquire('route').catch((e: unknown) => e)));
  const sameProcess = holder.counter.total;
  const others = await Promise.all(Array.from({ length: calls }, () => benchService(`${prefix}local/`)));
  const refusedThere = await Promise.all(others.map(({ service }) => service.acquire('route').catch((e: unknown) => e)));
  const otherReplicas = others.reduce((sum, { counter }) => sum + counter.total, 0);
  if (![...refusedHere, ...refusedThere].every((e) => e instanceof AlreadyLockedError)) {
    throw new Error('bench: a call on a held key was not refused');
  }
  await holder.service.release(held);
  await Promise.all([holder, ...others].map(({ service }) => service.close()));
  return {
    calls,
    sameProcessRequestsPerCall: round(sameProcess / calls, 2),
    otherReplicasRequestsPerCall: round(otherReplicas / calls, 2),
  };
}

/** The table of both scenarios. */
export function waitingTable(w: WaitingFigures, l: LocalContentionFigures): string {
  return [
    '| case | figure |',
    '|---|---:|',
    `| waiting acquire: release noticed after (ms, p50 / max of ${w.rounds}, holder held ${w.holdMs} ms) | ${w.noticeP50Ms} / ${w.noticeMaxMs} |`,
    `| waiting acquire: S3 requests of the wait, acquisition included | ${w.requestsPerWait} |`,
    `| ten waiters in one process: S3 requests per waiter (acquire and release included) | ${w.tenWaitersRequestsPerWaiter} |`,
    `| ${l.calls} concurrent calls on a key held in the same process: S3 requests per refused call | ${l.sameProcessRequestsPerCall} |`,
    `| ${l.calls} calls on a held key from other replicas: S3 requests per refused call | ${l.otherReplicasRequestsPerCall} |`,
  ].join('\n');
}
