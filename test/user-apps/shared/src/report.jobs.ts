import { Injectable } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { currentS3Lock, WithS3Lock } from 'nestjs-s3-lock';

@Injectable()
export class ReportJobs {
  /** The fencing token of every run, as the job saw it. */
  readonly tokens: number[] = [];

  @Cron('0 0 3 * * *')
  @WithS3Lock('nightly-report', { expire: 600 })
  async nightlyReport(): Promise<void> {
    this.tokens.push(currentS3Lock()!.token);
  }
}
