import { S3Client } from '@aws-sdk/client-s3';
import { Controller, Get, type INestApplication, Module } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { S3LockHealthIndicator } from '../../lib/health/index.js';
import { S3LockModule, type S3LockServiceOptions } from '../../lib/index.js';
import { closedPort } from './closed-port.js';
import { testBucket, testClient, uniquePrefix } from '../support/s3-env.js';
import { startS3rver } from '../support/s3rver.js';
import { MemoryLogger } from '../support/services.js';

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

  test('a timeout counts as down; cacheFor reuses a result instead of probing again', async () => {
    const prefix = uniquePrefix('health-cache');
    const app = await healthApp({ bucket: testBucket(), prefix, client: testClient() });
    try {
      const indicator = app.get(S3LockHealthIndicator);
      expect(await indicator.isHealthy('locks', { timeout: 1, cacheFor: 60_000 })).toEqual({
        locks: expect.objectContaining({ status: 'down', message: 'The lock store did not answer within 1 ms.' }),
      });
      // a down result is not cached: the next call checks again
      const fresh = await indicator.isHealthy('locks', { cacheFor: 60_000 });
      expect(fresh.locks.status).toBe('up');
      // an up result is reused within cacheFor: no probe, so even a 1 ms timeout cannot fail it
      expect(await indicator.isHealthy('locks', { cacheFor: 60_000, timeout: 1 })).toBe(fresh);
      expect((await indicator.isHealthy('locks', { timeout: 1 })).locks.status).toBe('down');
    } finally {
      await app.close();
    }
  });
});
