import { setTimeout as delay } from 'node:timers/promises';
import type { RequestTally } from '../request-counter.js';
import { nowMs, quantile, round } from '../stats.js';
import { TimerProbe } from '../timer-probe.js';
import { startBenchApp } from './decorated.js';

/** Settings of the scale scenario. */
export interface ScaleSettings {
  keys: number;
  /** `expire` of every lock, seconds. */
  expire: number;
  /** Seconds the locks are held (and extended) while measuring. */
  holdSeconds: number;
  /** Calls at most between "called" and "holding its lock" at a time. */
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
  /** Requests while acquiring, by kind: the acquires, and extensions of locks already taken. */
  acquireTally: RequestTally;
  holdSeconds: number;
  /** Extension requests per second while holding: measured, and keys / interval. */
  extendRequestsPerSecond: number;
  expectedExtendRequestsPerSecond: number;
  /** Latency of the extension PUTs while holding (HTTP attempt, measured at the SDK). */
  extendP50Ms: number;
  extendP95Ms: number;
  /** Time to release every lock, `concurrency` at a time. */
  releaseAllMs: number;
  /** Calls that had not finished (released) when the release phase's time limit ran out. */
  unfinished: number;
  /** Locks reported lost (the `lost` event): must be 0. */
  lost: number;
  /** Locks released at the end (the `released` event): must equal `keys`. */
  released: number;
  /**
   * Timers alive while holding every lock (global setTimeout/setInterval, unref'd included): the
   * library's (an extension interval and an expiry watch per held lock) and the SDK's (one per
   * request in flight).
   */
  timersInUse: number;
  /** Heap and RSS growth while holding every lock, after a GC, and heap per key. */
  memory: { heapUsedMiB: number; rssMiB: number; heapBytesPerKey: number; gcExposed: boolean };
  tally: RequestTally;
}

const MiB = 1024 * 1024;
/** How long the release phase may take at most. */
const RELEASE_LIMIT_MS = 60_000;

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

/**
 * One process holds `keys` distinct locks at once, kept alive by the library's automatic
 * extension: `keys` concurrent calls of a `@WithS3Lock({ key: ([i]) => ..., autoExtend: true })`
 * method whose body waits until the end of the measurement. Measured while they all hold:
 * extension requests per second and their latency, timers alive, memory growth.
 */
export async function runScale(prefix: string, settings: ScaleSettings): Promise<ScaleFigures> {
  const { keys, expire, holdSeconds, concurrency } = settings;
  const bench = await startBenchApp(`${prefix}scale/`, { expire });
  const { jobs, counter, events } = bench;
  const timers = new TimerProbe();

  // One gate per key, opened in batches at the end, so the releases do not all queue at once.
  const gates = Array.from({ length: keys }, () => {
    let open: () => void = () => {};
    const opened = new Promise<void>((resolve) => (open = resolve));
    return { open, opened };
  });
  const endHold = () => gates.forEach((g) => g.open());
  let inAcquire = 0;
  let wake: (() => void) | undefined;
  const slotFree = () => {
    inAcquire--;
    wake?.();
  };

  try {
    gc();
    const memBefore = process.memoryUsage();
    timers.install();
    const started = nowMs();
    const calls: Promise<void>[] = [];
    for (let i = 0; i < keys; i++) {
      while (inAcquire >= concurrency) await new Promise<void>((resolve) => (wake = resolve));
      inAcquire++;
      let freed = false;
      const free = () => {
        if (!freed) {
          freed = true;
          slotFree();
        }
      };
      calls.push(
        jobs
          .hold(i, async () => {
            free();
            await gates[i]!.opened;
          })
          .finally(free),
      );
    }
    while (events.acquired.length + events.skipped.length < keys && nowMs() - started < 60_000) await delay(5);
    const acquireAllMs = nowMs() - started;
    const acquireTally = counter.snapshot();
    if (events.acquired.length !== keys) throw new Error(`bench: only ${events.acquired.length} of ${keys} locks acquired`);

    // Measure over whole intervals once every lock has had its first extension.
    const everyMs = (expire * 1000) / 3;
    await delay(everyMs + 100);
    counter.reset();
    counter.recordLatency = true;
    const holdStart = nowMs();
    await delay(holdSeconds * 1000);
    const heldFor = (nowMs() - holdStart) / 1000;
    const tally = counter.snapshot();
    const extendRequests = counter.total;
    const latencies = [...counter.latencies];
    counter.recordLatency = false;
    const timersInUse = timers.count;
    gc();
    const memHeld = process.memoryUsage();

    // Bounded: a store that cannot keep up must not hold the bench for minutes.
    const releaseStart = nowMs();
    let unfinished = 0;
    for (let i = 0; i < keys; i += concurrency) {
      gates.slice(i, i + concurrency).forEach((g) => g.open());
      const left = RELEASE_LIMIT_MS - (nowMs() - releaseStart);
      const batch = calls.slice(i, i + concurrency).map((c) => c.then(() => true));
      const done = await Promise.all(batch.map((c) => Promise.race([c, delay(Math.max(0, left), false, { ref: false })])));
      unfinished += done.filter((d) => !d).length;
    }
    const releaseAllMs = nowMs() - releaseStart;
    return {
      keys,
      expire,
      extension: 'the library: @WithS3Lock({ autoExtend: true }), one call per key',
      extendEverySeconds: round(everyMs / 1000),
      acquireAllMs: round(acquireAllMs),
      acquireTally,
      releaseAllMs: round(releaseAllMs),
      unfinished,
      holdSeconds: round(heldFor),
      extendRequestsPerSecond: round(extendRequests / heldFor),
      expectedExtendRequestsPerSecond: round(keys / (everyMs / 1000)),
      extendP50Ms: round(quantile(latencies, 0.5)),
      extendP95Ms: round(quantile(latencies, 0.95)),
      lost: events.lost.length,
      released: events.released.length,
      timersInUse,
      memory: {
        heapUsedMiB: round((memHeld.heapUsed - memBefore.heapUsed) / MiB, 2),
        rssMiB: round((memHeld.rss - memBefore.rss) / MiB, 2),
        heapBytesPerKey: Math.round((memHeld.heapUsed - memBefore.heapUsed) / keys),
        gcExposed: typeof (globalThis as { gc?: unknown }).gc === 'function',
      },
      tally,
    };
  } finally {
    endHold();
    timers.uninstall();
    await bench.close();
  }
}
