import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { sampleConfig } from './sample.config.js';
import { SampleLogger } from './sample.logger.js';

const { replica, port } = sampleConfig();
const logger = new SampleLogger({ colors: process.env.SAMPLE_COLORS === '1' });
// Nest's own start-up lines (modules, routes) are left out to keep the demo short.
logger.setLogLevels(['warn', 'error', 'fatal']);

const app = await NestFactory.create(AppModule, { logger });
// On SIGINT/SIGTERM Nest runs the shutdown hooks: S3LockModule stops the running jobs' timers
// and releases the locks this replica holds, so the other replicas take over at once.
app.enableShutdownHooks();
await app.init();
logger.setLogLevels(['log', 'warn', 'error', 'fatal']);
await app.listen(port, '127.0.0.1');
new Logger('Main').log(`${replica} ready: http://127.0.0.1:${port}/locks/sample:report`);
