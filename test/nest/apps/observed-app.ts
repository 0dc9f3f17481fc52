// The `nest new` template's observe setup (ObserveModule.forRoot in the module, ObserveInstrument
// in NestFactory.create) around an every-second @Cron job under @WithS3Lock, run as its own OS
// process by instrumented.test.ts: in-process under jest, observe patches another copy of
// @nestjs/schedule than the one the app uses, so only a real process shows what it does. Each run
// prints `run <tick ms | direct>`. Its agent posts to a closed local port (OBSERVE_ENDPOINT).
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createObserveModule } from '@nestjs/observe';
import { Cron, ScheduleModule } from '@nestjs/schedule';
import { currentS3Lock, S3LockModule, WithS3Lock } from '../../../lib/index.js';

const { ObserveModule, ObserveInstrument } = createObserveModule();

@Injectable()
class Jobs {
  @Cron('* * * * * *')
  @WithS3Lock('observed-every-second')
  async everySecond(): Promise<void> {
    process.stdout.write(`run ${currentS3Lock()!.tick?.getTime() ?? 'direct'}\n`);
  }
}

@Module({
  imports: [
    ObserveModule.forRoot({ appKey: 'test', appSecret: 'test', serviceId: 'nestjs-s3-lock-test' }),
    ScheduleModule.forRoot(),
    S3LockModule.forRoot(),
  ],
  providers: [Jobs],
})
class AppModule {}

const app = await NestFactory.create(AppModule, { instrument: ObserveInstrument, logger: ['error', 'warn'] });
await app.listen(0, '127.0.0.1');
process.once('SIGTERM', () => void app.close());
