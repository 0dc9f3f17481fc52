import { AlreadyLockedError } from '../../lib/errors/already-locked.error.js';
import { CorruptLockError } from '../../lib/errors/corrupt-lock.error.js';
import { LockLostError } from '../../lib/errors/lock-lost.error.js';
import { S3LockStoreError } from '../../lib/errors/s3-lock-store.error.js';
import type { Lock } from '../../lib/interfaces/lock.interface.js';
import { encodeDocument, encodeMetadata } from '../../lib/protocol/lock-document.js';
import { LockProtocol } from '../../lib/protocol/lock-protocol.js';
import type { LockTimers } from '../../lib/protocol/timers.js';
import { InvariantChecker, type Violation } from './invariants.js';
import { Random } from './random.js';
import { Scheduler } from './scheduler.js';
import { type FaultKind, SimClientStore, SimNetwork, SimS3, type Version } from './sim-store.js';

/** Faults that are not request faults: done to actors or to the bucket. */
export const ACTOR_FAULTS = [
  'paused client',
  'skewed client clock',
  'object deleted by hand',
  'forced release of a foreign lock',
  'token near 2^53 placed by hand',
  "seed's tool worker",
] as const;
export type ActorFault = (typeof ACTOR_FAULTS)[number];

/** What one world, or many, did: counts that add up across worlds. */
export interface WorldCounts {
  acquisitions: number;
  attempts: number;
  refusals: number;
  /** Acquisitions refused with `CorruptLockError` (a token placed by hand near 2^53). */
  corrupt: number;
  releases: number;
  extensions: number;
  lost: number;
  storeErrors: number;
  seedAcquisitions: number;
  seedRaces: number;
  virtualMs: number;
  steps: number;
}

/** The names of the {@link WorldCounts}, for adding them up. */
export const COUNT_NAMES = [
  'acquisitions', 'attempts', 'refusals', 'corrupt', 'releases', 'extensions', 'lost', 'storeErrors', 'seedAcquisitions', 'seedRaces', 'virtualMs', 'steps',
] as const satisfies readonly (keyof WorldCounts)[];

/** What one world did. */
export interface WorldResult extends WorldCounts {
  seed: number;
  faults: Map<FaultKind | ActorFault, number>;
  violations: Violation[];
  minLeadMs: number;
}

/** The shape of a world, drawn from its seed. */
interface WorldSettings {
  clients: number;
  keys: string[];
  expire: number;
  wait: number;
  maxAttempts: number;
  requestTimeoutMs: number;
  seedWorkers: number;
  operatorEveryMs: number | null;
  /** Whether the operator also places tokens near 2^53 by hand (rare: it dominates a world). */
  handTokens: boolean;
  pauses: boolean;
  cronPeriodMs: number | null;
}

const PREFIX = 'locks/';
const silent = { log: () => undefined, warn: () => undefined };
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * One simulated world: N workers running the real `LockProtocol` on one simulated bucket, a
 * few workers of the seed's tool, an operator, a virtual clock and a seeded scheduler. Every
 * choice (event order, delays, faults, clock offsets, what each actor does) comes from `seed`.
 */
export class World {
  readonly scheduler: Scheduler;
  readonly s3: SimS3;
  readonly network: SimNetwork;
  readonly checker: InvariantChecker;
  private readonly random: Random;
  private readonly settings: WorldSettings;
  private readonly result: WorldResult;
  private readonly startedAt: number;
  private stopping = false;
  private readonly traceLines: string[] = [];

  constructor(
    readonly seed: number,
    private readonly targetAcquisitions: number,
    private readonly tracing = false,
    onViolation: (violation: Violation, trace: string[]) => void = () => undefined,
  ) {
    this.random = new Random(seed);
    const r = this.random;
    this.startedAt = Date.UTC(2030, 0, 1) + r.int(0, 86_400_000);
    this.scheduler = new Scheduler(this.startedAt);
    const expire = r.pick([1, 1, 2, 3, 5, 10]);
    this.settings = {
      clients: r.int(2, 8),
      keys: Array.from({ length: r.int(1, 3) }, (_, i) => `job-${i}`),
      expire,
      wait: r.chance(0.15) ? Math.min(r.pick([0.2, 0.5]), expire / 2) : 0,
      maxAttempts: r.pick([3, 5]),
      requestTimeoutMs: r.pick([1000, 3000, 10_000]),
      seedWorkers: r.chance(0.35) ? r.int(1, 2) : 0,
      operatorEveryMs: r.chance(0.5) ? r.pick([200, 1000, 10_000]) : null,
      handTokens: r.chance(0.05),
      pauses: r.chance(0.4),
      cronPeriodMs: r.chance(0.6) ? r.pick([1000, 2000, 5000]) : null,
    };
    this.result = {
      seed, acquisitions: 0, attempts: 0, refusals: 0, corrupt: 0, releases: 0, extensions: 0, lost: 0, storeErrors: 0,
      seedAcquisitions: 0, faults: new Map(), violations: [], seedRaces: 0, minLeadMs: Infinity, virtualMs: 0, steps: 0,
    };
    this.checker = new InvariantChecker(() => this.scheduler.now, (v) => onViolation(v, [...this.traceLines]));
    this.s3 = new SimS3(this.scheduler, this.checker);
    this.checker.s3 = this.s3;
    const faultRate = r.chance(0.3) ? 0 : r.between(0.005, 0.12);
    this.network = new SimNetwork(this.scheduler, this.s3, r.fork(), { faultRate, longDelayMs: expire * 2000 + 500 }, (a, l) => this.trace(a, l));
    this.start();
  }

  /** Runs one event; false once the world has finished. */
  step(): boolean {
    this.checker.checkEveryStep();
    if (this.result.acquisitions >= this.targetAcquisitions || this.scheduler.now - this.startedAt > 3_600_000) {
      this.stopping = true;
    }
    this.result.steps++;
    return this.scheduler.step();
  }

  /** What the world did, once it finished. */
  finish(): WorldResult {
    this.checker.checkEveryStep();
    for (const [kind, n] of this.network.faults) this.count(kind, n);
    this.result.violations = this.checker.violations;
    this.result.seedRaces = this.checker.stats.seedRaces;
    this.result.minLeadMs = this.checker.stats.minLeadMs;
    this.result.virtualMs = this.scheduler.now - this.startedAt;
    return this.result;
  }

  /** A one-line description of the world's settings, for reports. */
  describe(): string {
    const s = this.settings;
    return `seed ${this.seed}: ${s.clients} workers, ${s.keys.length} keys, expire ${s.expire}s, wait ${s.wait}s, ` +
      `maxAttempts ${s.maxAttempts}, timeout ${s.requestTimeoutMs}ms, ${s.seedWorkers} seed-tool workers, ` +
      `operator ${s.operatorEveryMs ?? 'none'}${s.handTokens ? ' (places 2^53 tokens)' : ''}, pauses ${s.pauses}, cron ${s.cronPeriodMs ?? 'none'}`;
  }

  private start(): void {
    const r = this.random;
    for (let id = 0; id < this.settings.clients; id++) {
      const skew = r.chance(0.5) ? 0 : r.pick([r.between(-5000, 5000), r.between(-600_000, 600_000), r.between(-3_600_000, 3_600_000)]);
      if (skew !== 0) this.count('skewed client clock');
      void this.nestWorker(id, skew, r.fork());
    }
    for (let i = 0; i < this.settings.seedWorkers; i++) {
      this.count("seed's tool worker");
      void this.seedWorker(100 + i, r.fork());
    }
    if (this.settings.operatorEveryMs !== null) void this.operator(200, this.settings.operatorEveryMs, r.fork());
    if (this.settings.pauses) void this.pauser(r.fork());
  }

  private timersOf(actor: number, skew: number, random: Random): LockTimers {
    return {
      now: () => this.scheduler.now + skew,
      sleep: (ms) => this.scheduler.sleep(ms, actor), // virtual time
      random: () => random.next(),
    };
  }

  private protocolOf(actor: number, timers: LockTimers, kind: 'nest' | 'operator'): LockProtocol {
    const s = this.settings;
    const store = new SimClientStore(this.network, actor, kind, timers, { maxAttempts: s.maxAttempts, requestTimeoutMs: s.requestTimeoutMs });
    return new LockProtocol(
      store,
      { prefix: PREFIX, workerName: `w${actor}`, expire: s.expire, wait: s.wait, mode: 'conditional', maxAttempts: s.maxAttempts, logger: silent },
      timers,
    );
  }

  /** Waits for this worker's next run: the next cron tick (plus jitter), or a random gap. */
  private nextRun(actor: number, random: Random): Promise<void> {
    const period = this.settings.cronPeriodMs;
    if (period === null) return this.scheduler.sleep(random.between(0, this.settings.expire * 1500), actor); // virtual time
    const now = this.scheduler.now;
    const tick = (Math.floor(now / period) + 1) * period;
    return this.scheduler.sleep(tick - now + random.between(0, 30), actor); // virtual time
  }

  private async nestWorker(actor: number, skew: number, random: Random): Promise<void> {
    const timers = this.timersOf(actor, skew, random);
    let protocol = this.protocolOf(actor, timers, 'nest');
    let n = 0;
    while (!this.stopping) {
      await this.nextRun(actor, random);
      if (this.stopping) break;
      const key = random.pick(this.settings.keys);
      const objectKey = PREFIX + key;
      const owner = random.chance(0.2) ? `w${actor}` : `w${actor}#${++n}`;
      const startedAt = this.scheduler.now;
      const faultsBefore = this.faultsMet(actor);
      const epochAtStart = this.s3.epochs.get(objectKey) ?? 0;
      const writeBefore = this.network.lastWrite.get(actor);
      this.result.attempts++;
      let lock: Lock;
      try {
        lock = await protocol.acquire(key, { owner });
      } catch (error) {
        this.trace(actor, `acquire ${key} as ${owner}: ${(error as Error).name}`);
        if (error instanceof AlreadyLockedError) {
          this.result.refusals++;
          const lastWrite = this.network.lastWrite.get(actor);
          this.checker.refused(actor, objectKey, error.holder, owner, startedAt, epochAtStart, lastWrite === writeBefore ? undefined : lastWrite);
        } else if (error instanceof LockLostError) {
          this.result.lost++;
          this.checker.lost(actor, objectKey, new Set([error.lock.etag]));
        } else if (error instanceof S3LockStoreError) {
          this.result.storeErrors++;
          this.checker.storeError(actor, 'acquire', error, this.faultsMet(actor) - faultsBefore, this.ownWriteSince(actor, objectKey, startedAt, owner));
        } else if (error instanceof CorruptLockError) {
          this.result.corrupt++;
          this.checker.corrupt(actor, objectKey, error, startedAt);
        } else {
          this.checker.unexpected(actor, 'acquire', error as Error);
        }
        continue;
      }
      this.result.acquisitions++;
      this.trace(actor, `acquired ${key} as ${owner}, token ${lock.token}, etag ${lock.etag.slice(1, 7)}`);
      this.checker.acquired(actor, objectKey, lock, startedAt);
      const crashed = await this.hold(actor, protocol, lock, objectKey, random);
      if (crashed) protocol = this.protocolOf(actor, timers, 'nest'); // a restarted process forgets
    }
  }

  /** Holds `lock` as a decorated method would; returns true if the worker crashed meanwhile. */
  private async hold(actor: number, protocol: LockProtocol, acquired: Lock, objectKey: string, random: Random): Promise<boolean> {
    const expireMs = this.settings.expire * 1000;
    const plan = random.next();
    const mine = new Set([acquired.etag]);
    let lock = acquired;
    if (plan < 0.05) {
      this.trace(actor, 'crashes, leaving its lock');
      this.checker.letGo(actor, objectKey);
      await this.scheduler.sleep(random.between(0, expireMs * 2), actor); // virtual time
      return true;
    }
    const holdMs =
      plan < 0.5 ? random.between(0, 50) : plan < 0.8 ? random.between(0, expireMs * 0.9) : random.between(expireMs, expireMs * 2.5);
    const extendEvery = plan > 0.9 ? Math.max(250, expireMs / 3) : null;
    const until = this.scheduler.now + holdMs;
    if (extendEvery !== null) {
      while (this.scheduler.now + extendEvery < until) {
        await this.scheduler.sleep(extendEvery, actor); // virtual time
        const startedAt = this.scheduler.now;
        const faultsBefore = this.faultsMet(actor);
        try {
          lock = await protocol.extend(lock);
          mine.add(lock.etag);
          this.result.extensions++;
          this.checker.extended(actor, objectKey, lock, startedAt);
        } catch (error) {
          if (error instanceof LockLostError) {
            this.result.lost++;
            this.checker.letGo(actor, objectKey);
            this.checker.lost(actor, objectKey, mine);
            return false;
          }
          if (error instanceof S3LockStoreError) {
            this.result.storeErrors++;
            this.checker.storeError(actor, 'extend', error, this.faultsMet(actor) - faultsBefore);
          } else {
            this.checker.unexpected(actor, 'extend', error as Error);
          }
        }
      }
    }
    await this.scheduler.sleep(Math.max(0, until - this.scheduler.now), actor); // virtual time
    this.checker.letGo(actor, objectKey);
    const faultsBefore = this.faultsMet(actor);
    const releaseStartedAt = this.scheduler.now;
    try {
      const released = await protocol.release(lock);
      this.result.releases++;
      this.trace(actor, `released ${objectKey}, etag ${released.etag.slice(1, 7) || '(unheard)'}`);
      this.checker.released(actor, objectKey, released, mine);
    } catch (error) {
      this.trace(actor, `release ${objectKey}: ${(error as Error).name}`);
      if (error instanceof LockLostError) {
        this.result.lost++;
        this.checker.lost(actor, objectKey, mine);
      } else if (error instanceof S3LockStoreError) {
        this.result.storeErrors++;
        this.checker.storeError(actor, 'release', error, this.faultsMet(actor) - faultsBefore, this.ownWriteSince(actor, objectKey, releaseStartedAt, null));
      } else {
        this.checker.unexpected(actor, 'release', error as Error);
      }
    }
    return false;
  }

  /**
   * A worker of the seed's tool (the Python origin design): GET; free if missing, released, or
   * `now - lock_time >= expire` by its own (correct) clock; an unconditional PUT of the four
   * fields with no metadata; sleep `wait`; GET and compare the owner; release by an
   * unconditional PUT.
   */
  private async seedWorker(actor: number, random: Random): Promise<void> {
    const expire = this.settings.expire;
    const wait = random.pick([0, 0.2, 1.0]);
    let n = 0;
    const send = (request: Parameters<SimNetwork['send']>[2]) => this.network.send(actor, 'seed', request, 10_000);
    while (!this.stopping) {
      await this.nextRun(actor, random);
      if (this.stopping) break;
      const objectKey = PREFIX + random.pick(this.settings.keys);
      const owner = `py${actor}-${++n}`;
      const read = await send({ op: 'read', objectKey });
      if (read.kind !== 'ok' || !('object' in read.result)) continue;
      const object = read.result.object;
      const doc = object?.body ? (JSON.parse(object.body) as { owner: string | null; lock_time: string; expire: number }) : null;
      const expired = doc !== null && (this.scheduler.now - Date.parse(doc.lock_time)) / 1000 >= doc.expire;
      if (doc && doc.owner !== null && !expired) continue;
      this.checker.seedDecided(actor, object ? this.s3.byEtag.get(object.etag) : undefined, expired && doc?.owner !== null);
      const lockTime = pythonIso(this.scheduler.now);
      const held = { expire, lock_time: lockTime, release_time: null, owner };
      const put = await send({ op: 'put', objectKey, body: encodeDocument(held), metadata: {} });
      if (put.kind !== 'ok') continue;
      if (wait > 0) await this.scheduler.sleep(wait * 1000, actor); // virtual time
      const check = await send({ op: 'read', objectKey });
      if (check.kind !== 'ok' || !('object' in check.result) || !check.result.object?.body?.includes(`"${owner}"`)) continue;
      this.result.seedAcquisitions++;
      this.trace(actor, `seed tool holds ${objectKey} as ${owner}`);
      await this.scheduler.sleep(random.between(0, expire * 800), actor); // virtual time
      this.checker.seedDecided(actor, undefined, false);
      await send({ op: 'put', objectKey, body: encodeDocument({ ...held, release_time: pythonIso(this.scheduler.now), owner: null }), metadata: {} });
    }
  }

  /**
   * An operator: deletes lock objects by hand, frees foreign locks with `inspect` +
   * `forceRelease` (as the CLI's `release --force` does), and once in a while places a token
   * near 2^53 by hand.
   */
  private async operator(actor: number, everyMs: number, random: Random): Promise<void> {
    const protocol = this.protocolOf(actor, this.timersOf(actor, 0, random), 'operator');
    while (!this.stopping) {
      await this.scheduler.sleep(random.between(everyMs / 2, everyMs * 1.5), actor); // virtual time
      if (this.stopping) break;
      const key = random.pick(this.settings.keys);
      const objectKey = PREFIX + key;
      const roll = random.next();
      if (roll < 0.05 && this.s3.current.has(objectKey)) {
        this.count('object deleted by hand');
        this.trace(actor, `deletes ${objectKey} by hand`);
        this.s3.handDelete(objectKey);
      } else if (roll < 0.07 && this.settings.handTokens && this.s3.current.get(objectKey)?.token != null) {
        this.count('token near 2^53 placed by hand');
        const current = this.s3.apply(actor, 'hand', { op: 'read', objectKey });
        const body = 'object' in current ? current.object?.body : null;
        if (!body) continue;
        this.s3.bumpEpoch(objectKey);
        this.s3.handTokenEpochs.add(`${objectKey}@${this.s3.epochs.get(objectKey)}`);
        this.checker.onHandEdit(objectKey);
        this.trace(actor, `places token near 2^53 on ${objectKey} by hand`);
        this.s3.apply(actor, 'hand', { op: 'put', objectKey, body, metadata: encodeMetadata({ token: MAX_SAFE - random.int(0, 2), writeId: 'by-hand' }) });
      } else {
        const lock = await protocol.inspect(key).catch(() => null);
        if (!lock || lock.owner === null || lock.token !== 0) continue;
        this.count('forced release of a foreign lock');
        this.trace(actor, `forces the release of ${objectKey} held by ${lock.owner}`);
        await protocol.release(lock, true).catch(() => undefined);
      }
    }
  }

  /** Freezes a random worker now and then, for up to three times `expire`. */
  private async pauser(random: Random): Promise<void> {
    const expireMs = this.settings.expire * 1000;
    while (!this.stopping) {
      await this.scheduler.sleep(random.between(expireMs, expireMs * 20), -2); // virtual time
      const actor = random.int(0, this.settings.clients - 1);
      this.count('paused client');
      const pause = random.between(expireMs * 0.2, expireMs * 3);
      this.trace(actor, `paused for ${pause.toFixed(0)} ms`);
      this.scheduler.pause(actor, this.scheduler.now + pause);
    }
  }

  /**
   * The version holding `objectKey` now if `actor` wrote it since `since` with `owner` (`null`:
   * a release), while the caller read nothing back after sending its last write: the caller's own
   * write, which a re-read would have found. (A write still in flight at its last re-read is an
   * unknown outcome: that re-read showed the state before it.)
   */
  private ownWriteSince(actor: number, objectKey: string, since: number, owner: string | null): Version | undefined {
    const current = this.s3.current.get(objectKey);
    const mine = current && current.writer === actor && current.owner === owner && current.landedAt >= since;
    const rereadAfterWrite = (this.network.lastReadSeen.get(actor) ?? -1) > (this.network.lastWriteSentAt.get(actor) ?? Infinity);
    return mine && !rereadAfterWrite ? current : undefined;
  }

  private faultsMet(actor: number): number {
    return this.network.faultsOf.get(actor) ?? 0;
  }

  private count(kind: FaultKind | ActorFault, n = 1): void {
    this.result.faults.set(kind, (this.result.faults.get(kind) ?? 0) + n);
  }

  private trace(actor: number, line: string): void {
    if (!this.tracing) return;
    this.traceLines.push(`${String(this.scheduler.now - this.startedAt).padStart(8)} ms  a${actor}  ${line}`);
    if (this.traceLines.length > 40) this.traceLines.shift();
  }
}

/** Python's `datetime.isoformat()` of an aware UTC time, as the seed's tool writes it. */
function pythonIso(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '000+00:00');
}
