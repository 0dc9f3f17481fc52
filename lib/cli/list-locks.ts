import { CorruptLockError } from '../errors/corrupt-lock.error.js';
import type { Lock } from '../interfaces/lock.interface.js';
import type { LockStore } from '../protocol/lock-store.js';
import { PROBE_FOLDER } from '../protocol/store-check.js';
import type { S3LockClient } from '../core/s3-lock.client.js';

/** How many store-check probe objects a listing allows for beyond its limit. */
const PROBE_ALLOWANCE = 100;

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
 * then one `GetObject` per lock, through the service's store. The store check's probe folder is skipped; objects that are
 * not lock documents are listed with the reason; objects deleted meanwhile are left out.
 */
export async function listLocks(
  store: LockStore,
  service: S3LockClient,
  options: ListLocksOptions = {},
): Promise<ListedLocks> {
  const limit = options.limit ?? 10_000;
  const { keys, truncated } = await listKeys(store, service.prefix, limit);
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

/** Lock keys (object keys without the prefix) under `prefix`, at most `limit`; probes left out. */
async function listKeys(
  store: LockStore,
  prefix: string,
  limit: number,
): Promise<{ keys: string[]; truncated: boolean }> {
  const probes = prefix + PROBE_FOLDER;
  // The probe folder holds at most a few objects at a time (one per running store check).
  const listed = await store.list(prefix, limit + PROBE_ALLOWANCE);
  const keys = listed.objectKeys
    .filter((objectKey) => objectKey.length > prefix.length && !objectKey.startsWith(probes))
    .map((objectKey) => objectKey.slice(prefix.length));
  return keys.length > limit ? { keys: keys.slice(0, limit), truncated: true } : { keys, truncated: listed.truncated };
}
