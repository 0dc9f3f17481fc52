import { messages } from '../s3-lock.messages.js';

/** Where `StoreOutages` writes its lines. */
export interface OutageLogger {
  warn(message: string): void;
  log(message: string): void;
}

/** How often, at most, a lasting outage of one key is logged again. */
export const OUTAGE_REPEAT_MS = 60_000;

interface Outage {
  since: number;
  lastLoggedAt: number;
  skipped: number;
}

/**
 * What the log says of S3 failing under the scheduled calls of each key: one warning when it
 * starts (with the error's one line), a count at most once a minute while it lasts, and one line
 * when S3 answers again; not a stack trace on every tick.
 */
export class StoreOutages {
  private readonly outages = new Map<string, Outage>();

  constructor(
    private readonly logger: OutageLogger,
    /** Now, in ms (the store's clock as the client estimates it: the library's one clock). */
    private readonly now: () => number,
  ) {}

  /** A scheduled call of `method` on `key` was skipped because S3 failed with `error`. */
  failed(key: string, method: string, error: unknown): void {
    const now = this.now();
    const outage = this.outages.get(key);
    if (!outage) {
      this.outages.set(key, { since: now, lastLoggedAt: now, skipped: 1 });
      this.logger.warn(messages.storeUnavailable(method, key, error));
      return;
    }
    outage.skipped++;
    if (now - outage.lastLoggedAt < OUTAGE_REPEAT_MS) return;
    outage.lastLoggedAt = now;
    this.logger.warn(messages.storeStillUnavailable(key, outage.skipped, now - outage.since, error));
  }

  /** S3 answered a call on `key` (whatever it said): an outage of that key, if any, is over. */
  answered(key: string): void {
    const outage = this.outages.get(key);
    if (!outage) return;
    this.outages.delete(key);
    this.logger.log(messages.storeAvailableAgain(key, outage.skipped, this.now() - outage.since));
  }
}
