export * from './acquire-aborted.error.js';
export * from './already-locked.error.js';
export * from './corrupt-lock.error.js';
export * from './invalid-lock-argument.error.js';
export * from './lock-lost.error.js';
export * from './s3-lock-store.error.js';
export * from './s3-lock.error.js';
export * from './unsupported-store.error.js';
