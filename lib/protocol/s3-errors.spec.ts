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
});
