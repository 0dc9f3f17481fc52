import type { Lock } from '../interfaces/lock.interface.js';
import type {
  S3LockScheduledRunOptions,
  S3LockScheduledRunResult,
} from '../interfaces/scheduled-run.interface.js';

/** What `S3LockService.runScheduled` needs of the runner. */
export interface ScheduledRunner {
  runScheduled<T>(
    options: S3LockScheduledRunOptions,
    fn: (lock: Lock) => T | Promise<T>,
  ): Promise<S3LockScheduledRunResult<Awaited<T>>>;
}
