import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { S3LockService, S3LockStoreError } from '../../lib/index.js';
import { testClient } from '../support/s3-env.js';
import { MemoryLogger } from '../support/services.js';
import { onRgwOnly } from '../support/store-kind.js';
import { cli } from './run-cli.js';

/**
 * The least-privilege policy of docs/OPERATIONS.md ("IAM policy"), as an identity policy for a bucket
 * and the prefix `locks/`. Keep it identical to the one there.
 */
function leastPrivilegePolicy(bucket: string, prefix: string) {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ReadAndWriteLocks',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject'],
        Resource: `arn:aws:s3:::${bucket}/${prefix}*`,
      },
      {
        Sid: 'DeleteStoreCheckProbes',
        Effect: 'Allow',
        Action: 's3:DeleteObject',
        Resource: `arn:aws:s3:::${bucket}/${prefix}.s3-lock-store-check/*`,
      },
      {
        Sid: 'NotFoundInsteadOfAccessDenied',
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: `arn:aws:s3:::${bucket}`,
      },
    ],
  };
}

/**
 * RGW has no IAM identity policies here; the same statements as a bucket policy with the
 * unprivileged second user as principal grant exactly the same.
 */
function asBucketPolicy(policy: ReturnType<typeof leastPrivilegePolicy>, statements = policy.Statement) {
  return JSON.stringify({
    ...policy,
    Statement: statements.map((s) => ({ ...s, Principal: { AWS: ['arn:aws:iam:::user/limited'] } })),
  });
}

function limitedCredentials() {
  const accessKeyId = process.env.S3_LIMITED_ACCESS_KEY_ID;
  const secretAccessKey = process.env.S3_LIMITED_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new Error('S3_LIMITED_ACCESS_KEY_ID / S3_LIMITED_SECRET_ACCESS_KEY are not set: run the tests with `npm test`.');
  }
  return { accessKeyId, secretAccessKey };
}

const rgw = onRgwOnly(
  'the policy is applied as a bucket policy naming the RGW user arn:aws:iam:::user/limited, whose keys the local RGW ' +
    'creates (S3_LIMITED_ACCESS_KEY_ID); on AWS, attach the same statements to a role as an identity policy',
);

rgw.describe('the least-privilege IAM policy of docs/OPERATIONS.md, on a real S3', () => {
  const bucket = `s3-lock-iam-${Date.now()}-${randomBytes(2).toString('hex')}`;
  const prefix = 'locks/';
  const policy = leastPrivilegePolicy(bucket, prefix);
  let admin: S3Client;
  let limited: S3Client;

  beforeAll(async () => {
    admin = testClient();
    limited = testClient({ credentials: limitedCredentials() });
    await admin.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  afterAll(async () => {
    const listed = await admin.send(new ListObjectsV2Command({ Bucket: bucket }));
    for (const object of listed.Contents ?? []) {
      await admin.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.Key }));
    }
    await admin.send(new DeleteBucketCommand({ Bucket: bucket }));
    admin.destroy();
    limited.destroy();
  });

  test('is enough for the store check, acquire, skip, extend, release and every CLI command', async () => {
    await admin.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: asBucketPolicy(policy) }));
    const service = new S3LockService({ bucket, prefix, client: limited, logger: new MemoryLogger() });
    await service.verifyStore();
    const lock = await service.acquire('job', { owner: 'a', expire: 60 });
    await expect(service.tryAcquire('job', { owner: 'b' })).resolves.toBeNull();
    await service.release(await service.extend(lock));
    await service.acquire('held', { owner: 'dead', expire: 600 });

    const env = {
      AWS_ACCESS_KEY_ID: limitedCredentials().accessKeyId,
      AWS_SECRET_ACCESS_KEY: limitedCredentials().secretAccessKey,
    };
    const run = (args: string[]) => cli([...args, '--bucket', bucket], env);
    const [list, status, release] = [await run(['list']), await run(['status', 'job']), await run(['release', 'held', '--force'])];
    expect(list).toMatchObject({ code: 0, stdout: expect.stringMatching(/held\s+held\s+dead/) });
    expect(status).toMatchObject({ code: 0, stdout: expect.stringMatching(/state:\s+released/) });
    expect(release).toMatchObject({ code: 0, stdout: expect.stringContaining('Released lock "held"') });
  });

  test('grants nothing outside the prefix, and no delete of lock objects', async () => {
    await admin.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: asBucketPolicy(policy) }));
    await expect(limited.send(new PutObjectCommand({ Bucket: bucket, Key: 'elsewhere', Body: 'x' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 403 },
    });
    await expect(limited.send(new DeleteObjectCommand({ Bucket: bucket, Key: `${prefix}job` }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 403 },
    });
  });

  test('without s3:ListBucket, reading a lock that does not exist yet is refused (403, not 404)', async () => {
    await admin.send(
      new PutBucketPolicyCommand({ Bucket: bucket, Policy: asBucketPolicy(policy, policy.Statement.slice(0, 2)) }),
    );
    const service = new S3LockService({ bucket, prefix, client: limited, logger: new MemoryLogger() });
    const error = await service.acquire('never-taken-before').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(S3LockStoreError);
    expect((error as S3LockStoreError).statusCode).toBe(403);
  });
});
