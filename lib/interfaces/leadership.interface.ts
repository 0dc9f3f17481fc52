import type { Lock } from './lock.interface.js';

/** One term of leadership: the span during which this replica holds the leader lock. */
export interface S3LockLeaderTerm {
  /** The leadership's key. */
  readonly key: string;
  /** The leader lock as last written (replaced after every extension). */
  readonly lock: Lock;
  /**
   * The fencing token of this term: greater than every earlier term's, on any replica. Pass it
   * to the resources the leader writes, so a deposed leader's late writes can be refused.
   */
  readonly token: number;
  /**
   * Aborted when the term ends: the lock was lost (an extension was refused, or S3 could not
   * be reached to extend it, in which case it fires before another replica can take over),
   * `stop()` was called, or the application is shutting down. `signal.reason` says which.
   */
  readonly signal: AbortSignal;
}

/** Options of `S3LockService.lead` and `@WhileLeader`. */
export interface S3LockLeadershipOptions {
  /**
   * Seconds of the leader's lease: extended about every `expire / 3` seconds while leader. When
   * the leader dies or loses S3, another replica takes over within about `expire` + 2 seconds.
   * A whole number, at least 2.
   * @default 15
   */
  expire?: number;
  /** Ends the leadership for good, like `stop()`. */
  signal?: AbortSignal;
  /**
   * Called when this replica becomes the leader, once per term, with `currentS3Lock()` set to
   * the term. May be async; a rejection is logged. Work it starts should stop when
   * `term.signal` aborts.
   */
  onElected?(term: S3LockLeaderTerm): unknown;
  /**
   * Called when a term ends (after `term.signal` was aborted), with the reason: the lock was
   * lost, or leadership was stopped. A throw is logged.
   */
  onDeposed?(term: S3LockLeaderTerm, reason: Error): void;
  /**
   * Milliseconds `stop()` (and shutdown) waits for the promise returned by `onElected` to settle
   * after aborting the term's signal, before releasing the lock: the leader's work ends before
   * another replica can start it.
   * @default 10000
   */
  stopTimeoutMs?: number;
}

/**
 * A replica's part in the leadership of one key, from `S3LockService.lead`: it competes for the
 * leader lock, holds and extends it while leader, and competes again after losing it, until
 * stopped.
 */
export interface S3LockLeadership {
  /** The leadership's key. */
  readonly key: string;
  /**
   * Whether this replica is the leader now: it holds the lock and can trust its lease (false
   * from about a second before the lease could expire without an extension).
   */
  readonly isLeader: boolean;
  /** The current term, while leader. */
  readonly term: S3LockLeaderTerm | undefined;
  /** The current term's fencing token, while leader. */
  readonly token: number | undefined;
  /** The current term's signal, while leader (see {@link S3LockLeaderTerm.signal}). */
  readonly signal: AbortSignal | undefined;
  /** Resolves with the next term this replica leads (the current one, if leader now). */
  whenLeader(): Promise<S3LockLeaderTerm>;
  /**
   * Stops competing: a follower stops waiting; a leader aborts its term's signal, waits for
   * `onElected`'s work (up to `stopTimeoutMs`), and releases the lock so another replica takes
   * over at once. Resolves when done; calling it again resolves to the same.
   */
  stop(): Promise<void>;
}
