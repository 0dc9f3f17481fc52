import { Injectable } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { appendFileSync } from 'node:fs';
import { currentS3Lock, WithS3Lock } from 'nestjs-s3-lock';

/**
 * An every-second job, as a user writes one. For the template tests (test/ops/templates.test.ts),
 * each run appends `run <tick ms> <APP_NAME>` to RECORD_FILE, so that the test counts the runs of
 * every tick across the replicas.
 */
@Injectable()
export class TickJobs {
  @Cron('* * * * * *')
  @WithS3Lock('every-second')
  async everySecond(): Promise<void> {
    const tick = currentS3Lock()!.tick?.getTime() ?? 'direct';
    if (process.env.RECORD_FILE) appendFileSync(process.env.RECORD_FILE, `run ${tick} ${process.env.APP_NAME}\n`);
  }
}
