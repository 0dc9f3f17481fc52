import { Inject, Injectable } from '@nestjs/common';
import { appendFileSync } from 'node:fs';
import { type SampleConfig } from './sample.config.js';
import { SAMPLE_CONFIG } from './sample.constants.js';

/** One line of the shared record: a job that really ran, on which replica, for which tick. */
export interface RunRecordEntry {
  readonly job: string;
  readonly tick: string;
  readonly replica: string;
  readonly token: number;
  readonly at: string;
}

/**
 * Appends every job run to the shared record file (one `write` per line with `O_APPEND`, so
 * lines from the three replicas never interleave). The record, not the logs, is what
 * `npm run sample` and its test count to check that each tick ran exactly once.
 */
@Injectable()
export class RunRecord {
  constructor(@Inject(SAMPLE_CONFIG) private readonly config: SampleConfig) {}

  /** Records that `job` ran here for `tick` with fencing token `token` (no-op without RECORD_FILE). */
  append(job: string, tick: string, token: number): void {
    if (!this.config.recordFile) return;
    const entry: RunRecordEntry = { job, tick, replica: this.config.replica, token, at: new Date().toISOString() };
    appendFileSync(this.config.recordFile, JSON.stringify(entry) + '\n', { flag: 'a' });
  }
}
