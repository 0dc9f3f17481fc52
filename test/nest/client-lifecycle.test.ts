import type { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, test } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  S3LockClient,
  S3LockModule,
  type S3LockModuleOptions,
  S3LockService,
  WithS3Lock,
} from '../../lib/index.js';
import { testBucket, testClient, uniquePrefix } from '../support/s3-env.js';
import { MemoryLogger } from '../support/services.js';
import { clientOf, recordDestroy } from '../support/client-lifecycle.js';
import { gate, waitFor } from './support/nest-helpers.js';

/** Requests `client` sends from now on that got no answer (a destroyed connection, ...). */
function recordFailures(client: S3Client): string[] {
  const failures: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if (status === undefined) failures.push(`${context.commandName}: ${(error as Error).message}`);
        throw error;
      }
    },
    { step: 'initialize', name: 'recordFailures' },
  );
  return failures;
}

@Injectable()
class LongJob {
  /** Opened by the test: the run goes on until then, through the shutdown. */
  readonly finish = gate();

  @WithS3Lock('long', { expire: 30 })
  async run(): Promise<void> {
    await this.finish.promise;
  }
}

async function start(options: Omit<S3LockModuleOptions, 'bucket'>) {
  const prefix = uniquePrefix('client-lifecycle');
  const app = await Test.createTestingModule({
    imports: [S3LockModule.forRoot({ bucket: testBucket(), prefix, storeCheck: false, shutdownTimeout: 1, ...options })],
    providers: [LongJob],
  }).compile();
  app.useLogger(false);
  await app.init();
  return { app, prefix, service: app.get(S3LockService), job: app.get(LongJob) };
}

describe('the S3 client at shutdown', () => {
  test('a client the library built is destroyed at shutdown, after the release of a run still going', async () => {
    const { app, prefix, service, job } = await start({ clientConfig: {} });
    const destroyed = recordDestroy(clientOf(service));
    const failures = recordFailures(clientOf(service));
    const observer = new S3LockClient({ bucket: testBucket(), prefix, client: testClient(), logger: new MemoryLogger() });
    const run = job.run();
    await waitFor(async () => (await observer.inspect('long'))?.owner != null, 10_000);
    await app.close();
    expect(destroyed.calls).toBe(1);
    // The release at shutdown went out before the client was destroyed.
    expect(await observer.inspect('long')).toMatchObject({ owner: null });
    expect(failures).toEqual([]);
    job.finish.open();
    await run;
    clientOf(observer).destroy();
  });

  test('a client the user passed is never destroyed, and still works after the application closed', async () => {
    const client = testClient();
    const destroyed = recordDestroy(client);
    const { app, service } = await start({ client });
    await app.close();
    expect(destroyed.calls).toBe(0);
    const lock = await service.acquire('after-close');
    expect((await service.release(lock)).owner).toBeNull();
    client.destroy();
  });
});
