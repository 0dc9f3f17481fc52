import { type DynamicModule, Module } from '@nestjs/common';
import type { S3LockModuleOptions } from '../interfaces/s3-lock-module-options.interface.js';
import { S3LockModule } from '../s3-lock.module.js';
import { InMemoryS3Client } from './in-memory-s3-client.js';

/**
 * **For tests only.** `S3LockModule` on a fresh {@link InMemoryS3Client}: the application's
 * `@WithS3Lock` methods and `S3LockService` work as in production (the same lock protocol,
 * expiry, tokens), with no S3 server. Each `forRoot()` call gets its own empty store.
 *
 * Equivalent to `S3LockModule.forRoot({ bucket: 'in-memory', client: new InMemoryS3Client(), ...options })`.
 *
 * @example
 * const moduleRef = await Test.createTestingModule({
 *   imports: [S3LockTestingModule.forRoot()],
 *   providers: [ReportJobs],
 * }).compile();
 */
@Module({})
export class S3LockTestingModule {
  /**
   * @param options any option of `S3LockModule.forRoot` (`isGlobal`, `expire`, `events`, ...);
   *   `bucket` defaults to `'in-memory'`, `client` to a new `InMemoryS3Client`.
   */
  static forRoot(options: Partial<S3LockModuleOptions> & { isGlobal?: boolean } = {}): DynamicModule {
    const lockModule = S3LockModule.forRoot({
      bucket: 'in-memory',
      client: new InMemoryS3Client(),
      ...options,
    });
    return {
      module: S3LockTestingModule,
      global: options.isGlobal ?? false,
      imports: [lockModule],
      exports: [lockModule],
    };
  }
}
