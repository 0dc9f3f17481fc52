export * from './errors/index.js';
export * from './interfaces/index.js';
export * from './s3-lock.constants.js';
export { S3LockService } from './s3-lock.service.js';
export * from './decorators/index.js';
export * from './interceptors/index.js';
export { S3LockModule, type S3LockModuleRootOptions } from './s3-lock.module.js';
export { currentS3Lock, type S3LockRunContext } from './s3-lock.context.js';
export { S3LockClient, type S3LockClientOptions } from './core/s3-lock.client.js';
