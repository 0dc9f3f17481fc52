/**
 * Test helpers of `nestjs-s3-lock`, imported from `nestjs-s3-lock/testing`. **For tests only**:
 * nothing here talks to S3; locks live in the memory of the test process.
 */
export { createInMemoryS3Lock } from './create-in-memory-s3-lock.js';
export { InMemoryLockStore, type InMemoryLockStoreOptions } from './in-memory-lock-store.js';
export { InMemoryS3Client } from './in-memory-s3-client.js';
export { S3LockTestingModule } from './s3-lock-testing.module.js';
export type { ListResult, LockStore, ReadResult, StoreClock, StoredObject, WriteResult } from '../protocol/lock-store.js';
