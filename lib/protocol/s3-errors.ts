import type { S3LockStoreErrorDetails } from '../errors/s3-lock-store.error.js';
import { protocolMessages } from './protocol.messages.js';

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
  /** The error as the SDK threw it (unset for failures made up by a simulation). */
  error?: unknown;
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
    error,
  });

  if (status === 412 || code === 'PreconditionFailed') return failure('precondition');
  if (code === 'NoSuchBucket') return failure('fatal', protocolMessages.noSuchBucket());
  if (status === 404 || code === 'NoSuchKey' || code === 'NotFound') return failure('not-found');
  if (status === 501 || code === 'NotImplemented') return failure('fatal', protocolMessages.notImplemented());
  if (status === 409 || status === 429 || (status !== undefined && status >= 500)) {
    return failure('unknown');
  }
  if (code === 'AbortError' || code === 'TimeoutError' || code === 'RequestTimeout') {
    return failure('unknown');
  }
  if (status === undefined && networkCode !== undefined) return failure('unknown', protocolMessages.unreachable());
  if (code === 'CredentialsProviderError') return failure('fatal', protocolMessages.noCredentials());
  if (code === 'InvalidAccessKeyId' || code === 'SignatureDoesNotMatch') {
    return failure('fatal', protocolMessages.credentialsRefused());
  }
  if (status === 403 || code === 'AccessDenied') return failure('fatal', protocolMessages.accessDenied());
  if (status === 301 || code === 'PermanentRedirect') return failure('fatal', protocolMessages.otherRegion());
  if (status === undefined) return failure('unknown', protocolMessages.noAnswer());
  return failure('fatal', protocolMessages.refused());
}

/** The fields of an `S3LockStoreError` for a classified failure: its status, code, kind and the SDK error. */
export function storeErrorDetails(failure: ClassifiedFailure): S3LockStoreErrorDetails {
  return { statusCode: failure.status, code: failure.code, kind: failure.kind, cause: failure.error };
}
