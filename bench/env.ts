import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { S3LockService, type S3LockServiceOptions } from '../lib/index.js';
import { RequestCounter } from './request-counter.js';

/** The store the bench runs against, from the environment that bench/run.sh sets. */
export function endpoint(): string {
  const value = process.env.S3_ENDPOINT;
  if (!value) {
    throw new Error(
      'S3_ENDPOINT is not set: run the bench with `npm run bench` (which starts a local S3), or set ' +
        'S3_ENDPOINT, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for your own store.',
    );
  }
  return value;
}

/**
 * The environment of a child process of the bench (the CLI): the bench's store, whatever the
 * parent was given (`S3_ENDPOINT` alone, as bench/run.sh documents for your own store, is not
 * something the AWS SDK's default chain reads).
 */
export function childEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_OPTIONS: '',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_ENDPOINT_URL_S3: endpoint(),
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
  };
}

/** The bucket the bench writes to. */
export const benchBucket = (): string => process.env.S3_BENCH_BUCKET ?? 's3-lock-bench';

/** A fresh S3 client on the bench store (one HTTP connection pool of its own). */
export function newClient(): S3Client {
  return new S3Client({
    endpoint: endpoint(),
    region: process.env.AWS_REGION ?? 'us-east-1',
    forcePathStyle: process.env.S3_FORCE_PATH_STYLE !== 'false',
  });
}

/** A client with its own request counter. */
export function countedClient(): { client: S3Client; counter: RequestCounter } {
  const counter = new RequestCounter();
  return { client: counter.attach(newClient()), counter };
}

/** A prefix no earlier run used. */
export function runPrefix(): string {
  return `bench/${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}/`;
}

/** Silent logger for services under measurement; warnings are kept to be reported. */
export class QuietLogger {
  readonly warnings: string[] = [];
  log(): void {}
  debug(): void {}
  warn(message: string): void {
    this.warnings.push(message);
  }
}

/** A service on its own counted client, store check done (so the ETag form is learned). */
export async function benchService(
  prefix: string,
  options: Partial<S3LockServiceOptions> = {},
): Promise<{ service: S3LockService; counter: RequestCounter; client: S3Client; logger: QuietLogger }> {
  const { client, counter } = countedClient();
  const logger = new QuietLogger();
  const service = new S3LockService({ bucket: benchBucket(), prefix, client, logger, ...options });
  await service.verifyStore();
  counter.reset();
  return { service, counter, client, logger };
}

/** Creates the bench bucket if it does not exist. */
export async function ensureBucket(client: S3Client): Promise<void> {
  const Bucket = benchBucket();
  try {
    await client.send(new HeadBucketCommand({ Bucket }));
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status !== 404) {
      throw new Error(`Cannot reach the bench store at ${endpoint()} (bucket ${Bucket}): ${String(error)}`);
    }
    await client.send(new CreateBucketCommand({ Bucket }));
  }
}

/** Deletes every object under `prefix` (bounded: at most 100 pages of 1,000). */
export async function deletePrefix(client: S3Client, prefix: string): Promise<number> {
  const Bucket = benchBucket();
  let deleted = 0;
  for (let page = 0; page < 100; page++) {
    const listed = await client.send(new ListObjectsV2Command({ Bucket, Prefix: prefix, MaxKeys: 1000 }));
    const keys = (listed.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
    if (keys.length === 0) break;
    await client.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: keys, Quiet: true } }));
    deleted += keys.length;
    if (!listed.IsTruncated) break;
  }
  return deleted;
}
