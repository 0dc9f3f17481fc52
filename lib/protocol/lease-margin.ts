/**
 * How long before its expiry a lock this process holds stops counting as held (ms): a quarter
 * of `expire`, at most a second. Another owner can take the lock over no earlier than `expire`
 * after the write that set it started (the store judges expiry to the second, rounding in the
 * holder's favour), so a holder that gives up this much earlier does so before any takeover can
 * happen, even after an event-loop stall or a timer that fires late by up to this much. Used by
 * a run's lost-lease signal, by leadership terms, and by the in-process decisions.
 */
export function lostSignalMarginMs(expire: number): number {
  return Math.min(1000, (expire * 1000) / 4);
}
