import { afterEach, describe, expect, test } from '@jest/globals';
import { Controller, Get, Injectable, type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createObserveModule } from '@nestjs/observe';
import { Interval, ScheduleModule } from '@nestjs/schedule';
import {
  currentS3Lock,
  type S3LockLeaderTerm,
  S3LockModule,
  S3LockService,
  WhileLeader,
  WithS3Lock,
} from '../../lib/index.js';
import { testBucket, testClient, uniquePrefix } from '../support/s3-env.js';
import { MemoryNestLogger, waitFor } from './support/nest-helpers.js';

// Providers wrapped in a Proxy by another module: the app `nest new` makes today passes
// `instrument: ObserveInstrument` (from @nestjs/observe) to NestFactory.create, and every provider
// Nest creates is then a Proxy whose methods are new functions bound to it. The library must work
// exactly as unwrapped: the module starts, scheduled calls are told from direct ones, the
// service's runScheduled and @WhileLeader work. Run on Nest 12 and (scripts/test-nest11.sh) Nest 11.

type InstanceDecorator = (instance: unknown) => unknown;

/** Built-ins whose methods need the real object as receiver (Nest's own ModulesContainer is a Map). */
const SLOT_BACKED = [Map, Set, WeakMap, WeakSet, Date, RegExp, Promise];

/** Wraps every object Nest creates in a Proxy that forwards everything: the simplest wrapper. */
const plainProxy: InstanceDecorator = (instance) =>
  typeof instance === 'object' && instance !== null && !SLOT_BACKED.some((type) => instance instanceof type)
    ? new Proxy(instance, {})
    : instance;

/** @nestjs/observe's instrument, as `nest new` wires it into main.ts (its agent module left out: nothing is sent). */
const observe: InstanceDecorator = createObserveModule().ObserveInstrument!.instanceDecorator!;

/** The objects the instrument under test replaced by a wrapper, as Nest handed them out. */
const wrapped = new WeakSet<object>();
const recording =
  (decorate: InstanceDecorator): InstanceDecorator =>
  (instance) => {
    const out = decorate(instance);
    if (out !== instance && typeof out === 'object' && out !== null) wrapped.add(out);
    return out;
  };

/** What the application's methods saw, in order. */
const seen: { what: string; tick?: number; token?: number }[] = [];

@Injectable()
class Jobs {
  @Interval(300)
  @WithS3Lock('scheduled')
  async scheduled(): Promise<void> {
    const context = currentS3Lock()!;
    seen.push({ what: 'scheduled', tick: context.tick?.getTime(), token: context.lock.token });
  }

  @WithS3Lock('direct')
  async direct(): Promise<string> {
    const context = currentS3Lock()!;
    seen.push({ what: 'direct', tick: context.tick?.getTime(), token: context.lock.token });
    return 'direct ran';
  }

  @WhileLeader('leader', { expire: 5 })
  async lead(term: S3LockLeaderTerm): Promise<void> {
    seen.push({ what: 'leader', token: term.token });
    await new Promise((resolve) => term.signal.addEventListener('abort', resolve, { once: true }));
  }
}

@Injectable()
class RuntimeJobs {
  constructor(private readonly locks: S3LockService) {}

  run(): Promise<unknown> {
    return this.locks.runScheduled({ key: 'runtime', tick: new Date('2026-01-01T00:00:00Z') }, (lock) => lock.token);
  }
}

@Controller()
class JobsController {
  constructor(private readonly jobs: Jobs) {}

  @Get()
  run(): Promise<string> {
    return this.jobs.direct();
  }
}

let app: INestApplicationContext | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
  seen.length = 0;
});

async function start(instanceDecorator: InstanceDecorator, logger: MemoryNestLogger): Promise<INestApplicationContext> {
  @Module({
    imports: [
      ScheduleModule.forRoot(),
      S3LockModule.forRoot({ bucket: testBucket(), prefix: uniquePrefix('instrumented'), client: testClient() }),
    ],
    controllers: [JobsController],
    providers: [Jobs, RuntimeJobs],
  })
  class AppModule {}
  return NestFactory.createApplicationContext(AppModule, {
    logger,
    abortOnError: false,
    instrument: { instanceDecorator: recording(instanceDecorator) },
  });
}

describe.each([
  ['a plain `new Proxy(provider, {})` instrument', plainProxy],
  ["@nestjs/observe's ObserveInstrument (the `nest new` template's main.ts)", observe],
])('every provider wrapped by %s', (_, instrument) => {
  test('the app starts; scheduled, direct and runScheduled calls and @WhileLeader work as unwrapped', async () => {
    const logger = new MemoryNestLogger();
    app = await start(instrument, logger);
    // Nest really handed out wrapped providers (else this test proves nothing).
    for (const type of [Jobs, JobsController, RuntimeJobs, S3LockService]) {
      expect(app.get<object>(type)).toBeInstanceOf(type);
      expect(wrapped.has(app.get<object>(type))).toBe(true);
    }

    await waitFor(() => seen.filter((s) => s.what === 'scheduled').length >= 2 && seen.some((s) => s.what === 'leader'), 15_000);
    // Scheduled calls are ticks: each carries its own slot.
    const ticks = seen.filter((s) => s.what === 'scheduled').map((s) => s.tick);
    expect(ticks.every((tick) => typeof tick === 'number')).toBe(true);
    expect(new Set(ticks).size).toBe(ticks.length);

    // A direct call (here through the controller, itself wrapped) only takes the lock: no tick.
    await expect(app.get(JobsController).run()).resolves.toBe('direct ran');
    expect(seen.filter((s) => s.what === 'direct')).toEqual([{ what: 'direct', tick: undefined, token: expect.any(Number) }]);

    // The service's runScheduled finds the module's runner through the wrapped service.
    await expect(app.get(RuntimeJobs).run()).resolves.toEqual({
      ran: true,
      result: expect.any(Number),
      tick: new Date('2026-01-01T00:00:00Z'),
    });
    await expect(app.get(RuntimeJobs).run()).resolves.toMatchObject({ ran: false, reason: 'tick-claimed' });

    expect(app.get(S3LockService).storeTime()).toBeInstanceOf(Date);
    expect(logger.lines.filter((l) => l.level === 'error')).toEqual([]);
  }, 30_000);
});
