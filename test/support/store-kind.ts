import { describe, test } from '@jest/globals';

/**
 * Tests that only make sense on the project's own store, Ceph RGW (its user-ARN format in bucket
 * policies, its bare-ETag `If-Match`, ...). On any other store (`S3_ENDPOINT` set to AWS, MinIO,
 * ...) they are reported as skipped, the reason in their name and printed, never run to a
 * silent pass. `S3_STORE_KIND` (`rgw` or `other`) is set by test/support/global-setup.ts from the
 * store's answers, or by the user to override it.
 */

/** Whether the test store is Ceph RGW. */
export function storeIsRgw(): boolean {
  const kind = process.env.S3_STORE_KIND;
  if (kind !== 'rgw' && kind !== 'other') {
    throw new Error(`S3_STORE_KIND is ${JSON.stringify(kind)}: run the tests with \`npm test\` (its global setup detects the store), or set it to rgw or other.`);
  }
  return kind === 'rgw';
}

// jest's own skip, under a name that says it is used only here, with a reason.
const skipTest = test.skip;
const skipDescribe = describe.skip;

/** `test` and `describe` on RGW; elsewhere they skip, saying `reason`. */
export function onRgwOnly(reason: string): { test: typeof test; describe: typeof describe } {
  if (storeIsRgw()) return { test, describe };
  const why = `[skipped: not Ceph RGW; ${reason}]`;
  const say = (name: string) => {
    console.warn(`${name} ${why}`);
    return `${name} ${why}`;
  };
  type Register = (name: string, ...rest: unknown[]) => void;
  const skippedTest = ((name: string, ...rest: unknown[]) => (skipTest as Register)(say(name), ...rest)) as typeof test;
  const skippedDescribe = ((name: string, ...rest: unknown[]) => (skipDescribe as Register)(say(name), ...rest)) as typeof describe;
  return { test: skippedTest, describe: skippedDescribe };
}
