import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { lostSignalMarginMs, REQUIRED_SIGNAL_LEAD_MS } from './invariants.js';
import { renderReport, type Example } from './report.js';
import { addSummary, emptySummary, replay, runWorlds, type SimSummary } from './run.js';

/** Acquisitions each world runs to. */
const PER_WORLD = 500;

/**
 * `npm run test:sim`: runs the simulation, prints the totals and, for each kind of violation,
 * the seed and the trace before its first occurrence; exits 1 on any violation.
 * SIM_RUN=long runs 1,000,000 acquisitions and writes docs/SIMULATION.md; SIM_SEED replays one world.
 */
async function main(): Promise<void> {
  if (process.env.SIM_SEED) {
    const seed = Number(process.env.SIM_SEED);
    const { result, traces, settings } = await replay(seed, PER_WORLD);
    console.log(settings);
    for (const [kind, trace] of traces) console.log(`\n== ${kind}\n${trace.join('\n')}`);
    console.log(`\n${result.acquisitions} acquisitions, ${result.violations.length} violations.`);
    process.exitCode = result.violations.length > 0 ? 1 : 0;
    return;
  }
  const long = process.env.SIM_RUN === 'long';
  const target = Number(process.env.SIM_ACQUISITIONS ?? (long ? 1_000_000 : 25_000));
  const baseSeed = Number(process.env.SIM_BASE_SEED ?? 1);
  const threads = Number(process.env.SIM_THREADS ?? Math.max(1, availableParallelism()));
  // A few worlds end early (an hour of virtual time, or blocked keys): 3 % more than the target needs.
  const worlds = Math.ceil((target / PER_WORLD) * 1.03);
  const started = performance.now();
  const parts = await Promise.all(
    Array.from({ length: threads }, (_, i) => {
      const seeds = [];
      for (let s = i; s < worlds; s += threads) seeds.push(baseSeed + s);
      return runInWorker(seeds);
    }),
  );
  const summary = emptySummary();
  for (const part of parts) addSummary(summary, part);
  const wallSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(); // all threads of this process
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const examples: Example[] = [];
  for (const [kind, { seed }] of Object.entries(summary.examples)) {
    const { traces, settings } = await replay(seed, PER_WORLD);
    examples.push({ kind, seed, settings, trace: traces.get(kind) ?? [] });
  }
  const violations = Object.values(summary.violations).reduce((a, b) => a + b, 0);
  console.log(`${summary.acquisitions} acquisitions in ${summary.worlds} worlds, ${wallSeconds.toFixed(1)} s; ${violations} violations.`);
  for (const example of examples) {
    console.log(`\n== ${example.kind}: ${summary.violations[example.kind]} (first: SIM_SEED=${example.seed})\n${example.trace.slice(-12).join('\n')}`);
  }
  if (long) {
    const report = renderReport(summary, {
      mode: `SIM_RUN=long, ${target.toLocaleString('en-US')} acquisitions`,
      wallSeconds,
      cpuSeconds,
      loadAverage: loadavg()[0]!,
      cores: availableParallelism(),
      threads,
      node: process.version,
      cpu: cpus()[0]?.model.trim() ?? 'unknown',
      date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
      baseSeed,
      requiredLeadMs: REQUIRED_SIGNAL_LEAD_MS,
      lostMargin: `${lostSignalMarginMs(1)} ms at expire 1 s, ${lostSignalMarginMs(10)} ms at 10 s`,
    }, examples, findings());
    writeFileSync(resolve('docs/SIMULATION.md'), report); // scripts/sim.sh runs from the repository's root
    console.log('\nWrote docs/SIMULATION.md.');
  }
  process.exitCode = violations > 0 ? 1 : 0;
}

/** The hand-written record of what earlier runs found (test/sim/FINDINGS.md), appended to the report. */
function findings(): string {
  const path = resolve('test/sim/FINDINGS.md');
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

function runInWorker(seeds: number[]): Promise<SimSummary> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: { seeds } });
    worker.once('message', (summary: SimSummary) => resolve(summary));
    worker.once('error', reject);
  });
}

if (isMainThread) {
  await main();
} else {
  const { seeds } = workerData as { seeds: number[] };
  parentPort!.postMessage(await runWorlds(seeds, { acquisitionsPerWorld: PER_WORLD, concurrency: 40 }));
}
