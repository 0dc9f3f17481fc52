/** Default `expire`, in seconds. */
export const DEFAULT_EXPIRE_SECONDS = 60;
/** Default `wait`, in seconds: no confirmation read, conditional writes make it unnecessary. */
export const DEFAULT_WAIT_SECONDS = 0;
/** Default prefix of lock object keys. */
export const DEFAULT_PREFIX = 'locks/';
/** Default time-out of one S3 request, in milliseconds. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** Default bound on read-decide-write rounds of one operation. */
export const DEFAULT_MAX_ATTEMPTS = 5;
/**
 * The environment variable that names the bucket of the locks: read by `S3LockModule.forRoot()`
 * called with no argument and by the CLI (when `--bucket` is not given).
 */
export const S3_LOCK_BUCKET_ENV = 'S3_LOCK_BUCKET';
/** The environment variable of the prefix, read with `S3_LOCK_BUCKET` (unset: `DEFAULT_PREFIX`). */
export const S3_LOCK_PREFIX_ENV = 'S3_LOCK_PREFIX';
