import { afterEach, describe, expect, test } from '@jest/globals';
import { Controller, type DynamicModule, Get, Injectable, type INestApplicationContext, Module } from '@nestjs/common';
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
import { spawnApp } from './support/app-process.js';
import { buildApp } from './support/build-app.js';
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

/** @nestjs/observe's instrument, as `nest new` wires it into main.ts. */
const { ObserveInstrument, ObserveModule } = createObserveModule();
const observe: InstanceDecorator = ObserveInstrument!.instanceDecorator!;
/**
 * The template's `ObserveModule.forRoot(...)` in app.module.ts, which also traces each scheduled
 * job (a trace id in its context: the instrument then calls a method's inner self-calls on the
 * raw instance, its outer call on the Proxy). Its agent posts to a closed local port here.
 */
const observeModule = ObserveModule.forRoot({
  appKey: 'test',
  appSecret: 'test',
  serviceId: 'nestjs-s3-lock-test',
  endpoint: 'http://127.0.0.1:9',
});

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

async function start(
  instanceDecorator: InstanceDecorator,
  logger: MemoryNestLogger,
  extraImports: DynamicModule[],
): Promise<INestApplicationContext> {
  @Module({
    imports: [
      ...extraImports,
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
  ['a plain `new Proxy(provider, {})` instrument', plainProxy, []],
  ["@nestjs/observe's ObserveInstrument alone", observe, []],
  ["@nestjs/observe's ObserveInstrument and ObserveModule, as the `nest new` template has them", observe, [observeModule]],
])('every provider wrapped by %s', (_, instrument, extraImports) => {
  test('the app starts; scheduled, direct and runScheduled calls and @WhileLeader work as unwrapped', async () => {
    const logger = new MemoryNestLogger();
    app = await start(instrument, logger, extraImports);
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
    // (observe's agent says it cannot reach its collector: that is its own business.)
    expect(logger.lines.filter((l) => l.level === 'error' && l.context !== 'ObserveAgentWorker')).toEqual([]);
  }, 30_000);
});

describe("the `nest new` template's observe setup, in a process of its own", () => {
  test('@Cron calls are ticks (observe calls the outer method on its Proxy, the inner on the raw instance)', async () => {
    const entry = buildApp('test/nest/apps/observed-app.ts');
    const { child, output } = spawnApp(entry, { S3_LOCK_PREFIX: uniquePrefix('observed'), OBSERVE_ENDPOINT: 'http://127.0.0.1:9' });
    try {
      await waitFor(() => (output().match(/^run /gm) ?? []).length >= 3, 30_000);
    } finally {
      child.kill('SIGKILL');
    }
    const runs = output().split('\n').filter((line) => line.startsWith('run ')).map((line) => line.slice(4));
    expect(runs.filter((tick) => !/^\d+$/.test(tick))).toEqual([]); // every run a tick, none a direct call
    expect(new Set(runs).size).toBe(runs.length);
  }, 60_000);
});
