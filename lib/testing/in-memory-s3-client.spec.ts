import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { classifyS3Error } from '../protocol/s3-errors.js';
import { InMemoryS3Client } from './in-memory-s3-client.js';

const Bucket = 'b';

describe('InMemoryS3Client answers like S3', () => {
  test('PutObject and GetObject: quoted MD5 ETag, LastModified in whole seconds, metadata, body', async () => {
    const s3 = new InMemoryS3Client();
    const put = await s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'hello', Metadata: { 'S3Lock-Token': '7' } }));
    expect(put.ETag).toBe(`"${createHash('md5').update('hello').digest('hex')}"`);
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'k' }));
    expect(got.ETag).toBe(put.ETag);
    expect(got.LastModified!.getMilliseconds()).toBe(0);
    expect(got.Metadata).toEqual({ 's3lock-token': '7' });
    expect(got.ContentLength).toBe(5);
    expect(await got.Body!.transformToString()).toBe('hello');
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key: 'k' }));
    expect(head.ETag).toBe(put.ETag);
  });

  test('conditional writes: If-None-Match * and If-Match fail with 412 PreconditionFailed', async () => {
    const s3 = new InMemoryS3Client();
    const first = await s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'a', IfNoneMatch: '*' }));
    const again = await s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'b', IfNoneMatch: '*' })).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(S3ServiceException);
    expect(again).toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
    expect(classifyS3Error(again).kind).toBe('precondition');

    const wrong = await s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'b', IfMatch: '"0000"' })).catch((e: unknown) => e);
    expect(wrong).toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
    const right = await s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'b', IfMatch: first.ETag }));
    expect(right.ETag).not.toBe(first.ETag);
    const missing = await s3.send(new PutObjectCommand({ Bucket, Key: 'nope', Body: 'b', IfMatch: first.ETag })).catch((e: unknown) => e);
    expect(missing).toMatchObject({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
  });

  test('missing keys: NoSuchKey 404 on GetObject, NotFound 404 on HeadObject', async () => {
    const s3 = new InMemoryS3Client();
    const get = await s3.send(new GetObjectCommand({ Bucket, Key: 'none' })).catch((e: unknown) => e);
    expect(get).toMatchObject({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
    expect(classifyS3Error(get).kind).toBe('not-found');
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key: 'none' })).catch((e: unknown) => e);
    expect(head).toMatchObject({ name: 'NotFound', $metadata: { httpStatusCode: 404 } });
  });

  test('ListObjectsV2 pages in key order under a prefix; DeleteObject removes', async () => {
    const s3 = new InMemoryS3Client();
    for (const key of ['p/c', 'p/a', 'q/x', 'p/b']) {
      await s3.send(new PutObjectCommand({ Bucket, Key: key, Body: key }));
    }
    const page1 = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'p/', MaxKeys: 2 }));
    expect(page1.Contents!.map((o) => o.Key)).toEqual(['p/a', 'p/b']);
    expect(page1.IsTruncated).toBe(true);
    const page2 = await s3.send(
      new ListObjectsV2Command({ Bucket, Prefix: 'p/', MaxKeys: 2, ContinuationToken: page1.NextContinuationToken }),
    );
    expect(page2.Contents!.map((o) => o.Key)).toEqual(['p/c']);
    expect(page2.IsTruncated).toBe(false);
    await s3.send(new DeleteObjectCommand({ Bucket, Key: 'p/b' }));
    expect(s3.keys(Bucket)).toEqual(['p/a', 'p/c', 'q/x']);
  });

  test('unsupported commands and aborted requests fail clearly', async () => {
    const s3 = new InMemoryS3Client();
    const { CopyObjectCommand } = await import('@aws-sdk/client-s3');
    await expect(s3.send(new CopyObjectCommand({ Bucket, Key: 'a', CopySource: 'b/c' }))).rejects.toThrow(
      /InMemoryS3Client does not support CopyObjectCommand/,
    );
    await expect(
      s3.send(new GetObjectCommand({ Bucket, Key: 'a' }), { abortSignal: AbortSignal.abort() }),
    ).rejects.toMatchObject({ name: 'AbortError' });
  });
});
