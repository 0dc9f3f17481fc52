import { type DynamicModule, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { S3LockLeaderExplorer } from './leadership/leader-explorer.js';
import {
  ASYNC_OPTIONS_TYPE,
  ConfigurableModuleClass,
  OPTIONS_TYPE,
} from './s3-lock.module-definition.js';
import { S3LockRunner } from './runner/s3-lock.runner.js';
import { InvalidLockArgumentError } from './errors/invalid-lock-argument.error.js';
import { S3_LOCK_BUCKET_ENV, S3_LOCK_PREFIX_ENV } from './s3-lock.constants.js';
import { messages } from './s3-lock.messages.js';
import { printedAsOneLine } from './startup-error.js';
import { S3LockService } from './s3-lock.service.js';

// The runner is exported for the classes with @WithS3Lock methods (Nest injects it into them);
// it is not part of the public API.
const providers = [S3LockService, S3LockRunner];

/**
 * The store check, run while Nest creates the module's providers: inside `NestFactory.create`,
 * so that a failure is a failed startup as Nest reports it (see `checkStoreAtStartup`), not an
 * unhandled rejection of `app.listen()` or `app.init()` later.
 */
const storeCheckedAtStartup = {
  provide: Symbol('nestjs-s3-lock:store-checked'),
  useFactory: (service: S3LockService) => service.checkStoreAtStartup(),
  inject: [S3LockService],
};

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
 * // The bucket from the environment variable S3_LOCK_BUCKET.
 * S3LockModule.forRoot()
 *
 * S3LockModule.forRoot({ bucket: 'my-locks-bucket', prefix: 'locks/', expire: 120, isGlobal: true })
 *
 * S3LockModule.forRootAsync({
 *   imports: [ConfigModule],
 *   inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({ bucket: config.getOrThrow('S3_LOCK_BUCKET') }),
 * })
 */
@Module({ imports: [DiscoveryModule], providers: [...providers, storeCheckedAtStartup, S3LockLeaderExplorer], exports: providers })
export class S3LockModule extends ConfigurableModuleClass {
  /**
   * Configures the module with a bucket name, or with options (`isGlobal` among them). With no
   * argument, or options without `bucket`, the bucket is the environment variable
   * `S3_LOCK_BUCKET` (and the prefix, unless given, `S3_LOCK_PREFIX` if set), read when the
   * application starts (after `ConfigModule` has loaded a `.env` file); the application fails
   * to start, saying so, when it is unset.
   */
  static override forRoot(options?: string | S3LockModuleRootOptions): DynamicModule {
    if (typeof options === 'string') return super.forRoot({ bucket: options });
    if (options?.bucket !== undefined) return super.forRoot(options as typeof OPTIONS_TYPE);
    const { isGlobal, ...rest } = options ?? {};
    return super.forRootAsync({ isGlobal, useFactory: () => ({ ...optionsFromEnvironment(), ...stripUndefined(rest) }) });
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

/** The options of `forRoot`: those of the module, `bucket` optional (see `forRoot`). */
export type S3LockModuleRootOptions = Omit<typeof OPTIONS_TYPE, 'bucket'> & { bucket?: string };

/** `options` without the keys whose value is `undefined` (so they do not hide the environment's). */
function stripUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/**
 * The bucket named by `S3_LOCK_BUCKET` (throws, saying what to do, when it is unset or blank)
 * and the prefix by `S3_LOCK_PREFIX` if set, as the CLI reads them.
 */
function optionsFromEnvironment(): { bucket: string; prefix?: string } {
  const bucket = process.env[S3_LOCK_BUCKET_ENV]?.trim();
  if (!bucket) throw printedAsOneLine(new InvalidLockArgumentError('bucket', messages.noBucketInEnvironment(S3_LOCK_BUCKET_ENV)));
  const prefix = process.env[S3_LOCK_PREFIX_ENV];
  return prefix ? { bucket, prefix } : { bucket };
}
