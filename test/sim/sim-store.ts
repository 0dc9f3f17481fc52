import { S3LockStoreError } from '../../lib/errors/s3-lock-store.error.js';
import { decodeDocument, decodeMetadata, parseTime } from '../../lib/protocol/lock-document.js';
import type { ListResult, LockStore, ReadResult, WriteResult } from '../../lib/protocol/lock-store.js';
import { backoff } from '../../lib/protocol/backoff.js';
import { type ClassifiedFailure, storeErrorDetails } from '../../lib/protocol/s3-errors.js';
import { ServerClock } from '../../lib/protocol/server-clock.js';
import type { LockTimers } from '../../lib/protocol/timers.js';
import { InMemoryLockStore } from '../../lib/testing/in-memory-lock-store.js';
import type { Random } from './random.js';
import { type Scheduler, STORE_ACTOR } from './scheduler.js';

/** Who wrote a version of a lock object. */
export type WriterKind = 'nest' | 'seed' | 'operator' | 'hand';

/** One state a lock object had, as the simulation saw it land. */
export interface Version {
  seq: number;
  objectKey: string;
  etag: string;
  writer: number;
  kind: WriterKind;
  owner: string | null;
  /** The fencing token in our metadata; `null` for a document without it (the seed's tool). */
  token: number | null;
  landedAt: number;
  /** `LastModified`, in whole seconds. */
  lmSec: number;
  expire: number;
  lockTimeMs: number;
  /** Counts hand deletions and edits of the key: token history restarts at each. */
  epoch: number;
  /** When a later write or a deletion replaced it. */
  supersededAt: number;
}

/** A request to the simulated S3. */
export type Request =
  | { op: 'read'; objectKey: string }
  | { op: 'create' | 'replace' | 'put'; objectKey: string; etag?: string; body: string; metadata: Record<string, string> };

/** What a request's sender gets back. */
export type Answer =
  | { kind: 'ok'; result: ReadResult | WriteResult; dateHeader: string }
  | { kind: 'error'; status: number; code: string; dateHeader: string }
  | { kind: 'timeout' };

/** Injected fault kinds, counted per run. */
export const FAULT_KINDS = [
  'answer lost after the write landed',
  'answer lost, request not applied',
  '500 after the write landed',
  '500, not applied',
  '503 SlowDown',
  '409 ConditionalRequestConflict',
  'delay past expire',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Observes every landed write (the invariant checker). */
export interface LandingObserver {
  onLanding(before: Version | undefined, after: Version, request: Request): void;
  onHandDelete(objectKey: string, removed: Version | undefined): void;
}

/** The simulated S3: one bucket, its true clock, and every version that landed. */
export class SimS3 {
  private readonly state: InMemoryLockStore;
  readonly current = new Map<string, Version>();
  readonly byEtag = new Map<string, Version>();
  /** Every version of each key, in landing order (the most recent few hundred). */
  readonly history = new Map<string, Version[]>();
  readonly epochs = new Map<string, number>();
  /** `objectKey@epoch` of epochs begun by a token placed by hand. */
  readonly handTokenEpochs = new Set<string>();
  private seq = 0;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly observer: LandingObserver,
  ) {
    this.state = new InMemoryLockStore({ bucket: 'sim', startTime: new Date(scheduler.now) });
  }

  /** Applies one request now, atomically, as S3 applies a GET or a PUT. */
  apply(actor: number, kind: WriterKind, request: Request): ReadResult | WriteResult {
    this.state.setTime(this.scheduler.now);
    if (request.op === 'read') return this.state.readNow(request.objectKey);
    const condition =
      request.op === 'create' ? { ifNoneMatch: true } : request.op === 'replace' ? { ifMatch: request.etag! } : {};
    const result = this.state.writeNow(request.objectKey, request.body, request.metadata, condition);
    if (result.outcome === 'written') this.landed(actor, kind, request, result.etag);
    return result;
  }

  /** A person deletes the object by hand. */
  handDelete(objectKey: string): void {
    this.state.delete(objectKey);
    const removed = this.current.get(objectKey);
    if (removed) removed.supersededAt = this.scheduler.now;
    this.current.delete(objectKey);
    this.bumpEpoch(objectKey);
    this.observer.onHandDelete(objectKey, removed);
  }

  /** Marks a hand edit: token history of the key restarts. */
  bumpEpoch(objectKey: string): void {
    this.epochs.set(objectKey, (this.epochs.get(objectKey) ?? 0) + 1);
  }

  private landed(actor: number, kind: WriterKind, request: Extract<Request, { body: string }>, etag: string): void {
    const doc = decodeDocument(request.body);
    if (typeof doc === 'string') throw new Error(`simulation: a writer wrote a body that is not a lock document (${doc})`);
    const before = this.current.get(request.objectKey);
    if (before) before.supersededAt = this.scheduler.now;
    const version: Version = {
      seq: this.seq++,
      objectKey: request.objectKey,
      etag,
      writer: actor,
      kind,
      owner: doc.owner,
      token: decodeMetadata(lowerCased(request.metadata))?.token ?? null,
      landedAt: this.scheduler.now,
      lmSec: Math.floor(this.scheduler.now / 1000),
      expire: doc.expire,
      lockTimeMs: parseTime(doc.lock_time)!.getTime(),
      epoch: this.epochs.get(request.objectKey) ?? 0,
      supersededAt: Infinity,
    };
    this.current.set(request.objectKey, version);
    this.byEtag.set(etag, version);
    const history = this.history.get(request.objectKey) ?? [];
    this.history.set(request.objectKey, history);
    history.push(version);
    if (history.length > 512) this.byEtag.delete(history.shift()!.etag);
    this.observer.onLanding(before, version, request);
  }
}

function lowerCased(metadata: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k.toLowerCase(), v]));
}

/** How requests travel: latencies and faults, all drawn from the world's seed. */
export interface NetworkSettings {
  /** Probability that a request meets a fault. */
  faultRate: number;
  /** Longest delay of a request, one way, in ms, for a `delay past expire` fault. */
  longDelayMs: number;
}

/** The network between the actors and the simulated S3. */
export class SimNetwork {
  readonly faults = new Map<FaultKind, number>();
  /** Faults met by each actor so far (an actor's call checks whether it met any). */
  readonly faultsOf = new Map<number, number>();
  /** The last write each actor sent (a refused call checks what its last write was conditional on). */
  readonly lastWrite = new Map<number, Extract<Request, { body: string }>>();
  /** When the store applied the last read whose answer each actor received (virtual ms). */
  readonly lastReadSeen = new Map<number, number>();
  /** When each actor sent its last write (virtual ms). */
  readonly lastWriteSentAt = new Map<number, number>();

  constructor(
    private readonly scheduler: Scheduler,
    private readonly s3: SimS3,
    private readonly random: Random,
    private readonly settings: NetworkSettings,
    private readonly trace: (actor: number, line: string) => void,
  ) {}

  /**
   * Sends `request` for `actor`; resolves with the answer, or with a time-out after
   * `timeoutMs` (when the request may still land later).
   */
  send(actor: number, kind: WriterKind, request: Request, timeoutMs: number): Promise<Answer> {
    if (request.op !== 'read') {
      this.lastWrite.set(actor, request);
      this.lastWriteSentAt.set(actor, this.scheduler.now);
    }
    const fault = this.random.chance(this.settings.faultRate) ? this.drawFault(request) : null;
    if (fault) {
      this.faults.set(fault, (this.faults.get(fault) ?? 0) + 1);
      this.faultsOf.set(actor, (this.faultsOf.get(actor) ?? 0) + 1);
    }
    const there = fault === 'delay past expire' ? this.random.between(0, this.settings.longDelayMs) : this.latency();
    const back = this.latency();
    return new Promise((resolve) => {
      let settled = false;
      const answer = (value: Answer) => {
        if (settled) return;
        settled = true;
        resolve(value);
      };
      this.scheduler.after(timeoutMs, actor, () => answer({ kind: 'timeout' }));
      this.scheduler.after(there, STORE_ACTOR, () => {
        const dateHeader = new Date(Math.floor(this.scheduler.now / 1000) * 1000).toUTCString();
        const applies = fault === null || fault === 'delay past expire' || fault.includes('landed');
        const result = applies ? this.s3.apply(actor, kind, request) : null;
        this.trace(actor, `${request.op} ${request.objectKey}${fault ? ` [${fault}]` : ''} -> ${result ? describe(result) : 'not applied'}`);
        if (fault?.startsWith('answer lost')) return;
        const reply: Answer =
          fault === '500 after the write landed' || fault === '500, not applied'
            ? { kind: 'error', status: 500, code: 'InternalError', dateHeader }
            : fault === '503 SlowDown'
              ? { kind: 'error', status: 503, code: 'SlowDown', dateHeader }
              : fault === '409 ConditionalRequestConflict'
                ? { kind: 'error', status: 409, code: 'ConditionalRequestConflict', dateHeader }
                : { kind: 'ok', result: result!, dateHeader };
        const appliedAt = this.scheduler.now;
        this.scheduler.after(back, actor, () => {
          if (!settled && request.op === 'read' && reply.kind === 'ok') this.lastReadSeen.set(actor, appliedAt);
          answer(reply);
        });
      });
    });
  }

  private latency(): number {
    return this.random.chance(0.05) ? this.random.between(50, 400) : this.random.between(1, 30);
  }

  private drawFault(request: Request): FaultKind {
    const roll = this.random.next();
    const write = request.op !== 'read';
    if (roll < 0.2) return write ? 'answer lost after the write landed' : 'answer lost, request not applied';
    if (roll < 0.3) return 'answer lost, request not applied';
    if (roll < 0.42) return write ? '500 after the write landed' : '500, not applied';
    if (roll < 0.52) return '500, not applied';
    if (roll < 0.74) return '503 SlowDown';
    if (roll < 0.9) return write ? '409 ConditionalRequestConflict' : '503 SlowDown';
    return 'delay past expire';
  }
}

function describe(result: ReadResult | WriteResult): string {
  if ('outcome' in result) return result.outcome === 'written' ? `written ${result.etag.slice(1, 7)}` : result.outcome;
  if (!result.object) return 'no object';
  return `${result.object.etag.slice(1, 7)} ${result.object.body ?? ''}`;
}

/** Settings of one client's S3 layer, as `S3Store` has them. */
export interface ClientStoreSettings {
  maxAttempts: number;
  requestTimeoutMs: number;
}

/**
 * The lock store of one simulated worker: its requests go through the simulated network, and
 * its view of the store's clock is a real `ServerClock` fed with the `Date` header of every
 * answer, against this worker's own (possibly skewed) clock. Reads retry transient failures
 * with backoff, as `S3Store` does.
 */
export class SimClientStore implements LockStore {
  readonly bucket = 'sim';
  readonly clock: ServerClock;

  constructor(
    private readonly network: SimNetwork,
    private readonly actor: number,
    private readonly kind: WriterKind,
    private readonly timers: LockTimers,
    private readonly settings: ClientStoreSettings,
  ) {
    this.clock = new ServerClock(() => timers.now());
  }

  async read(objectKey: string): Promise<ReadResult> {
    for (let attempt = 1; ; attempt++) {
      const { answer, serverTime } = await this.send({ op: 'read', objectKey });
      if (answer.kind === 'ok') return { ...(answer.result as ReadResult), serverTime };
      if (attempt >= this.settings.maxAttempts) {
        const failure = failureOf(answer);
        throw new S3LockStoreError('GetObject', `simulated GetObject failed: ${failure.detail}`, storeErrorDetails(failure));
      }
      await backoff(attempt, this.timers);
    }
  }

  create(objectKey: string, body: string, metadata: Record<string, string>): Promise<WriteResult> {
    return this.write({ op: 'create', objectKey, body, metadata });
  }

  replace(objectKey: string, etag: string, body: string, metadata: Record<string, string>): Promise<WriteResult> {
    return this.write({ op: 'replace', objectKey, etag, body, metadata });
  }

  putUnconditional(objectKey: string, body: string, metadata: Record<string, string>): Promise<WriteResult> {
    return this.write({ op: 'put', objectKey, body, metadata });
  }

  list(): Promise<ListResult> {
    throw new Error('simulation: list is not simulated');
  }

  deleteProbe(): Promise<void> {
    throw new Error('simulation: the store check is not simulated');
  }

  private async write(request: Request): Promise<WriteResult> {
    const { answer } = await this.send(request);
    return answer.kind === 'ok' ? (answer.result as WriteResult) : { outcome: 'unknown', failure: failureOf(answer) };
  }

  private async send(request: Request): Promise<{ answer: Answer; serverTime: Date }> {
    const sentAt = this.timers.now();
    const answer = await this.network.send(this.actor, this.kind, request, this.settings.requestTimeoutMs);
    const receivedAt = this.timers.now();
    const header = answer.kind === 'timeout' ? undefined : answer.dateHeader;
    return { answer, serverTime: this.clock.observe(header, sentAt, receivedAt) ?? this.clock.now() };
  }
}

function failureOf(answer: Answer): ClassifiedFailure {
  if (answer.kind === 'timeout') {
    return { kind: 'unknown', status: undefined, code: 'TimeoutError', detail: 'TimeoutError: the request timed out', advice: '', retried: false };
  }
  const status = answer.kind === 'error' ? answer.status : undefined;
  const code = answer.kind === 'error' ? answer.code : 'Error';
  return { kind: 'unknown', status, code, detail: `${code} (HTTP ${status})`, advice: '', retried: false };
}
