import { AcquireAbortedError } from '../errors/acquire-aborted.error.js';
import { AlreadyLockedError } from '../errors/already-locked.error.js';
import { CorruptLockError } from '../errors/corrupt-lock.error.js';
import { InvalidLockArgumentError } from '../errors/invalid-lock-argument.error.js';
import { LockLostError } from '../errors/lock-lost.error.js';
import { S3LockStoreError } from '../errors/s3-lock-store.error.js';
import type { AcquireOptions } from '../interfaces/acquire-options.interface.js';
import type { Lock } from '../interfaces/lock.interface.js';
import type { S3LockLogger, S3LockMode } from '../interfaces/s3-lock-options.interface.js';
import { protocolMessages } from './protocol.messages.js';
import { backoff } from './backoff.js';
import { mayIssueOverForeign, nextToken, tokenKnown, tokenProblem } from './fencing-token.js';
import { encodeDocument, encodeMetadata, formatTime, type LockDocument, parseTime } from './lock-document.js';
import { freshOwner, randomId } from './owner.js';
import { type LockStore, sameEtag } from './lock-store.js';
import { decodeRead, goneLock, lockOf, type Observed } from './lock-state.js';
import { isExpiredAt } from './expiry.js';
import { toSecond } from './server-clock.js';
import { TickClaimedError } from './tick-claimed.js';
import { decodeClaims, encodeClaims, isClaimed, type TickClaim, withClaim } from './tick-claims.js';
import { type LockTimers, realTimers } from './timers.js';
import { checkWaitBelowExpire, objectKeyFor, validExpire, validName, validWait } from './validation.js';
import { type WriteMode, writeModeFor } from './write-modes.js';

/** Settings of the protocol, already validated. */
export interface LockProtocolSettings {
  prefix: string;
  workerName: string;
  expire: number;
  wait: number;
  mode: S3LockMode;
  maxAttempts: number;
  logger: S3LockLogger;
  /**
   * The signal aborted when the client closes or the application shuts down: it ends the
   * waits of the acquisitions in progress then. Asked for at each acquisition.
   */
  shutdownSignal?: () => AbortSignal;
}

/** The last state this process wrote to a key: lets a repeat holder acquire in one request. */
interface Written {
  etag: string;
  token: number;
  owner: string | null;
  /** The tick claims of that state, stored form. */
  ticks: string | undefined;
  /** The write id of that state. */
  writeId: string;
}

/**
 * Where a holding began: the write id of the state its acquisition replaced (`undefined` when
 * that state was not ours). Kept in every state of the holding (`s3lock-base`), so a release
 * whose answer was lost can tell, from the next holder's state, that it landed.
 */
type Base = string | undefined;

/** One acquisition in progress: what it takes, as whom, and the id of its writes. */
interface Acquisition {
  key: string;
  objectKey: string;
  owner: string;
  expire: number;
  writeId: string;
  /** The tick a scheduled call claims. */
  tick: TickClaim | undefined;
  signal: AbortSignal | undefined;
}

/** A rewrite of a held lock: what it is called in messages, and the document it writes. */
type Rewrite = { operation: 'extend' | 'release'; doc: LockDocument; lockTime: Date; ticks: string | undefined; base: Base };

/** How many keys' last written states are remembered for the one-request path. */
const MAX_REMEMBERED = 10_000;
/** How many times to wait for the store's clock to pass a foreign document's second. */
const MAX_CLOCK_WAITS = 5;

/**
 * The lock protocol: how a lock is acquired, extended and released on S3, free of Nest.
 *
 * How a state is written is the write mode's (see write-modes.ts): in the default
 * `conditional` mode, a new lock is created with `If-None-Match: *`; a released, expired or own
 * lock is taken over, extended or released with `If-Match` on the ETag just read (or just
 * written). A 409, 5xx, time-out or broken connection leaves the outcome unknown: the document
 * is read again and, if it carries this call's write id, the write landed. Expiry is judged by
 * the store's clock only (`Date` header against `LastModified`).
 */
export class LockProtocol {
  private readonly written = new Map<string, Written>();
  /** The locks this protocol handed out: only those may be released or extended. */
  private readonly issued = new WeakSet<Lock>();
  /** The tick claims carried by each state this protocol built (issued or read). */
  private readonly claimsOf = new WeakMap<Lock, string | undefined>();
  /** Where the holding of each state this protocol built began (see {@link Base}). */
  private readonly baseOf = new WeakMap<Lock, Base>();
  private readonly mode: WriteMode;

  constructor(
    private readonly store: LockStore,
    private readonly settings: LockProtocolSettings,
    private readonly timers: LockTimers = realTimers,
  ) {
    this.mode = writeModeFor(settings.mode, store);
  }

  /** The current state of a lock, or `null` if its object does not exist. */
  async inspect(key: string): Promise<Lock | null> {
    const objectKey = objectKeyFor(this.settings.prefix, key);
    const seen = await this.observe(key, objectKey);
    return seen.object ? this.lockFrom(key, seen) : null;
  }

  /**
   * Acquires `key` or throws `AlreadyLockedError`; see `S3LockService.acquire`. With `tick` (a
   * scheduled call), also refuses with `TickClaimedError` when that tick, or a later one of its
   * schedule, has been claimed, and claims it in the same write that takes the lock.
   */
  async acquire(key: string, options: AcquireOptions = {}, tick?: TickClaim): Promise<Lock> {
    const objectKey = objectKeyFor(this.settings.prefix, key);
    const owner =
      options.owner === undefined
        ? freshOwner(this.settings.workerName)
        : validName(options.owner, 'owner');
    const expire = options.expire === undefined ? this.settings.expire : validExpire(options.expire);
    const wait = options.wait === undefined ? this.settings.wait : validWait(options.wait);
    checkWaitBelowExpire(wait, expire);
    this.mode.checkWait(wait);
    const signal = this.signalFor(options.signal);
    const writeId = randomId();
    try {
      signal?.throwIfAborted();
      const acquisition: Acquisition = { key, objectKey, owner, expire, writeId, tick, signal };
      const lock =
        (this.mode.repeatWithoutRead ? await this.acquireAsRepeatHolder(acquisition) : null) ??
        (await this.acquireByReading(acquisition));
      if (wait > 0) await this.confirm(lock, objectKey, writeId, wait, signal);
      return lock;
    } catch (error) {
      // `sleep` rejects with an AbortError (a DOMException, not always an `Error` of this realm).
      throw signal?.aborted && (error === signal.reason || (error as { name?: unknown } | null)?.name === 'AbortError')
        ? new AcquireAbortedError(key, signal.reason, 'no')
        : error;
    }
  }

  /** Extends a held lock: rewrites it with a fresh `lock_time` and `expire`, if still ours. */
  async extend(lock: Lock, expire?: number): Promise<Lock> {
    const held = this.heldLock(lock, 'extend');
    const newExpire = expire === undefined ? held.expire : validExpire(expire);
    const startedAt = this.store.clock.earliest();
    return this.rewrite(held, {
      operation: 'extend',
      doc: { expire: newExpire, lock_time: formatTime(this.store.clock.latest()), release_time: null, owner: held.owner },
      lockTime: startedAt,
      ticks: this.claimsOf.get(held),
      base: this.baseOf.get(held),
    });
  }

  /**
   * Releases a held lock, if still ours; see `S3LockService.release`. With `force`, the lock
   * need not have been handed out by this protocol (an operator freeing a dead owner's lock):
   * the write is still conditional on the state passed in. With `cover`, the released state
   * also claims that tick (the latest tick of a schedule that passed while a long run held the
   * lock), so a replica that fires late for it does not run it after the release.
   */
  async release(lock: Lock, force = false, cover?: TickClaim): Promise<Lock> {
    const held = this.heldLock(lock, force ? null : 'release');
    const claims = decodeClaims(this.claimsOf.get(held));
    return this.rewrite(held, {
      operation: 'release',
      doc: {
        expire: held.expire,
        lock_time: formatTime(held.lockTime),
        release_time: formatTime(this.store.clock.latest()),
        owner: null,
      },
      lockTime: held.lockTime,
      ticks: encodeClaims(cover ? withClaim(claims, cover) : claims),
      base: this.baseOf.get(held),
    });
  }

  /**
   * The one-request path: when this process wrote the current state of the key (it released
   * it, or holds it under the same owner), take it with `If-Match` on that ETag, no read.
   * Returns `null` when the path does not apply or the state changed meanwhile.
   */
  private async acquireAsRepeatHolder({ key, objectKey, owner, expire, writeId, tick }: Acquisition): Promise<Lock | null> {
    const last = this.written.get(objectKey);
    // A state whose token is not known (a forced release of another tool's document) must be
    // read, so that the next token waits for the store's clock (see acquireByReading).
    if (!last || !tokenKnown(last.token) || tokenProblem(last.token) || (last.owner !== null && last.owner !== owner)) return null;
    const claims = decodeClaims(last.ticks);
    // This process wrote the newest claim itself: no request needed to know the tick was run.
    if (tick && isClaimed(claims, tick)) throw new TickClaimedError(key, tick, 'already-run', null);
    const ticks = encodeClaims(tick ? withClaim(claims, tick) : claims);
    const startedAt = this.store.clock.earliest();
    const doc = this.heldDocument(owner, expire);
    const token = last.token + 1;
    const base = last.writeId;
    const result = await this.mode.rewrite(objectKey, last.etag, encodeDocument(doc), encodeMetadata({ token, writeId, ticks, base }));
    if (result.outcome === 'written') {
      return this.claimed(this.remember(key, objectKey, doc, token, result.etag, startedAt, ticks, base, writeId), claims, tick);
    }
    this.written.delete(objectKey);
    return null;
  }

  /** The general path: read, decide, write conditionally; settle unknown outcomes by reading. */
  private async acquireByReading({ key, objectKey, owner, expire, writeId, tick, signal }: Acquisition): Promise<Lock> {
    /** Waits for the store's clock over the foreign state `waitedOn` (its ETag). */
    let clockWaits = 0;
    let waitedOn: string | undefined;
    let last = 'no answer';
    /** Whether the last attempt was lost to other writers: a 412, or another tool's rewrite (`'foreign'`). */
    let lostRace: boolean | 'foreign' = false;
    /** The ETag the last write was conditional on (`null`: a create); `undefined` before any write. */
    let condition: string | null | undefined;
    for (let attempt = 1; attempt <= this.settings.maxAttempts; ) {
      const seen = await this.observe(key, objectKey);
      const landed = this.ownWrite(key, objectKey, seen, writeId);
      if (landed) return landed;
      const current = seen.object ? this.lockFrom(key, seen) : null;
      const claims = decodeClaims(seen.object?.meta?.ticks);
      if (tick && isClaimed(claims, tick)) throw new TickClaimedError(key, tick, 'already-run', current);
      if (current?.owner != null && current.owner !== owner && !this.isExpired(seen)) {
        throw new AlreadyLockedError({ ...current, owner: current.owner });
      }
      const serverSecond = toSecond(seen.serverTime);
      const previous = seen.object?.meta?.token;
      if (seen.object && !tokenKnown(previous) && !mayIssueOverForeign(serverSecond, toSecond(seen.object.lastModified))) {
        // Written by another tool in this very second (or a forced release of such a state,
        // which has no token either): a token issued now might not exceed the one it replaced.
        // Let the store's clock move on (see fencing-token.ts).
        if (waitedOn !== undefined && !sameEtag(waitedOn, seen.object.etag)) {
          // That tool wrote again during the wait: an attempt lost to it, and a new second to wait out.
          attempt++;
          lostRace = 'foreign';
          clockWaits = 0;
        }
        waitedOn = seen.object.etag;
        if (attempt > this.settings.maxAttempts) continue;
        // The same state all along: the store's clock does not move.
        if (++clockWaits > MAX_CLOCK_WAITS) {
          throw new S3LockStoreError('GetObject', protocolMessages.foreignClockBehind(key, objectKey));
        }
        await this.timers.sleep(500, signal);
        continue;
      }
      waitedOn = undefined;
      const exhausted = tokenProblem(previous);
      if (exhausted) throw new CorruptLockError(key, objectKey, exhausted);
      const token = nextToken(previous, serverSecond);
      const startedAt = this.store.clock.earliest();
      const doc = this.heldDocument(owner, expire);
      const ticks = encodeClaims(tick ? withClaim(claims, tick) : claims);
      signal?.throwIfAborted();
      condition = seen.object ? seen.object.etag : null;
      const base = seen.object?.meta?.writeId;
      const result = await this.mode.take(objectKey, seen, encodeDocument(doc), encodeMetadata({ token, writeId, ticks, base }));
      if (result.outcome === 'written') {
        return this.claimed(this.remember(key, objectKey, doc, token, result.etag, startedAt, ticks, base, writeId), claims, tick);
      }
      // A scheduled call that lost the race decides without re-reading: the winner claimed the tick.
      if (tick && result.outcome === 'precondition-failed') throw new TickClaimedError(key, tick, 'lost-race', null);
      attempt++;
      lostRace = result.outcome === 'precondition-failed';
      if (result.outcome === 'unknown') {
        last = result.failure.detail;
        this.debug(`acquire "${key}": outcome unknown (${last}); re-reading`);
        await backoff(attempt, this.timers, signal);
      }
    }
    // Out of attempts: the last write may have landed unheard. One more read settles it.
    const seen = await this.observe(key, objectKey);
    const landed = this.ownWrite(key, objectKey, seen, writeId);
    if (landed) return landed;
    if (lostRace || this.mode.cannotLand(seen, condition)) {
      // The last write was refused (a 412 is an answer, not a failure of the store), or its
      // outcome was unknown but the state it was conditional on is gone: it can never land.
      // Either way other writers took the key. Name the holder if it still holds it.
      const current = seen.object ? this.lockFrom(key, seen) : goneLock(key);
      const live = seen.object !== null && !this.isExpired(seen);
      throw AlreadyLockedError.lostRace(current, live, this.settings.maxAttempts, lostRace === 'foreign' ? 'foreign' : 'writes');
    }
    throw new S3LockStoreError('PutObject', protocolMessages.outcomeUnknown('acquire', key, this.settings.maxAttempts, last));
  }

  /**
   * The `wait` of the origin design: pause, then read back and make sure the lock is still ours.
   * If the read itself fails, the lock is released (conditionally) before the error propagates,
   * so a caller that gets no lock does not leave one behind.
   */
  private async confirm(lock: Lock, objectKey: string, writeId: string, wait: number, signal: AbortSignal | undefined): Promise<void> {
    try {
      await this.timers.sleep(wait * 1000, signal);
    } catch (error) {
      // Aborted: give back the lock just written (conditionally) before saying so.
      const released = await this.release(lock).then(() => 'released' as const, () => 'failed' as const);
      throw new AcquireAbortedError(lock.key, signal?.reason ?? error, released);
    }
    let seen: Observed;
    try {
      seen = await this.observe(lock.key, objectKey);
    } catch (error) {
      await this.release(lock).catch(() => undefined);
      throw error;
    }
    if (seen.object?.meta?.writeId === writeId) return;
    const current = seen.object ? this.lockFrom(lock.key, seen) : null;
    this.settings.logger.warn(protocolMessages.lostDuringWait(lock.key));
    if (current?.owner != null) throw new AlreadyLockedError({ ...current, owner: current.owner });
    throw new LockLostError(lock, current);
  }

  /** Rewrites a held lock (extend or release) on condition that it is unchanged since `held`. */
  private async rewrite(held: Lock & { owner: string }, change: Rewrite): Promise<Lock> {
    const objectKey = objectKeyFor(this.settings.prefix, held.key);
    const writeId = randomId();
    const body = encodeDocument(change.doc);
    const metadata = encodeMetadata({ token: held.token, writeId, ticks: change.ticks, base: change.base });
    let last = 'no answer';
    let sawUnknown = false;
    for (let attempt = 1; attempt <= this.settings.maxAttempts; attempt++) {
      const result = await this.mode.rewrite(objectKey, held.etag, body, metadata);
      if (result.outcome === 'written') {
        return this.remember(held.key, objectKey, change.doc, held.token, result.etag, change.lockTime, change.ticks, change.base, writeId);
      }
      if (result.outcome === 'unknown') {
        last = result.failure.detail;
        sawUnknown = true;
        await backoff(attempt, this.timers);
      }
      const seen = await this.observe(held.key, objectKey);
      const landed = this.ownWrite(held.key, objectKey, seen, writeId);
      if (landed) return landed;
      if (!seen.object || !sameEtag(seen.object.etag, held.etag)) {
        if (change.operation === 'release' && sawUnknown && seen.object?.meta?.base === writeId) {
          // The holding now in the store began from our release: it landed unheard, and
          // someone acquired the freed lock before this read.
          this.debug(`release "${held.key}": landed unheard; the key has changed hands since`);
          return this.releasedState(held, change);
        }
        if (this.issued.has(held) && this.sameHolding(held, seen, change.base)) {
          // A write of this very holding landed unheard (an extension whose caller was told the
          // store failed, and kept the state before it): the lock is still this holder's. Go on
          // from the state the store holds, once (that state is not an issued lock).
          this.debug(`${change.operation} "${held.key}": the store holds a later state of this holding, written unheard; going on from it`);
          return this.rewrite({ ...held, etag: seen.object!.etag }, change);
        }
        const current = seen.object ? this.lockFrom(held.key, seen) : null;
        this.settings.logger.warn(protocolMessages.staleRelease(held, current));
        throw new LockLostError(held, current);
      }
    }
    throw new S3LockStoreError('PutObject', protocolMessages.outcomeUnknown(change.operation, held.key, this.settings.maxAttempts, last));
  }

  /**
   * Whether `seen` is a held state of the same holding as `held`: the same owner and token, and
   * the same `s3lock-base` (where the holding began). Only this holding's own extensions write
   * such a state: a new acquisition, even by the same owner, gets a new token.
   */
  private sameHolding(held: Lock & { owner: string }, seen: Observed, base: Base): boolean {
    const object = seen.object;
    return object !== null && object.meta !== null && object.doc.owner === held.owner && object.meta.token === held.token && object.meta.base === base;
  }

  /** The released state of `held` when it was overwritten before it could be read back. */
  private releasedState(held: Lock, change: Rewrite): Lock {
    return this.known({ ...held, owner: null, releaseTime: parseTime(change.doc.release_time!), etag: '' }, change.ticks, change.base);
  }

  /** Reads and decodes the lock object; throws `CorruptLockError` if it is not a lock document. */
  private async observe(key: string, objectKey: string): Promise<Observed> {
    const read = await this.store.read(objectKey);
    const known = this.written.get(objectKey);
    if (known && (!read.object || !sameEtag(read.object.etag, known.etag))) {
      this.written.delete(objectKey);
    }
    return decodeRead(key, objectKey, read);
  }

  /** If `seen` is the state written by the write `writeId` (which landed unheard), that lock. */
  private ownWrite(key: string, objectKey: string, seen: Observed, writeId: string): Lock | null {
    if (seen.object?.meta?.writeId !== writeId) return null;
    const { doc, meta, etag } = seen.object;
    // LastModified (whole seconds, rounded down) is never after the write: a safe base for expiresAt.
    return this.remember(key, objectKey, doc, meta.token, etag, seen.object.lastModified, meta.ticks, meta.base, meta.writeId);
  }

  /**
   * Whether the holder of `seen` has abandoned it, by the store's clock alone. Both times are
   * truncated to the second, so one second is added: a lock is never taken over early, and at
   * most about a second late.
   */
  private isExpired(seen: Observed): boolean {
    const { doc, lastModified } = seen.object!;
    return isExpiredAt(lastModified, doc.expire, seen.serverTime);
  }

  /**
   * A held document. Its `lock_time` is the latest the store's clock can be as the write is
   * sent, so it is never earlier than the write: the origin design's tool judges expiry by it.
   */
  private heldDocument(owner: string, expire: number): LockDocument {
    return { expire, lock_time: formatTime(this.store.clock.latest()), release_time: null, owner };
  }

  /** Records a state this process wrote, and returns it as a `Lock` it may later rewrite. */
  private remember(
    key: string,
    objectKey: string,
    doc: LockDocument,
    token: number,
    etag: string,
    writtenAt: Date,
    ticks: string | undefined,
    base: Base,
    writeId: string,
  ): Lock {
    this.written.delete(objectKey);
    if (this.written.size >= MAX_REMEMBERED) {
      this.written.delete(this.written.keys().next().value as string);
    }
    this.written.set(objectKey, { etag, token, owner: doc.owner, ticks, writeId });
    const lock = this.known(lockOf(key, doc, token, etag, writtenAt), ticks, base);
    this.issued.add(lock);
    return lock;
  }

  /** Tells the caller of `tick` (see `TickClaim.onClaimed`) the claim of its schedule that `lock` replaced. */
  private claimed(lock: Lock, replaced: ReadonlyMap<string, number>, tick: TickClaim | undefined): Lock {
    if (tick) tick.onClaimed?.(replaced.get(tick.schedule));
    return lock;
  }

  /** The `Lock` of a state read from the store. */
  private lockFrom(key: string, seen: Observed): Lock {
    const { doc, meta, etag, lastModified } = seen.object!;
    return this.known(lockOf(key, doc, meta?.token ?? 0, etag, lastModified), meta?.ticks, meta?.base);
  }

  /** Records what a `Lock` of this protocol carries beside its fields: its tick claims and base. */
  private known(lock: Lock, ticks: string | undefined, base: Base): Lock {
    this.claimsOf.set(lock, ticks);
    this.baseOf.set(lock, base);
    return lock;
  }

  /**
   * Checks that `lock` is a held lock, and (unless `operation` is null, for a forced release)
   * that this protocol handed it out: a state read with `inspect()` or taken from an error must
   * not release or extend another owner's lock by mistake.
   */
  private heldLock(lock: Lock, operation: 'release' | 'extend' | null): Lock & { owner: string } {
    if (
      typeof lock !== 'object' || lock === null ||
      typeof lock.key !== 'string' || typeof lock.etag !== 'string' ||
      !(lock.lockTime instanceof Date) || !Number.isSafeInteger(lock.token)
    ) {
      throw new InvalidLockArgumentError('lock', protocolMessages.invalidOption('lock', 'a Lock returned by acquire or extend', lock));
    }
    if (lock.owner === null) {
      throw new InvalidLockArgumentError('lock', protocolMessages.invalidOption('lock', 'a held lock (this one is released: owner is null)', lock.owner));
    }
    if (operation !== null && !this.issued.has(lock)) {
      throw new InvalidLockArgumentError('lock', protocolMessages.notIssued(operation));
    }
    return lock as Lock & { owner: string };
  }

  /** The signal that ends the waits of one acquisition: the call's, the service's, or both. */
  private signalFor(callSignal: AbortSignal | undefined): AbortSignal | undefined {
    if (callSignal !== undefined && !(callSignal instanceof AbortSignal)) {
      throw new InvalidLockArgumentError('signal', protocolMessages.invalidOption('signal', 'an AbortSignal', callSignal));
    }
    const signals = [this.settings.shutdownSignal?.(), callSignal].filter((s): s is AbortSignal => s !== undefined);
    return signals.length > 1 ? AbortSignal.any(signals) : signals[0];
  }

  private debug(message: string): void {
    this.settings.logger.debug?.(message);
  }
}
