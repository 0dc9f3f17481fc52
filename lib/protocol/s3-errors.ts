/**
 * How an AWS SDK failure is to be treated by the lock protocol.
 * - `precondition`: 412, the condition did not hold; nothing was written.
 * - `not-found`: 404 NoSuchKey on a read.
 * - `unknown`: 409 conflict, 5xx, 503 throttling, time-out or broken connection: a write may or
 *   may not have landed; settle it by re-reading.
 * - `fatal`: anything else (403, missing bucket, bad request): retrying will not help.
 */
export type FailureKind = 'precondition' | 'not-found' | 'unknown' | 'fatal';

/** A classified SDK error. */
export interface ClassifiedFailure {
  kind: FailureKind;
  status: number | undefined;
  code: string;
  /** A one-line description for logs and messages, never containing credentials. */
  detail: string;
  /** What the user should check, for `fatal` failures. */
  advice: string;
  /**
   * Whether the SDK sent the request more than once (its own retries). A 412 after a retry may
   * answer our own earlier attempt, which landed unheard: the outcome is then unknown.
   */
  retried: boolean;
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
]);

/** What the AWS SDK calls an error answer it could not parse. */
const UNKNOWN = 'UnknownError';

/** Names for HTTP statuses whose answer carried no error code. */
const STATUS_NAMES: Record<number, string> = {
  400: 'BadRequest',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  412: 'PreconditionFailed',
  429: 'TooManyRequests',
  500: 'InternalError',
  501: 'NotImplemented',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

const NETWORK_CODE_IN_TEXT = /\b(E[A-Z]{4,}|UND_ERR_[A-Z_]+)\b/;

/**
 * What to do about a store without conditional writes (one answering 501 to them, such as
 * OpenStack Swift's S3 layer): the way out, and what turning the check off would and would not do.
 */
export const CONDITIONAL_WRITES_ADVICE =
  "Use a store that has them (AWS S3, Ceph RGW, MinIO, R2), or opt in to the origin design's weaker protocol " +
  "with { mode: 'write-wait-verify', wait: 1 } (two workers writing within the same wait window can both run). " +
  "storeCheck: false skips the startup check, but in the default mode every acquire would then fail the same way.";

/** Classifies an error thrown by `S3Client.send`. */
export function classifyS3Error(error: unknown): ClassifiedFailure {
  const e = (error ?? {}) as {
    name?: string;
    code?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number; attempts?: number };
    $response?: { statusCode?: number };
    cause?: { code?: string };
  };
  const status = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  // The SDK wraps non-Error values ("AWS SDK error wrapper for ..."), e.g. across VM realms:
  // look for a network error code in the cause and the message too.
  const message = (e.message ?? '').replace(/^AWS SDK error wrapper for (Error: )?/, '').split('\n')[0];
  const networkCode = [e.code, e.cause?.code, NETWORK_CODE_IN_TEXT.exec(message)?.[1]].find(
    (c): c is string => c !== undefined && NETWORK_CODES.has(c),
  );
  // The SDK names an error it could not parse (an empty body, e.g. of a HEAD) "UnknownError",
  // in both name and message: say the HTTP status instead.
  const named = e.name && e.name !== 'Error' && e.name !== UNKNOWN ? e.name : e.code !== UNKNOWN ? e.code : undefined;
  const code = networkCode ?? named ?? (status !== undefined ? (STATUS_NAMES[status] ?? 'HttpError') : 'Error');
  const text = message === UNKNOWN ? '' : message;
  const detail = `${code}${status ? ` (HTTP ${status})` : ''}${text && text !== code ? `: ${text}` : ''}`;
  const failure = (kind: FailureKind, advice = ''): ClassifiedFailure => ({
    kind,
    status,
    code,
    detail,
    advice,
    retried: (e.$metadata?.attempts ?? 1) > 1,
  });

  if (status === 412 || code === 'PreconditionFailed') return failure('precondition');
  if (code === 'NoSuchBucket') {
    return failure('fatal', 'The bucket does not exist: create it or fix the bucket name.');
  }
  if (status === 404 || code === 'NoSuchKey' || code === 'NotFound') return failure('not-found');
  if (status === 501 || code === 'NotImplemented') {
    return failure(
      'fatal',
      `The store does not implement a request header the lock needs (conditional writes: If-None-Match / If-Match). ${CONDITIONAL_WRITES_ADVICE}`,
    );
  }
  if (status === 409 || status === 429 || (status !== undefined && status >= 500)) {
    return failure('unknown');
  }
  if (code === 'AbortError' || code === 'TimeoutError' || code === 'RequestTimeout') {
    return failure('unknown');
  }
  if (status === undefined && networkCode !== undefined) {
    return failure(
      'unknown',
      'S3 is unreachable: check the endpoint (AWS_ENDPOINT_URL_S3 / S3_ENDPOINT), the network and that the store is running.',
    );
  }
  if (code === 'CredentialsProviderError') {
    return failure(
      'fatal',
      'No AWS credentials were found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), ' +
        'run where an instance or task role is available, or pass clientConfig.credentials.',
    );
  }
  if (code === 'InvalidAccessKeyId' || code === 'SignatureDoesNotMatch') {
    return failure(
      'fatal',
      'The credentials were refused: check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the profile or role in use).',
    );
  }
  if (status === 403 || code === 'AccessDenied') {
    return failure(
      'fatal',
      'Access denied: the identity needs s3:GetObject and s3:PutObject on the lock prefix, and s3:ListBucket on the bucket ' +
        '(without it, AWS answers 403 instead of 404 for a lock that does not exist yet); see the IAM policy in docs/OPERATIONS.md of the package. ' +
        'If expectedBucketOwner is set, the bucket owner must match it.',
    );
  }
  if (status === 301 || code === 'PermanentRedirect') {
    return failure('fatal', 'The bucket is in another region: set AWS_REGION (or clientConfig.region) to the bucket\'s region.');
  }
  if (status === undefined) {
    return failure(
      'unknown',
      'S3 did not answer: check the endpoint (AWS_ENDPOINT_URL_S3 / S3_ENDPOINT), the network and that the store is running.',
    );
  }
  return failure('fatal', 'S3 refused the request; see the cause for details.');
}
