import type { RequestCounter } from './request-counter.js';
import type { SleepProbe } from './sleep-probe.js';
import { type Call, type Sample, summarise, timeCall } from './stats.js';

/** One operation measured in an interleaved suite. */
export interface Case {
  /** Stable id, used in the JSON. */
  id: string;
  /** The counter of the client the operation uses. */
  counter: RequestCounter;
  /** Untimed, before each call (e.g. make the key free). */
  prepare?: (i: number) => Promise<void>;
  /** The timed call. */
  run: (i: number) => Promise<void>;
  /** Untimed, after each call (e.g. release what was acquired). */
  cleanup?: (i: number) => Promise<void>;
}

/**
 * Runs every case `warmup + iterations` times, interleaved (iteration i runs each case once,
 * in an order rotated by i), so slow drifts of the store (compaction, caches, CPU contention
 * with the RGW on the same machine) affect every case alike and ratios stay fair. The first
 * `warmup` iterations are not recorded.
 */
export async function runInterleaved(
  cases: readonly Case[],
  iterations: number,
  warmup: number,
  probe?: SleepProbe,
): Promise<Record<string, Sample>> {
  const calls = new Map<string, Call[]>(cases.map((c) => [c.id, []]));
  for (let i = 0; i < warmup + iterations; i++) {
    for (let j = 0; j < cases.length; j++) {
      const c = cases[(i + j) % cases.length]!;
      await c.prepare?.(i);
      const call = await timeCall(c.counter, () => c.run(i), probe);
      await c.cleanup?.(i);
      if (i >= warmup) calls.get(c.id)!.push(call);
    }
  }
  return Object.fromEntries(cases.map((c) => [c.id, summarise(calls.get(c.id)!)]));
}
