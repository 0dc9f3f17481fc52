import { createHash } from 'node:crypto';
import type {
  ListResult,
  LockStore,
  ReadResult,
  StoreClock,
  StoredObject,
  WriteResult,
} from '../protocol/lock-store.js';
import { MAX_DOCUMENT_BYTES } from '../protocol/lock-document.js';
import { sameEtag } from '../protocol/lock-store.js';

/** One object held by {@link InMemoryLockStore}. */
interface HeldObject {
  body: string;
  etag: string;
  lastModified: Date;
  metadata: Record<string, string>;
}

/** Options of {@link InMemoryLockStore}. */
export interface InMemoryLockStoreOptions {
  /** The bucket name used in messages. @default 'in-memory' */
  bucket?: string;
  /** The store's time at the start. @default the real time when the store is created */
  startTime?: Date;
}

/**
 * **For tests only.** A lock store in memory with a clock that moves only when the test moves
 * it: `advance(seconds)` or `setTime(date)`. A lock taken with `expire: 60` is expired after
 * `store.advance(61)`, at once, with no sleeping.
 *
 * It answers as S3 does: `If-None-Match: *` and `If-Match` are enforced atomically, metadata
 * is kept (keys lower-cased), `LastModified` and the store's `Date` are whole seconds, and the
 * ETag changes on every write. Give it to `S3LockTestingModule.forRoot({ store })`,
 * `createInMemoryS3Lock({ store })` or `S3LockModule.forRoot({ bucket, store })`; share one
 * store between several services to play replicas on one bucket.
 *
 * @example
 * const store = new InMemoryLockStore();
 * const replicaA = createInMemoryS3Lock({ store });
 * const replicaB = createInMemoryS3Lock({ store });
 * await replicaA.acquire('report', { expire: 60 });
 * store.advance(61);
 * await replicaB.acquire('report'); // taken over: replica A's lock expired
 */
export class InMemoryLockStore implements LockStore {
  /** @inheritdoc */
  readonly bucket: string;
  /** The store's clock: the controllable time of this store. */
  readonly clock: StoreClock = {
    now: () => new Date(this.timeMs),
    earliest: () => new Date(this.timeMs),
    latest: () => new Date(this.timeMs),
    workerNow: () => this.timeMs,
  };
  private readonly objects = new Map<string, HeldObject>();
  private timeMs: number;
  private writes = 0;

  constructor(options: InMemoryLockStoreOptions = {}) {
    this.bucket = options.bucket ?? 'in-memory';
    this.timeMs = (options.startTime ?? new Date()).getTime();
  }

  /** The store's current time. */
  now(): Date {
    return new Date(this.timeMs);
  }

  /** Moves the store's clock forward by `seconds` (fractions allowed). */
  advance(seconds: number): void {
    if (!Number.isFinite(seconds) || seconds < 0) {
      throw new RangeError(`advance() takes a number of seconds, 0 or more; got ${String(seconds)}.`);
    }
    this.timeMs += seconds * 1000;
  }

  /** Sets the store's clock (it may go backwards, as a store's clock can after a correction). */
  setTime(time: Date | number): void {
    const ms = typeof time === 'number' ? time : time.getTime();
    if (!Number.isFinite(ms)) throw new RangeError('setTime() takes a valid Date or epoch milliseconds.');
    this.timeMs = ms;
  }

  /** The object keys held, sorted: for assertions in tests. */
  keys(): string[] {
    return [...this.objects.keys()].sort();
  }

  /** The object at `objectKey` as a read would see it, or `null`; for assertions in tests. */
  get(objectKey: string): StoredObject | null {
    const held = this.objects.get(objectKey);
    return held ? describe(held) : null;
  }

  /**
   * Removes an object, as a person deleting it by hand would (no lock protocol involved).
   * @returns whether there was one.
   */
  delete(objectKey: string): boolean {
    return this.objects.delete(objectKey);
  }

  /** Removes every object. */
  clear(): void {
    this.objects.clear();
  }

  /** @inheritdoc */
  read(objectKey: string): Promise<ReadResult> {
    return Promise.resolve(this.readNow(objectKey));
  }

  /** @inheritdoc */
  create(objectKey: string, body: string, metadata: Record<string, string>): Promise<WriteResult> {
    return Promise.resolve(this.writeNow(objectKey, body, metadata, { ifNoneMatch: true }));
  }

  /** @inheritdoc */
  replace(objectKey: string, etag: string, body: string, metadata: Record<string, string>): Promise<WriteResult> {
    return Promise.resolve(this.writeNow(objectKey, body, metadata, { ifMatch: etag }));
  }

  /** @inheritdoc */
  putUnconditional(objectKey: string, body: string, metadata: Record<string, string>): Promise<WriteResult> {
    return Promise.resolve(this.writeNow(objectKey, body, metadata, {}));
  }

  /** @inheritdoc */
  list(prefix: string, limit: number): Promise<ListResult> {
    const matching = this.keys().filter((key) => key.startsWith(prefix));
    return Promise.resolve({ objectKeys: matching.slice(0, limit), truncated: matching.length > limit });
  }

  /** @inheritdoc */
  deleteProbe(objectKey: string): Promise<void> {
    this.objects.delete(objectKey);
    return Promise.resolve();
  }

  /** A read, answered at once (synchronously): for simulations that decide when it lands. */
  readNow(objectKey: string): ReadResult {
    const held = this.objects.get(objectKey);
    return { object: held ? describe(held) : null, serverTime: wholeSecond(this.timeMs) };
  }

  /**
   * A write, applied at once (synchronously) under its condition, as S3 applies one PUT:
   * `ifNoneMatch` (no object may exist), `ifMatch` (the object's ETag must be this one), or none.
   */
  writeNow(
    objectKey: string,
    body: string,
    metadata: Record<string, string>,
    condition: { ifNoneMatch?: boolean; ifMatch?: string },
  ): WriteResult {
    const current = this.objects.get(objectKey);
    if (condition.ifNoneMatch && current) return { outcome: 'precondition-failed' };
    if (condition.ifMatch !== undefined && (!current || !sameEtag(condition.ifMatch, current.etag))) {
      return { outcome: 'precondition-failed' };
    }
    this.writes++;
    const etag = `"${createHash('md5').update(`${this.writes}\n${body}`).digest('hex')}"`;
    this.objects.set(objectKey, {
      body,
      etag,
      lastModified: wholeSecond(this.timeMs),
      metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k.toLowerCase(), String(v)])),
    });
    return { outcome: 'written', etag };
  }
}

function describe(held: HeldObject): StoredObject {
  const size = Buffer.byteLength(held.body);
  return {
    // As `S3Store` does: a body larger than a lock document can be is not read.
    body: size > MAX_DOCUMENT_BYTES ? null : held.body,
    size,
    etag: held.etag,
    lastModified: held.lastModified,
    metadata: { ...held.metadata },
  };
}

function wholeSecond(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}
