import { Logger } from '@nestjs/common';
import type { S3LockEvents } from 'nestjs-s3-lock';
import { tickOf } from './sample.config.js';

/** The schedule of each job's lock, in seconds, to name the tick a skip belongs to. */
const PERIOD_SECONDS: Readonly<Record<string, number>> = { 'sample:report': 3, 'sample:reindex': 10 };

/**
 * The module's `events` hooks: one log line for each skipped run, naming the replica that held
 * the lock (the library logs skips at debug level only, as they are the normal case).
 */
export function logLockEvents(): S3LockEvents {
  const logger = new Logger('LockEvents');
  return {
    skipped: ({ key, method, holder }) => {
      const period = PERIOD_SECONDS[key];
      const tick = period === undefined ? '' : `tick ${tickOf(period)}: `;
      logger.log(`${tick}skipped ${method}, lock "${key}" is held by ${holder ?? 'another owner'}`);
    },
  };
}
