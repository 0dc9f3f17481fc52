export * from './with-s3-lock.decorator.js';
export * from './while-leader.decorator.js';
