import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { InvalidLockArgumentError } from './errors/invalid-lock-argument.error.js';
import type { S3LockLogger, S3LockMode, S3LockServiceOptions } from './interfaces/s3-lock-options.interface.js';
import { coreMessages } from './core/core.messages.js';
import { protocolMessages } from './protocol/protocol.messages.js';
import {
  DEFAULT_EXPIRE_SECONDS,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_PREFIX,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_WAIT_SECONDS,
} from './s3-lock.constants.js';
import type { LockStore } from './protocol/lock-store.js';
import { defaultWorkerName } from './protocol/owner.js';
import { S3Store } from './protocol/s3-store.js';
import {
  checkWaitBelowExpire,
  validExpire,
  validInteger,
  validName,
  validWait,
} from './protocol/validation.js';

/** Options with every default applied and every value checked. */
export interface ResolvedS3LockOptions {
  bucket: string;
  /** The store the locks live in: `options.store`, or an `S3Store` on `client`. */
  store: LockStore;
  /** The S3 client behind `store`; `undefined` when `options.store` was given. */
  client: S3Client | undefined;
  /** Whether the library created `client` (then `close()` destroys it) rather than the user. */
  ownsClient: boolean;
  prefix: string;
  workerName: string;
  expire: number;
  wait: number;
  mode: S3LockMode;
  storeCheck: boolean;
  requestTimeoutMs: number;
  maxAttempts: number;
  expectedBucketOwner: string | undefined;
  logger: S3LockLogger | undefined;
}

const MODES: readonly S3LockMode[] = ['conditional', 'write-wait-verify'];

/**
 * Applies defaults to, and validates, the options of the service and the module: the one place
 * both pass through. Throws `InvalidLockArgumentError` naming the first bad option.
 */
export function resolveOptions(options: S3LockServiceOptions): ResolvedS3LockOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidLockArgumentError('bucket', coreMessages.missingBucket(options));
  }
  if (typeof options.bucket !== 'string' || options.bucket.trim() === '') {
    throw new InvalidLockArgumentError('bucket', coreMessages.missingBucket(options.bucket));
  }
  const mode = options.mode ?? 'conditional';
  if (!MODES.includes(mode)) {
    throw new InvalidLockArgumentError('mode', protocolMessages.invalidOption('mode', `one of ${MODES.join(', ')}`, mode));
  }
  const expire = validExpire(options.expire ?? DEFAULT_EXPIRE_SECONDS);
  const wait = validWait(options.wait ?? DEFAULT_WAIT_SECONDS);
  checkWaitBelowExpire(wait, expire);
  if (mode === 'write-wait-verify' && wait <= 0) {
    throw new InvalidLockArgumentError('wait', protocolMessages.writeWaitVerifyNeedsWait());
  }
  // Not `instanceof S3Client`: an app with two copies of @aws-sdk/client-s3 (a monorepo) has
  // two S3Client classes, and either works.
  if (options.client !== undefined && typeof (options.client as { send?: unknown } | null)?.send !== 'function') {
    throw new InvalidLockArgumentError(
      'client',
      protocolMessages.invalidOption('client', 'an S3 client (an object with a send(command) method, such as new S3Client() from @aws-sdk/client-s3)', options.client),
    );
  }
  if (options.store !== undefined) checkStoreOption(options);
  if (options.storeCheck !== undefined && typeof options.storeCheck !== 'boolean') {
    throw new InvalidLockArgumentError('storeCheck', protocolMessages.invalidOption('storeCheck', 'true or false', options.storeCheck));
  }
  const requestTimeoutMs = validInteger(options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, 'requestTimeoutMs', 1, 600_000);
  const maxAttempts = validInteger(options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS, 'maxAttempts', 1, 100);
  const expectedBucketOwner =
    options.expectedBucketOwner === undefined
      ? undefined
      : validName(options.expectedBucketOwner, 'expectedBucketOwner', 64);
  const client = options.store ? undefined : (options.client ?? createClient(options.clientConfig));
  return {
    bucket: options.bucket,
    store: options.store ?? new S3Store(client!, options.bucket, { requestTimeoutMs, maxAttempts, expectedBucketOwner }),
    client,
    ownsClient: client !== undefined && options.client === undefined,
    prefix: validName(options.prefix ?? DEFAULT_PREFIX, 'prefix', 900, true),
    workerName: validName(options.owner ?? defaultWorkerName(), 'owner'),
    expire,
    wait,
    mode,
    storeCheck: options.storeCheck ?? true,
    requestTimeoutMs,
    maxAttempts,
    expectedBucketOwner,
    logger: options.logger,
  };
}

/** A `store` excludes every option about reaching S3: they would silently do nothing. */
function checkStoreOption(options: S3LockServiceOptions): void {
  const store = options.store as Partial<LockStore> | null;
  if (typeof store !== 'object' || store === null || typeof store.read !== 'function' || typeof store.replace !== 'function') {
    throw new InvalidLockArgumentError('store', protocolMessages.invalidOption('store', 'a LockStore such as InMemoryLockStore', options.store));
  }
  const s3Option = (['client', 'clientConfig', 'requestTimeoutMs', 'expectedBucketOwner'] as const).find(
    (name) => options[name] !== undefined,
  );
  if (s3Option) throw new InvalidLockArgumentError(s3Option, coreMessages.storeExcludes(s3Option));
}

/**
 * An S3 client from the AWS SDK's default chain (environment, shared config, instance role),
 * with `config` on top. A custom endpoint (`config.endpoint`, `AWS_ENDPOINT_URL_S3` or
 * `AWS_ENDPOINT_URL`) gets path-style addressing unless `forcePathStyle` says otherwise, since
 * most S3-compatible stores need it. The SDK's own retries are off (`maxAttempts: 1`) unless
 * `config` sets them: the lock protocol retries reads and settles unknown write outcomes itself,
 * and an SDK retry of a conditional write only adds a request (and a 412) after a race.
 */
export function createClient(config: S3ClientConfig = {}): S3Client {
  const customEndpoint =
    config.endpoint !== undefined ||
    Boolean(process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL);
  return new S3Client({
    maxAttempts: 1,
    ...(customEndpoint ? { forcePathStyle: true } : {}),
    ...config,
  });
}
