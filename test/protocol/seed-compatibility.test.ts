import { describe, expect, test } from '@jest/globals';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { execFileSync } from 'node:child_process';
import { AlreadyLockedError } from '../../lib/index.js';
import { testBucket } from '../support/s3-env.js';
import { testService } from '../support/services.js';

/** Python's `datetime.isoformat()` of an aware UTC time, as the origin design writes it. */
const pythonIso = (time: Date) => time.toISOString().replace('Z', '000+00:00');

/**
 * The origin design's parsing rule, run by a real Python: `Lock(**json.loads(body))` on a
 * dataclass of exactly its four fields, then `datetime.fromisoformat` of the times.
 */
const SEED_PARSER = `
import dataclasses, json, sys, typing
from datetime import datetime
@dataclasses.dataclass
class Lock:
    expire: int
    lock_time: str
    release_time: typing.Optional[str]
    owner: typing.Optional[str]
lock = Lock(**json.loads(sys.stdin.read()))
assert isinstance(lock.expire, int), "expire is not an int"
datetime.fromisoformat(lock.lock_time)
if lock.release_time is not None:
    datetime.fromisoformat(lock.release_time)
print(json.dumps(dataclasses.asdict(lock)))
`;

describe("compatibility with the origin design's Python writer", () => {
  const setup = (name: string) => {
    const ctx = testService(name);
    const objectKey = `${ctx.prefix}job`;
    const foreignWrite = (doc: Record<string, unknown>) =>
      ctx.client.send(
        new PutObjectCommand({ Bucket: testBucket(), Key: objectKey, Body: JSON.stringify(doc), ContentType: 'application/json' }),
      );
    const rawBody = async () =>
      (await ctx.client.send(new GetObjectCommand({ Bucket: testBucket(), Key: objectKey }))).Body!.transformToString();
    return { ...ctx, foreignWrite, rawBody };
  };

  test('our documents pass the seed parsing rule (real Python), held and released', async () => {
    const { service, rawBody } = setup('seed-parse');
    const lock = await service.acquire('job', { owner: 'nest-worker', expire: 30 });
    for (const body of [await rawBody(), (await service.release(lock), await rawBody())]) {
      expect(Object.keys(JSON.parse(body))).toEqual(['expire', 'lock_time', 'release_time', 'owner']);
      // Strict form that even Python 3.7's fromisoformat accepts.
      expect(JSON.parse(body).lock_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
      const parsed = JSON.parse(execFileSync('python3', ['-c', SEED_PARSER], { input: body }).toString());
      expect(parsed).toEqual(JSON.parse(body));
    }
  });

  test('a lock written by the seed is honoured, judged by when it was written, not by its lock_time', async () => {
    const { service, foreignWrite } = setup('seed-held');
    // A Python worker whose clock is an hour behind writes a live 60 s lock.
    await foreignWrite({
      expire: 60,
      lock_time: pythonIso(new Date(Date.now() - 3600_000)),
      release_time: null,
      owner: '4f1c0e9d2b7a4c1e8f3d5a6b7c8d9e0f',
    });
    const error = await service.acquire('job', { owner: 'nest' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AlreadyLockedError);
    expect((error as AlreadyLockedError).holder).toBe('4f1c0e9d2b7a4c1e8f3d5a6b7c8d9e0f');
    const seen = await service.inspect('job');
    expect(seen).toMatchObject({ owner: '4f1c0e9d2b7a4c1e8f3d5a6b7c8d9e0f', expire: 60, token: 0 });
  });

  test("the seed's initial and released documents are free to take", async () => {
    const { service, foreignWrite } = setup('seed-free');
    await foreignWrite({ expire: 900, lock_time: '1970-01-01T00:00:00+00:00', release_time: null, owner: null });
    const lock = await service.acquire('job', { owner: 'nest' });
    expect(lock.owner).toBe('nest');
    await foreignWrite({ expire: 900, lock_time: pythonIso(new Date()), release_time: pythonIso(new Date()), owner: null });
    expect((await service.acquire('job', { owner: 'nest-2' })).owner).toBe('nest-2');
  });

  test('fencing tokens keep increasing across foreign writes that drop our metadata', async () => {
    const { service, foreignWrite } = setup('seed-token');
    let last = 0;
    for (let round = 0; round < 3; round++) {
      const lock = await service.acquire('job', { owner: `nest-${round}` });
      expect(lock.token).toBeGreaterThan(last);
      last = lock.token;
      // A Python worker frees it and writes its own release right away: no metadata, same second.
      await foreignWrite({ expire: 60, lock_time: pythonIso(new Date()), release_time: pythonIso(new Date()), owner: null });
    }
    const after = await service.acquire('job', { owner: 'nest-final' });
    expect(after.token).toBeGreaterThan(last);
  });
});
