import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { pythonIsoformat } from '../../bench/origin-protocol.js';
import { testBucket } from './s3-env.js';

export { OriginAlreadyLockedError, OriginVault as SeedTool } from '../../bench/origin-protocol.js';

/**
 * What a worker of the seed's Python tool writes when it takes a lock (or, with `owner` null,
 * releases it): its four-field body only (no metadata, so no fencing token), unconditionally,
 * with times from its own clock. Called on a lock someone else holds, it is the write of the
 * tool's race window (it read the lock free, then wrote after our conditional write landed).
 */
export async function seedOverwrite(client: S3Client, objectKey: string, owner: string | null, expire = 60): Promise<void> {
  const now = pythonIsoformat(new Date());
  const doc = { expire, lock_time: now, release_time: owner === null ? now : null, owner };
  await client.send(
    new PutObjectCommand({ Bucket: testBucket(), Key: objectKey, Body: JSON.stringify(doc), ContentType: 'application/json' }),
  );
}
