import { describe, expect, test } from '@jest/globals';
import { classifyS3Error } from './s3-errors.js';

const sdkError = (name: string, status?: number, extra: object = {}) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status }, ...extra });

describe('classifying S3 answers', () => {
  test.each([
    [sdkError('PreconditionFailed', 412), 'precondition'],
    [sdkError('NoSuchKey', 404), 'not-found'],
    [sdkError('ConditionalRequestConflict', 409), 'unknown'],
    [sdkError('InternalError', 500), 'unknown'],
    [sdkError('SlowDown', 503), 'unknown'],
    [sdkError('AbortError'), 'unknown'],
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }), 'unknown'],
    [new Error('AWS SDK error wrapper for Error: read ECONNRESET'), 'unknown'],
    [sdkError('NoSuchBucket', 404), 'fatal'],
    [sdkError('AccessDenied', 403), 'fatal'],
    [sdkError('InvalidAccessKeyId', 403), 'fatal'],
  ])('%s -> %s', (error, kind) => {
    expect(classifyS3Error(error).kind).toBe(kind);
  });

  test('fatal failures say what to check, without secrets', () => {
    expect(classifyS3Error(sdkError('SignatureDoesNotMatch', 403)).advice).toMatch(/AWS_SECRET_ACCESS_KEY/);
    expect(classifyS3Error(sdkError('NoSuchBucket', 404)).advice).toMatch(/does not exist: create it/);
    expect(classifyS3Error(new Error('AWS SDK error wrapper for Error: read ECONNRESET')).advice).toMatch(/unreachable/);
  });

  test('a 412 after the SDK retried is marked: it may answer our own first attempt', () => {
    expect(classifyS3Error(sdkError('PreconditionFailed', 412)).retried).toBe(false);
    const retried = Object.assign(new Error('x'), { name: 'PreconditionFailed', $metadata: { httpStatusCode: 412, attempts: 2 } });
    expect(classifyS3Error(retried)).toMatchObject({ kind: 'precondition', retried: true });
  });

  test('no credentials found and credentials refused are told apart', () => {
    const missing = classifyS3Error(
      Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }),
    );
    const refused = classifyS3Error(sdkError('InvalidAccessKeyId', 403));
    expect(missing.kind).toBe('fatal');
    expect(missing.advice).toMatch(/^No AWS credentials were found: set AWS_ACCESS_KEY_ID/);
    expect(missing.advice).not.toMatch(/refused/);
    expect(refused.advice).toMatch(/^The credentials were refused/);
  });

  test('an answer the SDK could not parse ("UnknownError") is described by its HTTP status', () => {
    const unparsed = Object.assign(new Error('UnknownError'), { name: 'UnknownError', $metadata: { httpStatusCode: 501 } });
    expect(classifyS3Error(unparsed)).toMatchObject({ kind: 'fatal', code: 'NotImplemented', detail: 'NotImplemented (HTTP 501)' });
    const odd = Object.assign(new Error('UnknownError'), { name: 'UnknownError', $metadata: { httpStatusCode: 418 } });
    expect(classifyS3Error(odd).detail).toBe('HttpError (HTTP 418)');
    const named = Object.assign(new Error('UnknownError'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    expect(classifyS3Error(named).detail).toBe('AccessDenied (HTTP 403)');
  });

  test('a store without conditional writes (501) is told how to opt in and what storeCheck: false does', () => {
    const { advice } = classifyS3Error(sdkError('NotImplemented', 501));
    expect(advice).toContain("mode: 'write-wait-verify'");
    expect(advice).toContain('storeCheck: false');
  });
});
