import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { s3Endpoint, testBucket, uniquePrefix } from '../support/s3-env.js';
import { AppProcesses, stopApp } from './support/app-process.js';
import { waitFor } from './support/nest-helpers.js';
import { buildApp } from './support/build-app.js';
import { expectedNestMajor } from './support/nest-version.js';

// Exactly once per tick, at DEFAULT options: three copies of test/nest/apps/tick-app.ts, each its
// own OS process, one with its clock 700 ms behind and one 4 minutes ahead, run @Cron jobs every
// 1, 2 and 5 s (and every minute in the long variant, TICK_RUN=long) and an @Interval job, in
// both decorator orders. What is counted is the shared record file the jobs append to, not logs.

const LONG = process.env.TICK_RUN === 'long';
/** Seconds of ticks counted (all three applications up): 3 minute ticks in the long variant. */
const SECONDS = LONG ? 185 : 20;
const SKEWED_CLOCK = pathToFileURL(resolve(import.meta.dirname, '../support/worker/skewed-clock.mjs')).href;

const apps = new AppProcesses();
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 's3-lock-ticks-'));
});

afterAll(() => {
  apps.killAll();
  rmSync(dir, { recursive: true, force: true });
});

const realNow = (): number => performance.timeOrigin + performance.now();

interface Run {
  job: string;
  tick: number;
  app: string;
  start: number;
  end: number;
}
interface Skip {
  job: string;
  tick: number;
  reason: string;
  app: string;
}

function readRecord(file: string): { runs: Run[]; skips: Skip[]; starts: Run[] } {
  const runs: Run[] = [];
  const skips: Skip[] = [];
  const starts: Run[] = [];
  for (const line of readFileSync(file, 'utf8').trim().split('\n').filter(Boolean)) {
    const [kind, job, tick, a, b, c] = line.split(' ');
    if (kind === 'run') runs.push({ job: job!, tick: Number(tick), app: a!, start: Number(b), end: Number(c) });
    else if (kind === 'skip') skips.push({ job: job!, tick: Number(tick), reason: a!, app: b! });
    else if (kind === 'start') starts.push({ job: job!, tick: Number(tick), app: a!, start: Number(b), end: NaN });
  }
  return { runs, skips, starts };
}

/**
 * Whether each of `apps` has recorded its decision (a run, or a skip with its reason) on tick
 * `tick` or a later one of `job`: it has decided every tick of the job up to `tick`. A run is
 * recorded as it ends, so a run still going on `tick` is not counted yet.
 */
function decided(file: string, job: string, tick: number, apps: string[]): boolean {
  const { runs, skips } = readRecord(file);
  const seen = [...runs, ...skips].filter((r) => r.job === job && r.tick >= tick);
  return apps.every((app) => seen.some((r) => r.app === app));
}

const APP_NAMES = ['in-time', 'behind-700ms', 'ahead-4min'];

/** Every multiple of `stepMs` in [from, to]. */
function occurrences(stepMs: number, from: number, to: number): number[] {
  const out: number[] = [];
  for (let t = Math.ceil(from / stepMs) * stepMs; t <= to; t += stepMs) out.push(t);
  return out;
}

async function startThree(env: Record<string, string>) {
  const entry = buildApp('test/nest/apps/tick-app.ts');
  const started = await Promise.all([
    apps.start(entry, 'in-time', env),
    apps.start(entry, 'behind-700ms', { ...env, CLOCK_SKEW_MS: '-700' }, SKEWED_CLOCK),
    apps.start(entry, 'ahead-4min', { ...env, CLOCK_SKEW_MS: String(4 * 60_000 + 250) }, SKEWED_CLOCK),
  ]);
  expect(started.map(({ nest }) => Number(nest.split('.')[0]))).toEqual([3, 3, 3].fill(expectedNestMajor()));
  return started.map(({ child }) => child);
}

function appEnv(record: string, jobs: string): Record<string, string> {
  return {
    RECORD_FILE: record,
    JOBS: jobs,
    LOCK_PREFIX: uniquePrefix('ticks'),
    S3_BUCKET: testBucket(),
    AWS_ENDPOINT_URL_S3: process.env.AWS_ENDPOINT_URL_S3 ?? s3Endpoint(),
  };
}

describe('tick-aware locking at default options, three processes with skewed clocks', () => {
  test(`every tick of every job runs exactly once, for ${SECONDS} s`, async () => {
    const record = join(dir, 'schedule.log');
    writeFileSync(record, '');
    const startedAt = realNow();
    const children = await startThree(appEnv(record, 'schedule'));

    // Only ticks during which all three were up, with a second of margin on each side.
    const first = (Math.ceil(realNow() / 1000) + 1) * 1000;
    const last = first + (SECONDS - 1) * 1000;
    const expected: Record<string, number[]> = {
      'every-second': occurrences(1000, first, last),
      'every-2-seconds': occurrences(2000, first, last),
      'every-5-seconds': occurrences(5000, first, last),
      // Not the fleet's first minute: the replica 4 minutes ahead maps its call by the store's
      // clock, known to about a second, and may run the previous minute (unrun: the apps were not
      // up) at that moment and hold the lock while the others fire for this one, which then runs
      // nowhere. A documented limit (docs/SCHEDULING.md, "not guaranteed"; open in issue 18,
      // seen under CI load); the long variant checks the minutes after it.
      'every-minute': occurrences(60_000, first, last).filter((tick) => tick - 60_000 >= startedAt),
      // Slots of the interval's grid that lie wholly inside the window.
      'interval-1500': occurrences(1500, first, last - 1500),
    };
    await sleep(last - realNow()); // stays: the applications run through the window of ticks under test
    // Then until every replica has decided the window's last tick of each job (every-minute's
    // was decided long before). On the bound, go on: the checks below tell what is missing.
    await waitFor(
      () => ['every-second', 'every-2-seconds', 'every-5-seconds', 'interval-1500', 'overrun'].every((job) => decided(record, job, expected[job]!.at(-1)!, APP_NAMES)),
      20_000,
      100,
    ).catch(() => undefined);
    expect(await Promise.all(children.map(stopApp))).toEqual(Array(3).fill('signal SIGTERM'));

    const { runs, skips } = readRecord(record);
    const problems: string[] = [];
    for (const [job, ticks] of Object.entries(expected)) {
      const ran = runs.filter((r) => r.job === job && r.tick >= ticks[0]! && r.tick <= ticks.at(-1)!);
      for (const tick of ticks) {
        const by = ran.filter((r) => r.tick === tick).map((r) => r.app);
        if (by.length !== 1) {
          // With the skips of that tick, and the runs around it, to tell why.
          const skipped = skips.filter((s) => s.job === job && s.tick === tick).map((s) => `${s.app} ${s.reason}`);
          const near = runs.filter((r) => r.job === job && Math.abs(r.tick - tick) <= 10_000).map((r) => `${r.tick - tick}@${r.app} ${r.start - r.tick}..${r.end - r.tick}`);
          problems.push(`${job} tick ${new Date(tick).toISOString()} ran ${by.length} times [${by.join(', ')}]; skipped by [${skipped.join(', ')}]; runs near it (tick offset@app start..end) [${near.join(', ')}]`);
        }
      }
      for (const r of ran) if (!ticks.includes(r.tick)) problems.push(`${job} ran a tick that is not one: ${r.tick}`);
      // A run starts near its tick by the real clock, whatever the replica's own clock says.
      for (const r of ran) {
        const lateness = r.start - r.tick;
        if (lateness < -1000 || lateness > 1500) problems.push(`${job} tick ${r.tick} ran ${lateness} ms from it (${r.app})`);
      }
    }

    // The job that runs 2.5 s on a 1-second cron: never two runs at once; every tick of the
    // window either ran once or was skipped with its reason.
    const overruns = runs.filter((r) => r.job === 'overrun').sort((a, b) => a.start - b.start);
    for (let i = 1; i < overruns.length; i++) {
      if (overruns[i]!.start < overruns[i - 1]!.end) problems.push(`overrun: runs of ticks ${overruns[i - 1]!.tick} and ${overruns[i]!.tick} overlapped`);
    }
    for (const tick of occurrences(1000, first, last)) {
      const ran = overruns.filter((r) => r.tick === tick).length;
      const skipped = skips.filter((s) => s.job === 'overrun' && s.tick === tick);
      if (ran > 1) problems.push(`overrun tick ${tick} ran ${ran} times`);
      if (ran === 0 && !skipped.some((s) => s.reason === 'locked' || s.reason === 'tick-claimed')) {
        problems.push(`overrun tick ${tick} neither ran nor was reported skipped`);
      }
    }
    // It covers about 2 of every 3 ticks: those were skipped because the lock was held.
    const heldSkips = skips.filter((s) => s.job === 'overrun' && s.reason === 'locked');
    expect(overruns.length).toBeGreaterThanOrEqual(Math.floor(SECONDS / 3) - 1);
    expect(heldSkips.length).toBeGreaterThan(0);
    // Every skip has one of the documented reasons.
    expect(skips.filter((s) => !['locked', 'tick-claimed', 'shutting-down'].includes(s.reason))).toEqual([]);
    expect({ problems, output: apps.output.join('') }).toEqual({ problems: [], output: expect.not.stringMatching(/error/i) });
  }, (SECONDS + 90) * 1000);

  test('a job added at run time through SchedulerRegistry, locked with runScheduled: every tick once', async () => {
    const record = join(dir, 'registry.log');
    writeFileSync(record, '');
    const children = await startThree(appEnv(record, 'registry'));
    const first = (Math.ceil(realNow() / 1000) + 1) * 1000;
    const last = first + 9000;
    await sleep(last - realNow()); // stays: the applications run through the window of ticks under test
    // Then until every replica has decided its last tick (on the bound, the checks below tell).
    await waitFor(() => decided(record, 'runtime', last, APP_NAMES), 20_000, 100).catch(() => undefined);
    expect(await Promise.all(children.map(stopApp))).toEqual(Array(3).fill('signal SIGTERM'));

    const runs = readRecord(record).runs.filter((r) => r.job === 'runtime' && r.tick >= first && r.tick <= last);
    const perTick = occurrences(1000, first, last).map((tick) => `${tick}: ${runs.filter((r) => r.tick === tick).length}`);
    expect(perTick).toEqual(occurrences(1000, first, last).map((tick) => `${tick}: 1`));
    expect(runs).toHaveLength(10);
  }, 90_000);

  test('a replica killed mid-run: its tick is not run again, the next ticks run elsewhere', async () => {
    const record = join(dir, 'crash.log');
    writeFileSync(record, '');
    const children = await startThree(appEnv(record, 'crash'));
    const names = APP_NAMES;

    // Wait for a run to start, then kill the replica running it.
    let victim: { tick: number; app: string } | undefined;
    await waitFor(() => (victim = readRecord(record).starts[0]) !== undefined, 20_000, 100);
    expect(victim).toBeDefined();
    const killedAt = realNow();
    children[names.indexOf(victim!.app)]!.kill('SIGKILL');
    // Its lock expires after 3 s (+1 s of store resolution); then ticks run on the others: wait
    // for two of them to have run.
    await waitFor(() => readRecord(record).runs.filter((r) => r.job === 'crash' && r.tick > victim!.tick).length >= 2, 30_000, 100);
    const survivors = children.filter((_, i) => names[i] !== victim!.app);
    expect(await Promise.all(survivors.map(stopApp))).toEqual(['signal SIGTERM', 'signal SIGTERM']);

    const { runs, starts } = readRecord(record);
    const crash = runs.filter((r) => r.job === 'crash');
    // The killed tick never ran to its end anywhere, and no one started it again.
    expect(crash.filter((r) => r.tick === victim!.tick)).toEqual([]);
    expect(starts.filter((s) => s.tick === victim!.tick).map((s) => s.app)).toEqual([victim!.app]);
    // Later ticks ran, once each, on the survivors, once the dead holder's lock had expired.
    const later = crash.filter((r) => r.tick > victim!.tick);
    expect(later.length).toBeGreaterThanOrEqual(1);
    expect(later.filter((r) => r.app === victim!.app)).toEqual([]);
    expect(new Set(later.map((r) => r.tick)).size).toBe(later.length);
    expect(later.every((r) => r.start > killedAt + 2000)).toBe(true);
  }, 90_000);
});
