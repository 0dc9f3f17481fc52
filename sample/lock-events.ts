import { Logger } from '@nestjs/common';
import type { S3LockEvents, S3LockSkipReason } from 'nestjs-s3-lock';
import { timeOfDay } from './sample.config.js';

const WHY: Readonly<Record<S3LockSkipReason, string>> = {
  'tick-claimed': 'another run took this tick',
  locked: 'another run holds the lock',
  'shutting-down': 'shutting down',
  'store-unavailable': 'S3 cannot be used now (never run without the lock)',
};

/**
 * The module's `events` hooks: one log line for each skipped run, saying why (the library logs
 * skips at debug level only, as they are the normal case on every replica but one).
 */
export function logLockEvents(): S3LockEvents {
  const logger = new Logger('LockEvents');
  return {
    skipped: ({ key, method, reason, tick, holder }) => {
      const why = reason ? WHY[reason] : 'skipped';
      logger.log(
        `${tick ? `tick ${timeOfDay(tick)}: ` : ''}skipped ${method} (lock "${key}"): ${why}` +
          (holder ? `, held by ${holder}` : ''),
      );
    },
  };
}
