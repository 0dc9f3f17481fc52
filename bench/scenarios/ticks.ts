import { setTimeout as sleep } from 'node:timers/promises';
import { benchService } from '../env.js';
import { RequestCounter, type RequestTally, mergeTally } from '../request-counter.js';
import { mode, round } from '../stats.js';

/** How the replicas' timers fire for one tick. */
export type TickTiming = 'simultaneous' | 'spread';

/** Figures of one replica count and timing. */
export interface TickFigures {
  replicas: number;
  timing: TickTiming;
  ticks: number;
  /** S3 requests per tick, every replica and the winner's release included. */
  requestsPerTick: { mode: number; min: number; max: number; mean: number; perTick: number[] };
  /** Replicas that ran the tick, per tick (must be 1 every tick). */
  runsPerTick: number[];
  /** Calls that threw instead of deciding. */
  errors: string[];
  tally: RequestTally;
}

/** Milliseconds between two replicas' timers in the spread timing. */
const SPREAD_MS = 25;

/**
 * N replicas, each an `S3LockService` with its own `S3Client`, running one scheduled job with
 * `runScheduled` (the decorator's tick semantics) for `ticks` ticks. `simultaneous`: all N
 * fire at the same instant. `spread`: their timers fire `SPREAD_MS` apart, in the same order
 * every tick, as replicas started at different moments do. The job itself takes no time.
 */
export async function runTicks(prefix: string, replicas: number, ticks: number, timing: TickTiming): Promise<TickFigures> {
  const counter = new RequestCounter();
  const services: Awaited<ReturnType<typeof benchService>>[] = [];
  for (let r = 0; r < replicas; r++) {
    const s = await benchService(`${prefix}ticks-${timing}-${replicas}/`, { owner: `replica-${r}` });
    counter.attach(s.client);
    services.push(s);
  }
  const perTick: number[] = [];
  const runsPerTick: number[] = [];
  const errors: string[] = [];
  const tally: RequestTally = {};
  // One warm-up tick (never counted): the key exists and some replica wrote it last.
  for (let t = 0; t <= ticks; t++) {
    const tick = Date.UTC(2026, 0, 1) + t * 60_000;
    counter.reset();
    let runs = 0;
    await Promise.all(
      services.map(async ({ service }, r) => {
        if (timing === 'spread') await sleep(r * SPREAD_MS);
        try {
          await service.runScheduled({ key: 'job', tick }, () => runs++);
        } catch (error) {
          errors.push(`tick ${t}, replica-${r}: ${(error as Error).message}`);
        }
      }),
    );
    if (t === 0) continue;
    perTick.push(counter.total);
    runsPerTick.push(runs);
    mergeTally(tally, counter.snapshot());
  }
  for (const { logger } of services) errors.push(...logger.warnings.map((w) => `warning: ${w}`));
  for (const { client } of services) client.destroy();
  return {
    replicas,
    timing,
    ticks,
    requestsPerTick: {
      mode: mode(perTick),
      min: Math.min(...perTick),
      max: Math.max(...perTick),
      mean: round(perTick.reduce((a, b) => a + b, 0) / perTick.length),
      perTick,
    },
    runsPerTick,
    errors,
    tally,
  };
}

/** The goal for a replica count and timing: N + 1 when spread, 2N when simultaneous. */
export function tickRequestLimit(f: Pick<TickFigures, 'replicas' | 'timing'>): number {
  return f.timing === 'spread' ? f.replicas + 1 : 2 * f.replicas;
}
