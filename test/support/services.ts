import type { S3Client } from '@aws-sdk/client-s3';
import { S3LockService } from '../../lib/index.js';
import type { S3LockLogger, S3LockServiceOptions } from '../../lib/index.js';
import { testBucket, testClient, uniquePrefix } from './s3-env.js';

/** A logger that keeps its lines, so tests can assert what a person on call would read. */
export class MemoryLogger implements S3LockLogger {
  readonly lines: { level: 'log' | 'warn' | 'debug'; message: string }[] = [];
  log(message: string): void {
    this.lines.push({ level: 'log', message });
  }
  warn(message: string): void {
    this.lines.push({ level: 'warn', message });
  }
  debug(message: string): void {
    this.lines.push({ level: 'debug', message });
  }
  warnings(): string[] {
    return this.lines.filter((l) => l.level === 'warn').map((l) => l.message);
  }
}

/**
 * A service on the test store under a fresh prefix, with a memory logger. With `store` (an
 * `InMemoryLockStore`), the service uses that store and `client` is the test store's client,
 * unused by the service.
 */
export function testService(
  name: string,
  options: Partial<S3LockServiceOptions> & { client?: S3Client } = {},
): { service: S3LockService; logger: MemoryLogger; prefix: string; client: S3Client } {
  const logger = new MemoryLogger();
  const prefix = options.prefix ?? uniquePrefix(name);
  const client = options.client ?? testClient();
  const connection = options.store ? {} : { client };
  const service = new S3LockService({ bucket: testBucket(), logger, ...options, prefix, ...connection });
  return { service, logger, prefix, client };
}
