// A Nest application run as its own OS process by multi-process.test.ts: three copies share one
// lock prefix and one record file. Every job appends "<job> <tick> <app name>" to the record
// file (O_APPEND, one write per line) each time it actually runs.
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Cron, ScheduleModule } from '@nestjs/schedule';
import { appendFileSync } from 'node:fs';
import { currentS3Lock, S3LockModule, WithS3Lock } from '../../../lib/index.js';
import { APP_NAME, env, RECORD_FILE } from './app-env.js';


/** The second this tick belongs to (cron fires just after the second starts). */
const thisSecond = (): number => Math.floor(Date.now() / 1000);

function record(job: string, tick: number): void {
  appendFileSync(RECORD_FILE, `${job} ${tick} ${APP_NAME}\n`, { flag: 'a' });
}

@Injectable()
class Jobs {
  /** Every second, lock above the schedule decorator; one key per tick. */
  @WithS3Lock({ key: () => `above-${thisSecond()}`, expire: 5, minHold: 1 })
  @Cron('* * * * * *')
  above(): void {
    record('above', Number(currentS3Lock()!.lock.key.split('-')[1]));
  }

  /** Every second, lock below the schedule decorator; one key per tick; async. */
  @Cron('* * * * * *')
  @WithS3Lock({ key: () => `below-${thisSecond()}`, expire: 5, minHold: 1 })
  async below(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 20)); // the job's own work, under its lock
    record('below', Number(currentS3Lock()!.lock.key.split('-')[1]));
  }

  /** Every 3 seconds on one fixed key: minHold keeps the lock past the other replicas' firing. */
  @Cron('*/3 * * * * *')
  @WithS3Lock('every-3-seconds', { expire: 5, minHold: 1 })
  fixed(): void {
    record('fixed', 3 * Math.round(Date.now() / 3000));
  }
}

@Module({
  imports: [
    ScheduleModule.forRoot(),
    S3LockModule.forRoot({ bucket: env('S3_BUCKET'), prefix: env('LOCK_PREFIX'), owner: APP_NAME }),
  ],
  providers: [Jobs],
})
class AppModule {}

const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] });
app.enableShutdownHooks();
const nest = await import('@nestjs/core/package.json', { with: { type: 'json' } });
process.stdout.write(`ready with @nestjs/core ${(nest.default as { version: string }).version}\n`);
