/**
 * The store's clock, as seen through `Date` response headers (1-second resolution).
 * Lock expiry is judged by the store's clock only; this worker's clock is used for nothing but
 * measuring short intervals and for estimating the store's time when it writes `lock_time`.
 *
 * The estimate is an interval: `earliest()` and `latest()` bound the store's time now, `now()`
 * is their midpoint. Each use takes the side that keeps it safe: times written for other
 * readers (`lock_time`, which the origin design's tool judges expiry by) come from `latest()`,
 * so they are never earlier than the store's time when the write is sent; times this worker
 * relies on to stop in time (`Lock.expiresAt`) come from `earliest()`.
 *
 * Each header bounds the offset (store time minus local time): the store stamped the header at
 * some local time between sending the request and receiving the answer, when its own time was
 * within the header's second.
 * The bounds of successive answers are intersected, so the estimate tightens and stays steady;
 * if they stop overlapping, it starts over from the newest answer.
 *
 * The offset is kept against a steady clock (one that is never stepped), not this worker's wall
 * clock: when NTP or a person steps the wall clock, the estimate of the store's time does not
 * jump with it (a replica whose clock stepped 30 s ahead would otherwise take the store to be
 * 30 s ahead too until its next answer, and run a tick that early).
 */
export class ServerClock {
  private lowerMs = 0;
  private upperMs = 0;
  private seen = false;
  /** The latest `latest()` returned: it never goes backwards. */
  private latestMs = Number.NEGATIVE_INFINITY;

  /**
   * @param localNow this worker's wall clock, in milliseconds since the epoch (what its
   *   schedulers fire by: `workerNow()`)
   * @param steadyNow a clock that is never stepped, on the same scale (see `LockTimers.steadyNow`);
   *   the estimate is kept against it. Default: `localNow`.
   */
  constructor(
    private readonly localNow: () => number = Date.now,
    private readonly steadyNow: () => number = localNow,
  ) {}

  /**
   * Records a `Date` header of an answer to a request sent at `sentAtMs` and received at
   * `receivedAtMs`, both by the steady clock; returns the parsed time.
   */
  observe(dateHeader: string | undefined, sentAtMs: number, receivedAtMs: number): Date | undefined {
    if (!dateHeader) return undefined;
    const serverMs = Date.parse(dateHeader);
    if (Number.isNaN(serverMs)) return undefined;
    const lower = serverMs - receivedAtMs;
    const upper = serverMs + 1000 - sentAtMs;
    if (this.seen && lower <= this.upperMs && upper >= this.lowerMs) {
      this.lowerMs = Math.max(this.lowerMs, lower);
      this.upperMs = Math.min(this.upperMs, upper);
    } else {
      this.lowerMs = lower;
      this.upperMs = upper;
      this.seen = true;
    }
    return new Date(serverMs);
  }

  /** The estimated current time of the store (this worker's clock until a header was seen). */
  now(): Date {
    return new Date(this.steadyNow() + (this.lowerMs + this.upperMs) / 2);
  }

  /** This worker's clock, which the estimate is relative to. */
  workerNow(): number {
    return this.localNow();
  }

  /** A time the store's clock has certainly reached (this worker's clock until a header was seen). */
  earliest(): Date {
    return new Date(this.steadyNow() + this.lowerMs);
  }

  /**
   * A time the store's clock has certainly not passed yet (this worker's clock until a header
   * was seen). Never earlier than a time it returned before, although the estimate tightens:
   * `lock_time`, written from it, never goes backwards from one write to the next.
   */
  latest(): Date {
    this.latestMs = Math.max(this.latestMs, this.steadyNow() + this.upperMs);
    return new Date(this.latestMs);
  }
}

/** Whole seconds since the epoch. */
export function toSecond(time: Date): number {
  return Math.floor(time.getTime() / 1000);
}
