import { createHash } from 'node:crypto';

/**
 * Tick claims: which scheduled occurrences ("ticks") of which jobs have already been run on a
 * key. They live in the lock object's metadata (never in the body, which stays the origin
 * design's four fields), are written by the same conditional write that takes the lock, and are
 * carried over by every later write of this library, release included. A document written by
 * another tool carries none: then the plain lease rules apply.
 *
 * Stored as `s3lock-ticks: <schedule id>=<tick ms>,…`, newest first, at most
 * {@link MAX_CLAIMS} schedules (a key shared by more scheduled jobs forgets the oldest).
 */

/** One tick of one schedule: the schedule's id and the tick's time (ms since the epoch, store's clock). */
export interface TickClaim {
  /** A short, stable id of the job's schedule (see {@link scheduleId}). */
  readonly schedule: string;
  /** The scheduled time of the tick, in ms since the epoch. */
  readonly at: number;
  /**
   * Told, once the write that claims this tick lands, the tick of the same schedule that the
   * state it replaced had claimed (the job's previous run, fleet-wide; `undefined`: none): the
   * ticks between the two ran on no replica. Passed by the caller that wants to know.
   */
  readonly onClaimed?: (replaced: number | undefined) => void;
}

/** How many schedules' latest ticks one lock object remembers. */
export const MAX_CLAIMS = 8;

/**
 * The id of a job's schedule, the same on every replica and every build: derived from the job's
 * identity (its `job` name, else its lock key) and the canonical form of its schedule (the
 * occurrences of a cron expression, not its text), so a renamed class or an equivalent
 * expression keeps the same claims while two jobs told apart by name keep separate ones.
 */
export function scheduleId(job: string, schedule: string): string {
  return createHash('sha256').update(`${job}\n${schedule}`).digest('base64url').slice(0, 12);
}

/** Parses the stored claims; anything malformed is dropped (the lease rules still hold). */
export function decodeClaims(value: string | undefined): Map<string, number> {
  const claims = new Map<string, number>();
  if (!value) return claims;
  for (const entry of value.split(',')) {
    const match = /^([A-Za-z0-9_-]{1,32})=(\d{1,16})$/.exec(entry);
    if (match && !claims.has(match[1]!)) claims.set(match[1]!, Number(match[2]));
    if (claims.size >= MAX_CLAIMS) break;
  }
  return claims;
}

/** The stored form of `claims` (newest first), or `undefined` when there are none. */
export function encodeClaims(claims: ReadonlyMap<string, number>): string | undefined {
  if (claims.size === 0) return undefined;
  return [...claims].slice(0, MAX_CLAIMS).map(([id, at]) => `${id}=${at}`).join(',');
}

/** Whether `tick`, or a later tick of its schedule, has already been claimed. */
export function isClaimed(claims: ReadonlyMap<string, number>, tick: TickClaim): boolean {
  const claimed = claims.get(tick.schedule);
  return claimed !== undefined && claimed >= tick.at;
}

/** `claims` with `tick` as the newest claim of its schedule (never moving a claim backwards). */
export function withClaim(claims: ReadonlyMap<string, number>, tick: TickClaim): Map<string, number> {
  const at = Math.max(tick.at, claims.get(tick.schedule) ?? 0);
  const next = new Map<string, number>([[tick.schedule, at]]);
  for (const [id, claimed] of claims) if (id !== tick.schedule) next.set(id, claimed);
  return next;
}
