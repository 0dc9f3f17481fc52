import { CreateBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';

/**
 * Makes sure the test bucket exists. Fails (never skips) when S3 cannot be reached: every test
 * under test/ needs a real store. Self-contained: jest loads it outside its module mapper.
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
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status !== 404) {
      throw new Error(`Cannot reach the test S3 store at ${endpoint} (bucket ${bucket}): ${String(error)}`);
    }
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } finally {
    client.destroy();
  }
}
