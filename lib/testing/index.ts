/**
 * Test helpers of `nestjs-s3-lock`, imported from `nestjs-s3-lock/testing`. **For tests only**:
 * nothing here talks to S3.
 */
export { InMemoryS3Client } from './in-memory-s3-client.js';
