import 'reflect-metadata';
import { type INestApplicationContext, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { S3LockModule, type S3LockModuleOptions, type S3LockRunEvent, S3LockService, WithS3Lock } from '../../lib/index.js';
import { InMemoryS3Client } from '../../lib/testing/index.js';
import { benchBucket, benchService, countedClient, QuietLogger } from '../env.js';
import type { RequestCounter } from '../request-counter.js';
import type { SleepProbe } from '../sleep-probe.js';
import { nowMs, quantile, type Sample } from '../stats.js';
import { type Case, runInterleaved } from '../suite.js';

/** A provider with the decorated methods the bench calls. */
@Injectable()
export class BenchJobs {
  /** Calls of `empty` that ran. */
  emptyRuns = 0;

  /** A decorated method with an empty body: the decorator's own cost. */
  @WithS3Lock('decorated')
  async empty(): Promise<void> {
    this.emptyRuns++;
  }

  /** Holds lock `held-<i>` (extended automatically) until `whileHeld` resolves. */
  @WithS3Lock({ key: ([i]) => `held-${String(i)}`, autoExtend: true })
  async hold(_i: number, whileHeld: () => Promise<void>): Promise<void> {
    await whileHeld();
  }
}

@Module({})
class BenchRootModule {}

/** A Nest application context with `S3LockModule` on a counted client, and what it reported. */
export interface BenchApp {
  app: INestApplicationContext;
  jobs: BenchJobs;
  counter: RequestCounter;
  events: Record<'acquired' | 'skipped' | 'released' | 'lost', S3LockRunEvent[]>;
  close(): Promise<void>;
}

/**
 * Starts an application as a user would (`NestFactory.createApplicationContext`, store check on)
 * with Nest's logger at `error` and `warn` (the library's per-call lines are `debug`, which
 * production apps usually leave off).
 */
export async function startBenchApp(prefix: string, options: Partial<S3LockModuleOptions> = {}): Promise<BenchApp> {
  const { client, counter } = countedClient();
  const events: BenchApp['events'] = { acquired: [], skipped: [], released: [], lost: [] };
  const app = await NestFactory.createApplicationContext(
    {
      module: BenchRootModule,
      imports: [
        S3LockModule.forRoot({
          bucket: benchBucket(),
          client,
          prefix,
          owner: 'bench-nest',
          events: {
            acquired: (e) => void events.acquired.push(e),
            skipped: (e) => void events.skipped.push(e),
            released: (e) => void events.released.push(e),
            lost: (e) => void events.lost.push(e),
          },
          ...options,
        }),
      ],
      providers: [BenchJobs],
    },
    { logger: ['error', 'warn'] },
  );
  await app.init();
  counter.reset();
  return {
    app,
    jobs: app.get(BenchJobs),
    counter,
    events,
    close: async () => {
      await app.close();
      client.destroy();
    },
  };
}

/**
 * The decorated-method case for the interleaved suite: `jobs.empty()` through `@WithS3Lock`,
 * on the same key every call (so, like `ours.runExclusive.repeat`, a repeat holder).
 */
export async function decoratedCases(prefix: string): Promise<{ cases: Case[]; close: () => Promise<void> }> {
  const bench = await startBenchApp(prefix);
  return {
    cases: [
      {
        id: 'ours.decorated',
        counter: bench.counter,
        run: async () => {
          const before = bench.jobs.emptyRuns;
          await bench.jobs.empty();
          if (bench.jobs.emptyRuns !== before + 1) throw new Error('bench: the decorated method did not run on a free key');
        },
      },
    ],
    close: () => bench.close(),
  };
}

/** The decorator's own cost, on a store with no network. */
export interface OverheadFigures {
  calls: number;
  runExclusiveP50Us: number;
  decoratedP50Us: number;
  /** decorated - runExclusive, p50, microseconds. */
  decoratorOverheadUs: number;
}

/**
 * `runExclusive` against a `@WithS3Lock` call, both on `InMemoryS3Client` (the library's test
 * double: the same protocol, no network), interleaved: what the decorator adds in CPU time,
 * free of the store's noise.
 */
export async function measureOverhead(calls: number): Promise<OverheadFigures> {
  const service = new S3LockService({ bucket: 'bench', client: new InMemoryS3Client(), logger: new QuietLogger() });
  await service.verifyStore();
  const { app, jobs } = await startInMemoryApp();
  const empty = async (): Promise<void> => {};
  const serviceUs: number[] = [];
  const decoratedUs: number[] = [];
  try {
    for (let i = 0; i < calls + 50; i++) {
      let t = nowMs();
      await service.runExclusive('overhead', undefined, empty);
      if (i >= 50) serviceUs.push((nowMs() - t) * 1000);
      t = nowMs();
      await jobs.empty();
      if (i >= 50) decoratedUs.push((nowMs() - t) * 1000);
    }
  } finally {
    await app.close();
  }
  const a = quantile(serviceUs, 0.5);
  const b = quantile(decoratedUs, 0.5);
  return { calls, runExclusiveP50Us: Math.round(a), decoratedP50Us: Math.round(b), decoratorOverheadUs: Math.round(b - a) };
}

async function startInMemoryApp(): Promise<{ app: INestApplicationContext; jobs: BenchJobs }> {
  const app = await NestFactory.createApplicationContext(
    {
      module: BenchRootModule,
      imports: [S3LockModule.forRoot({ bucket: 'bench', client: new InMemoryS3Client(), owner: 'bench-nest' })],
      providers: [BenchJobs],
    },
    { logger: ['error', 'warn'] },
  );
  await app.init();
  return { app, jobs: app.get(BenchJobs) };
}

/** `runExclusive` and a `@WithS3Lock` call, both with an empty body, measured in pairs. */
export interface DecoratorPair {
  runExclusive: Sample;
  decorated: Sample;
}

/**
 * The decorator goal's own measurement: `service.runExclusive(key, undefined, empty)` and the
 * decorated `jobs.empty()` (each on a key it released last, so both take the repeat-holder path),
 * alternated call by call on the real store, many more calls than the main table, so a 5%
 * difference stands out from the store's noise.
 */
export async function compareDecorator(prefix: string, iterations: number, warmup: number, probe: SleepProbe): Promise<DecoratorPair> {
  const ours = await benchService(`${prefix}service/`, { owner: 'bench-pair' });
  const bench = await startBenchApp(`${prefix}nest/`);
  const empty = async (): Promise<void> => {};
  try {
    const figures = await runInterleaved(
      [
        { id: 'runExclusive', counter: ours.counter, run: async () => void (await ours.service.runExclusive('decorated', undefined, empty)) },
        { id: 'decorated', counter: bench.counter, run: () => bench.jobs.empty() },
      ],
      iterations,
      warmup,
      probe,
    );
    return { runExclusive: figures.runExclusive!, decorated: figures.decorated! };
  } finally {
    await bench.close();
    ours.client.destroy();
  }
}
