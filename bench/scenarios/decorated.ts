import 'reflect-metadata';
import { type INestApplicationContext, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { S3LockModule, type S3LockModuleOptions, type S3LockRunEvent, WithS3Lock } from '../../lib/index.js';
import { benchBucket, countedClient } from '../env.js';
import type { RequestCounter } from '../request-counter.js';
import type { Case } from '../suite.js';

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
