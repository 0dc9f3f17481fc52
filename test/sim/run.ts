import { setImmediate as tick } from 'node:timers/promises';
import type { Violation } from './invariants.js';
import { COUNT_NAMES, World, type WorldCounts, type WorldResult } from './world.js';

/** Totals over many worlds. */
export interface SimSummary extends WorldCounts {
  worlds: number;
  minLeadMs: number;
  faults: Record<string, number>;
  violations: Record<string, number>;
  /** The first violation of each kind: its seed and what happened. */
  examples: Record<string, { seed: number; violation: Violation }>;
}

/** An empty summary. */
export function emptySummary(): SimSummary {
  const counts = Object.fromEntries(COUNT_NAMES.map((name) => [name, 0])) as unknown as WorldCounts;
  return { ...counts, worlds: 0, minLeadMs: Infinity, faults: {}, violations: {}, examples: {} };
}

/** Adds `other` (the totals of other worlds) into `total`. */
export function addSummary(total: SimSummary, other: SimSummary): void {
  for (const name of COUNT_NAMES) total[name] += other[name];
  total.worlds += other.worlds;
  total.minLeadMs = Math.min(total.minLeadMs, other.minLeadMs);
  for (const [k, n] of Object.entries(other.faults)) total.faults[k] = (total.faults[k] ?? 0) + n;
  for (const [k, n] of Object.entries(other.violations)) total.violations[k] = (total.violations[k] ?? 0) + n;
  for (const [k, e] of Object.entries(other.examples)) if (!total.examples[k] || e.seed < total.examples[k].seed) total.examples[k] = e;
}

function addWorld(total: SimSummary, world: WorldResult): void {
  for (const name of COUNT_NAMES) total[name] += world[name];
  total.worlds++;
  total.minLeadMs = Math.min(total.minLeadMs, world.minLeadMs);
  for (const [k, n] of world.faults) total.faults[k] = (total.faults[k] ?? 0) + n;
  for (const v of world.violations) {
    total.violations[v.kind] = (total.violations[v.kind] ?? 0) + 1;
    if (!total.examples[v.kind]) total.examples[v.kind] = { seed: world.seed, violation: v };
  }
}

/**
 * Runs the worlds of `seeds`, `concurrency` at a time, each until `acquisitionsPerWorld`.
 * Worlds share nothing, so running them side by side changes none of them: each step of each
 * world is followed by a full drain of the microtask queue before its next step.
 */
export async function runWorlds(
  seeds: readonly number[],
  options: { acquisitionsPerWorld: number; concurrency: number },
): Promise<SimSummary> {
  const total = emptySummary();
  let nextSeed = 0;
  const active: World[] = [];
  const startNext = () => (nextSeed < seeds.length ? new World(seeds[nextSeed++]!, options.acquisitionsPerWorld) : null);
  for (let i = 0; i < options.concurrency; i++) {
    const world = startNext();
    if (world) active.push(world);
  }
  while (active.length > 0) {
    for (let i = active.length - 1; i >= 0; i--) {
      if (active[i]!.step()) continue;
      addWorld(total, active[i]!.finish());
      const replacement = startNext();
      if (replacement) active[i] = replacement;
      else active.splice(i, 1);
    }
    await tick();
  }
  return total;
}

/** Replays one seed with tracing on; returns the world's result and the trace before each kind's first violation. */
export async function replay(seed: number, acquisitionsPerWorld: number): Promise<{ result: WorldResult; traces: Map<string, string[]>; settings: string }> {
  const traces = new Map<string, string[]>();
  const world = new World(seed, acquisitionsPerWorld, true, (violation, trace) => {
    if (!traces.has(violation.kind)) traces.set(violation.kind, [...trace, `VIOLATION ${violation.kind}: ${violation.detail}`]);
  });
  while (world.step()) await tick();
  return { result: world.finish(), traces, settings: world.describe() };
}
