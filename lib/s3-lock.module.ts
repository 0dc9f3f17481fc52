import { type DynamicModule, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { S3LockLeaderExplorer } from './leadership/leader-explorer.js';
import {
  ASYNC_OPTIONS_TYPE,
  ConfigurableModuleClass,
  OPTIONS_TYPE,
} from './s3-lock.module-definition.js';
import { S3LockRunner } from './runner/s3-lock.runner.js';
import { S3LockService } from './s3-lock.service.js';

// The runner is exported for the classes with @WithS3Lock methods (Nest injects it into them);
// it is not part of the public API.
const providers = [S3LockService, S3LockRunner];

/**
 * Registers `S3LockService` and what `@WithS3Lock` needs. At startup it checks that the store is
 * reachable and enforces conditional writes (unless `storeCheck: false`); at shutdown it
 * releases the locks of runs still going.
 *
 * @example
 * // The bucket alone: the S3 client comes from the AWS SDK's default chain
 * // (AWS_REGION, AWS_ENDPOINT_URL_S3, credentials, instance role).
 * S3LockModule.forRoot('my-locks-bucket')
 *
 * S3LockModule.forRoot({ bucket: 'my-locks-bucket', prefix: 'locks/', expire: 120, isGlobal: true })
 *
 * S3LockModule.forRootAsync({
 *   imports: [ConfigModule],
 *   inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({ bucket: config.getOrThrow('LOCK_BUCKET') }),
 * })
 */
@Module({ imports: [DiscoveryModule], providers: [...providers, S3LockLeaderExplorer], exports: providers })
export class S3LockModule extends ConfigurableModuleClass {
  /** Configures the module with a bucket name, or with options (`isGlobal` among them). */
  static override forRoot(options: string | typeof OPTIONS_TYPE): DynamicModule {
    return super.forRoot(typeof options === 'string' ? { bucket: options } : options);
  }

  /**
   * Configures the module from a factory (`useFactory` + `inject`), a class implementing
   * `createS3LockOptions()` (`useClass`), or an existing provider of one (`useExisting`);
   * `imports` brings in what they need.
   */
  static override forRootAsync(options: typeof ASYNC_OPTIONS_TYPE): DynamicModule {
    return super.forRootAsync(options);
  }
}
