import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Lock } from '../../lib/index.js';
import { benchBucket, benchService, countedClient } from '../env.js';
import { OriginVault, type OriginLock, pythonIsoformat } from '../origin-protocol.js';
import type { SleepProbe } from '../sleep-probe.js';
import type { Sample } from '../stats.js';
import { type Case, runInterleaved } from '../suite.js';

/** Iteration counts of the uncontended suite. */
export interface UncontendedSettings {
  iterations: number;
  warmup: number;
  /** Iterations of the origin protocol with `wait` = 1.0 (each takes over a second). */
  originWaitIterations: number;
}

/** A body of the size of a lock document, for the raw PutObject baseline. */
const RAW_BODY = JSON.stringify({
  expire: 60,
  lock_time: pythonIsoformat(new Date()),
  release_time: null,
  owner: 'bench-host:12345:0123456789abcdef',
});

/**
 * Calls one at a time on a quiet key, all interleaved in one loop (see `runInterleaved`):
 * the raw S3 baseline, our acquire on its three paths, release and a whole `runExclusive`,
 * and the origin design's protocol with `wait` = 0. Extra cases (the decorated method) join
 * the same loop so their ratios are fair. The origin with `wait` = 1.0 runs afterwards.
 */
export async function runUncontended(
  prefix: string,
  settings: UncontendedSettings,
  probe: SleepProbe,
  extraCases: readonly Case[] = [],
): Promise<Record<string, Sample>> {
  const Bucket = benchBucket();
  const raw = countedClient();
  const ours = await benchService(`${prefix}ours/`, { owner: 'bench-a' });
  // "Another replica": same prefix, its own client, so it can release keys that `ours` then takes.
  const other = await benchService(`${prefix}ours/`, { owner: 'bench-b' });
  const origin = countedClient();
  const vault = (key: string, wait: number) => new OriginVault(Bucket, `${prefix}origin/${key}`, 60, wait);
  const originLocks = new Map<string, OriginLock>();
  const held = new Map<string, Lock>();
  const hold = (id: string, lock: Lock) => void held.set(id, lock);
  const take = (id: string): Lock => {
    const lock = held.get(id);
    if (!lock) throw new Error(`bench: no held lock for ${id}`);
    held.delete(id);
    return lock;
  };
  const empty = async (): Promise<void> => {};

  // The repeat-holder keys start released by `ours`, so the service remembers their state.
  for (const key of ['repeat', 'release', 'run-repeat', 'stale']) {
    await ours.service.release(await ours.service.acquire(key));
  }

  const cases: Case[] = [
    {
      id: 'raw.putObject',
      counter: raw.counter,
      run: async () => {
        await raw.client.send(new PutObjectCommand({ Bucket, Key: `${prefix}raw/put`, Body: RAW_BODY, ContentType: 'application/json' }));
      },
    },
    {
      id: 'raw.getObject',
      counter: raw.counter,
      run: async (i) => {
        const out = await raw.client.send(new GetObjectCommand({ Bucket, Key: `${prefix}raw/put` })).catch((e: unknown) => {
          if (i === 0) return null; // the first iteration may run before the first put
          throw e;
        });
        await out?.Body?.transformToString();
      },
    },
    {
      id: 'raw.getObject404',
      counter: raw.counter,
      run: async (i) => {
        const missing = await raw.client
          .send(new GetObjectCommand({ Bucket, Key: `${prefix}raw/missing-${i}` }))
          .then(() => false, (e: unknown) => (e as { name?: string }).name === 'NoSuchKey');
        if (!missing) throw new Error('bench: expected NoSuchKey');
      },
    },
    {
      id: 'raw.putObjectIfNoneMatch',
      counter: raw.counter,
      run: async (i) => {
        await raw.client.send(
          new PutObjectCommand({ Bucket, Key: `${prefix}raw/new-${i}`, Body: RAW_BODY, ContentType: 'application/json', IfNoneMatch: '*' }),
        );
      },
    },
    {
      // A key this process never wrote: GET (404) + PUT If-None-Match.
      id: 'ours.acquire.fresh',
      counter: ours.counter,
      run: async (i) => hold('fresh', await ours.service.acquire(`fresh-${i}`)),
      cleanup: async () => void (await ours.service.release(take('fresh'))),
    },
    {
      // A key another replica released: GET (200) + PUT If-Match.
      id: 'ours.acquire.afterOther',
      counter: ours.counter,
      prepare: async (i) => void (await other.service.release(await other.service.acquire(`other-${i}`))),
      run: async (i) => hold('afterOther', await ours.service.acquire(`other-${i}`)),
      cleanup: async () => void (await ours.service.release(take('afterOther'))),
    },
    {
      // This process released it last: one PUT If-Match on the remembered ETag.
      id: 'ours.acquire.repeat',
      counter: ours.counter,
      run: async () => hold('repeat', await ours.service.acquire('repeat')),
      cleanup: async () => void (await ours.service.release(take('repeat'))),
    },
    {
      // This process released it, then another replica took and released it: the remembered
      // ETag is stale (one refused PUT), then GET + PUT.
      id: 'ours.acquire.staleMemory',
      counter: ours.counter,
      prepare: async () => void (await other.service.release(await other.service.acquire('stale'))),
      run: async () => hold('stale', await ours.service.acquire('stale')),
      cleanup: async () => void (await ours.service.release(take('stale'))),
    },
    {
      id: 'ours.release',
      counter: ours.counter,
      prepare: async () => hold('release', await ours.service.acquire('release')),
      run: async () => void (await ours.service.release(take('release'))),
    },
    {
      id: 'ours.runExclusive.fresh',
      counter: ours.counter,
      run: async (i) => void (await ours.service.runExclusive(`run-fresh-${i}`, undefined, empty)),
    },
    {
      id: 'ours.runExclusive.repeat',
      counter: ours.counter,
      run: async () => void (await ours.service.runExclusive('run-repeat', undefined, empty)),
    },
    {
      id: 'origin.wait0.acquire',
      counter: origin.counter,
      run: async () => void originLocks.set('acquire', await vault('acquire', 0).acquire(origin.client)),
      cleanup: async () => void (await vault('acquire', 0).release(origin.client, originLocks.get('acquire')!)),
    },
    {
      id: 'origin.wait0.release',
      counter: origin.counter,
      prepare: async () => void originLocks.set('release', await vault('release', 0).acquire(origin.client)),
      run: async () => void (await vault('release', 0).release(origin.client, originLocks.get('release')!)),
    },
    {
      id: 'origin.wait0.run',
      counter: origin.counter,
      run: async () => {
        const v = vault('run', 0);
        await v.release(origin.client, await v.acquire(origin.client));
      },
    },
    ...extraCases,
  ];
  const figures = await runInterleaved(cases, settings.iterations, settings.warmup, probe);

  const slow: Case[] = [
    {
      id: 'origin.wait1.acquire',
      counter: origin.counter,
      run: async () => void originLocks.set('acquire1', await vault('acquire1', 1.0).acquire(origin.client)),
      cleanup: async () => void (await vault('acquire1', 1.0).release(origin.client, originLocks.get('acquire1')!)),
    },
    {
      id: 'origin.wait1.run',
      counter: origin.counter,
      run: async () => {
        const v = vault('run1', 1.0);
        await v.release(origin.client, await v.acquire(origin.client));
      },
    },
  ];
  Object.assign(figures, await runInterleaved(slow, settings.originWaitIterations, 0, probe));

  const lost = [...ours.logger.warnings, ...other.logger.warnings];
  if (lost.length > 0) throw new Error(`bench: unexpected warnings on a quiet key: ${lost.join(' | ')}`);
  for (const s of [raw, ours, other, origin]) s.client.destroy();
  return figures;
}
