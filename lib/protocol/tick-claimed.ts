import type { Lock } from '../interfaces/lock.interface.js';
import type { TickClaim } from './tick-claims.js';

/** Why a scheduled call may not run its tick. */
export type TickRefusal =
  /** The lock object says this tick (or a later one of its schedule) has already been claimed. */
  | 'already-run'
  /** Another replica's write landed between this call's read and its write: it claimed the tick. */
  | 'lost-race';

/**
 * Thrown by `LockProtocol.acquire` for a scheduled call (one with a tick) that must not run:
 * its tick has been claimed by another call. Internal: the runner turns it into a skip.
 */
export class TickClaimedError extends Error {
  constructor(
    readonly key: string,
    readonly tick: TickClaim,
    readonly refusal: TickRefusal,
    /** The lock as it stands, when it was read (not after a lost race). */
    readonly current: Lock | null,
  ) {
    super(`Tick ${new Date(tick.at).toISOString()} of lock "${key}" is claimed (${refusal}).`);
    this.name = 'TickClaimedError';
  }
}
