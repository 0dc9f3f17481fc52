import { toSecond } from './server-clock.js';

/**
 * The one expiry rule, used by the protocol (may a lock be taken over?), the CLI and the health
 * report: a lock written at `lastModified` (the store's clock, whole seconds) with `expire`
 * seconds counts as abandoned once the store's clock is `expire + 1` whole seconds past it. Both
 * times are truncated to the second, so the extra second makes sure a lock is never taken over
 * early, and at most about a second late.
 */
export function isExpiredAt(lastModified: Date, expire: number, storeNow: Date): boolean {
  return toSecond(storeNow) - toSecond(lastModified) >= expire + 1;
}
