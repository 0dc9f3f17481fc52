/**
 * The `@nestjs/terminus` health indicator of `nestjs-s3-lock`, imported from
 * `nestjs-s3-lock/health` so that applications without terminus never load it.
 */
export { S3LockHealthIndicator, type S3LockHealthCheckOptions } from './s3-lock.health.js';
