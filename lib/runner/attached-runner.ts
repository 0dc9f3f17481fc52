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

/** The runner of each service's module (set by the runner itself, so the service needs no import of it). */
const runners = new WeakMap<object, ScheduledRunner>();

/** Makes `runner` the one that runs `service`'s scheduled calls. */
export function attachRunner(service: object, runner: ScheduledRunner): void {
  runners.set(service, runner);
}

/** The runner attached to `service`, if any. */
export function attachedRunner(service: object): ScheduledRunner | undefined {
  return runners.get(service);
}
