import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { pythonIsoformat } from '../../bench/origin-protocol.js';
import { testBucket } from './s3-env.js';

export { OriginAlreadyLockedError, OriginVault as SeedTool } from '../../bench/origin-protocol.js';

/**
 * What a worker of the seed's Python tool writes when it takes a lock: its four-field body
 * only (no metadata, so no fencing token), unconditionally, with `lock_time` from its own
 * clock. Called on a lock someone else holds, it is the write of the tool's race window (it
 * read the lock free, then wrote after our conditional write had landed).
 */
export async function seedOverwrite(client: S3Client, objectKey: string, owner: string, expire = 60): Promise<void> {
  const doc = { expire, lock_time: pythonIsoformat(new Date()), release_time: null, owner };
  await client.send(
    new PutObjectCommand({ Bucket: testBucket(), Key: objectKey, Body: JSON.stringify(doc), ContentType: 'application/json' }),
  );
}
