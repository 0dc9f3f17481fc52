import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { s3Endpoint, testBucket, uniquePrefix } from '../support/s3-env.js';
import { buildApp } from './support/build-app.js';
import { childProcessArgs, expectedNestMajor } from './support/nest-version.js';

// Three copies of test/nest/apps/scheduled-app.ts, each its own OS process with its own Nest
// application, run cron jobs on one lock prefix for 20 ticks. Each job appends a line to a
// shared file whenever it really runs; that file, not the logs, is what is counted.

const APPS = 3;
const TICKS = 20;
/** Generous: three Nest applications starting at once on a loaded 2-core machine. */
const READY_TIMEOUT_MS = 45_000;

const children: ChildProcess[] = [];
const output: string[] = [];
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 's3-lock-apps-'));
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Starts one application; resolves once it is initialised (store checked, jobs scheduled), to
 * the process and the version of @nestjs/core it loaded.
 */
function startApp(entry: string, name: string, env: Record<string, string>): Promise<{ child: ChildProcess; nest: string }> {
  const child = spawn(process.execPath, [...childProcessArgs(), entry], {
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      // The AWS SDK's notice about Node 20 would drown the children's real warnings.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      APP_NAME: name,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  child.stderr!.on('data', (chunk: Buffer) => output.push(`[${name}] ${chunk.toString()}`));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} not ready after ${READY_TIMEOUT_MS} ms:\n${output.join('')}`)), READY_TIMEOUT_MS);
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const ready = /ready with @nestjs\/core (\S+)\n/.exec(stdout);
      if (ready) {
        clearTimeout(timer);
        resolve({ child, nest: ready[1]! });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before it was ready:\n${output.join('')}`));
    });
  });
}

/** Stops an application as an orchestrator would; resolves to how it ended. */
function stop(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      // Nest's shutdown hooks close the application, then re-raise the signal.
      resolve(code === null ? `signal ${signal}` : `code ${code}`);
    });
    child.kill('SIGTERM');
  });
}

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
    const started = await Promise.all(Array.from({ length: APPS }, (_, i) => startApp(entry, `app-${i + 1}`, env)));
    output.push(`all ready after ${Date.now() - starting} ms\n`);
    expect(started.map(({ nest }) => Number(nest.split('.')[0]))).toEqual(Array(APPS).fill(expectedNestMajor()));
    const apps = started.map(({ child }) => child);

    // Count only whole ticks during which all three were running.
    const first = Math.ceil(Date.now() / 1000) + 1;
    const last = first + TICKS - 1;
    await sleep((last + 1) * 1000 + 700 - Date.now());
    const codes = await Promise.all(apps.map(stop));
    expect(codes).toEqual(Array(APPS).fill('signal SIGTERM'));

    const runs = readFileSync(recordFile, 'utf8').trim().split('\n').map((line) => {
      const [job, tick, app] = line.split(' ');
      return { job: job!, tick: Number(tick), app: app! };
    });
    const ranIn = (job: string, tick: number) => runs.filter((r) => r.job === job && r.tick === tick).map((r) => r.app);
    const report: string[] = [];
    let expected = 0;
    for (let tick = first; tick <= last; tick++) {
      for (const job of ['above', 'below', ...(tick % 3 === 0 ? ['fixed'] : [])]) {
        expected++;
        const apps = ranIn(job, tick);
        if (apps.length !== 1) report.push(`${job} at ${tick}: ran in [${apps.join(', ')}]`);
      }
    }
    expect({ report, output: output.join('') }).toEqual({ report: [], output: expect.not.stringMatching(/error/i) });
    expect(runs.filter((r) => r.tick >= first && r.tick <= last)).toHaveLength(expected);
  }, 120_000);
});
