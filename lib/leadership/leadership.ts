import { AcquireAbortedError } from '../errors/acquire-aborted.error.js';
import { S3LockError } from '../errors/s3-lock.error.js';
import type {
  S3LockLeaderTerm,
  S3LockLeadership,
  S3LockLeadershipOptions,
} from '../interfaces/leadership.interface.js';
import type { Lock } from '../interfaces/lock.interface.js';
import type { S3LockLogger } from '../interfaces/s3-lock-options.interface.js';
import type { ProcessLocks } from '../protocol/process-locks.js';
import { validInteger } from '../protocol/validation.js';
import { pause, pollDelayMs } from '../protocol/waiting.js';
import { LockedRun } from '../runner/locked-run.js';
import { runInS3LockContext } from '../s3-lock.context.js';
import { coreMessages } from '../core/core.messages.js';

/** Default lease of a leader (seconds). */
const DEFAULT_LEADER_EXPIRE_SECONDS = 15;
const DEFAULT_STOP_TIMEOUT_MS = 10_000;

/** A term as the app sees it: the run's live lock, token and signal. */
class Term implements S3LockLeaderTerm {
  constructor(
    readonly key: string,
    readonly run: LockedRun,
  ) {}
  get lock(): Lock {
    return this.run.lock;
  }
  get token(): number {
    return this.run.token;
  }
  get signal(): AbortSignal {
    return this.run.signal;
  }
}

/**
 * One replica's part in the leadership of a key (see {@link S3LockLeadership}). A follower waits
 * for the lock as `acquire` with `waitForLock` does, without a time limit (one poll at a time,
 * at most about a second apart, none while the leader is in this process). A leader holds the
 * lock as a run with `autoExtend` does: extended every `expire / 3`, and deposed by the run's
 * lost-lease signal, which fires before any other replica can take the lock over. Internal:
 * made by `S3LockService.lead`.
 */
export class Leadership implements S3LockLeadership {
  private readonly stopper = new AbortController();
  private readonly signalAll: AbortSignal;
  private readonly expire: number;
  private readonly stopTimeoutMs: number;
  private current: Term | undefined;
  /** What `onElected` returned for the current term, settled. */
  private work: Promise<void> = Promise.resolve();
  private electedWaiters: ((term: S3LockLeaderTerm) => void)[] = [];
  private readonly competing: Promise<void>;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly locks: ProcessLocks,
    readonly key: string,
    private readonly options: S3LockLeadershipOptions,
    private readonly logger: S3LockLogger,
    /** Called once competing has ended for good. */
    ended: () => void = () => undefined,
  ) {
    this.expire = validInteger(options.expire ?? DEFAULT_LEADER_EXPIRE_SECONDS, 'expire', 2, 2 ** 31 - 1);
    this.stopTimeoutMs = validInteger(options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS, 'stopTimeoutMs', 0, 3_600_000);
    this.signalAll = options.signal ? AbortSignal.any([options.signal, this.stopper.signal]) : this.stopper.signal;
    // Like a server, a leadership keeps the process alive until it is stopped.
    const alive = setInterval(() => undefined, 60_000);
    this.competing = this.compete().finally(() => {
      clearInterval(alive);
      ended();
    });
  }

  /** @inheritdoc */
  get isLeader(): boolean {
    const term = this.current;
    return term !== undefined && !term.signal.aborted && this.locks.trusts(term.lock);
  }

  /** @inheritdoc */
  get term(): S3LockLeaderTerm | undefined {
    return this.isLeader ? this.current : undefined;
  }

  /** @inheritdoc */
  get token(): number | undefined {
    return this.term?.token;
  }

  /** @inheritdoc */
  get signal(): AbortSignal | undefined {
    return this.term?.signal;
  }

  /** @inheritdoc */
  whenLeader(): Promise<S3LockLeaderTerm> {
    const term = this.term;
    if (term) return Promise.resolve(term);
    return new Promise((resolve) => this.electedWaiters.push(resolve));
  }

  /** @inheritdoc */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.stopper.abort(new S3LockError(`the leadership of "${this.key}" was stopped`));
      await this.competing;
    })();
    return this.stopping;
  }

  /** Follower, leader, follower...: until stopped or the service shuts down. */
  private async compete(): Promise<void> {
    const signal = this.signalAll;
    let failures = 0;
    while (!signal.aborted) {
      let lock: Lock;
      try {
        lock = await this.locks.acquireWithin(this.key, { expire: this.expire, signal }, Infinity);
        failures = 0;
      } catch (error) {
        if (signal.aborted) return;
        // The waits in progress were ended (`stopWaiting`, shutdown): that stops this one too, next.
        if (error instanceof AcquireAbortedError) continue;
        // S3 unreachable, or a store error: keep competing, a little slower each time.
        this.logger.warn(coreMessages.leadershipRetry(this.key, error));
        await pause(pollDelayMs(++failures + 2), signal).catch(() => undefined);
        continue;
      }
      await this.lead(lock, this.locks.writeStartedAt(lock), signal);
    }
  }

  /** One term: from the lock just taken until it is lost or leadership stops; then released. */
  private async lead(lock: Lock, startedAt: number, signal: AbortSignal): Promise<void> {
    let endTerm!: (reason: Error) => void;
    const ended = new Promise<Error>((resolve) => (endTerm = resolve));
    const run = new LockedRun(
      { extend: (l, expire) => this.locks.extend(l, expire), release: (l) => this.locks.release(l) },
      `leadership of "${this.key}"`,
      lock,
      startedAt,
      true,
      {
        lost: (error) => endTerm(error),
        warn: (message) => this.logger.warn(message),
        expiredError: () => new S3LockError(coreMessages.leaseRunningOut(this.key, this.expire)),
      },
      undefined,
    );
    const term = new Term(this.key, run);
    this.current = term;
    this.logger.log(coreMessages.elected(this.key, term.token));
    this.work = this.electedWork(term);
    for (const resolve of this.electedWaiters.splice(0)) resolve(term);
    const onStop = () => endTerm(signal.reason as Error);
    signal.addEventListener('abort', onStop, { once: true });
    if (signal.aborted) onStop();
    const reason = await ended;
    signal.removeEventListener('abort', onStop);
    run.abort(reason);
    this.current = undefined;
    this.logger.log(coreMessages.deposed(this.key, term.token, reason.message));
    try {
      this.options.onDeposed?.(term, reason);
    } catch (error) {
      this.logger.warn(coreMessages.leaderHandlerFailed(this.key, 'onDeposed', error));
    }
    // The work stops before the lock is given back, so no two replicas do it at once.
    await this.settled(this.work);
    // Conditional: writes nothing if another owner took the lock meanwhile.
    await run.releaseNow();
  }

  /** Calls `onElected` with `currentS3Lock()` set to the term; resolves when what it returned settles. */
  private async electedWork(term: Term): Promise<void> {
    const onElected = this.options.onElected;
    if (!onElected) return;
    try {
      await runInS3LockContext(term.run, () => onElected.call(this.options, term));
    } catch (error) {
      this.logger.warn(coreMessages.leaderHandlerFailed(this.key, 'onElected', error));
    }
  }

  /** Waits for `work`, at most `stopTimeoutMs`. */
  private async settled(work: Promise<void>): Promise<void> {
    await pause(this.stopTimeoutMs, undefined, work);
  }
}
