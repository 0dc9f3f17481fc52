import { Module } from '@nestjs/common';
import { createObserveModule } from '@nestjs/observe';
import { ScheduleModule } from '@nestjs/schedule';
import { S3LockModule } from 'nestjs-s3-lock';
import { AppController } from './app.controller.js';
import { AppService } from './app.service.js';
import { ReportJobs } from './report.jobs.js';
import { TickJobs } from './tick.jobs.js';

export const { ObserveModule, ObserveInstrument } = createObserveModule();

@Module({
  imports: [
    // Distributed tracing, auto-correlated logs, request/job metrics, error
    // telemetry, alarms, and more — out of the box. Sign up at https://observe.nestjs.com,
    // then run `npx @nestjs/observe link` to write your key pair into .env.
    ObserveModule.forRoot({
      appKey: process.env.OBSERVE_APP_KEY ?? 'YOUR_APP_KEY',
      appSecret: process.env.OBSERVE_APP_SECRET ?? 'YOUR_APP_SECRET',
      serviceId: 'my-app',
    }),
    // Added for nestjs-s3-lock (the bucket comes from S3_LOCK_BUCKET):
    ScheduleModule.forRoot(),
    S3LockModule.forRoot(),
  ],
  controllers: [AppController],
  providers: [AppService, ReportJobs, TickJobs],
})
export class AppModule {}
