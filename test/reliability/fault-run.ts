import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FaultProxy, type FaultRule, S3_FAULTS } from '../support/fault-proxy.js';
import { checkLedger, type LedgerVerdict } from '../support/ledger.js';
import { startWorker, type WorkerEvent } from '../support/processes.js';
import { s3Endpoint, uniquePrefix } from '../support/s3-env.js';

/**
 * N worker processes x M acquire/release cycles on one key, all through one fault proxy that
 * faults a seeded share of their S3 requests, with an optional outage (the store unreachable)
 * in the middle. Workers are test/support/worker/lock-worker.mjs (mode `cycles`, on dist/),
 * appending to a shared ledger that is checked for overlapping holders and non-increasing tokens.
 */

/** A scenario of the run. */
export interface FaultRunConfig {
  name: string;
  processes: number;
  cyclesPerProcess: number;
  /** Lock `expire`, seconds. Longer than any acquire can take, so a lease never lapses while held. */
  expire: number;
  /** The library's per-request time-out in the workers. */
  requestTimeoutMs: number;
  /** Scale of the fault probabilities (1 = the mix below, about 7 % of requests). */
  faultScale: number;
  /** Cut the store off for this long, once, when the ledger shows `outageAfterAcquisitions`; 0 for none. */
  outageMs: number;
  outageAfterAcquisitions: number;
  /** Workers 1 and 3 run with their clocks this far ahead and behind (milliseconds); 0 for none. */
  clockSkewMs: number;
  /** Bound on the whole run. */
  timeLimitMs: number;
  seed: number;
}

/** What a run observed. */
export interface FaultRunResult {
  config: FaultRunConfig;
  startedAt: Date;
  durationMs: number;
  /** From the shared ledger. */
  verdict: LedgerVerdict;
  /** Acquisitions each worker reports. */
  acquired: number;
  conflicts: number;
  /** Releases that threw (the lock was lost, or the store kept failing). */
  releasesFailed: number;
  /** Errors workers saw from acquire or release, by error name. */
  errors: Record<string, number>;
  /** S3 requests the proxy saw, and how each was handled. */
  requests: number;
  faulted: number;
  byAction: Record<string, number>;
  /** Ledger acquisitions recorded during the outage, and after it ended. */
  outage: { acquisitionsDuring: number; acquisitionsAfter: number } | null;
  /** Workers that did not finish their cycles in time. */
  unfinished: number;
}

/**
 * The fault mix: each rule fires on a matching request with its probability (times `scale`),
 * checked in order. Conditional writes get the harshest treatment, since they decide ownership.
 */
export function faultMix(scale: number, requestTimeoutMs: number): FaultRule[] {
  const p = (x: number) => Math.min(1, x * scale);
  const every = { times: Infinity };
  const put = { operation: 'PutObject' as const };
  return [
    { name: 'drop-put', match: put, action: { kind: 'drop-response' }, probability: p(0.02), ...every },
    { name: '500-landed-put', match: put, action: { ...S3_FAULTS.internalError, forward: true }, probability: p(0.01), ...every },
    { name: '409-put', match: put, action: S3_FAULTS.conditionalConflict, probability: p(0.01), ...every },
    { name: 'stall-put', match: put, action: { kind: 'stall' }, probability: p(0.005), ...every },
    { name: '500', match: {}, action: S3_FAULTS.internalError, probability: p(0.012), ...every },
    { name: '503', match: {}, action: S3_FAULTS.slowDown, probability: p(0.012), ...every },
    { name: 'reset', match: {}, action: { kind: 'reset' }, probability: p(0.01), ...every },
    { name: 'delay', match: {}, action: { kind: 'delay', ms: requestTimeoutMs * 2 }, probability: p(0.005), ...every },
    { name: 'stall-get', match: { operation: 'GetObject' }, action: { kind: 'stall' }, probability: p(0.002), ...every },
  ];
}

/** The clock skew of worker `i`: +skew for worker 1, -skew for worker 3, none for the others. */
export function skewOf(i: number, skewMs: number): number {
  return i === 1 ? skewMs : i === 3 ? -skewMs : 0;
}

/** Runs the scenario; see the module comment. */
export async function runFaultScenario(config: FaultRunConfig): Promise<FaultRunResult> {
  const startedAt = new Date();
  const ledger = join(mkdtempSync(join(tmpdir(), 's3lock-reliability-')), 'ledger.txt');
  const prefix = uniquePrefix(`reliability-${config.name}`);
  const proxy = await FaultProxy.start({ upstream: s3Endpoint(), seed: config.seed, maxRecords: 1000 });
  for (const rule of faultMix(config.faultScale, config.requestTimeoutMs)) proxy.add(rule);
  const ledgerLines = () => {
    try {
      return readFileSync(ledger, 'utf8').split('\n').filter((l) => l.startsWith('acquire')).length;
    } catch {
      return 0;
    }
  };
  let outage: FaultRunResult['outage'] = null;
  try {
    const workers = Array.from({ length: config.processes }, (_, i) =>
      startWorker({
        mode: 'cycles',
        endpoint: proxy.url,
        prefix,
        key: 'shared',
        expire: config.expire,
        cycles: config.cyclesPerProcess,
        ledger,
        timeLimitMs: config.timeLimitMs,
        requestTimeoutMs: config.requestTimeoutMs,
        // A refused worker waits up to 10 ms before trying again.
        backoffMs: 10,
        // Half the workers see each fault directly; half through the SDK's own retries.
        ...(i % 2 === 0 ? { clientMaxAttempts: 1 } : {}),
      }, skewOf(i, config.clockSkewMs)),
    );
    const giveUp = new AbortController();
    const finished = Promise.all(
      workers.map((w) =>
        Promise.race([
          w.next('done'),
          sleep(config.timeLimitMs + 30_000, null, { signal: giveUp.signal }), // a bound: a worker that never ends
        ]).catch((): WorkerEvent | null => null),
      ),
    ).finally(() => giveUp.abort());
    if (config.outageMs > 0) {
      const waitUntil = Date.now() + config.timeLimitMs;
      while (ledgerLines() < config.outageAfterAcquisitions && Date.now() < waitUntil) await sleep(50); // a bounded poll of the ledger
      await proxy.cutOff();
      const before = ledgerLines();
      await sleep(config.outageMs); // the outage's length is what this run is about
      const during = ledgerLines() - before;
      await proxy.restore();
      const atRestore = ledgerLines();
      await finished;
      outage = { acquisitionsDuring: during, acquisitionsAfter: ledgerLines() - atRestore };
    }
    const done = await finished;
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    const result: FaultRunResult = {
      config,
      startedAt,
      durationMs: Date.now() - startedAt.getTime(),
      verdict: checkLedger(ledger),
      acquired: 0,
      conflicts: 0,
      releasesFailed: 0,
      errors: {},
      requests: proxy.total,
      faulted: proxy.faulted,
      byAction: proxy.countsByAction(),
      outage,
      unfinished: 0,
    };
    for (const d of done) {
      if (!d) {
        result.unfinished++;
        continue;
      }
      const stats = d as WorkerEvent & { acquired: number; conflicts: number; lost: number; errors: Record<string, number> };
      result.acquired += stats.acquired;
      result.conflicts += stats.conflicts;
      result.releasesFailed += stats.lost;
      if (stats.acquired < config.cyclesPerProcess) result.unfinished++;
      for (const [name, n] of Object.entries(stats.errors)) result.errors[name] = (result.errors[name] ?? 0) + n;
    }
    return result;
  } finally {
    await proxy.close();
  }
}
