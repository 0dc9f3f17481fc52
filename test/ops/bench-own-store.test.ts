import { describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { childEnv } from '../../bench/env.js';
import { s3Endpoint, testBucket, uniquePrefix } from '../support/s3-env.js';

// `npm run bench` with your own store (bench/run.sh: S3_ENDPOINT and credentials, nothing else):
// the CLI start-up scenario runs the CLI as a child process, which reads only the AWS SDK's
// default chain. Its environment must carry the store (it went to AWS instead: ENOTFOUND).

const CLI = resolve(import.meta.dirname, '../../dist/cjs/cli/main.js');

describe('the bench on your own store', () => {
  test('a child process of the bench (the CLI) reaches the store named only by S3_ENDPOINT', async () => {
    const saved = process.env.AWS_ENDPOINT_URL_S3;
    delete process.env.AWS_ENDPOINT_URL_S3; // as on a machine where only S3_ENDPOINT was set
    process.env.S3_ENDPOINT = s3Endpoint();
    let env: NodeJS.ProcessEnv;
    try {
      env = childEnv();
    } finally {
      if (saved !== undefined) process.env.AWS_ENDPOINT_URL_S3 = saved;
    }
    expect(env.AWS_ENDPOINT_URL_S3).toBe(s3Endpoint());
    // Checked first: without it the CLI would go to AWS.
    const prefix = uniquePrefix('bench-own-store');
    const result = await new Promise<{ code: number; out: string }>((done) =>
      execFile(process.execPath, [CLI, 'list', '--bucket', testBucket(), '--prefix', prefix], { env }, (error, stdout, stderr) =>
        done({ code: error ? Number(error.code ?? 1) : 0, out: stdout + stderr }),
      ),
    );
    expect(result).toEqual({ code: 0, out: `No locks under s3://${testBucket()}/${prefix}\n` });
  });
});
