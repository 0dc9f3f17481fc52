import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { S3LockService, type S3LockServiceOptions } from '../../lib/index.js';
import { FaultProxy } from './fault-proxy.js';
import { s3Endpoint, testBucket, testClient, uniquePrefix } from './s3-env.js';
import { MemoryLogger } from './services.js';

/** A lock object as S3 holds it, read directly (not through the proxy, not through the library). */
export interface RawLock {
  owner: string | null;
  releaseTime: string | null;
  expire: number;
  /** `s3lock-token` metadata, or `null` if absent. */
  token: number | null;
  /** `s3lock-write` metadata: the id of the write that produced this state. */
  writeId: string | null;
  etag: string;
}

/** A service talking to the store through a fault proxy, and what a test needs around it. */
export interface FaultFixture {
  proxy: FaultProxy;
  /** The service under test: its requests go through `proxy`. */
  service: S3LockService;
  logger: MemoryLogger;
  prefix: string;
  /** A client straight to the store, for raw reads and competitors. */
  direct: S3Client;
  /** A second service on the same prefix, straight to the store (a competitor the proxy never sees). */
  rival: S3LockService;
  /** The lock object `key` as S3 holds it, or `null` if there is none. */
  raw(key: string): Promise<RawLock | null>;
  close(): Promise<void>;
}

/** Options of `faultFixture`. */
export interface FaultFixtureOptions extends Partial<S3LockServiceOptions> {
  /** The AWS SDK's own attempts per request (it retries 5xx and throttling itself). @default 1 */
  sdkMaxAttempts?: number;
  seed?: number;
}

/**
 * A proxy, a service behind it (its ETag form learned by a store check that ran before any
 * rule), and a rival straight to the store. `sdkMaxAttempts: 1` by default, so a test sees the
 * library's own handling of each fault rather than the SDK's retries.
 */
export async function faultFixture(name: string, options: FaultFixtureOptions = {}): Promise<FaultFixture> {
  const { sdkMaxAttempts = 1, seed, ...serviceOptions } = options;
  const proxy = await FaultProxy.start({ upstream: s3Endpoint(), seed });
  const prefix = uniquePrefix(name);
  const logger = new MemoryLogger();
  const client = testClient({ endpoint: proxy.url, maxAttempts: sdkMaxAttempts });
  const direct = testClient();
  const service = new S3LockService({ bucket: testBucket(), logger, ...serviceOptions, prefix, client });
  await service.verifyStore();
  const rival = new S3LockService({ bucket: testBucket(), prefix, client: direct, logger: new MemoryLogger() });
  proxy.clearRecords();
  return {
    proxy,
    service,
    logger,
    prefix,
    direct,
    rival,
    raw: (key) => readRaw(direct, `${prefix}${key}`),
    async close() {
      client.destroy();
      direct.destroy();
      await proxy.close();
    },
  };
}

/** Reads a lock object straight from the store. */
export async function readRaw(client: S3Client, objectKey: string): Promise<RawLock | null> {
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: testBucket(), Key: objectKey }));
    const doc = JSON.parse((await out.Body?.transformToString()) ?? '') as {
      owner: string | null;
      release_time: string | null;
      expire: number;
    };
    const token = out.Metadata?.['s3lock-token'];
    return {
      owner: doc.owner,
      releaseTime: doc.release_time,
      expire: doc.expire,
      token: token === undefined ? null : Number(token),
      writeId: out.Metadata?.['s3lock-write'] ?? null,
      etag: out.ETag ?? '',
    };
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchKey') return null;
    throw error;
  }
}
