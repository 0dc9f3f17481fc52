// `npm run sample` (after scripts/sample.sh built everything and found an S3 store): creates the
// bucket if needed, starts the sample's replicas as separate processes, prefixes their output,
// stops them on Ctrl-C or after SAMPLE_DURATION seconds, then summarises the shared run record.
import { CreateBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { S3LockService } from 'nestjs-s3-lock';
import type { RunRecordEntry } from '../run-record.js';

const env = process.env;
const BUCKET = env.S3_LOCK_BUCKET || 's3-lock-sample';
const PREFIX = env.S3_LOCK_PREFIX || 'sample/locks/';
const REPLICAS = positive('SAMPLE_REPLICAS', 3);
const BASE_PORT = positive('SAMPLE_BASE_PORT', 3001);
const DURATION = env.SAMPLE_DURATION ? positive('SAMPLE_DURATION', 0) : undefined;
const KILL = parseKill(env.SAMPLE_KILL);
const STOP_TIMEOUT_MS = 10_000;
const MAIN = join(dirname(import.meta.dirname), 'main.js');
const RECORD_FILE = env.SAMPLE_RECORD_FILE || join(mkdtempSync(join(tmpdir(), 'nestjs-s3-lock-sample-')), 'runs.jsonl');
const color = Boolean(process.stdout.isTTY) && !env.NO_COLOR;
const COLORS = [36, 35, 33, 32, 34];

function positive(name: string, fallback: number): number {
  const value = env[name] === undefined || env[name] === '' ? fallback : Number(env[name]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number of ${name.includes('DURATION') ? 'seconds' : 'units'}, not "${env[name]}".`);
  return value;
}

/** `SAMPLE_KILL=replica-1@6`: SIGKILL replica-1 six seconds after the start, to show a crash. */
function parseKill(value: string | undefined): { replica: string; afterSeconds: number } | undefined {
  if (!value) return undefined;
  const match = /^([\w-]+)@(\d+(?:\.\d+)?)$/.exec(value);
  if (!match) throw new Error(`SAMPLE_KILL must look like "replica-1@6" (name@seconds), not "${value}".`);
  return { replica: match[1]!, afterSeconds: Number(match[2]) };
}

function say(message: string): void {
  process.stdout.write(`${label('sample')}${message}\n`);
}

function label(name: string, index = -1): string {
  const text = `${name.padEnd(9)} | `;
  return color && index >= 0 ? `\x1b[${COLORS[index % COLORS.length]}m${text}\x1b[0m` : text;
}

/** Creates the bucket unless it exists (a store that answers 403 to HeadBucket is left to the app). */
async function ensureBucket(): Promise<void> {
  // The same addressing the library uses: path-style for a custom endpoint (MinIO, RGW).
  const customEndpoint = Boolean(env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL);
  const client = new S3Client({ forcePathStyle: customEndpoint && env.S3_FORCE_PATH_STYLE !== 'false' });
  try {
    await client.send(new HeadBucketCommand({ Bucket: BUCKET }));
  } catch (error) {
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404) throw error;
    const region = await client.config.region();
    // AWS wants the region named, except for us-east-1.
    const location = !customEndpoint && region !== 'us-east-1' ? { CreateBucketConfiguration: { LocationConstraint: region } } : {};
    await client.send(new CreateBucketCommand({ Bucket: BUCKET, ...location } as ConstructorParameters<typeof CreateBucketCommand>[0]));
    say(`created bucket ${BUCKET}`);
  } finally {
    client.destroy();
  }
}

interface Replica {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<string>;
}

function startReplica(index: number): Replica {
  const name = `replica-${index + 1}`;
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...env,
      S3_LOCK_BUCKET: BUCKET,
      S3_LOCK_PREFIX: PREFIX,
      REPLICA: name,
      PORT: String(BASE_PORT + index),
      RECORD_FILE,
      SAMPLE_COLORS: color ? '1' : '0',
    },
    // Its own process group: Ctrl-C reaches this script only, which then stops each replica once.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => process.stdout.write(`${label(name, index)}${line}\n`));
  }
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ? `ended by ${signal}` : `exited with code ${code}`));
  });
  return { name, child, exited };
}

/** Asks every live replica to shut down (SIGTERM), and SIGKILLs any still running after 10 s. */
async function stopAll(replicas: Replica[]): Promise<void> {
  const timer = setTimeout(() => {
    for (const { child } of replicas) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }, STOP_TIMEOUT_MS);
  for (const { child } of replicas) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  const endings = await Promise.all(replicas.map(async ({ name, exited }) => `${name} ${await exited}`));
  clearTimeout(timer);
  say(`stopped: ${endings.join(', ')}`);
}

/** The jobs' periods (seconds), to know which ticks the middle of a timed run must have. */
const PERIOD_SECONDS: Readonly<Record<string, number>> = { report: 3, reindex: 10 };

/** The ticks of `job` (`HH:MM:SS`) in the middle of the run: from 30 % to 70 % of its time. */
function middleTicks(job: string, startedAt: number): string[] {
  const period = PERIOD_SECONDS[job];
  if (!DURATION || !period) return [];
  const ticks: string[] = [];
  const from = startedAt + DURATION * 300;
  for (let t = Math.ceil(from / (period * 1000)) * period * 1000; t <= startedAt + DURATION * 700; t += period * 1000) {
    ticks.push(new Date(t).toISOString().slice(11, 19));
  }
  return ticks;
}

/**
 * Reads the record and prints, per job, how many ticks ran and on which replicas. Fails when a
 * tick ran twice or, in a timed run without SAMPLE_KILL, when a tick in the middle of the run
 * did not run at all.
 */
function summarise(startedAt: number): boolean {
  const entries: RunRecordEntry[] = existsSync(RECORD_FILE)
    ? readFileSync(RECORD_FILE, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as RunRecordEntry)
    : [];
  let exactlyOnce = true;
  const jobs = new Set([...entries.map((entry) => entry.job), ...(DURATION ? Object.keys(PERIOD_SECONDS) : [])]);
  for (const job of [...jobs].sort()) {
    const runs = entries.filter((entry) => entry.job === job);
    const perTick = new Map<string, number>();
    const perReplica = new Map<string, number>();
    for (const run of runs) {
      perTick.set(run.tick, (perTick.get(run.tick) ?? 0) + 1);
      perReplica.set(run.replica, (perReplica.get(run.replica) ?? 0) + 1);
    }
    const repeated = [...perTick].filter(([, count]) => count > 1);
    if (repeated.length > 0) exactlyOnce = false;
    const missed = middleTicks(job, startedAt).filter((tick) => !perTick.has(tick));
    if (missed.length > 0) {
      say(`${job}: NO REPLICA RAN the ticks ${missed.join(', ')} in the middle of the run`);
      if (!KILL) exactlyOnce = false;
    }
    const replicas = [...perReplica].sort().map(([name, count]) => `${name} ${count}`).join(', ');
    say(
      `${job}: ${perTick.size} ticks, ${runs.length} runs ` +
        (repeated.length === 0 ? '(each tick exactly once)' : `(RAN MORE THAN ONCE: ${repeated.map(([tick, count]) => `${tick} x${count}`).join(', ')})`) +
        ` - by replica: ${replicas}`,
    );
  }
  if (entries.length === 0) say('no job ran: see the replicas\' output above');
  say(`record: ${RECORD_FILE}`);
  return exactlyOnce && entries.length > 0;
}

/** Shows what S3 holds for the jobs' locks after the shutdown. */
async function showLocks(): Promise<void> {
  const locks = new S3LockService({ bucket: BUCKET, prefix: PREFIX, storeCheck: false });
  for (const key of ['sample:report', 'sample:reindex']) {
    const lock = await locks.inspect(key);
    const state = !lock
      ? 'no lock object'
      : lock.owner === null
        ? `released (last fencing token ${lock.token})`
        : `owner ${lock.owner} until ${lock.expiresAt.toISOString().slice(11, 19)} (fencing token ${lock.token}; ` +
          'kept by a killed replica or by minHold, it expires on its own)';
    say(`lock ${key}: ${state}`);
  }
}

async function main(): Promise<number> {
  await ensureBucket();
  say(
    `starting ${REPLICAS} replicas on s3://${BUCKET}/${PREFIX}` +
      (DURATION ? `; stopping after ${DURATION} s` : '; Ctrl-C stops them') +
      (KILL ? `; SIGKILL ${KILL.replica} after ${KILL.afterSeconds} s` : ''),
  );
  const startedAt = Date.now();
  const replicas = Array.from({ length: REPLICAS }, (_, index) => startReplica(index));

  let stopRequested!: (why: string) => void;
  const stop = new Promise<string>((resolve) => (stopRequested = resolve));
  const timers: NodeJS.Timeout[] = [];
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => stopRequested(signal));
  if (DURATION) timers.push(setTimeout(() => stopRequested(`${DURATION} s are over`), DURATION * 1000));
  if (KILL) {
    const victim = replicas.find((replica) => replica.name === KILL.replica);
    if (!victim) throw new Error(`SAMPLE_KILL names ${KILL.replica}, but the replicas are replica-1..${REPLICAS}.`);
    timers.push(
      setTimeout(() => {
        say(`SIGKILL ${victim.name}: it releases nothing, its locks expire on their own`);
        victim.child.kill('SIGKILL');
      }, KILL.afterSeconds * 1000),
    );
  }
  void Promise.all(replicas.map((replica) => replica.exited)).then(() => stopRequested('every replica exited'));

  say(`stopping (${await stop})`);
  for (const timer of timers) clearTimeout(timer);
  await stopAll(replicas);
  await showLocks();
  return summarise(startedAt) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    say(`failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  },
);
