import { S3Client } from '@aws-sdk/client-s3';
import { Controller, Get, type INestApplication, Module } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { S3LockHealthIndicator } from '../../lib/health/index.js';
import { S3LockModule, S3LockService, type S3LockServiceOptions } from '../../lib/index.js';
import { closedPort } from './closed-port.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { s3Endpoint, testBucket, testClient, uniquePrefix } from '../support/s3-env.js';
import { startS3rver } from '../support/s3rver.js';
import { MemoryLogger } from '../support/services.js';
import { waitFor } from '../support/wait.js';

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly s3Lock: S3LockHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.s3Lock.isHealthy('locks')]);
  }
}

/** An application with the health endpoint, its lock store configured by `options`. */
async function healthApp(options: S3LockServiceOptions): Promise<INestApplication> {
  @Module({
    imports: [
      TerminusModule.forRoot({ logger: false }),
      // storeCheck: false, so the app starts; the store goes bad after startup.
      S3LockModule.forRoot({ ...options, storeCheck: false, logger: new MemoryLogger() }),
    ],
    controllers: [HealthController],
    providers: [S3LockHealthIndicator],
  })
  class HealthAppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [HealthAppModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

describe('S3LockHealthIndicator (@nestjs/terminus), over HTTP', () => {
  let s3rver: Awaited<ReturnType<typeof startS3rver>>;
  const clients: S3Client[] = [];
  beforeAll(async () => {
    s3rver = await startS3rver('no-conditions');
  });
  afterAll(async () => {
    for (const client of clients) client.destroy();
    await s3rver.close();
  });

  test('up on the real store (RGW): reachable, writable, conditional writes enforced', async () => {
    const prefix = uniquePrefix('health-up');
    const app = await healthApp({ bucket: testBucket(), prefix, client: testClient() });
    try {
      const response = await request(app.getHttpServer()).get('/health');
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        status: 'ok',
        info: { locks: { status: 'up', bucket: testBucket(), prefix } },
      });
    } finally {
      await app.close();
    }
  });

  test('down with the reason when S3 is unreachable', async () => {
    const client = testClient({ endpoint: `http://127.0.0.1:${await closedPort()}`, maxAttempts: 1 });
    clients.push(client);
    const app = await healthApp({ bucket: testBucket(), client, maxAttempts: 1 });
    try {
      const response = await request(app.getHttpServer()).get('/health');
      expect(response.status).toBe(503);
      expect(response.body).toMatchObject({
        status: 'error',
        error: { locks: { status: 'down', bucket: testBucket(), error: 'S3LockStoreError' } },
      });
      expect(response.body.error.locks.message).toContain('ECONNREFUSED');
    } finally {
      await app.close();
    }
  });

  test('down with the reason when the credentials are refused', async () => {
    const client = testClient({
      credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'missing', secretAccessKey: 'wrong' },
    });
    clients.push(client);
    const app = await healthApp({ bucket: testBucket(), client });
    try {
      const response = await request(app.getHttpServer()).get('/health');
      expect(response.status).toBe(503);
      expect(response.body.error.locks).toMatchObject({ status: 'down', error: 'S3LockStoreError' });
      expect(response.body.error.locks.message).toContain('The credentials were refused');
      expect(JSON.stringify(response.body)).not.toContain('wrong');
    } finally {
      await app.close();
    }
  });

  test('down with the reason on a store that ignores conditional writes (s3rver)', async () => {
    const client = new S3Client({
      endpoint: s3rver.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    clients.push(client);
    const app = await healthApp({ bucket: 'no-conditions', client });
    try {
      const response = await request(app.getHttpServer()).get('/health');
      expect(response.status).toBe(503);
      expect(response.body.error.locks).toMatchObject({
        status: 'down',
        bucket: 'no-conditions',
        error: 'UnsupportedStoreError',
      });
      expect(response.body.error.locks.message).toMatch(/ignores If-None-Match/);
    } finally {
      await app.close();
    }
  });

});

/** An app whose lock service talks to the store through a fault proxy that counts requests. */
async function countedApp(name: string, options: Partial<S3LockServiceOptions> = {}) {
  const proxy = await FaultProxy.start({ upstream: s3Endpoint() });
  const client = testClient({ endpoint: proxy.url, maxAttempts: 1 });
  const prefix = uniquePrefix(name);
  @Module({
    imports: [
      TerminusModule.forRoot({ logger: false }),
      S3LockModule.forRoot({ bucket: testBucket(), prefix, client, logger: new MemoryLogger(), ...options }),
    ],
    providers: [S3LockHealthIndicator],
  })
  class CountedModule {}
  const app = await (await Test.createTestingModule({ imports: [CountedModule] }).compile()).init();
  /** The requests made since the last call, as `METHOD status` lines. */
  const requests = () => {
    const seen = proxy.requests.map((r) => `${r.method} ${r.path.replace(`/${testBucket()}/${prefix}`, '')} ${r.upstreamStatus}`);
    proxy.clearRecords();
    return seen;
  };
  requests();
  return {
    proxy,
    indicator: app.get(S3LockHealthIndicator),
    locks: app.get(S3LockService),
    requests,
    async close() {
      await app.close();
      client.destroy();
      await proxy.close();
    },
  };
}

const PROBE = 'GET .s3-lock-store-check/health-probe 404';

describe('S3LockHealthIndicator: what a probe costs', () => {
  test('after the startup check, each probe is one GET (a 404 of the probe key), nothing written', async () => {
    const c = await countedApp('health-cost');
    try {
      for (let i = 0; i < 3; i++) {
        expect(await c.indicator.isHealthy('locks')).toEqual({ locks: { status: 'up', bucket: testBucket(), prefix: expect.stringMatching(/^test\/health-cost-/) } });
      }
      expect(c.requests()).toEqual([PROBE, PROBE, PROBE]);
    } finally {
      await c.close();
    }
  });

  test('the full check runs again once fullCheckEveryMs has passed, then probes are one GET again', async () => {
    const c = await countedApp('health-full');
    try {
      await c.indicator.isHealthy('locks', { fullCheckEveryMs: 400 });
      expect(c.requests()).toEqual([PROBE]);
      // fullCheckEveryMs has passed since the last full check, by the clock the indicator reads.
      await waitFor(() => (c.locks.msSinceStoreVerified() ?? 0) > 400, 10_000, 20);
      expect((await c.indicator.isHealthy('locks', { fullCheckEveryMs: 400 })).locks.status).toBe('up');
      const full = c.requests();
      expect(full.filter((r) => r.startsWith('PUT'))).toHaveLength(4);
      expect(full).toHaveLength(7);
      expect(full.at(-1)).toMatch(/^DELETE \.s3-lock-store-check\/[0-9a-f]{16} 204$/);
      await c.indicator.isHealthy('locks', { fullCheckEveryMs: 400 });
      expect(c.requests()).toEqual([PROBE]);
    } finally {
      await c.close();
    }
  });

  test('without a startup check (storeCheck: false) the first probe runs the full check, later ones one GET', async () => {
    const c = await countedApp('health-nocheck', { storeCheck: false });
    try {
      await c.indicator.isHealthy('locks');
      // The full check (here it also learns which ETag form the store takes: one PUT more).
      const full = c.requests();
      expect(full.filter((r) => r.startsWith('PUT')).length).toBeGreaterThanOrEqual(4);
      expect(full.at(-1)).toMatch(/^DELETE \.s3-lock-store-check\/[0-9a-f]{16} 204$/);
      await c.indicator.isHealthy('locks');
      expect(c.requests()).toEqual([PROBE]);
    } finally {
      await c.close();
    }
  });

  test('a probe that times out is down and keeps running; the next call joins it instead of starting another', async () => {
    const c = await countedApp('health-overlap');
    try {
      c.proxy.add({ match: { operation: 'GetObject' }, action: { kind: 'delay', ms: 800 } });
      expect(await c.indicator.isHealthy('locks', { timeoutMs: 100 })).toEqual({
        locks: { status: 'down', bucket: testBucket(), prefix: expect.stringMatching(/^test\/health-overlap-/), error: 'Error', message: 'The lock store did not answer within 100 ms.' },
      });
      // Two more calls while the first probe is still on its way: they wait for it.
      const [second, third] = await Promise.all([c.indicator.isHealthy('locks'), c.indicator.isHealthy('locks')]);
      expect(second.locks.status).toBe('up');
      expect(third.locks.status).toBe('up');
      expect(c.requests()).toEqual([PROBE]);
      // Settled: the next call probes afresh.
      await c.indicator.isHealthy('locks');
      expect(c.requests()).toEqual([PROBE]);
    } finally {
      await c.close();
    }
  });

  test('cacheForMs reuses an up result without a request; a down result is never reused', async () => {
    const c = await countedApp('health-cache');
    try {
      c.proxy.add({ match: { operation: 'GetObject' }, action: { kind: 'error', status: 503, code: 'SlowDown' } });
      expect((await c.indicator.isHealthy('locks', { cacheForMs: 60_000 })).locks).toMatchObject({ status: 'down', error: 'S3LockStoreError' });
      expect(c.requests()).toEqual(['GET .s3-lock-store-check/health-probe null']);
      const fresh = await c.indicator.isHealthy('locks', { cacheForMs: 60_000 });
      expect(fresh.locks.status).toBe('up');
      expect(await c.indicator.isHealthy('locks', { cacheForMs: 60_000 })).toBe(fresh);
      expect(c.requests()).toEqual([PROBE]);
    } finally {
      await c.close();
    }
  });
});
