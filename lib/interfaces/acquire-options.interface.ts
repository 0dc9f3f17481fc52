/** Options of a single `acquire`, `tryAcquire` or `runExclusive` call. */
export interface AcquireOptions {
  /**
   * Who is acquiring. The same owner may re-acquire a lock it holds, which refreshes it.
   * Leave it out to get a fresh owner for this call only (`<worker name>:<random>`), so two
   * calls never share a lock by accident.
   */
  owner?: string;
  /**
   * Seconds after which the lock counts as abandoned if its holder has not released or
   * extended it, judged by the store's clock. A whole number, at least 1.
   * @default the service's `expire` (60)
   */
  expire?: number;
  /**
   * Seconds to wait after acquiring before re-reading the lock to confirm ownership (the origin
   * design's `wait`). With conditional writes the confirmation is not needed, so 0 skips it.
   * @default the service's `wait` (0)
   */
  wait?: number;
  /**
   * Seconds to keep trying while another owner holds the lock, before giving up as without it
   * (`acquire` throws `AlreadyLockedError`, `tryAcquire` returns `null`, `runExclusive` does not
   * run). Polls S3 every 125 ms to 1 s (backoff with jitter: a release is noticed within about a
   * second); waits for a holder in this process without polling; several waiters on one key in
   * one process share one poller. From 0 to 86400. See docs/DECORATOR.md, "Waiting for a lock".
   * @default 0 (do not wait)
   */
  waitForLock?: number;
  /**
   * Ends the call's waits early: the wait for the lock (`waitForLock`), the wait for the
   * store's clock after another tool wrote the lock, the `wait` confirmation, and the backoff
   * after a failed write. An aborted call rejects with `AcquireAbortedError` at once, after
   * releasing a lock it had just written. The service's own signal, aborted when the
   * application shuts down (or by `close()` / `stopWaiting()`), does the same for every call.
   */
  signal?: AbortSignal;
}

/** Options of `runExclusive`: those of `acquire`. */
export type RunExclusiveOptions = AcquireOptions;

/** What `runExclusive` reports. */
export type RunExclusiveResult<T> =
  | { ran: true; result: T }
  | { ran: false; holder: string };
