import { afterEach, describe, expect, test } from '@jest/globals';
import { Injectable, type INestApplicationContext, type LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { S3LockStoreError } from '../errors/s3-lock-store.error.js';
import type { S3LockRunEvent } from '../interfaces/s3-lock-module-options.interface.js';
import { S3LockModule } from '../s3-lock.module.js';
import { S3LockService } from '../s3-lock.service.js';
import { WithS3Lock } from '../decorators/with-s3-lock.decorator.js';
import { InMemoryLockStore } from '../testing/index.js';
import { OUTAGE_REPEAT_MS, StoreOutages } from './store-outages.js';

const down = new S3LockStoreError('GetObject', 'S3 GetObject failed: ECONNREFUSED. S3 is unreachable: check the endpoint.', {
  code: 'ECONNREFUSED',
  kind: 'unknown',
});

describe('StoreOutages', () => {
  test('one warning when an outage starts, a count at most once a minute, one line when S3 answers again', () => {
    let now = 0;
    const lines: string[] = [];
    const outages = new StoreOutages({ warn: (m) => lines.push(`warn ${m}`), log: (m) => lines.push(`log ${m}`) }, () => now);
    for (; now < 20_000; now += 1000) outages.failed('report', 'Jobs.report', down);
    outages.answered('report');
    expect(lines).toEqual([
      'warn S3 cannot be used for lock "report": S3 GetObject failed: ECONNREFUSED. S3 is unreachable: check the endpoint. ' +
        'Jobs.report is skipped (it never runs without its lock) until S3 answers again.',
      'log S3 answers again for lock "report": 20 scheduled runs were skipped while it could not be used (20 s).',
    ]);

    lines.length = 0;
    for (now = 0; now <= 3 * OUTAGE_REPEAT_MS; now += 1000) outages.failed('report', 'Jobs.report', down);
    expect(lines).toHaveLength(4); // at 0, 60, 120 and 180 s
    expect(lines[3]).toBe(
      'warn S3 still cannot be used for lock "report" (for 180 s; 181 scheduled runs skipped so far): ' + down.message,
    );
    outages.answered('other'); // another key had no outage: nothing to say
    expect(lines).toHaveLength(4);
  });
});

/** A Nest logger that keeps the library's lines (context `S3Lock`). */
class Lines implements LoggerService {
  readonly lines: string[] = [];
  log = (m: unknown, context?: string): void => this.keep('log', m, context);
  warn = (m: unknown, context?: string): void => this.keep('warn', m, context);
  error = (m: unknown, _stack?: string, context?: string): void => this.keep('error', m, context);
  debug = (): void => undefined;
  verbose = (): void => undefined;
  private keep(level: string, message: unknown, context: string | undefined): void {
    if (context === 'S3Lock') this.lines.push(`${level} ${String(message)}`);
  }
}

@Injectable()
class Jobs {
  runs = 0;

  @WithS3Lock('direct')
  async direct(): Promise<void> {
    this.runs++;
  }
}

const apps: INestApplicationContext[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

describe('scheduled calls while S3 cannot be used', () => {
  test('are skipped with reason store-unavailable (never run), each with its event; 20 s of outage logs 2 lines; direct calls get the error', async () => {
    const store = new InMemoryLockStore();
    const skipped: S3LockRunEvent[] = [];
    const logger = new Lines();
    const moduleRef = await Test.createTestingModule({
      imports: [S3LockModule.forRoot({ bucket: 'b', store, storeCheck: false, events: { skipped: (e) => skipped.push(e) } })],
      providers: [Jobs],
    })
      .setLogger(logger)
      .compile();
    const app = await moduleRef.init();
    apps.push(app);
    const locks = app.get(S3LockService);

    const { read, create, replace } = store;
    const fail = (): Promise<never> => Promise.reject(down);
    Object.assign(store, { read: fail, create: fail, replace: fail });
    let ran = 0;
    const start = store.now().getTime();
    for (let second = 0; second < 20; second++) {
      const result = await locks.runScheduled({ key: 'every-second', name: 'EverySecond.run', tick: start + second * 1000 }, () => ran++);
      expect(result).toEqual({ ran: false, reason: 'store-unavailable', tick: new Date(start + second * 1000) });
      store.advance(1);
    }
    await expect(app.get(Jobs).direct()).rejects.toBe(down);
    Object.assign(store, { read, create, replace });
    await expect(locks.runScheduled({ key: 'every-second', name: 'EverySecond.run', tick: start + 20_000 }, () => ran++)).resolves.toMatchObject({ ran: true });

    expect(ran).toBe(1);
    expect(app.get(Jobs).runs).toBe(0);
    expect(skipped.map((e) => e.reason)).toEqual(Array(20).fill('store-unavailable'));
    expect(logger.lines).toEqual([
      `warn S3 cannot be used for lock "every-second": ${down.message} EverySecond.run is skipped (it never runs without its lock) until S3 answers again.`,
      'log S3 answers again for lock "every-second": 20 scheduled runs were skipped while it could not be used (20 s).',
    ]);
  });
});
