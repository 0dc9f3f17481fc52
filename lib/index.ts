export * from './errors/index.js';
export * from './interfaces/index.js';
export * from './s3-lock.constants.js';
export { S3LockService } from './s3-lock.service.js';
