import { CreateBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';

/**
 * Makes sure the test bucket exists, and tells the tests which store it is: sets
 * `S3_STORE_KIND` to `rgw` when the bucket's HEAD answer carries Ceph RGW's `x-rgw-*` headers,
 * else `other` (unless `S3_STORE_KIND` is set already). Fails (never skips) when S3 cannot be
 * reached: every test under test/ needs a real store. Self-contained: jest loads it outside its
 * module mapper.
 */
export default async function globalSetup(): Promise<void> {
  const endpoint = process.env.S3_ENDPOINT;
  if (!endpoint) {
    throw new Error(
      'S3_ENDPOINT is not set: run the tests with `npm test` (which starts a local S3), or set ' +
        'S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and S3_BUCKET for your own store.',
    );
  }
  const bucket = process.env.S3_BUCKET ?? 's3-lock-test';
  const client = new S3Client({
    endpoint,
    region: process.env.AWS_REGION ?? 'us-east-1',
    forcePathStyle: process.env.S3_FORCE_PATH_STYLE !== 'false',
  });
  let rgw = false;
  client.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const headers = (result.response as { headers?: Record<string, string> }).headers ?? {};
      rgw ||= Object.keys(headers).some((name) => name.toLowerCase().startsWith('x-rgw-'));
      return result;
    },
    { step: 'deserialize', name: 'detectRgw' },
  );
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status !== 404) {
      throw new Error(`Cannot reach the test S3 store at ${endpoint} (bucket ${bucket}): ${String(error)}`);
    }
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
  } finally {
    client.destroy();
  }
  if (!process.env.S3_STORE_KIND) process.env.S3_STORE_KIND = rgw ? 'rgw' : 'other';
}
