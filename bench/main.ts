import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchBucket, deletePrefix, endpoint, ensureBucket, newClient, runPrefix } from './env.js';
import {
  checkGoals,
  contentionTable,
  contentionTallies,
  type Figures,
  goalsTable,
  latencyTable,
  scaleTable,
  tickTable,
} from './report.js';
import { cliStartupTable, runCliStartup } from './scenarios/cli-startup.js';
import { runContention } from './scenarios/contention.js';
import { compareDecorator, decoratedCases, measureOverhead } from './scenarios/decorated.js';
import { runScale } from './scenarios/scale.js';
import { runTicks } from './scenarios/ticks.js';
import { runUncontended } from './scenarios/uncontended.js';
import { runLocalContention, runWaiting, waitingTable } from './scenarios/waiting.js';
import { SleepProbe } from './sleep-probe.js';
import { nowMs, round } from './stats.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Run sizes: the default fits `npm run bench` in well under 3 minutes on 2 cores. */
const SIZES = {
  full: {
    uncontended: { iterations: 100, warmup: 10, originWaitIterations: 5 },
    contention: [
      { contenders: 2, rounds: 20 },
      { contenders: 8, rounds: 20 },
      { contenders: 32, rounds: 10 },
    ],
    ticks: [
      { replicas: 2, ticks: 20 },
      { replicas: 8, ticks: 20 },
      { replicas: 32, ticks: 10 },
    ],
    scale: { keys: 1000, expire: 30, holdSeconds: 10, concurrency: 16 },
    overheadCalls: 2000,
    decoratorPairs: 300,
    cliRuns: 15,
    waiting: { rounds: 5, holdMs: 2000, calls: 20 },
  },
  quick: {
    uncontended: { iterations: 20, warmup: 3, originWaitIterations: 2 },
    contention: [
      { contenders: 2, rounds: 5 },
      { contenders: 8, rounds: 5 },
      { contenders: 32, rounds: 3 },
    ],
    ticks: [
      { replicas: 2, ticks: 5 },
      { replicas: 8, ticks: 5 },
      { replicas: 32, ticks: 3 },
    ],
    scale: { keys: 200, expire: 9, holdSeconds: 3, concurrency: 16 },
    overheadCalls: 300,
    decoratorPairs: 40,
    cliRuns: 5,
    waiting: { rounds: 2, holdMs: 1000, calls: 20 },
  },
};

function parseArgs(argv: readonly string[]): { size: keyof typeof SIZES; out: string } {
  let size: keyof typeof SIZES = 'full';
  let out = resolve(repo, 'bench/results/latest.json');
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') size = 'quick';
    else if (arg === '--out' && argv[i + 1]) out = resolve(argv[++i]!);
    else throw new Error(`bench: unknown argument ${arg}; use --quick and/or --out <file>`);
  }
  return { size, out };
}

/** The commit the bench ran on, with `+changes` when lib/ or bench/ differ from it. */
function revision(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf-8' }).trim();
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--', 'lib', 'bench') ? '+changes' : ''}`;
  } catch {
    return 'unknown';
  }
}

function machine(): Record<string, string | number> {
  const sdk = JSON.parse(readFileSync(resolve(repo, 'node_modules/@aws-sdk/client-s3/package.json'), 'utf-8')) as { version: string };
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: round(totalmem() / 1024 ** 3, 1),
    node: process.version,
    awsSdkClientS3: sdk.version,
    store: process.env.BENCH_STORE ?? 'unknown S3 store',
    endpoint: endpoint(),
    revision: revision(),
    // Other work on the machine skews the figures: the 1-minute load average at the end.
    loadAverage1m: round(loadavg()[0]!, 2),
  };
}

async function main(): Promise<void> {
  const { size, out } = parseArgs(process.argv.slice(2));
  const settings = SIZES[size];
  const began = nowMs();
  const loadAtStart = round(loadavg()[0]!, 2);
  const admin = newClient();
  await ensureBucket(admin);
  const prefix = runPrefix();
  const probe = new SleepProbe();
  probe.install();
  const step = (text: string) => process.stderr.write(`bench: ${text} (${((nowMs() - began) / 1000).toFixed(1)} s)\n`);

  try {
    step(`store ${endpoint()}, bucket ${benchBucket()}, prefix ${prefix}, size ${size}`);
    const decorated = await decoratedCases(`${prefix}decorated/`);
    step('calls one at a time, interleaved');
    const uncontended = await runUncontended(prefix, settings.uncontended, probe, decorated.cases);
    await decorated.close();
    step('decorator against runExclusive, alternated');
    const decoratorPair = await compareDecorator(`${prefix}pair/`, settings.decoratorPairs, 20, probe);
    const contention = [];
    for (const c of settings.contention) {
      step(`contention, ${c.contenders} contenders`);
      contention.push(await runContention(prefix, c.contenders, c.rounds, probe));
    }
    const ticks = [];
    for (const t of settings.ticks) {
      for (const timing of ['simultaneous', 'spread'] as const) {
        step(`scheduled ticks, ${t.replicas} replicas, ${timing}`);
        ticks.push(await runTicks(prefix, t.replicas, t.ticks, timing));
      }
    }
    step(`scale, ${settings.scale.keys} keys held`);
    const scale = await runScale(prefix, settings.scale);
    step('decorator overhead, in memory');
    const overhead = await measureOverhead(settings.overheadCalls);
    step('waiting for a lock, in-process contention');
    const waiting = await runWaiting(prefix, settings.waiting.rounds, settings.waiting.holdMs);
    const localContention = await runLocalContention(prefix, settings.waiting.calls);
    step('CLI start-up');
    const cliStartup = await runCliStartup(prefix, settings.cliRuns);
    const figures: Figures = { uncontended, decoratorPair, contention, ticks, scale, overhead };
    const goals = checkGoals(figures);
    const seconds = round((nowMs() - began) / 1000, 1);

    const sections = [
      `S3 lock bench, ${new Date().toISOString()}, ${size} run in ${seconds} s`,
      JSON.stringify({ ...machine(), loadAverage1mAtStart: loadAtStart }),
      '',
      'Calls one at a time (latency in ms; ratios of p50):',
      latencyTable(figures),
      '',
      'Contention: N replicas (own S3Client each) on one key, per round:',
      contentionTable(figures),
      'Requests by kind:',
      contentionTallies(figures),
      '',
      'Scheduled ticks (runScheduled, the decorator\'s tick semantics): N replicas, one job, per tick:',
      tickTable(figures),
      '',
      `The decorator's own cost (InMemoryS3Client, no network, p50 of ${figures.overhead.calls} calls): runExclusive ${figures.overhead.runExclusiveP50Us} µs, @WithS3Lock ${figures.overhead.decoratedP50Us} µs`,
      '',
      'Scale: one process holding many locks:',
      scaleTable(figures),
      '',
      'Waiting for a lock (waitForLock) and calls in one process:',
      waitingTable(waiting, localContention),
      '',
      'CLI start-up (wall time, Nest-free core):',
      cliStartupTable(cliStartup),
      '',
      'Goals:',
      goalsTable(goals),
    ];
    const text = `${sections.join('\n')}\n`;
    process.stdout.write(text);

    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(
      out,
      `${JSON.stringify({ date: new Date().toISOString(), size, seconds, machine: { ...machine(), loadAverage1mAtStart: loadAtStart }, settings, goals, ...figures, cliStartup, waiting, localContention }, null, 2)}\n`,
    );
    writeFileSync(out.replace(/(\.json)?$/, '.txt'), text);
    step(`figures written to ${out} (tables: .txt next to it)`);
  } finally {
    probe.uninstall();
    const deleted = await deletePrefix(admin, prefix).catch(() => 0);
    step(`removed ${deleted} bench objects`);
    admin.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
