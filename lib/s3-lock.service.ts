import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { S3LockClient } from './core/s3-lock.client.js';
import type { S3LockLogger, S3LockServiceOptions } from './interfaces/s3-lock-options.interface.js';
import { S3_LOCK_OPTIONS } from './s3-lock.module-definition.js';

/**
 * Distributed locks on S3: one object per key, taken and released with conditional writes.
 * The Nest face of `S3LockClient` (`nestjs-s3-lock/core`): the same methods, injectable, logging
 * through Nest's `Logger`, checking the store at startup (unless `storeCheck: false`) and
 * destroying the S3 client it created at shutdown.
 *
 * Injected by `S3LockModule`, or constructed directly for scripts and tests:
 *
 * @example
 * const locks = new S3LockService({ bucket: 'my-bucket', client: new S3Client({}) });
 * await locks.verifyStore();
 * const { ran } = await locks.runExclusive('nightly-report', { expire: 600 }, async (lock) => {
 *   await buildReport(lock.token);
 * });
 */
@Injectable()
export class S3LockService extends S3LockClient implements OnModuleInit, OnApplicationShutdown {
  constructor(@Inject(S3_LOCK_OPTIONS) options: S3LockServiceOptions) {
    super(options);
  }

  /** A Nest `Logger` with context `S3LockService`. */
  protected override defaultLogger(): S3LockLogger {
    return new Logger(S3LockService.name);
  }

  /** Runs the store check at application startup, unless `storeCheck` is `false`. */
  async onModuleInit(): Promise<void> {
    if (this.options.storeCheck) await this.verifyStore();
  }

  /**
   * Last step of shutdown: once the requests in flight (the releases of runs still going among
   * them) are done, destroys the S3 client the library created; a client passed in
   * `options.client` is left to its owner.
   */
  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }
}
