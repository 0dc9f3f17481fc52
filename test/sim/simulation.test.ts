import { describe, expect, test } from '@jest/globals';
import { VIOLATION_KINDS } from './invariants.js';
import { replay, runWorlds } from './run.js';

/**
 * The short version of `npm run test:sim`, inside `npm test`: a few seeded worlds of the
 * real lock protocol on the simulated S3, every invariant checked after every step. A failure
 * names each broken invariant with the first seed that broke it and the trace that led there;
 * replay it with `SIM_SEED=<seed> npm run test:sim`.
 */
describe('deterministic simulation (short)', () => {
  test('a seed replays to exactly the same run', async () => {
    const first = await runWorlds([7], { acquisitionsPerWorld: 100, concurrency: 1 });
    const again = await runWorlds([7], { acquisitionsPerWorld: 100, concurrency: 1 });
    expect(again).toEqual(first);
    expect(first.acquisitions).toBeGreaterThanOrEqual(100);
  });

  test('no invariant is violated in 8 worlds', async () => {
    const seeds = Array.from({ length: 8 }, (_, i) => 1000 + i);
    const summary = await runWorlds(seeds, { acquisitionsPerWorld: 150, concurrency: 8 });
    expect(summary.acquisitions).toBeGreaterThanOrEqual(8 * 150);
    const found: string[] = [];
    // Traces (a replay each) for the first few kinds; the others are named with their seed.
    for (const [i, [kind, { seed, violation }]] of Object.entries(summary.examples).entries()) {
      const { traces } = i < 3 ? await replay(seed, 150) : { traces: new Map<string, string[]>() };
      found.push(
        `${kind} (${summary.violations[kind]}x; ${VIOLATION_KINDS[kind as keyof typeof VIOLATION_KINDS]}): ` +
          `SIM_SEED=${seed} npm run test:sim\n  ${violation.detail}\n${(traces.get(kind) ?? []).slice(-8).join('\n')}`,
      );
    }
    expect(found).toEqual([]);
  }, 120_000);
});
