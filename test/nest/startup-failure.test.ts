import { describe, expect, test } from '@jest/globals';
import { spawnApp } from './support/app-process.js';
import { buildApp } from './support/build-app.js';

// A store that cannot be used at startup, as a new user meets it: the app (test/nest/apps/
// startup-app.ts, NestFactory.create + listen as `nest new` writes them) prints one line that
// says what failed and what to do, and exits 1; no stack trace (NODE_DEBUG=s3lock adds it).

const entry = buildApp('test/nest/apps/startup-app.ts');

/** Runs the app with `env` over the test store's variables; resolves to its exit code and output. */
async function runApp(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const app = spawnApp(entry, env);
  const code = await app.exited;
  return { code, output: app.output() };
}

/** The lines a person reads, colour codes removed. */
const linesOf = (output: string): string[] => output.replace(/\x1b\[[0-9;]*m/g, '').split('\n').filter((l) => l.trim() !== '');

describe('a store that cannot be used at startup', () => {
  test.each([
    ['a missing bucket', { S3_LOCK_BUCKET: 'no-such-bucket-s3lock-startup' }, /NoSuchBucket \(HTTP 404\)\. The bucket does not exist: create it or fix the bucket name\.$/],
    ['refused credentials', { AWS_SECRET_ACCESS_KEY: 'not-the-secret' }, /\(HTTP 403\)\. The credentials were refused: check AWS_ACCESS_KEY_ID \/ AWS_SECRET_ACCESS_KEY/],
    ['an unreachable endpoint', { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9' }, /ECONNREFUSED.*S3 is unreachable: check the endpoint/],
  ])('%s: one line saying what to do, exit code 1, no stack trace', async (_, env, says) => {
    const { code, output } = await runApp(env);
    expect(code).toBe(1);
    const lines = linesOf(output);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/ERROR \[ExceptionHandler\] S3LockStoreError: S3 GetObject on s3:\/\/\S+ failed: /);
    expect(lines[0]).toMatch(says);
    expect(output).not.toMatch(/^\s+at /m);
  }, 60_000);

  test('S3_LOCK_BUCKET unset, with forRoot() and no bucket: one line saying so, exit code 1', async () => {
    const { code, output } = await runApp({ S3_LOCK_BUCKET: '' });
    expect(code).toBe(1);
    expect(linesOf(output)).toEqual([
      expect.stringMatching(/ERROR \[ExceptionHandler\] InvalidLockArgumentError: S3LockModule\.forRoot\(\) was given no bucket, so it reads the environment variable S3_LOCK_BUCKET, which is not set\./),
    ]);
    expect(output).not.toMatch(/^\s+at /m);
  }, 60_000);

  test('with NODE_DEBUG=s3lock, the same failure prints its stack and cause too', async () => {
    const { code, output } = await runApp({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9', NODE_DEBUG: 's3lock' });
    expect(code).toBe(1);
    expect(output).toMatch(/^\s+at /m);
    expect(output).toContain('[cause]');
  }, 60_000);

  test('a usable store: the same app starts', async () => {
    const { code, output } = await runApp({});
    expect({ code, output }).toEqual({ code: 0, output: 'ready with @nestjs/core\n' });
  }, 60_000);
});
