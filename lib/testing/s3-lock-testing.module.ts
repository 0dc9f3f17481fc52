import { type DynamicModule, Module } from '@nestjs/common';
import type { S3LockModuleOptions } from '../interfaces/s3-lock-module-options.interface.js';
import { S3LockModule } from '../s3-lock.module.js';
import { InMemoryLockStore } from './in-memory-lock-store.js';
import { inMemoryOptions } from './testing-options.js';

/**
 * **For tests only.** `S3LockModule` on an {@link InMemoryLockStore}: the application's
 * `@WithS3Lock` methods and `S3LockService` work as in production (the same lock protocol,
 * expiry, tokens), with no S3 server, and the test moves the store's clock. Each `forRoot()`
 * call gets its own empty store unless `store` is given; an `InMemoryLockStore` is also a
 * provider, so `moduleRef.get(InMemoryLockStore)` returns it. It never falls back to a real S3 client.
 *
 * @example
 * const moduleRef = await Test.createTestingModule({
 *   imports: [S3LockTestingModule.forRoot()],
 *   providers: [ReportJobs],
 * }).compile();
 * await moduleRef.init();
 * moduleRef.get(InMemoryLockStore).advance(61); // every 60 s lock has expired
 */
@Module({})
export class S3LockTestingModule {
  /**
   * @param options any option of `S3LockModule.forRoot` (`isGlobal`, `expire`, `events`, ...);
   *   `bucket` defaults to `'in-memory'`, `store` to a new `InMemoryLockStore`. An explicit
   *   `client` (an `InMemoryS3Client`) is used instead of a store.
   */
  static forRoot(options: Partial<S3LockModuleOptions> & { isGlobal?: boolean } = {}): DynamicModule {
    const resolved = inMemoryOptions(options);
    const lockModule = S3LockModule.forRoot(resolved);
    const storeProviders =
      resolved.store instanceof InMemoryLockStore ? [{ provide: InMemoryLockStore, useValue: resolved.store }] : [];
    return {
      module: S3LockTestingModule,
      global: options.isGlobal ?? false,
      imports: [lockModule],
      providers: storeProviders,
      exports: [lockModule, ...storeProviders],
    };
  }
}
