export * from './s3-lock.interceptor.js';
