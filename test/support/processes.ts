import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { testBucket, s3Endpoint } from './s3-env.js';

const WORKER = fileURLToPath(new URL('./worker/lock-worker.mjs', import.meta.url));
const SKEW = fileURLToPath(new URL('./worker/skewed-clock.mjs', import.meta.url));

/** One JSON event printed by a worker. */
export interface WorkerEvent {
  event: string;
  at: number;
  pid: number;
  [field: string]: unknown;
}

/** A running worker process and the events it has printed so far. */
export interface Worker {
  child: ChildProcess;
  events: WorkerEvent[];
  /** Resolves with the first event named `name` (rejects if the process exits first). */
  next(name: string): Promise<WorkerEvent>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/**
 * Starts test/support/worker/lock-worker.mjs in its own process with `config` (endpoint and
 * bucket default to the test store). `clockSkewMs` shifts the worker's clock.
 */
export function startWorker(config: Record<string, unknown>, clockSkewMs = 0): Worker {
  const full = { endpoint: s3Endpoint(), bucket: testBucket(), ...config };
  const args = [...(clockSkewMs ? ['--import', SKEW] : []), WORKER, JSON.stringify(full)];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, CLOCK_SKEW_MS: String(clockSkewMs), NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: WorkerEvent[] = [];
  const waiters: { name: string; resolve: (e: WorkerEvent) => void; reject: (e: Error) => void }[] = [];
  let stderr = '';
  let buffer = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const event = JSON.parse(buffer.slice(0, newline)) as WorkerEvent;
      buffer = buffer.slice(newline + 1);
      events.push(event);
      for (const w of waiters.filter((w) => w.name === event.event)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(event);
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  void exited.then((code) => {
    for (const w of waiters.splice(0)) {
      w.reject(new Error(`worker exited (${code}) before "${w.name}": ${stderr || JSON.stringify(events)}`));
    }
  });
  return {
    child,
    events,
    exited,
    next(name) {
      const seen = events.find((e) => e.event === name);
      if (seen) return Promise.resolve(seen);
      if (child.exitCode !== null) return Promise.reject(new Error(`worker exited before "${name}": ${stderr}`));
      return new Promise((resolve, reject) => waiters.push({ name, resolve, reject }));
    },
  };
}
