import { S3LockStoreError } from '../errors/s3-lock-store.error.js';
import { UnsupportedStoreError } from '../errors/unsupported-store.error.js';
import type { S3LockMode } from '../interfaces/s3-lock-options.interface.js';
import { protocolMessages } from './protocol.messages.js';
import { randomId } from './owner.js';
import type { LockStore, WriteResult } from './lock-store.js';
import { storeErrorDetails } from './s3-errors.js';

/** Where the store check writes its probe objects, under the configured prefix. */
export const PROBE_FOLDER = '.s3-lock-store-check/';

/**
 * Verifies that the store enforces conditional writes, on a probe object of its own under the
 * prefix (removed afterwards), and learns which ETag form `If-Match` takes there:
 *
 * 1. read the probe key: a 404 (a 403 here means missing permissions, said clearly);
 * 2. create the probe with `If-None-Match: *`: written;
 * 3. create it again: must be refused (412), or the store ignores `If-None-Match`;
 * 4. replace it with `If-Match` on its real ETag: must be written (this learns the ETag form);
 * 5. replace it with `If-Match` on an ETag it never had, in that form: must be refused, or the
 *    store ignores `If-Match`.
 *
 * In `write-wait-verify` mode only reachability and permissions are checked (step 1).
 */
export async function verifyStore(store: LockStore, prefix: string, mode: S3LockMode): Promise<void> {
  const probeKey = `${prefix}${PROBE_FOLDER}${randomId()}`;
  await store.read(probeKey);
  if (mode === 'write-wait-verify') return;
  const body = JSON.stringify({ 's3-lock-store-check': randomId() });
  const meta = {};
  try {
    const created = await store.create(probeKey, body, meta);
    if (created.outcome !== 'written' && (await store.read(probeKey)).object?.body !== body) {
      // Not even our own probe landed (a 412 after an SDK retry of a landed create is fine).
      throw probeFailed(store, probeKey, created);
    }
    if ((await store.create(probeKey, body, meta)).outcome === 'written') {
      throw new UnsupportedStoreError('if-none-match', protocolMessages.storeIgnores('If-None-Match', store.bucket, probeKey));
    }
    const current = await store.read(probeKey);
    const replaced = await store.replace(probeKey, current.object?.etag ?? '', body, meta);
    if (replaced.outcome !== 'written') throw probeFailed(store, probeKey, replaced);
    const bogus = '"00000000000000000000000000000000"';
    if ((await store.replace(probeKey, bogus, body, meta)).outcome === 'written') {
      throw new UnsupportedStoreError('if-match', protocolMessages.storeIgnores('If-Match', store.bucket, probeKey));
    }
  } catch (error) {
    if (error instanceof S3LockStoreError && error.statusCode === 501) {
      throw new UnsupportedStoreError('if-none-match', protocolMessages.storeLacksConditionalWrites(store.bucket, probeKey));
    }
    throw error;
  } finally {
    await store.deleteProbe(probeKey);
  }
}

/** The key the cheap probe reads: never written, so the healthy answer is a 404. */
export const HEALTH_PROBE_KEY = 'health-probe';

/**
 * The cheap check for health probes: one GET of a key that is never written (a 404 is
 * healthy). Throws `S3LockStoreError` with the reason when the store does not answer or refuses.
 */
export async function probeStore(store: LockStore, prefix: string): Promise<void> {
  await store.read(`${prefix}${PROBE_FOLDER}${HEALTH_PROBE_KEY}`, 1);
}

function probeFailed(store: LockStore, probeKey: string, result: WriteResult): S3LockStoreError {
  const detail = result.outcome === 'unknown' ? result.failure.detail : 'refused with 412 on a fresh key';
  return new S3LockStoreError(
    'PutObject',
    protocolMessages.storeError('PutObject', store.bucket, probeKey, detail, protocolMessages.probeWriteFailed()),
    result.outcome === 'unknown'
      ? storeErrorDetails(result.failure)
      : { statusCode: 412, code: 'PreconditionFailed', kind: 'precondition' },
  );
}
