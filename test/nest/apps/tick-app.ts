// A Nest application run as its own OS process by ticks.test.ts: three copies share one lock
// prefix and one record file, with DEFAULT lock options only. Every job appends a line to the
// record file (O_APPEND, one write per line) each time it really runs:
//   run <job> <tick ms> <app> <real start ms> <real end ms>
// and, from the `skipped` event:
//   skip <job> <tick ms> <reason> <app>
// Real times come from `performance` (the process's clock may be skewed by CLOCK_SKEW_MS: Date
// is, performance.timeOrigin is not).
import 'reflect-metadata';
import { Injectable, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Cron, Interval, ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { appendFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { currentS3Lock, S3LockModule, type S3LockRunEvent, S3LockService, WithS3Lock } from '../../../lib/index.js';
import { APP_NAME, env, RECORD_FILE } from './app-env.js';


/** How long the `overrun` job runs: longer than its 1-second period. */
const OVERRUN_MS = 2500;
/** Which jobs run: `schedule` (the decorated ones but `crash`), `crash`, or `registry`. */
const JOBS = process.env.JOBS ?? 'schedule';
const off = (group: string): boolean => JOBS !== group;

const realNow = (): number => Math.round(performance.timeOrigin + performance.now());
const write = (line: string): void => appendFileSync(RECORD_FILE, `${line}\n`, { flag: 'a' });

/**
 * Runs `work` and records the run under the tick it claimed. Should a run have no tick (the
 * library treating the call as a direct one), it is recorded under the occurrence nearest to it
 * by the real clock (`periodMs`), so that double runs still show as such.
 */
async function record(job: string, periodMs: number, work: () => Promise<void> = async () => {}): Promise<void> {
  const start = realNow();
  const tick = currentS3Lock()!.tick?.getTime() ?? Math.round(start / periodMs) * periodMs;
  await work();
  write(`run ${job} ${tick} ${APP_NAME} ${start} ${realNow()}`);
}

@Injectable()
class Jobs {
  @Cron('* * * * * *', { disabled: off('schedule') })
  @WithS3Lock('every-second')
  everySecond(): Promise<void> {
    return record('every-second', 1000);
  }

  @WithS3Lock('every-2-seconds')
  @Cron('*/2 * * * * *', { disabled: off('schedule') })
  async every2Seconds(): Promise<void> {
    await record('every-2-seconds', 2000, () => sleep(30)); // the job's own work
  }

  @Cron('*/5 * * * * *', { disabled: off('schedule') })
  @WithS3Lock('every-5-seconds')
  every5Seconds(): Promise<void> {
    return record('every-5-seconds', 5000);
  }

  @WithS3Lock('every-minute')
  @Cron('0 * * * * *', { disabled: off('schedule') })
  everyMinute(): Promise<void> {
    return record('every-minute', 60_000);
  }

  @Interval(1500)
  @WithS3Lock('interval-1500')
  interval(): Promise<void> {
    return record('interval-1500', 1500);
  }

  /** Runs 2.5 s on a 1-second cron: the ticks it covers must skip, never overlap. */
  @WithS3Lock('overrun')
  @Cron('* * * * * *', { disabled: off('schedule') })
  overrun(): Promise<void> {
    return record('overrun', 1000, () => sleep(OVERRUN_MS)); // the job's own work, longer than its period
  }

  /** Announces its start, then runs 1.5 s: the test kills the replica that started it. */
  @Cron('*/2 * * * * *', { disabled: off('crash') })
  @WithS3Lock('crash', { expire: 3 })
  crash(): Promise<void> {
    write(`start crash ${currentS3Lock()!.tick?.getTime() ?? Math.round(realNow() / 2000) * 2000} ${APP_NAME} ${realNow()}`);
    return record('crash', 2000, () => sleep(1500)); // the job's own work, during which the test kills it
  }
}

/** With JOBS=registry: a job added at run time through SchedulerRegistry, locked with runScheduled. */
@Injectable()
class RuntimeJobs implements OnApplicationBootstrap {
  constructor(
    private readonly registry: SchedulerRegistry,
    private readonly locks: S3LockService,
  ) {}

  onApplicationBootstrap(): void {
    if (JOBS !== 'registry') return;
    const cron = '* * * * * *';
    const job = CronJob.from({
      cronTime: cron,
      onTick: async () => {
        await this.locks.runScheduled({ key: 'runtime', name: 'runtime-every-second', cron }, () =>
          record('runtime', 1000, () => sleep(20)), // the job's own work
        );
      },
    });
    this.registry.addCronJob('runtime', job);
    job.start();
  }
}

const events = {
  skipped(event: S3LockRunEvent): void {
    write(`skip ${event.key} ${event.tick?.getTime() ?? '-'} ${event.reason} ${APP_NAME}`);
  },
};

@Module({
  imports: [
    ScheduleModule.forRoot(),
    S3LockModule.forRoot({ bucket: env('S3_BUCKET'), prefix: env('LOCK_PREFIX'), events }),
  ],
  providers: [Jobs, RuntimeJobs],
})
class AppModule {}

const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] });
app.enableShutdownHooks();
const nest = await import('@nestjs/core/package.json', { with: { type: 'json' } });
process.stdout.write(`ready with @nestjs/core ${(nest.default as { version: string }).version}\n`);
