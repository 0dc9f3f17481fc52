import { S3LockStoreError } from '../errors/s3-lock-store.error.js';
import { UnsupportedStoreError } from '../errors/unsupported-store.error.js';
import type { S3LockMode } from '../interfaces/s3-lock-options.interface.js';
import { messages } from '../s3-lock.messages.js';
import { randomId } from './owner.js';
import type { S3Store, WriteResult } from './s3-store.js';

/** Where the store check writes its probe objects, under the configured prefix. */
export const PROBE_FOLDER = '.s3-lock-store-check/';

/**
 * Verifies that the store enforces conditional writes, on a probe object of its own under the
 * prefix (removed afterwards), and learns which ETag form `If-Match` takes there:
 *
 * 1. create the probe with `If-None-Match: *`: written;
 * 2. create it again: must be refused (412), or the store ignores `If-None-Match`;
 * 3. replace it with `If-Match` on an ETag it never had: must be refused, or it ignores `If-Match`;
 * 4. replace it with `If-Match` on its real ETag: must be written.
 *
 * In `write-wait-verify` mode only reachability and permissions are checked (one read).
 */
export async function verifyStore(store: S3Store, prefix: string, mode: S3LockMode): Promise<void> {
  const probeKey = `${prefix}${PROBE_FOLDER}${randomId()}`;
  if (mode === 'write-wait-verify') {
    await store.read(probeKey);
    return;
  }
  const body = '{}';
  const meta = {};
  try {
    const created = expectWritten(probeKey, store, await store.create(probeKey, body, meta));
    if ((await store.create(probeKey, body, meta)).outcome === 'written') {
      throw new UnsupportedStoreError('if-none-match', messages.storeIgnores('If-None-Match', store.bucket, probeKey));
    }
    const bogus = '"00000000000000000000000000000000"';
    if ((await store.replace(probeKey, bogus, body, meta)).outcome === 'written') {
      throw new UnsupportedStoreError('if-match', messages.storeIgnores('If-Match', store.bucket, probeKey));
    }
    const current = await store.read(probeKey);
    expectWritten(probeKey, store, await store.replace(probeKey, current.object?.etag ?? created, body, meta));
  } finally {
    await store.deleteProbe(probeKey).catch(() => undefined);
  }
}

function expectWritten(probeKey: string, store: S3Store, result: WriteResult): string {
  if (result.outcome === 'written') return result.etag;
  const detail = result.outcome === 'unknown' ? result.failure.detail : 'refused with 412 on a fresh key';
  throw new S3LockStoreError(
    'PutObject',
    messages.storeError('PutObject', store.bucket, probeKey, detail, 'The store check could not write its probe object; check the store and retry.'),
    result.outcome === 'unknown' ? result.failure.status : 412,
    result,
  );
}
