import type { S3LockServiceOptions } from '../interfaces/s3-lock-options.interface.js';
import { InMemoryLockStore } from './in-memory-lock-store.js';

/**
 * The options of a lock service or module for tests: the user's options on an in-memory store.
 * A `client` the user gives (an `InMemoryS3Client`, say) is kept; otherwise the locks live in
 * `options.store` or a new `InMemoryLockStore`. Never a real client from the environment:
 * options left `undefined` are dropped, so `{ client: undefined }` cannot override the store,
 * and `clientConfig` is refused (by the service) because a store is set.
 */
export function inMemoryOptions<T extends Partial<S3LockServiceOptions>>(options: T): T & { bucket: string } {
  const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as T;
  const base = given.client === undefined ? { store: given.store ?? new InMemoryLockStore() } : {};
  return { bucket: given.store?.bucket ?? 'in-memory', ...given, ...base };
}
