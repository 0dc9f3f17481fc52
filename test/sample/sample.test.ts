import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { s3Endpoint, testBucket, uniquePrefix } from '../support/s3-env.js';

// Runs `npm run sample` as the README shows it (scripts/sample.sh: three replicas of the sample
// Nest app as separate processes), for 15 seconds, SIGKILLing replica-1 after 7. What is
// counted is the shared record the replicas append to on every job run, not their logs.

const ROOT = resolve(import.meta.dirname, '../..');
const DURATION_SECONDS = 15;
const KILL_AFTER_SECONDS = 7;
const REPORT_PERIOD_MS = 3000;

interface RecordEntry {
  job: string;
  tick: string;
  replica: string;
  token: number;
  at: string;
}

interface SampleRun {
  code: number | null;
  output: string;
  /** When the orchestrator said it SIGKILLed replica-1 (ms since the epoch). */
  killedAt: number | undefined;
}

let dir: string;
let run: SampleRun;
let reports: RecordEntry[];

function runSample(): Promise<SampleRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', ['scripts/sample.sh'], {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_OPTIONS: '',
        // Use the test store (npm test's), never start another.
        S3_ENDPOINT: s3Endpoint(),
        S3_LOCK_BUCKET: testBucket(),
        S3_LOCK_PREFIX: uniquePrefix('sample'),
        SAMPLE_DURATION: String(DURATION_SECONDS),
        SAMPLE_KILL: `replica-1@${KILL_AFTER_SECONDS}`,
        SAMPLE_RECORD_FILE: join(dir, 'runs.jsonl'),
        SAMPLE_BASE_PORT: String(20_000 + (process.pid % 10_000) * 3),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let killedAt: number | undefined;
    const collect = (chunk: Buffer): void => {
      output += chunk.toString();
      if (killedAt === undefined && output.includes('SIGKILL replica-1:')) killedAt = Date.now();
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => child.kill('SIGKILL'), 80_000); // stays: a bound on a hung sample, not a wait
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, output, killedAt });
    });
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 's3-lock-sample-test-'));
  run = await runSample();
  const entries = readFileSync(join(dir, 'runs.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as RecordEntry);
  reports = entries.filter((entry) => entry.job === 'report');
}, 90_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The tick's time of day in ms, comparable within the run (which does not span midnight). */
const tickMs = (tick: string): number => Date.parse(`1970-01-01T${tick}Z`);

describe('npm run sample', () => {
  test('ends by itself after SAMPLE_DURATION, with its summary', () => {
    expect({ code: run.code, output: run.output }).toMatchObject({ code: 0 });
    expect(run.output).toContain(`stopping (${DURATION_SECONDS} s are over)`);
    expect(run.output).toMatch(/report: \d+ ticks, \d+ runs \(each tick exactly once\)/);
    expect(run.output).toMatch(/replica-\d +\| .*tick [\d:]+: skipped JobsService\.sendReport \(lock "sample:report"\): another run took this tick/);
    // A tick whose winner is SIGKILLed mid-run is not run again (documented: its tick was
    // claimed). The kill can land in a reindex run, which lasts seconds; the summary may then call
    // that tick missed, and no other.
    const missed = [...run.output.matchAll(/(\w+): NO REPLICA RAN the ticks ([\d:, ]+) in the middle/g)].flatMap(
      ([, job, ticks]) => ticks!.split(', ').map((tick) => `${job} ${tick}`),
    );
    const killedMidRun = missed.filter((missedTick) => {
      const [job, tick] = missedTick.split(' ');
      return job === 'reindex' && new RegExp(`replica-1 +\\| .*tick ${tick}: reindex started`).test(run.output);
    });
    expect(missed).toEqual(killedMidRun);
    expect(killedMidRun.length).toBeLessThanOrEqual(1);
  });

  test('each tick of the short job ran exactly once, with no tick missed', () => {
    const ticks = reports.map((entry) => entry.tick);
    expect(new Set(ticks).size).toBe(ticks.length);
    const sorted = ticks.map(tickMs).sort((a, b) => a - b);
    expect(sorted.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]! - sorted[i - 1]!).toBe(REPORT_PERIOD_MS);
    // Fencing tokens only grow.
    const tokens = [...reports].sort((a, b) => tickMs(a.tick) - tickMs(b.tick)).map((entry) => entry.token);
    expect([...tokens].sort((a, b) => a - b)).toEqual(tokens);
  });

  test('after replica-1 is SIGKILLed, the other replicas keep running the ticks', () => {
    expect(run.killedAt).toBeDefined();
    const after = reports.filter((entry) => Date.parse(entry.at) > run.killedAt!);
    expect(after.length).toBeGreaterThanOrEqual(2);
    for (const entry of after) expect(entry.replica).not.toBe('replica-1');
    expect(run.output).toMatch(/replica-1 ended by SIGKILL/);
  });
});
