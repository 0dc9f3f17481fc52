// An HTTP application as `nest new` writes main.ts (NestFactory.create, then listen), run as its
// own OS process by startup-failure.test.ts with a store that cannot be used: it must print one
// line saying what failed and what to do, and exit 1. S3 comes from the AWS SDK's default chain.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { S3LockModule } from '../../../lib/index.js';

@Module({ imports: [S3LockModule.forRoot()] })
class AppModule {}

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
  await app.listen(0, '127.0.0.1');
  process.stdout.write('ready with @nestjs/core\n');
  await app.close();
}
void bootstrap();
