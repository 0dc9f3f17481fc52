import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { s3Endpoint, testBucket, uniquePrefix } from '../support/s3-env.js';
import { buildApp } from './support/build-app.js';
import { AppProcesses, stopApp } from './support/app-process.js';
import { expectedNestMajor } from './support/nest-version.js';
import { waitFor } from './support/nest-helpers.js';

// Three copies of test/nest/apps/scheduled-app.ts, each its own OS process with its own Nest
// application, run cron jobs on one lock prefix for 20 ticks. Each job appends a line to a
// shared file whenever it really runs; that file, not the logs, is what is counted.

const APPS = 3;
const TICKS = 20;
const apps = new AppProcesses();
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 's3-lock-apps-'));
});

afterAll(() => {
  apps.killAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('three Nest applications in separate processes', () => {
  test(`every tick of every job runs exactly once across them, for ${TICKS} ticks`, async () => {
    const entry = buildApp('test/nest/apps/scheduled-app.ts');
    const recordFile = join(dir, 'runs.log');
    writeFileSync(recordFile, '');
    const env = {
      RECORD_FILE: recordFile,
      LOCK_PREFIX: uniquePrefix('nest-apps'),
      S3_BUCKET: testBucket(),
      AWS_ENDPOINT_URL_S3: process.env.AWS_ENDPOINT_URL_S3 ?? s3Endpoint(),
    };
    const starting = Date.now();
    const started = await Promise.all(Array.from({ length: APPS }, (_, i) => apps.start(entry, `app-${i + 1}`, env)));
    apps.output.push(`all ready after ${Date.now() - starting} ms\n`);
    expect(started.map(({ nest }) => Number(nest.split('.')[0]))).toEqual(Array(APPS).fill(expectedNestMajor()));
    const children = started.map(({ child }) => child);

    // Count only whole ticks during which all three were running.
    const first = Math.ceil(Date.now() / 1000) + 1;
    const last = first + TICKS - 1;
    const readRuns = () =>
      readFileSync(recordFile, 'utf8').trim().split('\n').filter(Boolean).map((line) => {
        const [job, tick, app] = line.split(' ');
        return { job: job!, tick: Number(tick), app: app! };
      });
    const jobsOf = (tick: number) => ['above', 'below', ...(tick % 3 === 0 ? ['fixed'] : [])];
    await sleep((last + 1) * 1000 - Date.now()); // stays: the applications run through the window of ticks under test
    // Then until the runs of the window's last tick, and of the tick after it, are recorded: the
    // three have moved on past the window. On the bound, go on: the report below tells.
    const recorded = (tick: number, runs = readRuns()) => jobsOf(tick).every((job) => runs.some((r) => r.job === job && r.tick === tick));
    await waitFor(() => recorded(last) && recorded(last + 1), 20_000).catch(() => undefined);
    const codes = await Promise.all(children.map(stopApp));
    expect(codes).toEqual(Array(APPS).fill('signal SIGTERM'));

    const runs = readRuns();
    const ranIn = (job: string, tick: number) => runs.filter((r) => r.job === job && r.tick === tick).map((r) => r.app);
    const report: string[] = [];
    let expected = 0;
    for (let tick = first; tick <= last; tick++) {
      for (const job of jobsOf(tick)) {
        expected++;
        const ranBy = ranIn(job, tick);
        if (ranBy.length !== 1) report.push(`${job} at ${tick}: ran in [${ranBy.join(', ')}]`);
      }
    }
    expect({ report, output: apps.output.join('') }).toEqual({ report: [], output: expect.not.stringMatching(/error/i) });
    expect(runs.filter((r) => r.tick >= first && r.tick <= last)).toHaveLength(expected);
  }, 120_000);
});
