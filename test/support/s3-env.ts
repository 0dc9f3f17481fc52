import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';

/**
 * The S3 store the tests run against, from the environment that `npm test` sets
 * (scripts/test.sh starts the local RGW when S3_ENDPOINT is unset).
 */
export function s3Endpoint(): string {
  const endpoint = process.env.S3_ENDPOINT;
  if (!endpoint) {
    throw new Error(
      'S3_ENDPOINT is not set: run the tests with `npm test` (which starts a local S3), or set ' +
        'S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and S3_BUCKET for your own store.',
    );
  }
  return endpoint;
}

/** The bucket the tests write to. */
export const testBucket = (): string => process.env.S3_BUCKET ?? 's3-lock-test';

/** A client for the test store; `overrides` for fault injection and other credentials. */
export function testClient(overrides: S3ClientConfig = {}): S3Client {
  return new S3Client({
    endpoint: s3Endpoint(),
    region: process.env.AWS_REGION ?? 'us-east-1',
    forcePathStyle: process.env.S3_FORCE_PATH_STYLE !== 'false',
    ...overrides,
  });
}

/** A prefix no other test uses, so test files can run in parallel on one bucket. */
export function uniquePrefix(name: string): string {
  return `test/${name}-${Date.now()}-${randomBytes(3).toString('hex')}/`;
}
