import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { ScheduleModule } from '@nestjs/schedule';
import { S3LockModule } from 'nestjs-s3-lock';
import { JobsService } from './jobs.service.js';
import { logLockEvents } from './lock-events.js';
import { LocksController } from './locks.controller.js';
import { MaintenanceService } from './maintenance.service.js';
import { RunRecord } from './run-record.js';
import { sampleConfig } from './sample.config.js';
import { SAMPLE_CONFIG } from './sample.constants.js';

/**
 * The sample application. S3 is configured from the environment only: `S3_LOCK_BUCKET`,
 * `S3_LOCK_PREFIX` and `REPLICA` here, and the AWS SDK's own variables for the client
 * (`AWS_REGION`, credentials, and `AWS_ENDPOINT_URL_S3` for a store other than AWS).
 */
@Module({
  imports: [
    ConfigModule.forRoot(),
    ScheduleModule.forRoot(),
    S3LockModule.forRootAsync({
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        bucket: config.getOrThrow<string>('S3_LOCK_BUCKET'),
        prefix: config.get<string>('S3_LOCK_PREFIX', 'sample/locks/'),
        owner: sampleConfig().replica,
        // Ctrl-C: running jobs get 5 seconds to finish before their locks are released anyway.
        shutdownTimeout: 5,
        events: logLockEvents(),
      }),
    }),
  ],
  controllers: [LocksController],
  providers: [{ provide: SAMPLE_CONFIG, useFactory: () => sampleConfig() }, RunRecord, JobsService, MaintenanceService],
})
export class AppModule {}
