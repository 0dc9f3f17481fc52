import { setTimeout as delay } from 'node:timers/promises';
import type { Lock } from '../../lib/index.js';
import { benchService } from '../env.js';
import { type RequestTally } from '../request-counter.js';
import { nowMs, quantile, round } from '../stats.js';

/** Settings of the scale scenario. */
export interface ScaleSettings {
  keys: number;
  /** `expire` of every lock, seconds. */
  expire: number;
  /** Seconds the locks are held (and extended) while measuring. */
  holdSeconds: number;
  /** Requests in flight at most while acquiring and releasing. */
  concurrency: number;
}

/** Figures of the scale scenario. */
export interface ScaleFigures {
  keys: number;
  expire: number;
  /** How the locks were extended. */
  extension: string;
  extendEverySeconds: number;
  acquireAllMs: number;
  acquireRequests: number;
  holdSeconds: number;
  /** Extension requests per second while holding: measured, and keys / interval. */
  extendRequestsPerSecond: number;
  expectedExtendRequestsPerSecond: number;
  extendP50Ms: number;
  extendP95Ms: number;
  /** Extensions that failed (a lock lost or a store error): must be 0. */
  extendFailures: number;
  /** Releases at the end that failed (a lock no longer ours): must be 0. */
  releaseFailures: number;
  /** Active Node timers while holding (all of the process), and before acquiring. */
  timersInUse: number;
  timersBefore: number;
  /** Heap and RSS growth while holding every lock, after a GC, and heap per key. */
  memory: { heapUsedMiB: number; rssMiB: number; heapBytesPerKey: number; gcExposed: boolean };
  tally: RequestTally;
}

const MiB = 1024 * 1024;

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

const activeTimers = (): number =>
  process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

/** Runs `fn` over `items` with at most `limit` in flight. */
async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * One process holds `keys` distinct locks at once and keeps them alive.
 *
 * The library has no automatic extension in `S3LockService` to call here, so the bench does
 * what a holder must: one `setInterval` per key calling `service.extend(lock)` every
 * `expire / 3` seconds, started spread evenly over one interval, never two extends of one key
 * in flight. Measured: memory, timers, extension requests per second and their latency.
 */
export async function runScale(prefix: string, settings: ScaleSettings): Promise<ScaleFigures> {
  const { keys, expire, holdSeconds, concurrency } = settings;
  const everyMs = (expire / 3) * 1000;
  const { service, counter, client } = await benchService(`${prefix}scale/`, { owner: 'bench-scale', expire });
  const names = Array.from({ length: keys }, (_, i) => `job-${i}`);

  gc();
  const timersBefore = activeTimers();
  const memBefore = process.memoryUsage();

  const locks = new Map<string, Lock>();
  let started = nowMs();
  await pool(names, concurrency, async (name) => void locks.set(name, await service.acquire(name)));
  const acquireAllMs = nowMs() - started;
  const acquireRequests = counter.total;

  const extendMs: number[] = [];
  let extendFailures = 0;
  const inFlight = new Set<string>();
  const timers: NodeJS.Timeout[] = [];
  const extendOnce = async (name: string): Promise<void> => {
    if (inFlight.has(name)) return;
    inFlight.add(name);
    const t0 = nowMs();
    try {
      locks.set(name, await service.extend(locks.get(name)!));
      extendMs.push(nowMs() - t0);
    } catch {
      extendFailures++;
    } finally {
      inFlight.delete(name);
    }
  };
  names.forEach((name, i) => {
    const startTimer = setTimeout(() => {
      timers.push(setInterval(() => void extendOnce(name), everyMs));
    }, (i * everyMs) / keys);
    timers.push(startTimer);
  });

  // Measure over whole intervals once every key's interval timer runs.
  await delay(everyMs + 50);
  counter.reset();
  extendMs.length = 0;
  started = nowMs();
  await delay(holdSeconds * 1000);
  const heldFor = (nowMs() - started) / 1000;
  const tally = counter.snapshot();
  const extendRequests = counter.total;
  const timersInUse = activeTimers();
  gc();
  const memHeld = process.memoryUsage();

  for (const t of timers) clearTimeout(t);
  while (inFlight.size > 0) await delay(10);
  let releaseFailures = 0;
  await pool(names, concurrency, async (name) => {
    await service.release(locks.get(name)!).catch(() => void releaseFailures++);
  });
  client.destroy();

  return {
    keys,
    expire,
    extension: 'bench-side: one setInterval per key calling S3LockService.extend (the service has no auto-extension)',
    extendEverySeconds: everyMs / 1000,
    acquireAllMs: round(acquireAllMs),
    acquireRequests,
    holdSeconds: round(heldFor),
    extendRequestsPerSecond: round(extendRequests / heldFor),
    expectedExtendRequestsPerSecond: round(keys / (everyMs / 1000)),
    extendP50Ms: round(quantile(extendMs, 0.5)),
    extendP95Ms: round(quantile(extendMs, 0.95)),
    extendFailures,
    releaseFailures,
    timersInUse,
    timersBefore,
    memory: {
      heapUsedMiB: round((memHeld.heapUsed - memBefore.heapUsed) / MiB, 2),
      rssMiB: round((memHeld.rss - memBefore.rss) / MiB, 2),
      heapBytesPerKey: Math.round((memHeld.heapUsed - memBefore.heapUsed) / keys),
      gcExposed: typeof (globalThis as { gc?: unknown }).gc === 'function',
    },
    tally,
  };
}
