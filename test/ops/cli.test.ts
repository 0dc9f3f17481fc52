import { PutObjectCommand } from '@aws-sdk/client-s3';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, test } from '@jest/globals';
import { forceRelease } from '../../lib/cli/force-release.js';
import { CLI, cli } from './run-cli.js';
import { LockLostError } from '../../lib/index.js';
import { closedPort } from './closed-port.js';
import { testBucket } from '../support/s3-env.js';
import { testService } from '../support/services.js';

/** `cli` against the test bucket under `prefix`. */
const on = (prefix: string) => (args: string[], env?: Record<string, string>) =>
  cli([...args, '--bucket', testBucket(), '--prefix', prefix], env);

describe('the nestjs-s3-lock command, spawned, on a real S3', () => {
  test('status shows holder, lock time, expiry by the store clock, token; --json too', async () => {
    const { service, prefix } = testService('cli-status');
    const lock = await service.acquire('nightly-report', { owner: 'worker-1', expire: 600 });

    const stored = (await service.inspect('nightly-report'))!;
    const [text, json] = await Promise.all([
      on(prefix)(['status', 'nightly-report']),
      on(prefix)(['status', 'nightly-report', '--json']),
    ]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`Lock "nightly-report" (s3://${testBucket()}/${prefix}nightly-report)`);
    expect(text.stdout).toMatch(/state:\s+held\n/);
    expect(text.stdout).toMatch(/holder:\s+worker-1\n/);
    expect(text.stdout).toContain(`locked at:   ${lock.lockTime.toISOString()} (the holder's lock_time: its estimate of the store's clock)\n`);
    const writtenAt = new Date(stored.expiresAt.getTime() - 600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    expect(text.stdout).toContain(`written at:  ${writtenAt} (the store's Last-Modified, in whole seconds)\n`);
    expect(text.stdout).toMatch(/expire:\s+600 s\n/);
    expect(text.stdout).toMatch(/expires at:\s+\S+Z \(in (9|10)m \d+s, by the store's clock: written at \+ expire\)/);
    expect(text.stdout).toMatch(/released at:\s+-\n/);
    expect(text.stdout).toContain(`token:       ${lock.token}\n`);

    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      key: 'nightly-report',
      state: 'held',
      holder: 'worker-1',
      lockTime: lock.lockTime.toISOString(),
      expire: 600,
      writtenAt: new Date(stored.expiresAt.getTime() - 600_000).toISOString(), // LastModified
      expiresAt: stored.expiresAt.toISOString(), // LastModified + expire
      releaseTime: null,
      token: lock.token,
      etag: lock.etag,
    });
  });

  test('list shows every lock under the prefix as a table and as JSON, skipping store-check probes', async () => {
    const { service, prefix, client } = testService('cli-list');
    const expiring = await service.acquire('a-expired', { owner: 'gone', expire: 1 });
    const held = await service.acquire('b-held', { owner: 'worker-2', expire: 600 });
    await service.release(await service.acquire('c-released', { owner: 'worker-3', expire: 60 }));
    await client.send(new PutObjectCommand({ Bucket: testBucket(), Key: `${prefix}.s3-lock-store-check/left-over`, Body: '{}' }));
    await client.send(new PutObjectCommand({ Bucket: testBucket(), Key: `${prefix}d-garbage`, Body: 'not a lock' }));
    // Stays: a-expired's expiry on the store's clock is what `list` must report (expire 1 s,
    // judged in whole seconds plus one: at most 2 s after its write, which came before this).
    await sleep(2100);

    const [table, json, empty] = await Promise.all([
      on(prefix)(['list']),
      on(prefix)(['list', '--json']),
      on(`${prefix}nothing-here/`)(['list']),
    ]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^KEY\s+STATE\s+HOLDER\s+WRITTEN AT\s+EXPIRES AT\s+TOKEN$/);
    expect(lines.at(-1)).toBe("Times are the store's clock, in whole seconds: EXPIRES AT = WRITTEN AT + expire.");
    expect(lines.slice(1, -1).map((l) => l.split(/\s+/).slice(0, 3))).toEqual([
      ['a-expired', 'expired', 'gone'],
      ['b-held', 'held', 'worker-2'],
      ['c-released', 'released', '-'],
      ['d-garbage', 'invalid', '(it'],
    ]);
    expect(table.stdout).not.toContain('s3-lock-store-check');
    expect(lines[2]).toContain(String(held.token));

    expect(json.code).toBe(0);
    const listed = JSON.parse(json.stdout) as { prefix: string; locks: { key: string; state: string }[] };
    expect(listed.prefix).toBe(prefix);
    expect(listed.locks).toEqual([
      expect.objectContaining({ key: 'a-expired', state: 'expired', holder: 'gone', token: expiring.token }),
      expect.objectContaining({ key: 'b-held', state: 'held', holder: 'worker-2', etag: held.etag }),
      expect.objectContaining({ key: 'c-released', state: 'released', holder: null, expiresAt: null }),
      expect.objectContaining({ key: 'd-garbage', state: 'invalid', error: 'it is not JSON' }),
    ]);

    // the expired lock's holder is gone: release --force frees it without a warning
    const freed = await on(prefix)(['release', 'a-expired', '--force']);
    expect(freed.code).toBe(0);
    expect(freed.stdout).toContain('Released lock "a-expired", which was held by "gone"');
    expect(freed.stderr).not.toContain('warning');

    expect(empty).toMatchObject({ code: 0, stdout: `No locks under s3://${testBucket()}/${prefix}nothing-here/\n` });
  });

  test('release --force frees a lock whose owner died, conditionally, and says what it did', async () => {
    const { service, prefix } = testService('cli-release');
    // a replica takes a 1-hour lock and dies without releasing it
    const dead = await service.acquire('nightly', { owner: 'replica-7', expire: 3600 });

    const refusedWithoutForce = await on(prefix)(['release', 'nightly']);
    expect(refusedWithoutForce).toMatchObject({ code: 2, stderr: expect.stringContaining('release needs --force') });
    expect(await service.inspect('nightly')).toMatchObject({ owner: 'replica-7', etag: dead.etag });

    const run = await on(prefix)(['release', 'nightly', '--force']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/holder:\s+replica-7\n/); // it shows the state it acts on
    expect(run.stdout).toContain(`Released lock "nightly", which was held by "replica-7"`);
    expect(run.stdout).toContain(`If-Match ${dead.etag}`);
    expect(run.stderr).toContain('warning: the lock had not expired');

    const after = await service.inspect('nightly');
    expect(after).toMatchObject({ owner: null, token: dead.token });
    expect(after!.releaseTime).toBeInstanceOf(Date);
    // if the "dead" replica comes back, its release writes nothing
    await expect(service.release(dead)).rejects.toBeInstanceOf(LockLostError);
    const next = await service.acquire('nightly', { owner: 'replica-8' });
    expect(next.token).toBeGreaterThan(dead.token);

    await service.release(next);
    const again = await on(prefix)(['release', 'nightly', '--force']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Lock "nightly" is already released; nothing was written.');
  });

  test('release refuses, writing nothing, when the lock changed after it was read', async () => {
    const { service, prefix } = testService('cli-refuse');
    const alice = await service.acquire('job', { owner: 'alice', expire: 60 });
    const seen = (await service.inspect('job'))!;

    // the holder was alive after all: it extends between the read and the forced release
    const extended = await service.extend(alice);
    const raceA = await forceRelease(service, seen);
    expect(raceA).toMatchObject({ outcome: 'refused', current: { owner: 'alice', etag: extended.etag } });
    expect(await service.inspect('job')).toMatchObject({ owner: 'alice', etag: extended.etag });

    // or it released and someone else took the lock
    const seenAgain = (await service.inspect('job'))!;
    await service.release(extended);
    const bob = await service.acquire('job', { owner: 'bob', expire: 60 });
    const raceB = await forceRelease(service, seenAgain);
    expect(raceB).toMatchObject({ outcome: 'refused', current: { owner: 'bob', token: bob.token } });
    expect(await service.inspect('job')).toMatchObject({ owner: 'bob', etag: bob.etag });

    // the command: --etag pins the state the operator saw; bob's lock has another ETag
    const run = await on(prefix)(['release', 'job', '--force', '--etag', seen.etag]);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('refused: lock "job" changed since you saw it');
    expect(run.stderr).toContain('Nothing was written');
    expect(await service.inspect('job')).toMatchObject({ owner: 'bob', etag: bob.etag });

    const pinned = await on(prefix)(['release', 'job', '--force', '--etag', bob.etag.replace(/"/g, '')]);
    expect(pinned.code).toBe(0);
    expect(await service.inspect('job')).toMatchObject({ owner: null, token: bob.token });
  });

  test('clear messages and exit codes: unknown key, missing bucket, wrong credentials, unreachable, bad usage', async () => {
    const { prefix } = testService('cli-errors');
    const port = await closedPort();
    const [unknown, noBucket, wrongSecret, unreachable, noBucketGiven, badCommand, badKey] = await Promise.all([
      on(prefix)(['status', 'no-such-lock']),
      cli(['status', 'job', '--bucket', `no-such-bucket-${Date.now()}`]),
      on(prefix)(['list'], { AWS_SECRET_ACCESS_KEY: 'wrong' }),
      on(prefix)(['status', 'job'], { AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}` }),
      cli(['status', 'job'], { S3_LOCK_BUCKET: '' }),
      on(prefix)(['unlock', 'job']),
      on(prefix)(['status', '']),
    ]);
    expect(unknown).toMatchObject({ code: 3, stdout: '' });
    expect(unknown.stderr).toContain(`no lock "no-such-lock": there is no object s3://${testBucket()}/${prefix}no-such-lock`);
    expect(noBucket.code).toBe(5);
    expect(noBucket.stderr).toContain('The bucket does not exist');
    expect(wrongSecret.code).toBe(6);
    expect(wrongSecret.stderr).toContain('The credentials were refused');
    expect(wrongSecret.stderr).not.toContain('wrong');
    expect(unreachable.code).toBe(7);
    expect(unreachable.stderr).toContain('S3 is unreachable');
    expect(noBucketGiven.code).toBe(2);
    expect(noBucketGiven.stderr).toContain('No bucket: pass --bucket <name> or set S3_LOCK_BUCKET');
    expect(badCommand.code).toBe(2);
    expect(badCommand.stderr).toContain('Unknown command "unlock"');
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toContain('Invalid lock key');

    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes:');
  });

  test('the package declares the command, and it starts with a node shebang', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      bin?: Record<string, string>;
    };
    // The CommonJS build: the AWS SDK's CommonJS bundle loads faster than its many ES modules.
    expect(pkg.bin).toEqual({ 'nestjs-s3-lock': 'dist/cjs/cli/main.js' });
    expect(readFileSync(CLI, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });
});
