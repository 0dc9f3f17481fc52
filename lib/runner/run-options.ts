import { InvalidLockArgumentError } from '../errors/invalid-lock-argument.error.js';
import type {
  S3LockEvents,
  S3LockKey,
  S3LockModuleOptions,
  S3LockOnLocked,
  S3LockRunOptions,
  WithS3LockOptions,
} from '../interfaces/s3-lock-module-options.interface.js';
import type { S3LockScheduledRunOptions } from '../interfaces/scheduled-run.interface.js';
import { validExpire, validInteger, validWait, validWaitForLock } from '../protocol/validation.js';
import { DEFAULT_SHUTDOWN_TIMEOUT_SECONDS } from '../s3-lock.internal-constants.js';
import { protocolMessages } from '../protocol/protocol.messages.js';
import { messages } from '../s3-lock.messages.js';

/** The module-wide settings of decorated calls, defaults applied and checked. */
export interface ResolvedRunDefaults {
  onLocked: S3LockOnLocked;
  minHold: number;
  autoExtend: boolean;
  waitForLock: number;
  events: S3LockEvents;
  shutdownTimeoutMs: number;
}

/** The settings of one decorated method, module defaults applied. */
export interface ResolvedRunOptions {
  key: S3LockKey;
  /** See `WithS3LockOptions.job`; `undefined`: the default identity. */
  job: string | undefined;
  /** `undefined`: the service's default. */
  expire: number | undefined;
  /** `undefined`: the service's default. */
  wait: number | undefined;
  onLocked: S3LockOnLocked;
  minHold: number;
  autoExtend: boolean;
  /** Seconds to wait for the lock; see `S3LockRunOptions.waitForLock`. */
  waitForLock: number;
}

const ON_LOCKED: readonly S3LockOnLocked[] = ['skip', 'throw'];
const MAX_SECONDS = 2 ** 31 - 1;

/**
 * Applies defaults to, and checks, the decorator part of the module options: the one place the
 * module-wide defaults come from (the service part goes through `resolveOptions`).
 */
export function resolveRunDefaults(options: S3LockModuleOptions): ResolvedRunDefaults {
  const checked = checkRunOptions(options);
  if (options.events !== undefined && (typeof options.events !== 'object' || options.events === null)) {
    throw new InvalidLockArgumentError('events', protocolMessages.invalidOption('events', 'an object of hook functions', options.events));
  }
  return {
    onLocked: checked.onLocked ?? 'skip',
    minHold: checked.minHold ?? 0,
    autoExtend: checked.autoExtend ?? false,
    waitForLock: checked.waitForLock ?? 0,
    events: options.events ?? {},
    shutdownTimeoutMs:
      validInteger(options.shutdownTimeout ?? DEFAULT_SHUTDOWN_TIMEOUT_SECONDS, 'shutdownTimeout', 0, 3600) * 1000,
  };
}

/**
 * Checks the options of one `@WithS3Lock` when the decorator is applied, so a typo fails when
 * the class is defined, not at the first tick. Returns a frozen copy.
 */
export function checkDecoratorOptions(options: WithS3LockOptions): Readonly<WithS3LockOptions> {
  const { key, job } = options;
  if (!(typeof key === 'function' || (typeof key === 'string' && key.length > 0))) {
    throw new InvalidLockArgumentError('key', messages.badKeyOption(key));
  }
  if (job !== undefined && (typeof job !== 'string' || job.trim() === '')) {
    throw new InvalidLockArgumentError('job', protocolMessages.invalidOption('job', 'a non-empty string', job));
  }
  return Object.freeze({ ...checkRunOptions(options), key, ...(job === undefined ? {} : { job }) });
}

/** The settings of one method: its own options over the module's defaults. */
export function resolveRunOptions(
  options: Readonly<WithS3LockOptions>,
  defaults: ResolvedRunDefaults,
): ResolvedRunOptions {
  return {
    key: options.key,
    job: options.job,
    expire: options.expire,
    wait: options.wait,
    onLocked: options.onLocked ?? defaults.onLocked,
    minHold: options.minHold ?? defaults.minHold,
    autoExtend: options.autoExtend ?? defaults.autoExtend,
    waitForLock: options.waitForLock ?? defaults.waitForLock,
  };
}

function checkRunOptions(options: S3LockRunOptions): S3LockRunOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidLockArgumentError('options', protocolMessages.invalidOption('options', 'an object', options));
  }
  const { expire, wait, onLocked, minHold, autoExtend, waitForLock } = options;
  if (onLocked !== undefined && !ON_LOCKED.includes(onLocked)) {
    throw new InvalidLockArgumentError('onLocked', protocolMessages.invalidOption('onLocked', "'skip' or 'throw'", onLocked));
  }
  if (autoExtend !== undefined && typeof autoExtend !== 'boolean') {
    throw new InvalidLockArgumentError('autoExtend', protocolMessages.invalidOption('autoExtend', 'true or false', autoExtend));
  }
  return {
    expire: expire === undefined ? undefined : validExpire(expire),
    wait: wait === undefined ? undefined : validWait(wait),
    onLocked,
    minHold: minHold === undefined ? undefined : validInteger(minHold, 'minHold', 0, MAX_SECONDS),
    autoExtend,
    waitForLock: waitForLock === undefined ? undefined : validWaitForLock(waitForLock),
  };
}

/**
 * Checks the options of `S3LockService.runScheduled`: a non-empty key, exactly one schedule
 * (`cron`, `interval` or `tick`), and the options of `@WithS3Lock`.
 */
export function checkScheduledRunOptions(options: S3LockScheduledRunOptions): S3LockScheduledRunOptions {
  const checked = checkRunOptions(options);
  const { key, name, cron, interval, tick, timeZone, utcOffset } = options;
  if (typeof key !== 'string' || key.length === 0) {
    throw new InvalidLockArgumentError('key', protocolMessages.invalidOption('key', 'a non-empty string', key));
  }
  if (name !== undefined && (typeof name !== 'string' || name.length === 0)) {
    throw new InvalidLockArgumentError('name', protocolMessages.invalidOption('name', 'a non-empty string', name));
  }
  const given = [cron, interval, tick].filter((v) => v !== undefined).length;
  const tickOk = tick === undefined || (tick instanceof Date ? !Number.isNaN(tick.getTime()) : Number.isSafeInteger(tick));
  if (given !== 1 || !tickOk || (cron !== undefined && typeof cron !== 'string')) {
    throw new InvalidLockArgumentError('schedule', messages.badSchedule({ cron, interval, tick }));
  }
  if (interval !== undefined) validInteger(interval, 'interval', 1, MAX_SECONDS * 1000);
  if (timeZone !== undefined && typeof timeZone !== 'string') {
    throw new InvalidLockArgumentError('timeZone', protocolMessages.invalidOption('timeZone', 'an IANA time zone name', timeZone));
  }
  if (utcOffset !== undefined) validInteger(utcOffset, 'utcOffset', -24 * 60, 24 * 60);
  return { ...checked, key, name, cron, interval, tick, timeZone, utcOffset };
}
