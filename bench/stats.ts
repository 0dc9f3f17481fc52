import type { RequestCounter, RequestTally } from './request-counter.js';
import { mergeTally } from './request-counter.js';
import type { SleepProbe } from './sleep-probe.js';

/** Figures of one measured operation. */
export interface Sample {
  /** Calls measured (warm-up calls excluded). */
  calls: number;
  /** Latency per call, milliseconds. */
  p50Ms: number;
  p95Ms: number;
  meanMs: number;
  /** CPU time of this process per call (user + system, microseconds, p50): the library's and the SDK's work. */
  cpuP50Us: number;
  /** S3 requests per call: most frequent value, smallest, largest, mean. */
  requests: { mode: number; min: number; max: number; mean: number };
  /** All requests of the measured calls, by command and HTTP status. */
  tally: RequestTally;
  /** Sleeps (`node:timers/promises` setTimeout) during the measured calls: how many, total ms. */
  sleeps: { count: number; totalMs: number };
}

/** The `q`-quantile (0..1) of `values` by nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

/** Most frequent value (smallest on ties). */
export function mode(values: readonly number[]): number {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best = Number.NaN;
  let bestCount = 0;
  for (const [v, c] of [...counts].sort((a, b) => a[0] - b[0])) {
    if (c > bestCount) [best, bestCount] = [v, c];
  }
  return best;
}

const mean = (values: readonly number[]): number =>
  values.reduce((s, v) => s + v, 0) / Math.max(1, values.length);

/** Milliseconds since an arbitrary origin, sub-millisecond resolution. */
export const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** One recorded call: its latency and its S3 requests. */
export interface Call {
  ms: number;
  cpuUs: number;
  requests: number;
  tally: RequestTally;
  sleeps: number[];
}

/**
 * Times `run()` and counts the S3 requests it sends through `counter` and, given a probe, the
 * sleeps it takes. Calls must run one after another (the counter is reset per call).
 */
export async function timeCall(
  counter: RequestCounter,
  run: () => Promise<unknown>,
  probe?: SleepProbe,
): Promise<Call> {
  counter.reset();
  probe?.reset();
  const cpu = process.cpuUsage();
  const started = nowMs();
  await run();
  const ms = nowMs() - started;
  const used = process.cpuUsage(cpu);
  return { ms, cpuUs: used.user + used.system, requests: counter.total, tally: counter.snapshot(), sleeps: [...(probe?.sleeps ?? [])] };
}

/** Summarises recorded calls. */
export function summarise(calls: readonly Call[]): Sample {
  const ms = calls.map((c) => c.ms);
  const requests = calls.map((c) => c.requests);
  const tally: RequestTally = {};
  for (const c of calls) mergeTally(tally, c.tally);
  const sleeps = calls.flatMap((c) => c.sleeps);
  return {
    calls: calls.length,
    p50Ms: round(quantile(ms, 0.5)),
    p95Ms: round(quantile(ms, 0.95)),
    meanMs: round(mean(ms)),
    cpuP50Us: Math.round(quantile(calls.map((c) => c.cpuUs), 0.5)),
    requests: {
      mode: mode(requests),
      min: Math.min(...requests),
      max: Math.max(...requests),
      mean: round(mean(requests)),
    },
    tally,
    sleeps: { count: sleeps.length, totalMs: round(sleeps.reduce((a, b) => a + b, 0)) },
  };
}

/** Rounds to 3 significant decimals, for readable JSON. */
export function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
