import { Injectable, Logger } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { setTimeout as sleep } from 'node:timers/promises';
import { currentS3Lock, WithS3Lock } from 'nestjs-s3-lock';
import { RunRecord } from './run-record.js';
import { tickOf } from './sample.config.js';

/** Seconds the long job works, longer than its lock's `expire`: automatic extension keeps it. */
const REINDEX_STEPS = 5;

/**
 * The sample's scheduled jobs. Every replica schedules both; `@WithS3Lock` makes one replica
 * run each tick, and the others skip it (the library logs who held the lock).
 */
@Injectable()
export class JobsService {
  private readonly logger = new Logger(JobsService.name);

  constructor(private readonly record: RunRecord) {}

  /**
   * A short job every 3 seconds. It takes well under a second, so `minHold: 2` keeps the lock
   * for 2 seconds after it starts: a replica whose clock or timer fires a little late still
   * finds the lock held and skips, instead of running the same tick again.
   */
  @Cron('*/3 * * * * *')
  @WithS3Lock('sample:report', { expire: 2, minHold: 2 })
  async sendReport(): Promise<void> {
    const tick = tickOf(3);
    const { token } = currentS3Lock()!;
    this.record.append('report', tick, token);
    this.logger.log(`tick ${tick}: report sent (fencing token ${token})`);
  }

  /**
   * A long job every 10 seconds that works for 5 seconds on a 3-second lock: `autoExtend`
   * extends the lock while it runs. It passes its fencing token with every write, as a real
   * job would to the resource it protects, and stops if the lock is lost.
   */
  @Cron('*/10 * * * * *')
  @WithS3Lock('sample:reindex', { expire: 3, autoExtend: true })
  async reindex(): Promise<void> {
    const tick = tickOf(10);
    const { token, signal, lock } = currentS3Lock()!;
    this.logger.log(`tick ${tick}: reindex started (fencing token ${token}, lock expires ${time(lock.expiresAt)})`);
    for (let step = 1; step <= REINDEX_STEPS; step++) {
      if (signal.aborted) {
        this.logger.warn(`tick ${tick}: reindex stopped at step ${step}: ${String(signal.reason)}`);
        return;
      }
      await sleep(1000);
      this.writeBatch(step, token);
    }
    this.record.append('reindex', tick, token);
    // The lock object was rewritten by each extension; `currentS3Lock()` has the latest.
    const extended = currentS3Lock()!.lock;
    this.logger.log(`tick ${tick}: reindex done (fencing token ${extended.token}, lock extended to ${time(extended.expiresAt)})`);
  }

  /** Stands for a write to a store that rejects tokens lower than the highest it has seen. */
  private writeBatch(step: number, fencingToken: number): void {
    this.logger.debug(`batch ${step} written with fencing token ${fencingToken}`);
  }
}

function time(date: Date): string {
  return date.toISOString().slice(11, 19);
}
