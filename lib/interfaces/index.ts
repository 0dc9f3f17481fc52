export * from './acquire-options.interface.js';
export * from './lock.interface.js';
export * from './s3-lock-module-options.interface.js';
export * from './s3-lock-options.interface.js';
export * from './scheduled-run.interface.js';
export * from './leadership.interface.js';
