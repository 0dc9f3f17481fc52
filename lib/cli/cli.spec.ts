import { describe, expect, test } from '@jest/globals';
import { createInMemoryS3Lock, InMemoryLockStore } from '../testing/index.js';
import { ExitCode } from './exit-codes.js';
import { runCli } from './run-cli.js';

/** Runs the command on `store` and collects what it printed. */
async function cli(store: InMemoryLockStore, ...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { S3_LOCK_BUCKET: 'in-memory' }, { out: (s) => out.push(s), err: (s) => err.push(s) }, store);
  return { code, out: out.join(''), err: err.join('') };
}

describe('the nestjs-s3-lock command on the in-memory store', () => {
  test('status and list report held, expired and released locks by the store clock', async () => {
    const store = new InMemoryLockStore({ startTime: new Date('2030-01-01T00:00:00Z') });
    const service = createInMemoryS3Lock({ store, owner: 'replica-a' });
    const report = await service.acquire('report', { owner: 'replica-a:1', expire: 60 });
    await service.release(await service.acquire('cleanup', { expire: 60 }));
    await service.acquire('stuck', { owner: 'dead-replica', expire: 10 });
    store.advance(30);

    const status = await cli(store, 'status', 'report');
    expect(status).toMatchObject({ code: ExitCode.Ok, err: '' });
    expect(status.out).toMatch(/held/);
    expect(status.out).toContain('replica-a:1');
    expect(status.out).toContain(String(report.token));

    const json = await cli(store, 'list', '--json');
    expect(json.code).toBe(ExitCode.Ok);
    const listed = JSON.parse(json.out) as { storeTime: string; truncated: boolean; locks: { key: string; state: string; holder: string | null; expiresInSeconds: number | null }[] };
    expect(listed.storeTime).toBe('2030-01-01T00:00:30.000Z');
    expect(listed.truncated).toBe(false);
    expect(listed.locks.map((l) => [l.key, l.state, l.holder])).toEqual([
      ['cleanup', 'released', null],
      ['report', 'held', 'replica-a:1'],
      ['stuck', 'expired', 'dead-replica'],
    ]);
    expect(listed.locks[1]!.expiresInSeconds).toBe(30);

    const table = await cli(store, 'list');
    expect(table.code).toBe(ExitCode.Ok);
    expect(table.out.split('\n').filter((l) => /report|cleanup|stuck/.test(l))).toHaveLength(3);
  });

  test('list skips store-check probes, names objects that are not lock documents, and says when nothing is there', async () => {
    const store = new InMemoryLockStore();
    expect(await cli(store, 'list')).toEqual({ code: ExitCode.Ok, out: 'No locks under s3://in-memory/locks/\n', err: '' });
    await store.putUnconditional('locks/.s3-lock-store-check/probe', '{}', {});
    await store.putUnconditional('locks/notes.txt', 'not json', {});
    const listed = JSON.parse((await cli(store, 'list', '--json')).out) as { locks: { key: string; state: string; error?: string }[] };
    expect(listed.locks).toEqual([expect.objectContaining({ key: 'notes.txt', state: 'invalid', error: 'it is not JSON' })]);
  });

  test('release --force frees a dead holder’s lock, conditionally, and the next token is higher', async () => {
    const store = new InMemoryLockStore();
    const service = createInMemoryS3Lock({ store });
    const dead = await service.acquire('job', { owner: 'dead-replica', expire: 600 });

    const wrongEtag = await cli(store, 'release', 'job', '--force', '--etag', '"0000"');
    expect(wrongEtag.code).toBe(ExitCode.Refused);
    expect(wrongEtag.err).toMatch(/changed since you saw it/);
    expect(await service.inspect('job')).toMatchObject({ owner: 'dead-replica' });

    const released = await cli(store, 'release', 'job', '--force', '--etag', dead.etag);
    expect(released.code).toBe(ExitCode.Ok);
    expect(released.out).toMatch(/Released lock "job", which was held by "dead-replica"/);
    expect(released.err).toMatch(/warning: the lock had not expired/);
    expect(await service.inspect('job')).toMatchObject({ owner: null, token: dead.token });

    const again = await cli(store, 'release', 'job', '--force');
    expect(again).toMatchObject({ code: ExitCode.Ok });
    expect(again.out).toMatch(/already released; nothing was written/);
    expect((await service.acquire('job')).token).toBeGreaterThan(dead.token);
  });

  test('usage errors, unknown keys and corrupt objects end with their exit codes', async () => {
    const store = new InMemoryLockStore();
    expect((await cli(store, '--help')).out).toMatch(/^Usage: nestjs-s3-lock/);
    const usage = [
      [[], /No command given/],
      [['frobnicate'], /Unknown command "frobnicate"/],
      [['status'], /"status" takes one lock key/],
      [['list', 'x'], /"list" takes no arguments/],
      [['release', 'job'], /release needs --force/],
      [['status', 'job', '--etag', 'x'], /--etag applies to release only/],
      [['status', 'bad\u0007key'], /Invalid lock key: it contains a control character/],
      [['status', 'job', '--nope'], /Unknown option/],
    ] as const;
    for (const [argv, message] of usage) {
      const run = await cli(store, ...argv);
      expect(run.code).toBe(ExitCode.Usage);
      expect(run.err).toMatch(message);
    }
    const noBucket = await runCli(['list'], {}, { out: () => undefined, err: () => undefined }, store);
    expect(noBucket).toBe(ExitCode.Usage);

    const missing = await cli(store, 'status', 'nothing-here');
    expect(missing.code).toBe(ExitCode.UnknownKey);
    expect(missing.err).toMatch(/no lock "nothing-here": there is no object s3:\/\/in-memory\/locks\/nothing-here/);
    expect((await cli(store, 'release', 'nothing-here', '--force')).code).toBe(ExitCode.UnknownKey);

    await store.putUnconditional('locks/corrupt', '{"expire": 1}', {});
    const corrupt = await cli(store, 'status', 'corrupt');
    expect(corrupt.code).toBe(ExitCode.NotALock);
    expect(corrupt.err).toMatch(/lacks the fields lock_time, release_time, owner/);
  });
});
