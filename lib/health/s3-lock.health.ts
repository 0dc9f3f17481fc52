import { Injectable } from '@nestjs/common';
import { type HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { S3LockService } from '../s3-lock.service.js';

/**
 * Options of {@link S3LockHealthIndicator.isHealthy}. Durations in milliseconds, named so (`…Ms`),
 * as the library's other millisecond options; the names without the suffix still work.
 */
export interface S3LockHealthCheckOptions {
  /**
   * Milliseconds after which the check counts as `down` (the store did not answer in time).
   * @default 5000
   */
  timeoutMs?: number;
  /**
   * Milliseconds during which an `up` result is reused instead of checking the store again
   * (a `down` result never is: the next call checks again). `0` checks every time (one GET).
   * @default 0
   */
  cacheForMs?: number;
  /**
   * Milliseconds after which a probe runs the full store check again (the one of startup,
   * `S3LockService.verifyStore()`: seven requests, four of them PUTs, on a probe object of its
   * own) instead of one GET. Counted from the last full check that passed in this process
   * (the startup check included); until one passes, every probe runs it.
   * @default 3600000 (one hour)
   */
  fullCheckEveryMs?: number;
  /** @deprecated the same as `timeoutMs`, which wins when both are given. */
  timeout?: number;
  /** @deprecated the same as `cacheForMs`, which wins when both are given. */
  cacheFor?: number;
  /** @deprecated the same as `fullCheckEveryMs`, which wins when both are given. */
  fullCheckEvery?: number;
}

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_FULL_CHECK_EVERY_MS = 3_600_000;

/**
 * A `@nestjs/terminus` health indicator for the lock store: `up` when S3 answers and the
 * credentials may read under the prefix, `down` with the reason otherwise.
 *
 * A probe costs one GET (of a probe key that does not exist: a 404 is healthy). Once every
 * `fullCheckEveryMs` (one hour by default, counted from the startup check), and on every probe
 * until one has passed, it runs the full check instead (`S3LockService.verifyStore()`: the
 * credentials may write, the store still enforces conditional writes). Probes never overlap:
 * a call made while one is still running (one that timed out included) waits for that one.
 *
 * Import it from `nestjs-s3-lock/health` (it needs `@nestjs/terminus` 11 or later, an optional
 * peer dependency), provide it beside `TerminusModule` and `S3LockModule`.
 *
 * @example
 * import { S3LockHealthIndicator } from 'nestjs-s3-lock/health';
 *
 * \@Controller('health')
 * export class HealthController {
 *   constructor(
 *     private readonly health: HealthCheckService,
 *     private readonly s3Lock: S3LockHealthIndicator,
 *   ) {}
 *
 *   \@Get()
 *   \@HealthCheck()
 *   check() {
 *     return this.health.check([() => this.s3Lock.isHealthy('s3-lock')]);
 *   }
 * }
 *
 * \@Module({
 *   imports: [TerminusModule, S3LockModule.forRoot('my-locks-bucket')],
 *   controllers: [HealthController],
 *   providers: [S3LockHealthIndicator],
 * })
 * export class HealthModule {}
 */
@Injectable()
export class S3LockHealthIndicator {
  private cached: { key: string; at: number; result: HealthIndicatorResult } | undefined;
  /** The probe in progress: later calls join it rather than start another. */
  private running: Promise<void> | undefined;

  constructor(
    protected readonly locks: S3LockService,
    protected readonly healthIndicatorService: HealthIndicatorService,
  ) {}

  /**
   * Checks the lock store. Never throws: a failed check is a `down` result carrying the
   * bucket, the prefix, the error's name and a message that says what to fix.
   * @param key the name of this indicator in the health report
   */
  async isHealthy<const Key extends string = 's3-lock'>(
    key: Key = 's3-lock' as Key,
    options: S3LockHealthCheckOptions = {},
  ): Promise<HealthIndicatorResult<Key>> {
    const cacheFor = options.cacheForMs ?? options.cacheFor ?? 0;
    if (this.cached && this.cached.key === key && Date.now() - this.cached.at < cacheFor) {
      return this.cached.result as HealthIndicatorResult<Key>;
    }
    const result = await this.check(
      key,
      options.timeoutMs ?? options.timeout ?? DEFAULT_TIMEOUT_MS,
      options.fullCheckEveryMs ?? options.fullCheckEvery ?? DEFAULT_FULL_CHECK_EVERY_MS,
    );
    this.cached = result[key].status === 'up' ? { key, at: Date.now(), result } : undefined;
    return result;
  }

  /**
   * Probes the store (or joins the probe in progress) and turns its outcome into a result; a
   * probe still running after `timeoutMs` is `down` and goes on in the background.
   */
  protected async check<Key extends string>(
    key: Key,
    timeoutMs: number,
    fullCheckEveryMs = DEFAULT_FULL_CHECK_EVERY_MS,
  ): Promise<HealthIndicatorResult<Key>> {
    const indicator = this.healthIndicatorService.check(key);
    const where = { bucket: this.locks.bucket, prefix: this.locks.prefix };
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`The lock store did not answer within ${timeoutMs} ms.`)),
        timeoutMs,
      );
    });
    try {
      this.running ??= this.probe(fullCheckEveryMs).finally(() => {
        this.running = undefined;
      });
      await Promise.race([this.running, timedOut]);
      return indicator.up(where);
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      return indicator.down({ ...where, error: e.name, message: e.message });
    } finally {
      clearTimeout(timer);
    }
  }

  /** One GET, or the full store check when none passed within `fullCheckEveryMs`. */
  private async probe(fullCheckEveryMs: number): Promise<void> {
    const since = this.locks.msSinceStoreVerified();
    if (since === undefined || since >= fullCheckEveryMs) await this.locks.verifyStore();
    else await this.locks.probeStore();
  }
}
