import type { S3LockServiceOptions } from '../interfaces/s3-lock-options.interface.js';
import { S3LockService } from '../s3-lock.service.js';
import { InMemoryS3Client } from './in-memory-s3-client.js';

/**
 * **For tests only.** An `S3LockService` on a fresh {@link InMemoryS3Client}, for code that
 * takes the service directly (no Nest module). Pass `client` to share one store between
 * several services, as replicas share a bucket.
 *
 * @example
 * const client = new InMemoryS3Client();
 * const replicaA = createInMemoryS3Lock({ client });
 * const replicaB = createInMemoryS3Lock({ client });
 */
export function createInMemoryS3Lock(options: Partial<S3LockServiceOptions> = {}): S3LockService {
  return new S3LockService({ bucket: 'in-memory', client: new InMemoryS3Client(), ...options });
}
