import { AsyncLocalStorage } from 'node:async_hooks';
import { processShared } from '../core/process-shared.js';
import { copyMethodMetadata } from '../decorators/copy-method-metadata.js';
import type { CronSchedule } from './job-schedule.js';

/**
 * How a call made by `@nestjs/schedule` is told from a direct call of the same method.
 *
 * `@nestjs/schedule` takes `instance[method]` once, while the application initialises
 * (`ScheduleExplorer.onModuleInit`), and calls that function on every tick. So, when Nest
 * creates an instance with a `@WithS3Lock` method that is also a `@Cron` or `@Interval` job, the
 * instance gets its own property for that method: an entry point that marks the call as
 * scheduled and then calls the method as usual. The explorer keeps that entry point; once the
 * application has bootstrapped, the runner removes the own property again, so every other
 * caller (a controller, a test, another job) reaches the method itself: a direct call, with
 * plain lease semantics. Calls made through the entry point before the application has
 * bootstrapped are direct calls too.
 */

/** `@nestjs/schedule`'s metadata keys (read by name: it is an optional dependency). */
const SCHEDULE_CRON_OPTIONS = 'SCHEDULE_CRON_OPTIONS';
const SCHEDULE_INTERVAL_OPTIONS = 'SCHEDULE_INTERVAL_OPTIONS';
/** Route metadata of `@Get()` and friends: such a method stays a plain locked method. */
const ROUTE_METHOD_METADATA = 'method';

/** What `@nestjs/schedule` says about a method's schedule. */
export type ScheduleMetadata = { cron: CronSchedule } | { interval: number };

interface ScheduledMark {
  readonly target: object;
  readonly key: string | symbol;
  readonly schedule: ScheduleMetadata;
  used: boolean;
}

/** One per process, shared by the CommonJS and the ES module build (see core/process-shared.ts). */
const marks = processShared('scheduled-marks', () => new AsyncLocalStorage<ScheduledMark>());

/** An entry point installed on an instance, to be removed once the application has bootstrapped. */
export interface InstalledEntry {
  readonly instance: object;
  readonly key: string | symbol;
  readonly entry: Function;
}

/** The schedule of `fn` (a method as `@nestjs/schedule` sees it), if it is a cron or interval job. */
function scheduleOf(fn: Function): ScheduleMetadata | undefined {
  if (Reflect.hasMetadata(ROUTE_METHOD_METADATA, fn)) return undefined;
  const cron = Reflect.getMetadata(SCHEDULE_CRON_OPTIONS, fn) as CronSchedule | undefined;
  if (cron) return { cron };
  const interval = Reflect.getMetadata(SCHEDULE_INTERVAL_OPTIONS, fn) as { timeout?: number } | undefined;
  if (interval && typeof interval.timeout === 'number') return { interval: interval.timeout };
  return undefined;
}

/**
 * Gives `instance` a scheduled entry point for each of `keys` that is a cron or interval job.
 * @returns the entry points installed.
 */
export function installScheduledEntries(instance: object, keys: Iterable<string | symbol>): InstalledEntry[] {
  const installed: InstalledEntry[] = [];
  for (const key of keys) {
    // An own property of that name (set in the constructor) is the instance's business.
    if (Object.prototype.hasOwnProperty.call(instance, key)) continue;
    const method = (instance as Record<string | symbol, unknown>)[key];
    if (typeof method !== 'function') continue;
    const schedule = scheduleOf(method);
    if (!schedule) continue;
    const entry = function (this: object, ...args: unknown[]): unknown {
      return marks.run({ target: this, key, schedule, used: false }, () => method.apply(this, args));
    };
    copyMethodMetadata(method, entry);
    Object.defineProperty(instance, key, { value: entry, configurable: true, writable: true, enumerable: false });
    installed.push({ instance, key, entry });
  }
  return installed;
}

/** Removes an entry point, unless someone replaced it meanwhile. */
export function removeScheduledEntry({ instance, key, entry }: InstalledEntry): void {
  if (Object.getOwnPropertyDescriptor(instance, key)?.value === entry) {
    delete (instance as Record<string | symbol, unknown>)[key];
  }
}

/**
 * If the call of `key` on `target` now starting came through its scheduled entry point, its
 * schedule. Each mark is taken once, so the method calling itself (or another method) from
 * within is a direct call.
 */
export function takeScheduledMark(target: object, key: string | symbol): ScheduleMetadata | undefined {
  const mark = marks.getStore();
  if (!mark || mark.used || mark.key !== key || !sameKind(mark.target, target)) return undefined;
  mark.used = true;
  return mark.schedule;
}

/**
 * Whether `a` and `b` are instances of one class: the same object, or the object and a Proxy
 * around it. Not identity: an instrument (the `nest new` template's `@nestjs/observe`) hands the
 * entry point the Proxy it wraps every provider in and the method the raw instance, or the other
 * way round. The mark is taken synchronously by the first call it reaches, so no other instance
 * of the class can take it meanwhile.
 */
function sameKind(a: object, b: object): boolean {
  return a === b || Object.getPrototypeOf(a) === Object.getPrototypeOf(b);
}
