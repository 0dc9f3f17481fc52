import { beforeAll, describe, expect, test } from '@jest/globals';
import { Injectable, Module, type ModuleMetadata } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test, type TestingModule } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import {
  InvalidLockArgumentError,
  S3LockModule,
  type S3LockModuleOptions,
  type S3LockOptionsFactory,
  S3LockService,
  WithS3Lock,
} from '../../lib/index.js';
import { s3Endpoint, testBucket, testClient, uniquePrefix } from '../support/s3-env.js';
import { closeAfterEach, MemoryNestLogger } from './support/nest-helpers.js';

const apps = closeAfterEach();

beforeAll(() => {
  // forRoot('bucket') takes the client from the AWS SDK's default chain, as in production.
  process.env.AWS_ENDPOINT_URL_S3 ??= s3Endpoint();
});

/** A key no other run of this file uses. */
const freshKey = (): string => `module-config-${Date.now()}-${randomBytes(3).toString('hex')}`;

@Injectable()
class Job {
  static key = freshKey();
  ran = 0;

  @WithS3Lock({ key: () => Job.key })
  async run(): Promise<string | null> {
    this.ran++;
    return null;
  }
}

async function start(metadata: ModuleMetadata, logger = new MemoryNestLogger()): Promise<TestingModule> {
  const app = await Test.createTestingModule(metadata).setLogger(logger).compile();
  // An application whose init failed is not closed: Nest 11's close() rethrows the init error.
  await app.init();
  apps.push(app);
  return app;
}

/** Runs the job once and checks the lock it took is on S3, released, under `prefix`. */
async function expectJobLocksOnS3(app: TestingModule, prefix: string): Promise<void> {
  Job.key = freshKey();
  const job = app.get(Job);
  await job.run();
  expect(job.ran).toBe(1);
  const service = app.get(S3LockService);
  expect(service.prefix).toBe(prefix);
  expect(service.bucket).toBe(testBucket());
  const lock = await service.inspect(Job.key);
  expect(lock).toMatchObject({ key: Job.key, owner: null });
  expect(lock!.token).toBeGreaterThan(0);
}

const baseOptions = (prefix: string): S3LockModuleOptions => ({ bucket: testBucket(), client: testClient(), prefix });

@Injectable()
class LockOptions implements S3LockOptionsFactory {
  static prefix = uniquePrefix('nest-use-class');
  createS3LockOptions(): S3LockModuleOptions {
    return baseOptions(LockOptions.prefix);
  }
}

@Module({ providers: [LockOptions], exports: [LockOptions] })
class LockOptionsModule {}

describe('S3LockModule configuration', () => {
  test("forRoot('bucket'): client from the default AWS chain, default prefix, store check at startup", async () => {
    const logger = new MemoryNestLogger();
    const app = await start({ imports: [S3LockModule.forRoot(testBucket())], providers: [Job] }, logger);
    await expectJobLocksOnS3(app, 'locks/');
    expect(logger.lines.map((l) => l.message)).toContainEqual(expect.stringContaining('conditional writes enforced'));
  });

  test('forRoot() with no argument: the bucket from S3_LOCK_BUCKET, read at startup; unset, startup fails saying so', async () => {
    const saved = process.env.S3_LOCK_BUCKET;
    const savedPrefix = process.env.S3_LOCK_PREFIX;
    delete process.env.S3_LOCK_PREFIX;
    try {
      const lockModule = S3LockModule.forRoot(); // evaluated before the variable is set, as a .env file loads later
      process.env.S3_LOCK_BUCKET = testBucket();
      const app = await start({ imports: [lockModule], providers: [Job] });
      expect(app.get(S3LockService).bucket).toBe(testBucket());
      await expectJobLocksOnS3(app, 'locks/');

      // S3_LOCK_PREFIX, when set, is the prefix (as for the CLI).
      const prefix = uniquePrefix('nest-env-prefix');
      process.env.S3_LOCK_PREFIX = prefix;
      await expectJobLocksOnS3(await start({ imports: [S3LockModule.forRoot()], providers: [Job] }), prefix);
      // Options without a bucket read it too (isGlobal among them); a prefix given wins.
      const own = uniquePrefix('nest-env-global');
      @Module({ providers: [Job], exports: [Job] })
      class JobsModule {}
      await expectJobLocksOnS3(await start({ imports: [S3LockModule.forRoot({ isGlobal: true, prefix: own }), JobsModule] }), own);
      delete process.env.S3_LOCK_PREFIX;

      delete process.env.S3_LOCK_BUCKET;
      const failed = await start({ imports: [S3LockModule.forRoot()], providers: [Job] }).catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(InvalidLockArgumentError);
      expect((failed as Error).message).toBe(
        'S3LockModule.forRoot() was given no bucket, so it reads the environment variable S3_LOCK_BUCKET, which is not set. ' +
          "Set S3_LOCK_BUCKET=my-bucket, or name the bucket: S3LockModule.forRoot('my-bucket').",
      );
    } finally {
      if (saved === undefined) delete process.env.S3_LOCK_BUCKET;
      else process.env.S3_LOCK_BUCKET = saved;
      if (savedPrefix === undefined) delete process.env.S3_LOCK_PREFIX;
      else process.env.S3_LOCK_PREFIX = savedPrefix;
    }
  });

  test('forRoot(options) with isGlobal: a provider of another module uses it', async () => {
    const prefix = uniquePrefix('nest-global');
    @Module({ providers: [Job], exports: [Job] })
    class JobsModule {}
    const app = await start({
      imports: [S3LockModule.forRoot({ ...baseOptions(prefix), isGlobal: true }), JobsModule],
    });
    await expectJobLocksOnS3(app, prefix);
  });

  test('forRootAsync with useFactory, imports and inject (@nestjs/config)', async () => {
    const prefix = uniquePrefix('nest-factory');
    const app = await start({
      imports: [
        S3LockModule.forRootAsync({
          imports: [ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ LOCK_PREFIX: prefix })] })],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => ({
            bucket: testBucket(),
            client: testClient(),
            prefix: config.getOrThrow<string>('LOCK_PREFIX'),
          }),
        }),
      ],
      providers: [Job],
    });
    await expectJobLocksOnS3(app, prefix);
  });

  test('forRootAsync with useClass', async () => {
    const app = await start({
      imports: [S3LockModule.forRootAsync({ useClass: LockOptions })],
      providers: [Job],
    });
    await expectJobLocksOnS3(app, LockOptions.prefix);
  });

  test('forRootAsync with useExisting and imports', async () => {
    const app = await start({
      imports: [S3LockModule.forRootAsync({ imports: [LockOptionsModule], useExisting: LockOptions })],
      providers: [Job],
    });
    await expectJobLocksOnS3(app, LockOptions.prefix);
  });

  test('a decorated provider in a module without S3LockModule: startup fails saying what to import', async () => {
    const error = await start({ providers: [Job] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/S3LockModule is not available.*Import S3LockModule\.forRoot/);
  });

  test('a non-global S3LockModule imported elsewhere: startup fails in the module that lacks it', async () => {
    @Module({ providers: [Job] })
    class JobsModule {}
    const error = await start({
      imports: [S3LockModule.forRoot(baseOptions(uniquePrefix('nest-local'))), JobsModule],
    }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/S3LockModule is not available/);
  });

  test('a bad decorator default fails at startup, naming the option', async () => {
    const error = await start({
      imports: [S3LockModule.forRoot({ ...baseOptions(uniquePrefix('nest-bad')), onLocked: 'queue' as 'skip' })],
      providers: [Job],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidLockArgumentError);
    expect((error as InvalidLockArgumentError).argument).toBe('onLocked');
  });

  test('an unreachable store fails at startup', async () => {
    const error = await start({
      imports: [
        S3LockModule.forRoot({
          bucket: testBucket(),
          prefix: uniquePrefix('nest-unreachable'),
          client: testClient({ endpoint: 'http://127.0.0.1:9', maxAttempts: 1 }),
          requestTimeoutMs: 2_000,
          maxAttempts: 1,
        }),
      ],
      providers: [Job],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/127\.0\.0\.1:9|ECONNREFUSED|s3:\/\//);
  });
});
