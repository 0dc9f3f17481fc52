/** Metadata key of the options of `@WithS3Lock`, kept on the wrapped method. */
export const S3_LOCK_OPTIONS_METADATA = 's3_lock:options';

/**
 * The hidden instance property through which Nest injects the runner into every class with a
 * `@WithS3Lock` method. A symbol, so it never shows up in `JSON.stringify` or `Object.keys`; a
 * registered one, so both builds of the package (CommonJS and ES module) use the same property.
 */
export const S3_LOCK_RUNNER_PROPERTY: unique symbol = Symbol.for('nestjs-s3-lock:runner');

/** Context of the Nest `Logger` lines of the decorator and the interceptor. */
export const S3_LOCK_LOGGER_CONTEXT = 'S3Lock';

/** Default `shutdownTimeout`, in seconds. */
export const DEFAULT_SHUTDOWN_TIMEOUT_SECONDS = 10;

/** Metadata key of `@WhileLeader`, kept on the method. */
export const S3_LOCK_LEADER_METADATA = 's3_lock:leader';
