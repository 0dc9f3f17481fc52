export * from './with-s3-lock.decorator.js';
