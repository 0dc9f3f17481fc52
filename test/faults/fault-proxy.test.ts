import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { FaultProxy, S3_FAULTS } from '../support/fault-proxy.js';
import { s3Endpoint, testBucket, testClient, uniquePrefix } from '../support/s3-env.js';
import { waitFor } from '../support/wait.js';

/** The proxy itself: it forwards faithfully and injects each fault as described. */
describe('the fault-injecting proxy', () => {
  let proxy: FaultProxy;
  let viaProxy: S3Client;
  const direct = testClient();
  const prefix = uniquePrefix('fault-proxy');
  const bucket = testBucket();

  const put = (client: S3Client, key: string, body: string, extra: object = {}, signal?: AbortSignal) =>
    client.send(new PutObjectCommand({ Bucket: bucket, Key: prefix + key, Body: body, ...extra }), { abortSignal: signal });
  const read = async (key: string): Promise<string | null> => {
    try {
      const out = await direct.send(new GetObjectCommand({ Bucket: bucket, Key: prefix + key }));
      return (await out.Body?.transformToString()) ?? '';
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchKey') return null;
      throw error;
    }
  };
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('expected the request to fail');
      },
      (error: unknown) => error as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } },
    );

  beforeAll(async () => {
    proxy = await FaultProxy.start({ upstream: s3Endpoint(), seed: 7 });
    viaProxy = testClient({ endpoint: proxy.url, maxAttempts: 1 });
  });
  afterAll(async () => {
    viaProxy.destroy();
    direct.destroy();
    await proxy.close();
  });

  test('forwards requests unchanged (signatures verify) and records them', async () => {
    await put(viaProxy, 'plain', 'hello', { IfNoneMatch: '*' });
    const out = await viaProxy.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}plain` }));
    expect(await out.Body?.transformToString()).toBe('hello');
    const [write, get] = proxy.requests.slice(-2);
    expect(write).toMatchObject({ operation: 'PutObject', condition: 'if-none-match', action: 'forward', upstreamStatus: 200, clientStatus: 200 });
    expect(get).toMatchObject({ operation: 'GetObject', condition: null, action: 'forward', upstreamStatus: 200 });
  });

  test('drop-response: the write lands, the client never hears', async () => {
    proxy.add({ match: { operation: 'PutObject', path: 'dropped' }, action: { kind: 'drop-response' } });
    const error = await failure(put(viaProxy, 'dropped', 'landed'));
    expect(error.$metadata?.httpStatusCode).toBeUndefined();
    expect(await read('dropped')).toBe('landed');
    expect(proxy.requests.at(-1)).toMatchObject({ action: 'drop-response', upstreamStatus: 200, clientStatus: null });
  });

  test.each([
    ['500 InternalError', S3_FAULTS.internalError, 500, 'InternalError'],
    ['503 SlowDown', S3_FAULTS.slowDown, 503, 'SlowDown'],
    ['409 ConditionalRequestConflict', S3_FAULTS.conditionalConflict, 409, 'ConditionalRequestConflict'],
  ])('answers %s as S3 would, without forwarding', async (_name, action, status, code) => {
    const key = `error-${status}`;
    proxy.add({ match: { operation: 'PutObject', header: 'if-none-match', path: key }, action });
    const error = await failure(put(viaProxy, key, 'x', { IfNoneMatch: '*' }));
    expect(error.name).toBe(code);
    expect(error.$metadata?.httpStatusCode).toBe(status);
    expect(await read(key)).toBeNull();
  });

  test('reset: the connection breaks, nothing is forwarded', async () => {
    proxy.add({ match: { operation: 'PutObject', path: 'reset' }, action: { kind: 'reset' } });
    const error = await failure(put(viaProxy, 'reset', 'x'));
    expect(error.$metadata?.httpStatusCode).toBeUndefined();
    expect(await read('reset')).toBeNull();
  });

  test('delay: the request reaches the store late, even after the client gave up', async () => {
    // The client gives up as soon as the proxy holds its request; the proxy forwards it later.
    const gaveUp = new AbortController();
    const rule = proxy.add({
      match: { operation: 'PutObject', path: 'late' },
      action: { kind: 'hook', run: async () => (gaveUp.abort(), { kind: 'delay', ms: 1500 }) },
    });
    await failure(put(viaProxy, 'late', 'late write', {}, gaveUp.signal));
    expect(rule.fired).toBe(1);
    expect(await read('late')).toBeNull();
    const record = proxy.recorded('PutObject').at(-1)!;
    await waitFor(() => record.upstreamStatus !== null, 15_000); // the store answered the late write
    expect(await read('late')).toBe('late write');
  });

  test('stall: headers and half the body, then nothing; the client must time out', async () => {
    await put(direct, 'stalled', 'a body long enough to cut in half');
    proxy.add({ match: { operation: 'GetObject', path: 'stalled' }, action: { kind: 'stall' } });
    const started = Date.now();
    const error = await failure(
      (async () => {
        const out = await viaProxy.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}stalled` }), {
          abortSignal: AbortSignal.timeout(300),
        });
        return out.Body?.transformToString();
      })(),
    );
    expect(error).toBeDefined();
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test('skip and times: "the 3rd GetObject" and only that one', async () => {
    await put(direct, 'third', 'x');
    const rule = proxy.add({ match: { operation: 'GetObject', path: 'third' }, skip: 2, action: S3_FAULTS.internalError });
    const get = () => viaProxy.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}third` })).then(() => 'ok', (e: Error) => e.name);
    expect([await get(), await get(), await get(), await get()]).toEqual(['ok', 'ok', 'InternalError', 'ok']);
    expect(rule).toMatchObject({ matched: 4, fired: 1 });
  });

  test('probability: a seeded generator, so a run repeats', async () => {
    const run = async (seed: number) => {
      const p = await FaultProxy.start({ upstream: s3Endpoint(), seed });
      const c = testClient({ endpoint: p.url, maxAttempts: 1 });
      p.add({ match: { operation: 'GetObject' }, times: Infinity, probability: 0.5, action: S3_FAULTS.slowDown });
      for (let i = 0; i < 16; i++) {
        await c.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}third` })).catch(() => undefined);
      }
      c.destroy();
      await p.close();
      return p.requests.map((r) => r.action).join();
    };
    const a = await run(11);
    expect(await run(11)).toBe(a);
    expect(a).toContain('error-503');
    expect(a).toContain('forward');
  });

  test('cutOff and restore: the store is unreachable, then back on the same endpoint', async () => {
    await proxy.cutOff();
    const error = await failure(viaProxy.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}plain` })));
    expect(JSON.stringify(error) + String(error)).toMatch(/ECONNREFUSED/);
    await proxy.restore();
    const out = await viaProxy.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}plain` }));
    expect(await out.Body?.transformToString()).toBe('hello');
  });

  test('counts requests by action', () => {
    expect(proxy.countsByAction()).toMatchObject({ 'drop-response': 1, 'error-500': 2, 'error-503': 1, 'error-409': 1, reset: 1, delay: 1, stall: 1 });
    expect(proxy.faulted).toBe(8);
  });
});
