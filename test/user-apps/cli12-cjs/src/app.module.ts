import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { S3LockModule } from 'nestjs-s3-lock';
import { AppController } from './app.controller';
import { AppService } from './app.service';
import { ReportJobs } from './report.jobs';
import { TickJobs } from './tick.jobs';

@Module({
  // Added for nestjs-s3-lock (the bucket comes from S3_LOCK_BUCKET):
  imports: [ScheduleModule.forRoot(), S3LockModule.forRoot()],
  controllers: [AppController],
  providers: [AppService, ReportJobs, TickJobs],
})
export class AppModule {}
