import type { S3Client } from '@aws-sdk/client-s3';
import type { S3LockClient } from '../../lib/core/index.js';

/** Counts `destroy()` calls on `client` (the only way to see it was destroyed), still destroying it. */
export function recordDestroy(client: S3Client): { calls: number } {
  const record = { calls: 0 };
  const destroy = client.destroy.bind(client);
  client.destroy = () => {
    record.calls += 1;
    destroy();
  };
  return record;
}

/** The S3 client a lock service or client uses (the one it built, when none was given). */
export const clientOf = (locks: S3LockClient): S3Client => (locks as unknown as { options: { client: S3Client } }).options.client;
