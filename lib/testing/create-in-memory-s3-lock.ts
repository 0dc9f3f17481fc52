import type { S3LockServiceOptions } from '../interfaces/s3-lock-options.interface.js';
import { S3LockService } from '../s3-lock.service.js';
import { inMemoryOptions } from './testing-options.js';

/**
 * **For tests only.** An `S3LockService` on a fresh {@link InMemoryLockStore} (whose clock
 * moves only when the test advances it), for code that takes the service directly (no Nest
 * module). Pass `store` to share one store between several services, as replicas share a
 * bucket, and to advance its clock. A `client` (an `InMemoryS3Client`) is still accepted.
 * It never falls back to a real S3 client.
 *
 * @example
 * const store = new InMemoryLockStore();
 * const replicaA = createInMemoryS3Lock({ store });
 * const replicaB = createInMemoryS3Lock({ store });
 */
export function createInMemoryS3Lock(options: Partial<S3LockServiceOptions> = {}): S3LockService {
  return new S3LockService(inMemoryOptions(options));
}
