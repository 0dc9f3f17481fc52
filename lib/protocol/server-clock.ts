/**
 * The store's clock, as seen through `Date` response headers (1-second resolution).
 * Lock expiry is judged by the store's clock only; this worker's clock is used for nothing but
 * measuring short intervals and for estimating the store's time when it writes `lock_time`.
 *
 * Each header bounds the offset (store time minus local time): the store stamped the header at
 * some local time between sending the request and receiving the answer, when its own time was
 * within the header's second.
 * The bounds of successive answers are intersected, so the estimate tightens and stays steady;
 * if they stop overlapping (a local clock step), it starts over from the newest answer.
 */
export class ServerClock {
  private lowerMs = 0;
  private upperMs = 0;
  private seen = false;

  /** @param localNow this worker's wall clock, in milliseconds since the epoch. */
  constructor(private readonly localNow: () => number = Date.now) {}

  /**
   * Records a `Date` header of an answer to a request sent at local time `sentAtMs` and
   * received at `receivedAtMs`; returns the parsed time.
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
    return new Date(this.localNow() + (this.lowerMs + this.upperMs) / 2);
  }
}

/** Whole seconds since the epoch. */
export function toSecond(time: Date): number {
  return Math.floor(time.getTime() / 1000);
}
