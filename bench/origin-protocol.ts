import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The origin design's protocol (fixa `aws_s3_lock`), reimplemented for comparison only, from
 * its described behaviour (see /work/shared/notes/prior-art.md); it is not part of the library
 * and is NOT safe: two writers in the same window can both believe they won.
 *
 * - The lock is one JSON object `{expire, lock_time, release_time, owner}`, times in Python's
 *   `isoformat()` with `+00:00`.
 * - acquire: GET; free if missing, no owner, owned by me, or `now - lock_time >= expire` by the
 *   client's clock; then an unconditional PUT of `{owner: me, lock_time: now}`; sleep(`wait`);
 *   GET again and compare the owner.
 * - release: an unconditional PUT with `owner: null` and `release_time: now`.
 */
export interface OriginLock {
  expire: number;
  lock_time: string;
  release_time: string | null;
  owner: string | null;
}

/** Thrown when another owner holds the lock (the origin's `AlreadyLockedError`). */
export class OriginAlreadyLockedError extends Error {
  override readonly name = 'OriginAlreadyLockedError';
}

/** Python `datetime.isoformat()` of a UTC time: microseconds and `+00:00`. */
export function pythonIsoformat(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, (_, ms: string) => `.${ms}000+00:00`);
}

/** The origin's `Vault`: one key, its `expire` and `wait` (seconds). */
export class OriginVault {
  constructor(
    private readonly bucket: string,
    private readonly key: string,
    private readonly expire: number,
    private readonly wait = 1.0,
  ) {}

  /** GET, check, unconditional PUT, sleep(wait), GET and compare the owner. */
  async acquire(client: S3Client, owner: string = randomUUID()): Promise<OriginLock> {
    const current = await this.read(client);
    const now = new Date();
    if (current && !this.isFree(current, owner, now)) {
      throw new OriginAlreadyLockedError(`Lock is held by ${current.owner}`);
    }
    const lock: OriginLock = { expire: this.expire, lock_time: pythonIsoformat(now), release_time: null, owner };
    await this.write(client, lock);
    await sleep(this.wait * 1000);
    const after = await this.read(client);
    if (after?.owner !== owner) throw new OriginAlreadyLockedError(`Lock is held by ${after?.owner}`);
    return lock;
  }

  /** An unconditional PUT with no owner and a release time: never checks who holds it. */
  async release(client: S3Client, lock: OriginLock): Promise<OriginLock> {
    const released: OriginLock = { ...lock, release_time: pythonIsoformat(new Date()), owner: null };
    await this.write(client, released);
    return released;
  }

  private isFree(lock: OriginLock, owner: string, now: Date): boolean {
    if (lock.owner === null || lock.owner === owner) return true;
    const lockTime = Date.parse(lock.lock_time);
    return (now.getTime() - lockTime) / 1000 >= lock.expire;
  }

  private async read(client: S3Client): Promise<OriginLock | null> {
    try {
      const out = await client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key }));
      return JSON.parse((await out.Body?.transformToString('utf-8')) ?? 'null') as OriginLock;
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchKey') return null;
      throw error;
    }
  }

  private async write(client: S3Client, lock: OriginLock): Promise<void> {
    await client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: this.key, Body: JSON.stringify(lock), ContentType: 'application/json' }),
    );
  }
}
