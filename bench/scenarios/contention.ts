import { benchService } from '../env.js';
import type { SleepProbe } from '../sleep-probe.js';
import { RequestCounter, type RequestTally, mergeTally } from '../request-counter.js';
import { mode, nowMs, quantile, round } from '../stats.js';

/** Figures of one contender count. */
export interface ContentionFigures {
  contenders: number;
  rounds: number;
  /** Milliseconds from the start of a round until every contender knew whether it runs. */
  decidedP50Ms: number;
  decidedP95Ms: number;
  /** Milliseconds until the whole round (the winner's release included) was over. */
  roundP50Ms: number;
  /** S3 requests per round, every contender and the winner's release included. */
  requestsPerRound: { mode: number; min: number; max: number; mean: number; perRound: number[] };
  /** Contenders that ran the body, per round (must be 1 every round). */
  winnersPerRound: number[];
  /** Rounds won by the previous round's winner (the one that released the key). */
  previousWinnerWon: number;
  /** The library's sleeps (retry backoff, clock waits) during all rounds: how many, total ms. */
  sleeps: { count: number; totalMs: number };
  /** Calls that threw instead of deciding. */
  errors: string[];
  tally: RequestTally;
}

/** How long the winner holds the lock at most while waiting for the others to decide. */
const HOLD_LIMIT_MS = 10_000;

/**
 * N contenders, each an `S3LockService` with its own `S3Client` (own connection pool, as N
 * replicas would have), all calling `runExclusive` on one key at the same instant, once per
 * round, like N replicas on one cron tick. The key starts each round released by the previous
 * round's winner (round 1: by contender 0). The winner holds the lock until every other
 * contender has decided (a job longer than the contention window), then releases it.
 * One request counter is attached to all N clients.
 */
export async function runContention(
  prefix: string,
  contenders: number,
  rounds: number,
  probe: SleepProbe,
): Promise<ContentionFigures> {
  const counter = new RequestCounter();
  const services: Awaited<ReturnType<typeof benchService>>[] = [];
  for (let c = 0; c < contenders; c++) {
    const s = await benchService(`${prefix}contention-${contenders}/`, { owner: `replica-${c}` });
    counter.attach(s.client);
    services.push(s);
  }
  const key = 'tick';
  await services[0]!.service.release(await services[0]!.service.acquire(key));
  let previousWinner = 0;

  const decided: number[] = [];
  const roundMs: number[] = [];
  const perRound: number[] = [];
  const winnersPerRound: number[] = [];
  const errors: string[] = [];
  const tally: RequestTally = {};
  let previousWinnerWon = 0;
  const sleeps: number[] = [];

  for (let r = 0; r < rounds; r++) {
    counter.reset();
    probe.reset();
    let undecided = contenders;
    let allDecidedAt = 0;
    let wakeWinner: () => void = () => {};
    const allDecided = new Promise<void>((resolve) => (wakeWinner = resolve));
    const decide = () => {
      if (--undecided === 0) {
        allDecidedAt = nowMs();
        wakeWinner();
      }
    };
    const winners: number[] = [];
    const start = nowMs();
    await Promise.all(
      services.map(async ({ service }, c) => {
        try {
          const result = await service.runExclusive(key, undefined, async () => {
            winners.push(c);
            decide();
            // A global timer, not node:timers/promises: the sleep probe must count the library's sleeps only.
            let limit: NodeJS.Timeout | undefined;
            await Promise.race([allDecided, new Promise((resolve) => (limit = setTimeout(resolve, HOLD_LIMIT_MS).unref()))]);
            clearTimeout(limit);
          });
          if (!result.ran) decide();
        } catch (error) {
          errors.push(`round ${r + 1}, replica-${c}: ${(error as Error).message}`);
          decide();
        }
      }),
    );
    roundMs.push(nowMs() - start);
    decided.push((allDecidedAt || nowMs()) - start);
    perRound.push(counter.total);
    sleeps.push(...probe.sleeps);
    mergeTally(tally, counter.snapshot());
    winnersPerRound.push(winners.length);
    if (winners.length === 1) {
      if (winners[0] === previousWinner) previousWinnerWon++;
      previousWinner = winners[0]!;
    }
  }
  for (const { logger } of services) errors.push(...logger.warnings.map((w) => `warning: ${w}`));
  for (const { client } of services) client.destroy();

  return {
    contenders,
    rounds,
    decidedP50Ms: round(quantile(decided, 0.5)),
    decidedP95Ms: round(quantile(decided, 0.95)),
    roundP50Ms: round(quantile(roundMs, 0.5)),
    requestsPerRound: {
      mode: mode(perRound),
      min: Math.min(...perRound),
      max: Math.max(...perRound),
      mean: round(perRound.reduce((a, b) => a + b, 0) / perRound.length),
      perRound,
    },
    winnersPerRound,
    previousWinnerWon,
    sleeps: { count: sleeps.length, totalMs: round(sleeps.reduce((a, b) => a + b, 0)) },
    errors,
    tally,
  };
}
