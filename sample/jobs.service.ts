import { Injectable, Logger } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { setTimeout as sleep } from 'node:timers/promises';
import { currentS3Lock, WithS3Lock } from 'nestjs-s3-lock';
import { RunRecord } from './run-record.js';
import { timeOfDay } from './sample.config.js';

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
   * A short job every 3 seconds, with the default options: each tick runs on one replica,
   * however the replicas' timers and clocks differ; the others skip it.
   */
  @Cron('*/3 * * * * *')
  @WithS3Lock('sample:report')
  async sendReport(): Promise<void> {
    const { token, tick } = currentS3Lock()!;
    this.record.append('report', timeOfDay(tick!), token);
    this.logger.log(`tick ${timeOfDay(tick!)}: report sent (fencing token ${token})`);
  }

  /**
   * A long job every 10 seconds that works for 5 seconds on a 3-second lock: `autoExtend`
   * extends the lock while it runs (a short `expire` lets another replica take over soon after
   * a crash; the default, 60 s, needs no extension for a 5-second job). It passes its fencing token with every write, as a real
   * job would to the resource it protects, and stops if the lock is lost.
   */
  @Cron('*/10 * * * * *')
  @WithS3Lock('sample:reindex', { expire: 3, autoExtend: true })
  async reindex(): Promise<void> {
    const { token, signal, lock } = currentS3Lock()!;
    const tick = timeOfDay(currentS3Lock()!.tick!);
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
