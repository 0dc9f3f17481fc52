import type { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { InvalidLockArgumentError, S3LockClient } from '../../lib/core/index.js';
import { testBucket, testClient, uniquePrefix } from '../support/s3-env.js';
import { MemoryLogger } from '../support/services.js';
import { clientOf, recordDestroy } from '../support/client-lifecycle.js';

const execFileAsync = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');

describe('S3LockClient (nestjs-s3-lock/core)', () => {
  test('S3LockClient.close() destroys only a client it built', async () => {
    const own = new S3LockClient({ bucket: testBucket(), prefix: uniquePrefix('close-own'), logger: new MemoryLogger() });
    const ownDestroyed = recordDestroy(clientOf(own));
    const lock = await own.acquire('job');
    await own.release(lock);
    await own.close();
    await own.close();
    expect(ownDestroyed.calls).toBe(1);

    const passed = testClient();
    const passedDestroyed = recordDestroy(passed);
    await new S3LockClient({ bucket: testBucket(), prefix: uniquePrefix('close-passed'), client: passed }).close();
    expect(passedDestroyed.calls).toBe(0);
    passed.destroy();
  });

  test('without a logger, warnings become process warnings of type S3LockWarning, and nothing else is printed', async () => {
    // In a process of its own, on the built package: jest's sandbox does not see process warnings.
    const script = `
      import { S3Client } from '@aws-sdk/client-s3';
      import { S3LockClient } from './dist/core/index.js';
      const warnings = [];
      process.on('warning', (w) => { if (w.name === 'S3LockWarning') warnings.push(w.message); });
      const client = new S3Client({ endpoint: process.env.S3_ENDPOINT, region: 'us-east-1', forcePathStyle: true });
      const locks = new S3LockClient({ bucket: process.env.S3_BUCKET, prefix: process.env.LOCK_PREFIX, client });
      await locks.verifyStore();
      const held = await locks.acquire('job', { owner: 'dead-replica' });
      await locks.forceRelease(await locks.inspect('job'));
      const lost = await locks.release(held).catch((e) => e.name);
      await new Promise((resolve) => setImmediate(resolve));
      client.destroy();
      console.log(JSON.stringify({ lost, warnings }));`;
    const { stdout, stderr } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      env: { ...process.env, NODE_OPTIONS: '', S3_BUCKET: testBucket(), LOCK_PREFIX: uniquePrefix('core-logger'), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    const out = JSON.parse(stdout) as { lost: string; warnings: string[] };
    expect(out.lost).toBe('LockLostError');
    expect(out.warnings).toHaveLength(2);
    expect(out.warnings[0]).toMatch(/^Forcing the release of "job", held by "dead-replica"/);
    expect(out.warnings[1]).toMatch(/"job"/);
    // Printed by Node's default handler, on stderr; the "store ready" line of a Nest service is not.
    expect(stderr).toContain('S3LockWarning: Forcing the release of "job"');
    expect(stdout + stderr).not.toMatch(/ready/);
  });
});

describe('the client check', () => {
  test('any object with a send() method is a client (an S3Client of another copy of @aws-sdk/client-s3)', async () => {
    const real = testClient();
    // Not an instance of this copy's S3Client, as a second copy's client would not be.
    const foreign = { send: real.send.bind(real) } as unknown as S3Client;
    const locks = new S3LockClient({ bucket: testBucket(), prefix: uniquePrefix('foreign-client'), client: foreign, logger: new MemoryLogger() });
    const lock = await locks.acquire('job');
    expect(lock.owner).not.toBeNull();
    expect((await locks.release(lock)).owner).toBeNull();
    real.destroy();
  });

  test('something without send() is refused, and the message says what a client is', () => {
    const create = () => new S3LockClient({ bucket: testBucket(), client: { region: 'eu-west-1' } as unknown as S3Client });
    expect(create).toThrow(InvalidLockArgumentError);
    expect(create).toThrow(/expected an S3 client \(an object with a send\(command\) method, such as new S3Client\(\) from @aws-sdk\/client-s3\), got object/);
  });
});
