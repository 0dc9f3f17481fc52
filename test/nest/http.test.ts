import { afterEach, describe, expect, test } from '@jest/globals';
import {
  Controller,
  Get,
  HttpCode,
  Injectable,
  type INestApplication,
  Param,
  ParseIntPipe,
  Post,
  UseInterceptors,
} from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants.js';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { S3LockInterceptor, S3LockModule, S3LockService, WithS3Lock } from '../../lib/index.js';
import { testBucket, uniquePrefix } from '../support/s3-env.js';
import { countingClient, gate, MemoryNestLogger, waitFor } from './support/nest-helpers.js';

const CONCURRENT = 5;

/**
 * Holds every locked run of the test in progress until the test opens it: once the other
 * requests have had their answer (see `concurrently`), so they came while the lock was held.
 */
let running = gate();

@Injectable()
class Reports {
  runs = 0;

  @WithS3Lock('report', { onLocked: 'throw' })
  async build(): Promise<{ report: string }> {
    this.runs++;
    await running.promise;
    return { report: 'ok' };
  }
}

@Controller('routes')
class RoutesController {
  runs: Record<string, number> = { throw: 0, skip: 0, item: 0 };

  @Post('throw')
  @WithS3Lock('route-throw', { onLocked: 'throw' })
  async throwMode(): Promise<{ ran: true }> {
    this.runs.throw!++;
    await running.promise;
    return { ran: true };
  }

  @WithS3Lock('route-skip')
  @Post('skip')
  @HttpCode(200)
  async skipMode(): Promise<{ ran: true }> {
    this.runs.skip!++;
    await running.promise;
    return { ran: true };
  }

  /** The key comes from the handler's arguments after pipes (here a number). */
  @Get('items/:id')
  @WithS3Lock({ key: ([id]) => `item-${(id as number).toFixed(0)}`, onLocked: 'throw' })
  async item(@Param('id', ParseIntPipe) id: number): Promise<{ id: number }> {
    this.runs.item!++;
    await running.promise;
    return { id };
  }
}

@Controller('guarded')
@UseInterceptors(S3LockInterceptor)
class InterceptedController {
  runs = 0;
  constructor(private readonly reports: Reports) {}

  /** Not decorated itself: the conflict comes from the locked service method it calls. */
  @Post('report')
  report(): Promise<{ report: string }> {
    return this.reports.build();
  }

  /** Decorated, on a controller that has the interceptor too: the lock is still taken once. */
  @Post('own')
  @WithS3Lock('guarded-own', { onLocked: 'throw' })
  async own(): Promise<{ ran: true }> {
    this.runs++;
    await running.promise;
    return { ran: true };
  }
}

let app: INestApplication | undefined;
afterEach(async () => {
  running.open(); // a test that failed midway leaves no run holding the server open
  await app?.close();
  app = undefined;
});

async function startHttp() {
  running = gate();
  const { client, counts, reset } = countingClient();
  const prefix = uniquePrefix('nest-http');
  const moduleRef = await Test.createTestingModule({
    imports: [S3LockModule.forRoot({ bucket: testBucket(), client, prefix, storeCheck: false })],
    controllers: [RoutesController, InterceptedController],
    providers: [Reports],
  })
    .setLogger(new MemoryNestLogger())
    .compile();
  app = moduleRef.createNestApplication();
  await app.init();
  reset();
  return {
    http: request(app.getHttpServer()),
    counts,
    routes: app.get(RoutesController),
    intercepted: app.get(InterceptedController),
    reports: app.get(Reports),
    service: app.get(S3LockService),
  };
}

/**
 * Sends `count` requests at once; lets the one run go on once the others have had their
 * answer; returns them sorted by status.
 */
async function concurrently(send: () => request.Test, count = CONCURRENT) {
  let answered = 0;
  const responses = await Promise.all(
    Array.from({ length: count }, () =>
      send().then((response) => {
        if (++answered === count - 1) running.open();
        return response;
      }),
    ),
  );
  return responses.sort((a, b) => a.status - b.status);
}

/**
 * The lock was written exactly twice: taken once, released once. Losers may also have tried a
 * conditional create that S3 refused (412) when they read the key before anyone held it.
 */
function expectLockTakenOnce(counts: Record<string, number>): void {
  expect(counts['PutObjectCommand:ok']).toBe(2);
  expect((counts['PutObjectCommand:412'] ?? 0) + 2).toBe(counts.PutObjectCommand);
}

describe('a decorated controller route under concurrent requests', () => {
  test("'throw' mode: one runs, the others get 409 without the holder's name; the lock is taken once", async () => {
    const { http, counts, routes, service } = await startHttp();
    const responses = await concurrently(() => http.post('/routes/throw'));
    expect(responses.map((r) => r.status)).toEqual([201, 409, 409, 409, 409]);
    expect(responses[0]!.body).toEqual({ ran: true });
    const holder = (await service.inspect('route-throw'))!;
    for (const conflict of responses.slice(1)) {
      expect(conflict.body).toEqual({ statusCode: 409, error: 'Conflict', message: 'This operation is already running. Try again later.' });
      expect(conflict.text).not.toContain(String(process.pid));
      expect(conflict.text).not.toContain('route-throw');
    }
    expect(routes.runs.throw).toBe(1);
    expect(holder.owner).toBeNull();
    expectLockTakenOnce(counts);
  });

  test("'skip' mode: one runs, the others get an empty answer", async () => {
    const { http, counts, routes } = await startHttp();
    const responses = await concurrently(() => http.post('/routes/skip'));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(responses.filter((r) => r.text === '')).toHaveLength(CONCURRENT - 1);
    expect(responses.filter((r) => r.text === '{"ran":true}')).toHaveLength(1);
    expect(routes.runs.skip).toBe(1);
    expectLockTakenOnce(counts);
  });

  test('route metadata survives in either order, and the key sees piped arguments', async () => {
    expect(Reflect.getMetadata(PATH_METADATA, RoutesController.prototype.skipMode)).toBe('skip');
    expect(Reflect.getMetadata(PATH_METADATA, RoutesController.prototype.throwMode)).toBe('throw');
    const { http, routes, service } = await startHttp();
    const both = Promise.all([http.get('/routes/items/7'), http.get('/routes/items/8')]);
    // Both run at once: their keys differ.
    await waitFor(() => routes.runs.item === 2, 10_000);
    running.open();
    const [one, other] = await both;
    expect([one.status, other.status]).toEqual([200, 200]);
    expect(routes.runs.item).toBe(2);
    expect(await service.inspect('item-7')).toMatchObject({ owner: null });
    await expect(http.get('/routes/items/x')).resolves.toMatchObject({ status: 400 });
  });
});

describe('S3LockInterceptor on a controller class', () => {
  test('a conflict in a locked service method the handler calls becomes 409', async () => {
    const { http, reports, counts } = await startHttp();
    const responses = await concurrently(() => http.post('/guarded/report'));
    expect(responses.map((r) => r.status)).toEqual([201, 409, 409, 409, 409]);
    expect(reports.runs).toBe(1);
    expectLockTakenOnce(counts);
  });

  test('a decorated handler on an intercepted controller takes its lock exactly once per call', async () => {
    const { http, intercepted, counts } = await startHttp();
    const responses = await concurrently(() => http.post('/guarded/own'));
    expect(responses.map((r) => r.status)).toEqual([201, 409, 409, 409, 409]);
    expect(intercepted.runs).toBe(1);
    expectLockTakenOnce(counts);
    const again = await http.post('/guarded/own');
    expect(again.status).toBe(201);
    expect(counts['PutObjectCommand:ok']).toBe(4);
  });
});
