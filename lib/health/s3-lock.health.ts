import { Injectable } from '@nestjs/common';
import { type HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { S3LockService } from '../s3-lock.service.js';

/** Options of {@link S3LockHealthIndicator.isHealthy}. */
export interface S3LockHealthCheckOptions {
  /**
   * Milliseconds after which the check counts as `down` (the store did not answer in time).
   * @default 5000
   */
  timeout?: number;
  /**
   * Milliseconds during which an `up` result is reused instead of checking the store again
   * (a `down` result never is: the next call checks again). Each check writes and deletes a
   * probe object (seven S3 requests); with a probe every few seconds, a cache of 30 000 or
   * more keeps the cost down. `0` checks every time.
   * @default 0
   */
  cacheFor?: number;
}

const DEFAULT_TIMEOUT_MS = 5000;

/**
 * A `@nestjs/terminus` health indicator for the lock store: `up` when S3 is reachable, the
 * credentials may write under the prefix, and the store still enforces conditional writes
 * (the same check as at startup, `S3LockService.verifyStore()`, on a probe object of its own);
 * `down` with the reason otherwise.
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
    const cacheFor = options.cacheFor ?? 0;
    if (this.cached && this.cached.key === key && Date.now() - this.cached.at < cacheFor) {
      return this.cached.result as HealthIndicatorResult<Key>;
    }
    const result = await this.check(key, options.timeout ?? DEFAULT_TIMEOUT_MS);
    this.cached = result[key].status === 'up' ? { key, at: Date.now(), result } : undefined;
    return result;
  }

  /** Runs the store check once and turns its outcome into a result. */
  protected async check<Key extends string>(key: Key, timeoutMs: number): Promise<HealthIndicatorResult<Key>> {
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
      await Promise.race([this.locks.verifyStore(), timedOut]);
      return indicator.up(where);
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      return indicator.down({ ...where, error: e.name, message: e.message });
    } finally {
      clearTimeout(timer);
    }
  }
}
