import { UNKNOWN_HOLDER } from '../../lib/errors/already-locked.error.js';
import type { Lock } from '../../lib/interfaces/lock.interface.js';
import { MAX_INCREASABLE_TOKEN, TOKEN_STEPS_PER_SECOND } from '../../lib/protocol/fencing-token.js';
import { lostSignalMarginMs as runPathMarginMs } from '../../lib/runner/locked-run.js';
import type { LandingObserver, Request, SimS3, Version } from './sim-store.js';

/**
 * When the holder of a lock is told it lost the lease, as the run path computes it
 * (lib/runner/locked-run.ts, `watchExpiry`): `expire` seconds after the write that set the
 * lock started, minus the run path's own safety margin.
 */
export function lostSignalAt(writeStartedAt: number, expireSeconds: number): number {
  return writeStartedAt + expireSeconds * 1000 - lostSignalMarginMs(expireSeconds);
}

/**
 * The run path's safety margin before the lost signal, in ms, for a lock of `expireSeconds`:
 * the run path's own function, unless SIM_LOST_MARGIN_MS sets another (to see what a margin
 * would do, or 0 to see the run path without one).
 */
export function lostSignalMarginMs(expireSeconds: number): number {
  const override = process.env.SIM_LOST_MARGIN_MS;
  return override === undefined ? runPathMarginMs(expireSeconds) : Number(override);
}

/**
 * How long before the earliest possible takeover the lost signal must fire: an event-loop
 * stall or a GC pause of this size must not let two holders run.
 */
export const REQUIRED_SIGNAL_LEAD_MS = Number(process.env.SIM_REQUIRED_LEAD_MS ?? 100);

/** The kinds of invariant violation, each tied to the promise it breaks. */
export const VIOLATION_KINDS = {
  'two holders': 'at most one owner holds a lease valid by the store clock (two callers believe they hold it)',
  'token not increasing': 'tokens of a key strictly increase across acquisitions while its history survives',
  'token not increasing (after a token placed by hand near 2^53)': 'tokens keep increasing after a person placed a token near 2^53',
  'unsafe token': 'every token handed out is a safe integer',
  'write over a live lock': 'no write by an owner over another owner’s live lock',
  'told acquired, store disagrees': 'a caller told "acquired" holds the state the store shows',
  'told refused, nobody held it': 'a caller told "refused" met a live lock of the named holder, or (holder unknown) lost its last write to another writer',
  'told released, store disagrees': 'a caller told "released" released its own state',
  'told lost, nobody else wrote': 'a caller told "lost" was overwritten by someone else',
  'store error on a healthy store': 'a store error is reported only when the store failed',
  'told store error, own write in place': 'a store error is reported only for an outcome still unknown after the re-reads: never while the caller\'s own write holds the key (an orphaned lock, or a release reported failed that landed)',
  'unexpected error': 'no other error reaches a caller',
  'takeover before the lost signal': 'the lost signal fires before another owner takes over',
  'lock_time before the write': 'lock_time is not earlier than the start of the write that set it (a seed-tool worker judges expiry by it)',
  'lost signal without lead (by LastModified)': `the lost signal fires at least ${REQUIRED_SIGNAL_LEAD_MS} ms before another worker could take over (by LastModified)`,
  'lost signal without lead (seed tool, by lock_time)': `the lost signal fires at least ${REQUIRED_SIGNAL_LEAD_MS} ms before a seed-tool worker could take over (by lock_time)`,
} as const;
export type ViolationKind = keyof typeof VIOLATION_KINDS;

/** One broken invariant. */
export interface Violation {
  kind: ViolationKind;
  at: number;
  actor: number;
  detail: string;
}

/** A caller that believes it holds a lock (from "acquired" until its release, loss or deadline). */
interface Belief {
  actor: number;
  owner: string;
  deadline: number;
  /** The versions this holder wrote for this lease. */
  etags: Set<string>;
  /** Overwritten by something outside the protocol's promises (a seed-tool race, a person). */
  voided: boolean;
}

/** Statistics the checker keeps beside the violations. */
export interface CheckerStats {
  /** Writes of the seed's tool over a lock it had not read (the origin design's race). */
  seedRaces: number;
  /** Smallest lead of a lost signal before the earliest possible takeover, in ms. */
  minLeadMs: number;
}

/**
 * Checks the invariants of the lock against what the simulated store holds, at every landing,
 * at every answer a caller is given, and after every step.
 */
export class InvariantChecker implements LandingObserver {
  readonly violations: Violation[] = [];
  readonly stats: CheckerStats = { seedRaces: 0, minLeadMs: Infinity };
  private readonly beliefs = new Map<string, Map<number, Belief>>();
  /**
   * Per key: tokens of acquisitions told to callers, by the landing order of their writes;
   * `aboveClock` when the token exceeds the clock term of its write's second (only a lineage
   * that began with a token placed by hand gets there).
   */
  private readonly tokens = new Map<string, { seq: number; token: number; epoch: number; aboveClock: boolean }[]>();
  /** Per lineage (`objectKey@epoch`): the highest token told to a caller, and the landing number of its write. */
  private readonly highestTokens = new Map<string, { seq: number; token: number }>();
  /** For the seed tool's writes: the version each of its writes was decided on. */
  private readonly seedReads = new Map<number, { etag: string | null; judgedExpired: boolean }>();
  s3!: SimS3;

  constructor(
    private readonly now: () => number,
    private readonly onViolation: (violation: Violation) => void,
  ) {}

  /** The seed tool's worker `actor` decided to write after reading `version` (or nothing). */
  seedDecided(actor: number, version: Version | undefined, judgedExpired: boolean): void {
    this.seedReads.set(actor, { etag: version?.etag ?? null, judgedExpired });
  }

  onLanding(before: Version | undefined, after: Version, request: Request): void {
    const now = this.now();
    const key = after.objectKey;
    // Live by the store's own rule (docs/PROTOCOL.md): until the second after LastModified's
    // second plus expire, by the store's true clock.
    const live = before !== undefined && before.owner !== null && now < (before.lmSec + before.expire + 1) * 1000;
    if (after.kind === 'nest' && live && after.owner !== null && before.owner !== after.owner) {
      this.violate('write over a live lock', after.writer, `${after.owner} (${request.op}) over ${before.owner}'s lock written ${now - before.landedAt} ms ago with expire ${before.expire}`);
    }
    if (after.kind === 'nest' && after.owner === null && before && before.owner !== null && before.writer !== after.writer) {
      this.violate('write over a live lock', after.writer, `a release by actor ${after.writer} over ${before.owner}'s lock (actor ${before.writer})`);
    }
    if ((after.token === null || after.token === 0) && this.s3.handTokenEpochs.has(`${key}@${after.epoch}`)) {
      // A state without a known token (another tool's, or a forced release of one) over a
      // lineage a person began above the clock term: the library promises that later tokens
      // exceed the earlier ones through the clock term (docs/PROTOCOL.md, "Fencing tokens"), which
      // those tokens are above. Their history does not survive that write, as after a deletion.
      const log = this.tokens.get(key);
      if (log) this.tokens.set(key, log.filter((entry) => !entry.aboveClock));
    }
    const holders = this.beliefs.get(key);
    if (!holders) return;
    for (const belief of holders.values()) {
      if (belief.voided || belief.actor === after.writer || now >= belief.deadline) continue;
      if (after.kind === 'seed') {
        const read = this.seedReads.get(after.writer);
        const raced = !read || read.etag !== before?.etag || !read.judgedExpired || after.owner === null;
        if (raced) {
          // The seed's tool writes unconditionally: it can overwrite a lock it never saw.
          this.stats.seedRaces++;
          belief.voided = true;
          continue;
        }
      } else if (after.kind !== 'nest') {
        belief.voided = true;
        continue;
      }
      if (after.owner !== null && after.owner !== belief.owner) {
        this.violate('takeover before the lost signal', after.writer, `${after.owner} (${after.kind}) took "${key}" ${belief.deadline - now} ms before ${belief.owner}'s lost signal`);
      }
    }
  }

  onHandDelete(objectKey: string): void {
    for (const belief of this.beliefs.get(objectKey)?.values() ?? []) belief.voided = true;
    this.tokens.delete(objectKey);
  }

  /** A hand edit of the object: the token history restarts, holders are overruled. */
  onHandEdit(objectKey: string): void {
    this.onHandDelete(objectKey);
  }

  /** A caller was told "acquired" after a call that started at `startedAt`. */
  acquired(actor: number, objectKey: string, lock: Lock, startedAt: number): void {
    const version = this.s3.byEtag.get(lock.etag);
    if (!Number.isSafeInteger(lock.token)) {
      this.violate('unsafe token', actor, `token ${lock.token} of "${lock.key}" is not a safe integer (above 2^53)`);
      return;
    }
    const holders = this.beliefs.get(objectKey) ?? new Map<number, Belief>();
    this.beliefs.set(objectKey, holders);
    const belief = { actor, owner: lock.owner!, deadline: lostSignalAt(startedAt, lock.expire), etags: new Set([lock.etag]), voided: false };
    if (!version || version.writer !== actor || version.owner !== lock.owner || version.token !== lock.token || version.landedAt < startedAt) {
      this.violate('told acquired, store disagrees', actor, `token ${lock.token}, etag ${lock.etag.slice(1, 7)}: ${version ? `the store's version is by actor ${version.writer}, owner ${version.owner}, token ${version.token}` : 'no such version landed'}`);
      // Still a holder, as far as its caller knows: it counts among the holders of the key.
      holders.set(actor, belief);
      this.checkOneHolder(objectKey);
      return;
    }
    this.checkTokenOrder(actor, objectKey, version, lock.token);
    this.checkLead(actor, version, startedAt);
    holders.set(actor, belief);
    this.checkReplacedBeforeTold(belief, version);
    this.checkOneHolder(objectKey);
  }

  /** A holder was told "extended" after an extension that started at `startedAt`. */
  extended(actor: number, objectKey: string, lock: Lock, startedAt: number): void {
    const belief = this.beliefs.get(objectKey)?.get(actor);
    const version = this.s3.byEtag.get(lock.etag);
    if (!version || version.writer !== actor || version.owner !== lock.owner || version.token !== lock.token) {
      this.violate('told acquired, store disagrees', actor, `extension to etag ${lock.etag.slice(1, 7)} that the store never held for ${lock.owner}`);
      return;
    }
    this.checkLead(actor, version, startedAt);
    if (!belief || this.now() >= belief.deadline) return; // the lost signal has fired: no revival
    belief.etags.add(lock.etag);
    belief.deadline = lostSignalAt(startedAt, lock.expire);
    this.checkReplacedBeforeTold(belief, version);
  }

  /**
   * A state can be replaced before its writer hears that it landed (a slow answer). By a
   * person (deleted, edited) or a seed-tool race: outside the promises, the belief is void. By
   * another worker: that takeover must come after the holder's lost signal.
   */
  private checkReplacedBeforeTold(belief: Belief, version: Version): void {
    if (version.supersededAt === Infinity) return;
    const history = this.versionsOf(version.objectKey);
    const next = history.find((v) => v.seq > version.seq);
    if (!next || next.epoch !== version.epoch || next.kind !== 'nest') {
      belief.voided = true;
      return;
    }
    if (next.owner !== null && next.owner !== belief.owner && next.landedAt < belief.deadline) {
      this.violate('takeover before the lost signal', next.writer, `${next.owner} took "${version.objectKey}" ${(belief.deadline - next.landedAt).toFixed(1)} ms before ${belief.owner}'s lost signal (before ${belief.owner} even heard it acquired)`);
    }
    belief.voided = true;
  }

  /** The holder stops relying on the lock (it is about to release it, or it crashed). */
  letGo(actor: number, objectKey: string): void {
    this.beliefs.get(objectKey)?.delete(actor);
  }

  /** A caller was told "released"; `mine` are the versions it wrote for that lease. */
  released(actor: number, objectKey: string, lock: Lock, mine: Set<string>): void {
    if (lock.etag === '') {
      // Landed unheard and replaced before it could be read back: a release of ours must exist.
      const first = this.firstSeq(mine);
      const history = this.versionsOf(objectKey);
      const ok =
        history.some((v) => v.writer === actor && v.owner === null && v.seq > first) ||
        [...mine].some((etag) => this.s3.byEtag.get(etag)?.epoch !== (this.s3.epochs.get(objectKey) ?? 0)); // a person deleted or edited it
      if (!ok) {
        const next = history.find((v) => v.seq > first && v.writer !== actor);
        this.violate('told released, store disagrees', actor, `released unheard, but no release of ours landed${next ? ` (${next.kind} actor ${next.writer} wrote over it)` : ''}`);
      }
      return;
    }
    const version = this.s3.byEtag.get(lock.etag);
    if (!version || version.writer !== actor || version.owner !== null) {
      this.violate('told released, store disagrees', actor, `etag ${lock.etag.slice(1, 7)}: ${version ? `owner ${version.owner} by actor ${version.writer}` : 'never landed'}`);
    }
  }

  /** A caller was told "lost" (LockLostError) about a lease whose versions are `mine`. */
  lost(actor: number, objectKey: string, mine: Set<string>): void {
    const first = this.firstSeq(mine);
    const overwritten =
      !this.s3.current.has(objectKey) ||
      this.versionsOf(objectKey).some((v) => v.seq > first && v.writer !== actor) ||
      [...mine].some((etag) => this.s3.byEtag.get(etag)?.epoch !== (this.s3.epochs.get(objectKey) ?? 0));
    if (!overwritten) {
      this.violate('told lost, nobody else wrote', actor, `"${objectKey}" holds only this holder's writes since it acquired`);
    }
  }

  /**
   * A caller was told another owner `holder` holds the key, or (`UNKNOWN_HOLDER`) that it lost
   * the race to other writers; its call started at `startedAt`, and `lastWrite` is the last
   * write it sent (none if it wrote nothing).
   */
  refused(actor: number, objectKey: string, holder: string, callerOwner: string, startedAt: number, epochAtStart: number, lastWrite?: Request): void {
    if ((this.s3.epochs.get(objectKey) ?? 0) !== epochAtStart) return; // a person edited the key meanwhile
    const history = this.versionsOf(objectKey);
    if (holder === UNKNOWN_HOLDER) {
      this.checkLostRace(actor, objectKey, startedAt, lastWrite);
      return;
    }
    let met = false;
    for (let i = history.length - 1; i >= 0 && !met; i--) {
      const v = history[i]!;
      if (v.supersededAt <= startedAt) break;
      met = v.owner === holder && holder !== callerOwner && (v.lmSec + v.expire + 1) * 1000 > startedAt;
    }
    if (!met) this.violate('told refused, nobody held it', actor, `refused naming "${holder}", who held no live lock on "${objectKey}" during the call`);
  }

  /**
   * A lost race (docs/PROTOCOL.md, "Acquire", step 4): the call's last write was refused, or can
   * never land, because another writer replaced the state it was conditional on; or, with no
   * write after it, another tool kept rewriting the key while the call waited for the store's
   * clock. Whoever won may have released the key, or let it expire, by the final read, so no
   * holder is named; but another actor's write must have landed after that state.
   */
  private checkLostRace(actor: number, objectKey: string, startedAt: number, lastWrite: Request | undefined): void {
    const history = this.versionsOf(objectKey);
    const condition = lastWrite?.op === 'replace' ? this.s3.byEtag.get(lastWrite.etag!) : undefined;
    const after = condition ? (v: Version) => v.seq > condition.seq : (v: Version) => v.landedAt >= startedAt;
    let other = false;
    for (let i = history.length - 1; i >= 0 && !other; i--) {
      const v = history[i]!;
      if (!after(v)) break;
      other = v.writer !== actor;
    }
    if (!other) {
      const what = condition ? `the state its last write was conditional on (write #${condition.seq})` : 'the call began';
      this.violate('told refused, nobody held it', actor, `refused as a lost race, but no other writer wrote "${objectKey}" after ${what}`);
    }
  }

  private versionsOf(objectKey: string): Version[] {
    return this.s3.history.get(objectKey) ?? [];
  }

  private firstSeq(etags: Set<string>): number {
    let first = Infinity;
    for (const etag of etags) first = Math.min(first, this.s3.byEtag.get(etag)?.seq ?? Infinity);
    return first === Infinity ? -1 : first;
  }

  /**
   * A caller got `S3LockStoreError`; `faultsMet` counts the faults its requests met. Promised
   * (docs/PROTOCOL.md) only for an outcome still unknown after the bounded re-reads: so never
   * while the store shows the caller's own write, which a re-read would have found (`ownWrite`:
   * the version that landed during the call and now holds the key, if it is this caller's and it
   * read nothing back after sending it), unless that re-read itself failed (`GetObject`).
   */
  storeError(actor: number, operation: string, error: Error, faultsMet: number, ownWrite?: Version): void {
    if (faultsMet === 0) this.violate('store error on a healthy store', actor, `${operation}: ${error.message}`);
    if (ownWrite && (error as { operation?: string }).operation !== 'GetObject') {
      this.violate(
        'told store error, own write in place',
        actor,
        `${operation}: its write (owner ${ownWrite.owner}, token ${ownWrite.token}) landed ${this.now() - ownWrite.landedAt} ms before and holds the key: ${error.message}`,
      );
    }
  }

  /**
   * A caller was refused with `CorruptLockError`. Documented (docs/PROTOCOL.md, "Documents")
   * for an object a person corrupted: in the simulation, a key whose state during the call
   * carried a token that cannot be increased (2^53 - 1 or more) in a lineage begun by a token
   * placed by hand. Anywhere else it is an unexpected error.
   */
  corrupt(actor: number, objectKey: string, error: Error, startedAt: number): void {
    const handPlaced = this.versionsOf(objectKey).some(
      (v) => v.supersededAt > startedAt && v.token !== null && v.token > MAX_INCREASABLE_TOKEN && this.s3.handTokenEpochs.has(`${objectKey}@${v.epoch}`),
    );
    if (!handPlaced) this.unexpected(actor, 'acquire', error);
  }

  /** A caller got an error no promise allows. */
  unexpected(actor: number, operation: string, error: Error): void {
    this.violate('unexpected error', actor, `${operation}: ${error.name}: ${error.message}`);
  }

  /** After every step: at most one caller believes it holds each key. */
  checkEveryStep(): void {
    for (const key of this.beliefs.keys()) this.checkOneHolder(key);
  }

  private checkOneHolder(objectKey: string): void {
    const now = this.now();
    const holders = this.beliefs.get(objectKey);
    if (!holders || holders.size < 2) return;
    const live = [...holders.values()].filter((b) => !b.voided && now < b.deadline);
    if (live.length > 1) {
      this.violate('two holders', live[1]!.actor, `"${objectKey}": ${live.map((b) => `${b.owner} (until +${b.deadline - now} ms)`).join(' and ')}`);
      for (const b of live.slice(1)) b.voided = true; // reported once
    }
  }

  private checkTokenOrder(actor: number, objectKey: string, version: Version, token: number): void {
    // Against every token of the lineage: the highest so far, for a write that landed after all
    // of them (the window below also checks those told out of landing order).
    const lineage = `${objectKey}@${version.epoch}`;
    const highest = this.highestTokens.get(lineage);
    if (highest && version.seq > highest.seq && token <= highest.token && !this.s3.handTokenEpochs.has(lineage)) {
      this.violate('token not increasing', actor, `"${objectKey}": token ${token} (write #${version.seq}) not above ${highest.token} (write #${highest.seq}), the lineage's highest`);
      return;
    }
    if (!highest || version.seq > highest.seq) this.highestTokens.set(lineage, { seq: version.seq, token: Math.max(token, highest?.token ?? token) });
    const log = this.tokens.get(objectKey) ?? [];
    this.tokens.set(objectKey, log);
    for (const entry of log) {
      if (entry.epoch !== version.epoch) continue;
      const wrong = entry.seq < version.seq ? entry.token >= token : entry.token <= token;
      if (wrong) {
        const hand = this.s3.handTokenEpochs.has(`${objectKey}@${version.epoch}`);
        this.violate(hand ? 'token not increasing (after a token placed by hand near 2^53)' : 'token not increasing', actor, `"${objectKey}": token ${token} (write #${version.seq}) after token ${entry.token} (write #${entry.seq})`);
        break;
      }
    }
    log.push({ seq: version.seq, token, epoch: version.epoch, aboveClock: token >= (version.lmSec + 1) * TOKEN_STEPS_PER_SECOND });
    if (log.length > 64) log.shift();
  }

  private checkLead(actor: number, version: Version, startedAt: number): void {
    const deadline = lostSignalAt(startedAt, version.expire);
    const byStore = (version.lmSec + version.expire + 1) * 1000;
    const bySeed = version.lockTimeMs + version.expire * 1000;
    const lead = Math.min(byStore, bySeed) - deadline;
    this.stats.minLeadMs = Math.min(this.stats.minLeadMs, lead);
    if (version.lockTimeMs < startedAt) {
      this.violate('lock_time before the write', actor, `"${version.objectKey}" ${version.owner}: lock_time ${new Date(version.lockTimeMs).toISOString()} is ${(startedAt - version.lockTimeMs).toFixed(1)} ms before the call that wrote it began`);
    }
    if (byStore - deadline < REQUIRED_SIGNAL_LEAD_MS) {
      this.violate('lost signal without lead (by LastModified)', actor, `"${version.objectKey}" ${version.owner}: the lost signal fires ${(byStore - deadline).toFixed(1)} ms before another worker could take over (LastModified second ${version.lmSec}, write started at ${new Date(startedAt).toISOString()})`);
    }
    if (bySeed - deadline < REQUIRED_SIGNAL_LEAD_MS) {
      this.violate('lost signal without lead (seed tool, by lock_time)', actor, `"${version.objectKey}" ${version.owner}: lock_time is ${(version.lockTimeMs - startedAt).toFixed(1)} ms from the start of the write, so the lost signal fires ${(bySeed - deadline).toFixed(1)} ms before a seed-tool worker could take over`);
    }
  }

  private violate(kind: ViolationKind, actor: number, detail: string): void {
    const violation = { kind, at: this.now(), actor, detail };
    this.violations.push(violation);
    this.onViolation(violation);
  }
}
