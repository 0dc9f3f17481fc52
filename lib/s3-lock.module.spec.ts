import { afterEach, describe, expect, test } from '@jest/globals';
import { Controller, Get, Injectable, Module, type INestApplicationContext, type Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import {
  AlreadyLockedError,
  currentS3Lock,
  InvalidLockArgumentError,
  S3LockInterceptor,
  S3LockModule,
  type S3LockModuleOptions,
  type S3LockOptionsFactory,
  type S3LockRunEvent,
  S3LockService,
  WithS3Lock,
} from './index.js';
import { aborted, waitFor } from '../test/support/wait.js';
import { InMemoryLockStore } from './testing/index.js';

/** A decorated service, through the public decorator and module only. */
@Injectable()
class Jobs {
  readonly tokens: number[] = [];
  lostReason: unknown;

  @WithS3Lock('report', { expire: 30 })
  async report(): Promise<string> {
    this.tokens.push(currentS3Lock()!.token);
    return 'built';
  }

  @WithS3Lock('strict', { onLocked: 'throw' })
  strict(): string {
    return 'ran';
  }

  @WithS3Lock('held', { expire: 30, minHold: 20 })
  async held(): Promise<void> {}

  /** Runs until `stop` settles or its lock is lost. */
  @WithS3Lock('long', { expire: 1, autoExtend: true })
  async long(stop: Promise<void> = new Promise(() => undefined)): Promise<void> {
    const signal = currentS3Lock()!.signal;
    await Promise.race([stop, aborted(signal)]);
    this.lostReason = signal.reason;
  }

  /** Runs past its 1-second lease, without autoExtend, until the library aborts its signal. */
  @WithS3Lock('overrun', { expire: 1 })
  async overrun(): Promise<void> {
    const signal = currentS3Lock()!.signal;
    await aborted(signal);
    this.lostReason = signal.reason;
  }

  @WithS3Lock({ key: ([id]) => `item-${String(id)}`, expire: 30 })
  item(id: number): number {
    return id * 2;
  }
}

@Controller('jobs')
class JobsController {
  @Get('strict')
  @WithS3Lock('route', { onLocked: 'throw' })
  strict(): string {
    return 'ok';
  }
}

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };
const apps: INestApplicationContext[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

async function start(lockModule: ReturnType<typeof S3LockModule.forRoot>, providers: Type[] = [Jobs]) {
  const moduleRef = await Test.createTestingModule({ imports: [lockModule], providers, controllers: [JobsController] })
    .setLogger(quiet)
    .compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  apps.push(app);
  return { app, jobs: app.get(Jobs), locks: app.get(S3LockService) };
}

function recorder() {
  const events: Record<'acquired' | 'skipped' | 'released' | 'lost', S3LockRunEvent[]> = { acquired: [], skipped: [], released: [], lost: [] };
  const hooks = {
    acquired: (e: S3LockRunEvent) => events.acquired.push(e),
    skipped: (e: S3LockRunEvent) => events.skipped.push(e),
    released: (e: S3LockRunEvent) => events.released.push(e),
    lost: (e: S3LockRunEvent) => events.lost.push(e),
  };
  return { events, hooks };
}

describe('@WithS3Lock(key, expire, wait): the short form', () => {
  test('takes the lock with that expire; a non-number, non-object second argument is refused at decoration', async () => {
    @Injectable()
    class ShortForm {
      expires: number[] = [];

      @WithS3Lock('short', 7, 0)
      async run(): Promise<void> {
        this.expires.push(currentS3Lock()!.lock.expire);
      }
    }
    const store = new InMemoryLockStore();
    const { app } = await start(S3LockModule.forRoot({ bucket: 'b', store }), [Jobs, ShortForm]);
    await app.get(ShortForm).run();
    expect(app.get(ShortForm).expires).toEqual([7]);

    // What a JavaScript caller (or `as any`) may pass: never dropped silently.
    const loose = WithS3Lock as (...args: unknown[]) => MethodDecorator;
    expect(() => loose('k', '7')).toThrow(InvalidLockArgumentError);
    expect(() => loose('k', '7')).toThrow(/options object .* or the short form \(key, expire, wait\) with numbers, got "7"/);
    expect(() => loose('k', { expire: 7 }, 1)).toThrow(InvalidLockArgumentError);
    expect(() => loose('k', null)).toThrow(InvalidLockArgumentError);
    expect(() => loose('k', 1.5)).toThrow(InvalidLockArgumentError); // expire is checked as in the options
    expect(() => loose('k', 30, -1)).toThrow(InvalidLockArgumentError); // and so is wait
    expect(() => loose('k', 60, 1, 2)).toThrow(/at most three arguments/);
  });
});

describe('S3LockModule and @WithS3Lock on the in-memory store', () => {
  test('a run takes the lock, sees its token, releases it; events say so; another holder makes it skip or throw', async () => {
    const store = new InMemoryLockStore();
    const { events, hooks } = recorder();
    const { jobs, locks } = await start(S3LockModule.forRoot({ bucket: 'b', store, events: hooks }));
    await expect(jobs.report()).resolves.toBe('built');
    const released = await locks.inspect('report');
    expect(released).toMatchObject({ owner: null, token: jobs.tokens[0] });
    expect(events.acquired.map((e) => e.key)).toEqual(['report']);
    expect(events.released[0]).toMatchObject({ key: 'report', method: 'Jobs.report' });

    const other = await locks.acquire('report', { owner: 'other-replica' });
    await expect(jobs.report()).resolves.toBeUndefined();
    expect(events.skipped[0]).toMatchObject({ key: 'report', holder: 'other-replica' });
    await locks.acquire('strict', { owner: 'other-replica' });
    await expect(jobs.strict()).rejects.toBeInstanceOf(AlreadyLockedError);
    await locks.release(other);
    await expect(jobs.item(21)).resolves.toBe(42);
    expect(store.keys()).toEqual(['locks/item-21', 'locks/report', 'locks/strict']);
  });

  test('minHold keeps the lock after a short run; it frees itself by the store clock', async () => {
    const store = new InMemoryLockStore();
    const { jobs, locks } = await start(S3LockModule.forRoot({ bucket: 'b', store }));
    await jobs.held();
    const kept = await locks.inspect('held');
    expect(kept!.owner).not.toBeNull();
    expect(kept!.expire).toBe(20);
    store.advance(21);
    await expect(locks.tryAcquire('held', { owner: 'next' })).resolves.toMatchObject({ owner: 'next' });
  });

  test('autoExtend keeps a long run’s lock; a takeover aborts its signal and reports it lost', async () => {
    const store = new InMemoryLockStore();
    const { events, hooks } = recorder();
    const { jobs, locks } = await start(S3LockModule.forRoot({ bucket: 'b', store, events: hooks }));
    const run = jobs.long();
    // Extensions come about every 333 ms, by the run's real timer: wait for one to land.
    await waitFor(() => events.acquired.length === 1, 5_000);
    const acquired = events.acquired[0]!.lock!;
    await waitFor(async () => (await locks.inspect('long'))!.etag !== acquired.etag, 5_000);
    const state = await locks.inspect('long');
    expect(state!.owner).toBe(acquired.owner); // rewritten by an extension of the same holder
    store.advance(3); // the run's last write expires by the store clock
    await locks.acquire('long', { owner: 'thief' });
    await run;
    expect(String(jobs.lostReason)).toMatch(/long/);
    expect(events.lost).toHaveLength(1);
    expect(events.lost[0]!.error).toBeInstanceOf(Error);
    expect(await locks.inspect('long')).toMatchObject({ owner: 'thief' });
  });

  test('a run that outlives expire without autoExtend gets its signal aborted', async () => {
    const { events, hooks } = recorder();
    const { jobs } = await start(S3LockModule.forRoot({ bucket: 'b', store: new InMemoryLockStore(), events: hooks }));
    await jobs.overrun();
    expect(String(jobs.lostReason)).toMatch(/overrun/);
    expect(events.lost.map((e) => e.key)).toEqual(['overrun']);
  });

  test('over HTTP, a held lock is a 409 Conflict through S3LockInterceptor', async () => {
    const store = new InMemoryLockStore();
    const { app, locks } = await start(S3LockModule.forRoot({ bucket: 'b', store }));
    expect(app.get(S3LockInterceptor)).toBeInstanceOf(S3LockInterceptor);
    await locks.acquire('route', { owner: 'other' });
    const response = await request(app.getHttpServer()).get('/jobs/strict');
    expect(response.status).toBe(409);
    expect(JSON.stringify(response.body)).not.toContain('other'); // the holder is not told to clients
  });

  test('shutdown releases the lock of a run still going', async () => {
    const store = new InMemoryLockStore();
    const { app, jobs, locks } = await start(S3LockModule.forRoot({ bucket: 'b', store, shutdownTimeout: 1 }));
    let stop!: () => void;
    const run = jobs.long(new Promise((resolve) => (stop = resolve)));
    await waitFor(async () => (await locks.inspect('long'))?.owner != null, 5_000);
    const closing = app.close();
    apps.splice(apps.indexOf(app), 1);
    await closing;
    stop();
    await run;
    expect(await locks.inspect('long')).toMatchObject({ owner: null });
  });

  test('forRootAsync: useFactory, useClass and useExisting', async () => {
    const store = new InMemoryLockStore();
    class Options implements S3LockOptionsFactory {
      createS3LockOptions(): S3LockModuleOptions {
        return { bucket: 'b', store, prefix: 'class/' };
      }
    }
    @Module({ providers: [Options], exports: [Options] })
    class OptionsModule {}
    const variants = [
      S3LockModule.forRootAsync({ useFactory: () => ({ bucket: 'b', store, prefix: 'factory/' }) }),
      S3LockModule.forRootAsync({ useClass: Options }),
      S3LockModule.forRootAsync({ imports: [OptionsModule], useExisting: Options }),
    ];
    for (const variant of variants) {
      const { jobs } = await start(variant);
      await jobs.report();
    }
    expect(store.keys()).toEqual(['class/report', 'factory/report']);
  });
});
