/**
 * `nestjs-s3-lock/core`: the locks without Nest. Needs only `@aws-sdk/client-s3`; loads no
 * `@nestjs/*` module. For scripts, workers and CLIs; Nest applications use `S3LockModule`.
 *
 * @example
 * import { S3LockClient, AlreadyLockedError } from 'nestjs-s3-lock/core';
 * const locks = new S3LockClient({ bucket: 'my-locks-bucket' });
 * const lock = await locks.acquire('nightly-report', { expire: 600 });
 * try { await work(lock.token); } finally { await locks.release(lock); await locks.close(); }
 */
export { S3LockClient, type S3LockClientOptions } from './s3-lock.client.js';
export * from '../errors/index.js';
export * from '../interfaces/acquire-options.interface.js';
export * from '../interfaces/lock.interface.js';
export * from '../interfaces/s3-lock-options.interface.js';
export * from '../s3-lock.constants.js';
export * from '../interfaces/leadership.interface.js';
