import { ListObjectsV2Command, type ListObjectsV2CommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { CorruptLockError } from '../errors/corrupt-lock.error.js';
import { S3LockStoreError } from '../errors/s3-lock-store.error.js';
import type { Lock } from '../interfaces/lock.interface.js';
import { classifyS3Error } from '../protocol/s3-errors.js';
import { PROBE_FOLDER } from '../protocol/store-check.js';
import { messages } from '../s3-lock.messages.js';
import type { S3LockClient } from '../core/s3-lock.client.js';

/** One object found under the prefix: its lock state, or why it is not a lock document. */
export type ListedLock =
  | { key: string; lock: Lock }
  | { key: string; invalid: string };

/** What `listLocks` found. */
export interface ListedLocks {
  locks: ListedLock[];
  /** True when more than `limit` objects exist; only the first `limit` are listed. */
  truncated: boolean;
}

/** Bounds of one listing. */
export interface ListLocksOptions {
  /** At most this many locks are read. @default 10000 */
  limit?: number;
  /** How many locks are read at once. @default 8 */
  concurrency?: number;
}

/**
 * Every lock under the service's prefix, in key order: one `ListObjectsV2` per 1000 objects,
 * then one `GetObject` per lock. The store check's probe folder is skipped; objects that are
 * not lock documents are listed with the reason; objects deleted meanwhile are left out.
 */
export async function listLocks(
  client: S3Client,
  service: S3LockClient,
  options: ListLocksOptions = {},
): Promise<ListedLocks> {
  const limit = options.limit ?? 10_000;
  const { keys, truncated } = await listKeys(client, service.bucket, service.prefix, limit);
  const found: (ListedLock | null)[] = new Array<ListedLock | null>(keys.length).fill(null);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < keys.length) {
      const index = next++;
      const key = keys[index]!;
      try {
        const lock = await service.inspect(key);
        found[index] = lock ? { key, lock } : null;
      } catch (error) {
        if (!(error instanceof CorruptLockError)) throw error;
        found[index] = { key, invalid: error.reason };
      }
    }
  };
  const workers = Array.from({ length: Math.min(options.concurrency ?? 8, keys.length) }, worker);
  await Promise.all(workers);
  return { locks: found.filter((l): l is ListedLock => l !== null), truncated };
}

/** Lock keys (object keys without the prefix) under `prefix`, at most `limit`. */
async function listKeys(
  client: S3Client,
  bucket: string,
  prefix: string,
  limit: number,
): Promise<{ keys: string[]; truncated: boolean }> {
  const keys: string[] = [];
  const probes = prefix + PROBE_FOLDER;
  let token: string | undefined;
  // Bounded: each page holds up to 1000 keys, and the loop stops once `limit` keys are found.
  for (let page = 0; page <= Math.ceil(limit / 1000) + 1; page++) {
    let output: ListObjectsV2CommandOutput;
    try {
      output = await client.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
    } catch (error) {
      const failure = classifyS3Error(error);
      throw new S3LockStoreError(
        'ListObjectsV2',
        messages.storeError(
          'ListObjectsV2',
          bucket,
          prefix,
          failure.detail,
          failure.status === 403 && failure.code === 'AccessDenied'
            ? 'Access denied: listing needs s3:ListBucket on the bucket (for the prefix); status and release do not.'
            : failure.advice || 'The store kept failing; retry later.',
        ),
        failure.status,
        failure,
      );
    }
    for (const object of output.Contents ?? []) {
      const objectKey = object.Key ?? '';
      if (objectKey.length <= prefix.length || objectKey.startsWith(probes)) continue;
      if (keys.length >= limit) return { keys, truncated: true };
      keys.push(objectKey.slice(prefix.length));
    }
    if (!output.IsTruncated || !output.NextContinuationToken) return { keys, truncated: false };
    token = output.NextContinuationToken;
  }
  return { keys, truncated: true };
}
