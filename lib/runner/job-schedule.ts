import { createHash } from 'node:crypto';
import { S3LockError } from '../errors/s3-lock.error.js';
import { scheduleId, type TickClaim } from '../protocol/tick-claims.js';
import { messages } from '../s3-lock.messages.js';

/**
 * When a call was made: by this worker's clock (what its scheduler fired by) and by the store's,
 * as this worker knows it (an estimate with bounds, from `Date` headers of 1-second resolution).
 */
export interface CallTime {
  /** This worker's clock, `Date.now()`, in ms. */
  local: number;
  /** A time the store's clock has certainly reached (ms). */
  storeEarliest: number;
  /** A time the store's clock has certainly not passed yet (ms). */
  storeLatest: number;
}

/**
 * The schedule of a job, as far as its ticks are concerned: which tick a call belongs to, and
 * which tick was the latest by a given time (store's clock).
 */
export interface JobSchedule {
  /** A short readable form, for log lines: `cron "*\/5 * * * * *"`, `every 3000 ms`. */
  readonly description: string;
  /** The tick a call made at `time` runs. */
  tickOf(time: CallTime): Promise<TickClaim>;
  /** The latest tick scheduled at or before `storeNowMs` (store's clock), if known. */
  latestBy(storeNowMs: number): Promise<TickClaim | undefined>;
  /** The ticks strictly between `afterMs` and `beforeMs` (counted up to {@link MAX_COUNTED_TICKS}). */
  ticksBetween(afterMs: number, beforeMs: number): Promise<TicksBetween | undefined>;
}

/** Some ticks of a schedule: how many, the first and the last. */
export interface TicksBetween {
  /** How many, up to {@link MAX_COUNTED_TICKS} (`atLeast` then). */
  count: number;
  atLeast: boolean;
  first: number;
  last: number;
}

/** How many ticks `ticksBetween` counts at most (a job down for a day at one tick a second). */
export const MAX_COUNTED_TICKS = 1000;

/** What `@Cron` leaves on a method (`SCHEDULE_CRON_OPTIONS`), as far as ticks go. */
export interface CronSchedule {
  cronTime: string | Date | { toJSDate(): Date };
  timeZone?: string;
  utcOffset?: number | string;
}

/**
 * How far (ms) this worker's clock may be from the store's for its scheduler's word to be
 * taken on which occurrence a call is for. The clock of a replica kept by NTP is within a few
 * milliseconds; one that is further off maps its calls by the store's clock instead.
 */
const CLOCK_AGREEMENT_MS = 1000;

/**
 * How early (ms) by this worker's clock a scheduler may fire and still be taken to fire for
 * the coming occurrence: a plain `setTimeout` can fire a few milliseconds early by `Date.now()`
 * (the `cron` package re-arms it then; a scheduler of the user's own may not). Occurrences are
 * at least a second apart.
 */
const EARLY_FIRE_MS = 50;

/**
 * A fixed tick, given by the caller.
 * @param job the job's identity in tick claims (see `WithS3LockOptions.job`)
 */
export function fixedTick(job: string, at: number): JobSchedule {
  const tick = { schedule: scheduleId(job, 'tick'), at };
  return {
    description: `tick ${new Date(at).toISOString()}`,
    tickOf: () => Promise.resolve(tick),
    latestBy: () => Promise.resolve(undefined),
    ticksBetween: () => Promise.resolve(undefined),
  };
}

/**
 * `@Interval(ms)`: replicas start at different moments, so their timers are not aligned; ticks
 * are the slots `[k·ms, (k+1)·ms)` of one grid, on the store's clock, that all replicas share.
 * A call belongs to the slot of the earliest time the store's clock can be: never to a slot
 * that has not begun, which would make the calls of the slot still running skip (claims only
 * move forward) and leave it run by nobody.
 */
export function intervalSchedule(name: string, ms: number, job = name): JobSchedule {
  if (!Number.isSafeInteger(ms) || ms < 1) throw new S3LockError(messages.badInterval(name, ms));
  const schedule = scheduleId(job, `interval ${ms}`);
  const slot = (now: number): TickClaim => ({ schedule, at: Math.floor(now / ms) * ms });
  return {
    description: `every ${ms} ms`,
    tickOf: ({ storeEarliest }) => Promise.resolve(slot(storeEarliest)),
    latestBy: (now) => Promise.resolve(slot(now)),
    ticksBetween(after, before) {
      const first = (Math.floor(after / ms) + 1) * ms;
      const last = Math.ceil(before / ms) * ms - ms;
      const count = last >= first ? Math.round((last - first) / ms) + 1 : 0;
      return Promise.resolve(count === 0 ? undefined : { count: Math.min(count, MAX_COUNTED_TICKS), atLeast: count > MAX_COUNTED_TICKS, first, last });
    },
  };
}

/**
 * `@Cron(cronTime, { timeZone | utcOffset })`: ticks are the expression's occurrences, computed
 * with the `cron` package that `@nestjs/schedule` uses. A call belongs to the occurrence its
 * scheduler fired for: the latest at or before this worker's clock, which the scheduler fires
 * by, when that clock agrees with the store's within {@link CLOCK_AGREEMENT_MS}. A worker whose
 * clock is further off cannot tell which occurrence it was fired for: its call belongs to the
 * latest occurrence the store's clock has certainly reached, never to one still to come (it
 * was run already, as a rule, and the call skips).
 *
 * The schedule's part of the claim id is the expression's occurrences, not its text: `*\/2` and
 * `0-59/2` are one schedule.
 * @param name the job's name in messages
 * @param job the job's identity in tick claims (see `WithS3LockOptions.job`)
 */
export function cronSchedule(name: string, options: CronSchedule, job = name): JobSchedule {
  const { cronTime } = options;
  if (cronTime instanceof Date || (typeof cronTime === 'object' && typeof cronTime?.toJSDate === 'function')) {
    const at = cronTime instanceof Date ? cronTime.getTime() : cronTime.toJSDate().getTime();
    return fixedTick(job, at);
  }
  if (typeof cronTime !== 'string') throw new S3LockError(messages.badCron(name, cronTime));
  const zone = zoneOf(options);
  let occurrences: Promise<Occurrences & { schedule: string }> | undefined;
  const load = () =>
    (occurrences ??= loadOccurrences(name, cronTime, zone).then((found) => ({
      ...found,
      schedule: scheduleId(job, `cron ${found.signature} ${zone}`),
    })));
  return {
    description: `cron "${cronTime}"${zone === 'UTC' ? '' : ` (${zone})`}`,
    async tickOf({ local, storeEarliest, storeLatest }) {
      const { latestAtOrBefore, nextAfter, schedule } = await load();
      const agrees = local >= storeEarliest - CLOCK_AGREEMENT_MS && local <= storeLatest + CLOCK_AGREEMENT_MS;
      const by = agrees ? local + EARLY_FIRE_MS : storeEarliest;
      // No occurrence for 9 years back: the call can only be for the next one.
      return { schedule, at: latestAtOrBefore(by) ?? nextAfter(by) };
    },
    async latestBy(now) {
      const { latestAtOrBefore, schedule } = await load();
      const at = latestAtOrBefore(now);
      return at === undefined ? undefined : { schedule, at };
    },
    async ticksBetween(after, before) {
      const { nextAfter, latestAtOrBefore } = await load();
      const first = nextAfter(after);
      if (first >= before) return undefined;
      let count = 1;
      for (let at = nextAfter(first); at < before && count <= MAX_COUNTED_TICKS; at = nextAfter(at)) count++;
      return { count: Math.min(count, MAX_COUNTED_TICKS), atLeast: count > MAX_COUNTED_TICKS, first, last: latestAtOrBefore(before - 1) ?? first };
    },
  };
}

interface Occurrences {
  /**
   * A canonical form of the expression: a digest of its occurrences after fixed instants spread
   * over four years (the same for every way of writing the same schedule).
   */
  signature: string;
  /** The first occurrence after `ms`. */
  nextAfter(ms: number): number;
  /** The latest occurrence at or before `ms`, within 9 years; `undefined` if none. */
  latestAtOrBefore(ms: number): number | undefined;
}

interface CronTimeLike {
  getNextDateFrom(start: Date, timeZone?: string): { toMillis(): number };
}

/** The zone occurrences are computed in, as `@nestjs/schedule`'s `cron` does: UTC unless told. */
function zoneOf({ timeZone, utcOffset }: CronSchedule): string {
  if (timeZone) return timeZone;
  if (utcOffset === undefined || utcOffset === null) return 'UTC';
  const minutes = Number(utcOffset);
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `UTC${sign}${String(Math.trunc(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** How far back an occurrence is looked for: beyond the 8 years the `cron` package looks ahead. */
const LOOKBACK_LIMIT_MS = 9 * 366 * 24 * 3600 * 1000;

/** Fixed instants the signature samples from: the start of each month of 2001 to 2004 (UTC). */
const SIGNATURE_STARTS = Array.from({ length: 48 }, (_, month) => Date.UTC(2001, month, 1));
/** Occurrences sampled after each of them. */
const SIGNATURE_RUN = 4;

/** See `Occurrences.signature`. */
function signatureOf(nextAfter: (ms: number) => number): string {
  const samples: number[] = [];
  for (const start of SIGNATURE_STARTS) {
    for (let at = start - 1, i = 0; i < SIGNATURE_RUN; i++) samples.push((at = nextAfter(at)));
  }
  return createHash('sha256').update(samples.join(',')).digest('base64url').slice(0, 16);
}

async function loadOccurrences(name: string, expression: string, zone: string): Promise<Occurrences> {
  let CronTime: new (source: string) => CronTimeLike;
  try {
    ({ CronTime } = (await import('cron')) as unknown as { CronTime: typeof CronTime });
  } catch (error) {
    throw new S3LockError(messages.cronMissing(name), { cause: error });
  }
  const time = new CronTime(expression);
  const nextAfter = (ms: number): number => time.getNextDateFrom(new Date(ms), zone).toMillis();
  return {
    signature: signatureOf(nextAfter),
    nextAfter,
    latestAtOrBefore(ms) {
      // Widen the window back from `ms` until it holds an occurrence, then walk forward.
      for (let window = 1000; window <= LOOKBACK_LIMIT_MS; window *= 2) {
        let found = nextAfter(ms - window);
        if (found > ms) continue;
        for (let next = nextAfter(found); next <= ms; next = nextAfter(found)) found = next;
        return found;
      }
      return undefined;
    },
  };
}
